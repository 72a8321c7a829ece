"""Races between signers, organisers and the workers, with real concurrent transactions (Postgres).

Each test runs the two sides in threads with connections of their own and makes one of them wait
where the race would happen: what the other does meanwhile must not break an invariant.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from petitions import counting, delivery, moderation, retention, signing
from petitions.models import Delivery, Petition, Signature

from .factories import PetitionFactory, SignatureFactory
from .test_delivery import by_embassy_city, petition, signatures  # noqa: F401 (fixtures, used by name)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres row locks")


def wait_for(condition, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def lock_waiters():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def in_thread(target, errors):
    """Run `target` in a thread with a database connection of its own; its exception into `errors`."""
    done = threading.Event()

    def body():
        try:
            target()
        except BaseException as error:  # noqa: BLE001 (reported by the test)
            errors.append(error)
        finally:
            connection.close()
            done.set()

    threading.Thread(target=body, daemon=True).start()
    return done


@pytest.mark.parametrize("how", ["withdraw", "reject"])
def test_a_withdrawal_while_a_letter_naming_the_signer_is_on_the_wire_waits_for_it_to_have_gone(
    smtp, petition, signatures, how
):
    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    smtp.handler.gate = threading.Event()
    errors = []
    sent = in_thread(lambda: delivery.send(kyiv.pk), errors)
    assert smtp.handler.at_gate.wait(20)  # the letter, naming her, is being sent

    olena = Signature.objects.filter(pk=signatures["olena"].pk)
    withdrawn = in_thread(
        (lambda: signing.withdraw(olena.get())) if how == "withdraw" else (lambda: moderation.reject_as_spam(olena)),
        errors,
    )
    # Gone before it committed, or left out: here the letter is already going, so it waits.
    assert not withdrawn.wait(1), "the withdrawal committed while a letter naming her was being sent"
    smtp.handler.gate.set()
    assert sent.wait(20) and withdrawn.wait(20) and not errors, errors

    assert "Петренко" in by_embassy_city(smtp)["Kyiv"][2]  # it went before her withdrawal: as it should
    assert Delivery.objects.get(pk=kyiv.pk).status == Delivery.Status.SENT
    assert olena.get().status != Signature.Status.CONFIRMED


def test_a_withdrawal_that_goes_first_is_left_out_of_the_letter_that_was_waiting_for_it(smtp, petition, signatures):
    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    errors, inside, release = [], threading.Event(), threading.Event()

    def withdraw_slowly():  # her withdrawal has taken its lock on the letter and is still running
        with transaction.atomic():
            signing.withdraw(Signature.objects.get(pk=signatures["olena"].pk))
            inside.set()
            release.wait(20)

    withdrawn = in_thread(withdraw_slowly, errors)
    assert inside.wait(10)
    base = lock_waiters()
    sent = in_thread(lambda: delivery.send(kyiv.pk), errors)
    assert wait_for(lambda: lock_waiters() > base)  # the letter waits for the withdrawal
    release.set()
    assert withdrawn.wait(20) and sent.wait(20) and not errors, errors

    text = by_embassy_city(smtp)["Kyiv"][2]
    assert "Петренко" not in text and "Total: 1 signature (" in " ".join(text.split())


def test_saving_a_delivery_in_the_admin_does_not_put_back_a_status_a_worker_changed_meanwhile(
    smtp, petition, signatures, client, django_user_model
):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    Delivery.objects.filter(pk=kyiv.pk).update(status=Delivery.Status.INFLIGHT, attempts=1)
    errors, holding, release = [], threading.Event(), threading.Event()

    def worker_sending():  # a worker that has sent the letter records it, while the organiser saves
        with transaction.atomic():
            sending = Delivery.objects.select_for_update().get(pk=kyiv.pk)
            holding.set()
            release.wait(20)
            delivery._set(sending, Delivery.Status.SENT, timezone.now(), sent_at=timezone.now())

    worker = in_thread(worker_sending, errors)
    assert holding.wait(10)
    response = {}
    saved = in_thread(lambda: response.update(r=client.post(
        f"/admin/petitions/delivery/{kyiv.pk}/change/",
        {"handed_over_at_0": "", "handed_over_at_1": "", "handover_note": ""},
    )), errors)
    time.sleep(0.5)
    release.set()
    assert worker.wait(20) and saved.wait(20) and not errors, errors
    assert response["r"].status_code == 302
    assert Delivery.objects.get(pk=kyiv.pk).status == Delivery.Status.SENT  # not INFLIGHT again, to be resent


def test_anonymising_does_not_write_initials_back_onto_a_signer_who_withdrew_meanwhile(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    petition = PetitionFactory(opens_at=timezone.now() - timedelta(days=200))
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - timedelta(days=31))
    first, later = (
        SignatureFactory(petition=petition, first_name=first, last_name=last, public_name="full", confirmed=True)
        for first, last in [("Anna", "Nowak"), ("Олена", "Петренко")]
    )
    counting.update_counts()
    errors, holding, release = [], threading.Event(), threading.Event()

    def busy_first_row():  # the counting job, say, holding the batch's first row for a moment
        with transaction.atomic():
            Signature.objects.select_for_update().get(pk=first.pk)
            holding.set()
            release.wait(20)

    busy = in_thread(busy_first_row, errors)
    assert holding.wait(10)
    base = lock_waiters()
    purged = in_thread(lambda: retention.anonymise(Petition.objects.get(pk=petition.pk)), errors)
    assert wait_for(lambda: lock_waiters() > base)  # the batch is read; its first UPDATE waits
    signing.withdraw(Signature.objects.get(pk=later.pk))
    release.set()
    assert busy.wait(20) and purged.wait(30) and not errors, errors

    withdrawn = Signature.objects.get(pk=later.pk)
    assert (withdrawn.status, withdrawn.first_name, withdrawn.last_name) == (Signature.Status.WITHDRAWN, "", "")
    assert Signature.objects.get(pk=first.pk).first_name == "A."


def test_signing_goes_on_while_the_petitions_letters_are_being_planned(petition, signatures, monkeypatch):
    errors, planning, release = [], threading.Event(), threading.Event()

    class SlowRouter(delivery.Router):  # plan() holds its lock on the petition for as long as this takes
        def __init__(self, *args, **kwargs):
            planning.set()
            release.wait(20)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(delivery, "Router", SlowRouter)
    planned = in_thread(lambda: delivery.plan(Petition.objects.get(pk=petition.pk), enqueue=False), errors)
    assert planning.wait(10)
    signed = in_thread(lambda: signing.sign(Petition.objects.get(pk=petition.pk), {
        "first_name": "New", "last_name": "Signer", "email": "new@example.org", "country": "UA",
    }), errors)
    assert signed.wait(5), "a signature waited for the planning of the petition's letters"
    release.set()
    assert planned.wait(20) and not errors, errors


def test_two_sweeps_at_once_give_each_embassy_one_letter_per_period(petition, signatures, monkeypatch):
    errors, planning, release = [], threading.Event(), threading.Event()
    claim = delivery._claim_items

    def slow_claim(*args, **kwargs):  # the first sweep has claimed, and holds the planning lock a while
        claimed = claim(*args, **kwargs)
        if not planning.is_set():
            planning.set()
            release.wait(20)
        return claimed

    monkeypatch.setattr(delivery, "_claim_items", slow_claim)
    first = in_thread(lambda: delivery.sweep(enqueue=False), errors)
    assert planning.wait(10)
    base = lock_waiters()
    second = in_thread(lambda: delivery.sweep(enqueue=False), errors)  # it too found the petition due
    assert wait_for(lambda: lock_waiters() > base)
    # A signer confirms while the first sweep is planning: hers waits for the next period.
    SignatureFactory(
        petition=petition, country="UA", status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    release.set()
    assert first.wait(20) and second.wait(20) and not errors, errors

    kyiv = Delivery.objects.filter(petition=petition, embassy__city="Kyiv")
    assert kyiv.count() == 1, "the embassy in Kyiv got two letters in one day"
    assert delivery.undelivered(petition, is_test=True).filter(country="UA").count() == 1


def test_a_withdrawal_does_not_wait_for_a_long_letter_and_the_worker_erases_the_rest_once_it_has_gone(
    smtp, petition, signatures, client, monkeypatch
):
    from django.urls import reverse

    from petitions import tasks

    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    smtp.handler.gate = threading.Event()
    errors = []
    sent = in_thread(lambda: delivery.send(kyiv.pk), errors)
    assert smtp.handler.at_gate.wait(20)  # a letter naming her is being sent: it may take a minute
    monkeypatch.setattr(signing, "LETTER_WAIT", 0.3)
    queued = []  # not run in the request (tasks are eager in tests): in a thread below, as a worker would
    monkeypatch.setattr(signing.jobs, "enqueue_on_commit", lambda task, *args: queued.append((task, args)))

    olena = Signature.objects.filter(pk=signatures["olena"].pk)
    token = signing.make_token(olena.get(), signing.WITHDRAW)
    response = client.post(reverse("petitions:withdraw", args=[petition.slug, token]))
    assert response.status_code == 200 and "may still go out with your name" in response.content.decode()

    now = olena.get()  # withdrawn and uncounted at once; her address and comment are gone
    assert (now.status, now.email, now.counted, now.public_name) == (
        Signature.Status.WITHDRAWN, "", False, Signature.PublicName.HIDDEN
    )
    assert now.last_name == "Петренко"  # what the letter on its way prints: erased once it has gone
    assert queued == [(tasks.finish_withdrawals, ())]
    finished = in_thread(tasks.finish_withdrawals, errors)
    assert not finished.wait(1), "the rest was erased while the letter naming her was still going"

    smtp.handler.gate.set()
    assert sent.wait(20) and finished.wait(20) and not errors, errors
    assert "Петренко" in by_embassy_city(smtp)["Kyiv"][2]
    assert (olena.get().first_name, olena.get().last_name, olena.get().city) == ("", "", "")
    assert client.post(reverse("petitions:withdraw", args=[petition.slug, token])).status_code != 500


def test_a_withdrawal_left_waiting_is_finished_by_the_minutely_sweep(petition, signatures):
    from petitions import tasks

    Signature.objects.filter(pk=signatures["jean"].pk).update(  # as withdraw() leaves it; its task was lost
        status=Signature.Status.WITHDRAWN, email="", comment=""
    )
    tasks.run_deliveries.delay()
    jean = Signature.objects.get(pk=signatures["jean"].pk)
    assert (jean.first_name, jean.last_name, jean.organisation) == ("", "", "")


def test_rejecting_spam_while_the_count_is_updated_does_not_deadlock(petition):
    """The counting job and a rejection lock the same fresh signatures; in different orders they
    deadlock and Postgres aborts one of them (the organiser's action, say)."""
    first, second = (SignatureFactory(petition=petition, country="UA") for _ in range(2))
    for signature in (second, first):  # confirmed in this order: on disk `second` now comes first
        Signature.objects.filter(pk=signature.pk).update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    errors, holding, release = [], threading.Event(), threading.Event()

    def hold_second():  # anything holding a row a moment (the outbox, an organiser's save)
        with transaction.atomic():
            Signature.objects.select_for_update().get(pk=second.pk)
            holding.set()
            release.wait(20)

    def plain_index_scans():  # as on a table of real size: the pk index, not a scan of the heap
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")

    held = in_thread(hold_second, errors)
    assert holding.wait(10)
    base = lock_waiters()
    counted = in_thread(lambda: counting.update_counts([petition.pk]), errors)
    assert wait_for(lambda: counted.is_set() or lock_waiters() > base)  # it waits for `second`, or skips it
    both = Signature.objects.filter(pk__in=[first.pk, second.pk])
    rejected = in_thread(lambda: (plain_index_scans(), moderation.reject_as_spam(both)), errors)
    assert wait_for(lambda: lock_waiters() > base + (not counted.is_set()))  # it has `first`, waits for `second`
    release.set()
    assert held.wait(20) and counted.wait(20) and rejected.wait(20)
    assert not errors, errors
    counting.update_counts([petition.pk])  # what a run skipped, the next one counts
    assert Petition.objects.get(pk=petition.pk).signature_count == 0
    assert set(Signature.objects.values_list("status", flat=True)) == {Signature.Status.REJECTED}
