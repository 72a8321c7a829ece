"""The count shown is confirmed signatures, kept without a per-signature UPDATE of the petition."""

import logging
import threading
import time

import pytest
from django.db import connection

from petitions import counting, signing
from petitions.models import Petition, Signature
from petitions.tasks import update_signature_counts

from .conftest import needs_services, wait_for
from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def count_of(petition):
    return Petition.objects.values_list("signature_count", flat=True).get(pk=petition.pk)


def test_only_confirmed_signatures_are_counted():
    petition = PetitionFactory()
    SignatureFactory.create_batch(3, petition=petition, confirmed=True)
    SignatureFactory.create_batch(2, petition=petition)  # pending
    SignatureFactory(petition=petition, status=Signature.Status.REJECTED)

    assert counting.update_counts() == {petition.pk: 3}
    assert count_of(petition) == 3


def test_a_second_run_changes_nothing():
    petition = PetitionFactory()
    SignatureFactory.create_batch(2, petition=petition, confirmed=True)
    counting.update_counts()

    assert counting.update_counts() == {}
    assert count_of(petition) == 2


def test_withdrawn_and_rejected_signatures_leave_the_count():
    petition = PetitionFactory()
    a, b, _c = SignatureFactory.create_batch(3, petition=petition, confirmed=True)
    counting.update_counts()
    Signature.objects.filter(pk=a.pk).update(status=Signature.Status.WITHDRAWN)
    Signature.objects.filter(pk=b.pk).update(status=Signature.Status.REJECTED)

    assert counting.update_counts() == {petition.pk: -2}
    assert count_of(petition) == 1


def test_counts_of_petitions_are_independent():
    one, two = PetitionFactory(), PetitionFactory()
    SignatureFactory.create_batch(2, petition=one, confirmed=True)
    SignatureFactory.create_batch(5, petition=two, confirmed=True)

    counting.update_counts()

    assert (count_of(one), count_of(two)) == (2, 5)


def test_recount_repairs_drift_and_logs_it(caplog):
    petition = PetitionFactory()
    SignatureFactory.create_batch(4, petition=petition, confirmed=True)
    counting.update_counts()
    Petition.objects.filter(pk=petition.pk).update(signature_count=99)  # drift, e.g. a bad edit

    with caplog.at_level(logging.WARNING, logger="petitions.counting"):
        assert counting.recount() == {petition.pk: (99, 4)}

    assert count_of(petition) == 4
    assert "99 -> 4" in caplog.text
    assert counting.recount() == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs Postgres row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_and_counters_produce_the_exact_count():
    petition = PetitionFactory()
    signatures = SignatureFactory.create_batch(200, petition=petition)
    barrier = threading.Barrier(6)
    errors = []

    def confirm(chunk):
        try:
            barrier.wait()
            for signature in chunk:
                signing.confirm(signature)  # the confirm view's code path, count update included
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    def count_repeatedly():
        try:
            barrier.wait()
            for _ in range(20):
                counting.update_counts()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(signatures[i::4],)) for i in range(4)]
    threads += [threading.Thread(target=count_repeatedly) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counting.update_counts()

    assert errors == []
    assert count_of(petition) == 200
    assert Signature.objects.filter(petition=petition, counted=True).count() == 200


@needs_services
def test_counting_task_round_trips_through_a_real_worker_and_redis(celery_worker_process):
    petition = PetitionFactory()
    SignatureFactory.create_batch(3, petition=petition, confirmed=True)

    update_signature_counts.delay()

    done = wait_for(lambda: count_of(petition) == 3, timeout=60)
    log = celery_worker_process.log_path.read_text()
    assert done, f"worker did not count the signatures; its log:\n{log}"
    assert "update_signature_counts" in log and "succeeded" in log


@needs_services
def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(celery_worker_process):
    """Celery closes every connection around each task unless told not to (settings.CELERY_DB_REUSE_MAX):
    a new Postgres backend for every task, which under a surge cost a seventh of a core."""
    petition = PetitionFactory()

    def worker_backends():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
            return {pid for (pid,) in cursor.fetchall()}

    others = worker_backends()  # connections left by earlier tests in this process, if any
    seen = []
    for counted in range(1, 4):
        SignatureFactory(petition=petition, confirmed=True)
        update_signature_counts.delay()
        assert wait_for(lambda counted=counted: count_of(petition) == counted, timeout=60), (
            celery_worker_process.log_path.read_text())
        # The task has counted; where Celery would close the connection comes after its "succeeded".
        assert wait_for(lambda counted=counted: celery_worker_process.log_path.read_text().count(
            "succeeded") >= counted, timeout=30)
        time.sleep(0.5)
        seen.append(worker_backends() - others)
    assert len(seen[0]) == 1 and seen == [seen[0]] * 3, seen

    # What a Postgres restart does to it: the next task's health check replaces it, and the task runs.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [next(iter(seen[0]))])
    SignatureFactory(petition=petition, confirmed=True)
    update_signature_counts.delay()
    assert wait_for(lambda: count_of(petition) == 4, timeout=60), celery_worker_process.log_path.read_text()
    assert "Traceback" not in celery_worker_process.log_path.read_text()


def test_rows_are_locked_by_a_select_of_their_own_then_updated_by_id():
    """Never `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE)`: with a surge's statistics Postgres ran
    that as a nested loop, the locking subquery once per row, and the count fell 10-20 s behind
    (bench/README.md). The counting job, a rejection as spam and an erasure lock, then update."""
    from django.test.utils import CaptureQueriesContext

    from petitions import moderation

    petition = PetitionFactory()
    signatures = SignatureFactory.create_batch(3, petition=petition, confirmed=True)
    with CaptureQueriesContext(connection) as queries:
        counting.update_counts()
        moderation.reject_as_spam(Signature.objects.filter(pk=signatures[0].pk))
        signing.erase(Signature.objects.filter(pk=signatures[1].pk))
    updates = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert updates and not [sql for sql in updates if "FOR UPDATE" in sql.upper()]
    if connection.features.has_select_for_update_skip_locked:  # Postgres: the locks are still taken
        locks = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "FOR UPDATE" in q["sql"]]
        assert any("SKIP LOCKED" in sql for sql in locks) and any("SKIP LOCKED" not in sql for sql in locks)
    assert count_of(petition) == 1
