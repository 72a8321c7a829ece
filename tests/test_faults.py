"""Faults the site survives, against the real services and the production processes.

Redis and Postgres are cut off (a TCP proxy in front of the real server drops every connection
and refuses new ones) and brought back; a Postgres restart is a real pg_terminate_backend of the
site's connections; a delivery worker is SIGKILLed again and again at random moments.
"""

import importlib
import json
import os
import random
import signal
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from petitions import delivery, signing, views
from petitions.models import Delivery, DeliveryItem, Embassy, Petition, Signature

from .checks import emails_in
from .conftest import needs_services, start_beat, start_worker, stop_worker, wait_for
from .factories import PetitionFactory, SignatureFactory
from .faults import Proxy, Visitor, WebServer
from .smtp import SMTPServer

pytestmark = [needs_services, pytest.mark.django_db(transaction=True)]

SIGNER = {
    "first_name": "Olena", "last_name": "Petrenko", "email": "olena.fault@example.org", "country": "UA",
    "city": "Lviv", "public_name": "full", "name_in_letter": "yes",
}
# A client address as a proxy in front of the site reports it (TRUSTED_PROXY_COUNT=1).
CLIENT_IP = "203.0.113.77"


@pytest.fixture
def smtp_sink():
    """An SMTP server for our processes (not this one: they get its URL)."""
    with SMTPServer() as server:
        yield server


@pytest.fixture
def petition():
    return PetitionFactory(title="Free Igor Kuznetsov", slug="free-them")


def install_schedules(migration):
    """The periodic tasks a migration installs (a transactional test starts with empty tables)."""
    importlib.import_module(f"petitions.migrations.{migration}").install(apps, None)


def redis_through(proxy):
    redis = urlsplit(os.environ["REDIS_URL"])
    return f"redis://127.0.0.1:{proxy.port}{redis.path}"


def redis_proxy():
    redis = urlsplit(os.environ["REDIS_URL"])
    return Proxy(redis.hostname, redis.port or 6379)


def assert_logs_are_structured_and_anonymous(text):
    lines = [line for line in text.splitlines() if line.startswith("{")]
    assert lines, text
    for line in lines:
        json.loads(line)
    assert not emails_in(text) and CLIENT_IP not in text and SIGNER["last_name"] not in text


def test_redis_down_signing_is_recorded_and_answered_and_the_email_follows_once_it_is_back(
    tmp_path, smtp_sink, petition
):
    install_schedules("0009_signature_outbox")  # the outbox sweep, every 10 s
    page = f"/en/petitions/{petition.slug}/"
    with redis_proxy() as redis:
        env = {"REDIS_URL": redis_through(redis), "EMAIL_URL": smtp_sink.url, "TRUSTED_PROXY_COUNT": 1}
        worker, beat = start_worker(tmp_path / "worker.log", **env), start_beat(tmp_path / "beat.log", **env)
        try:
            with WebServer(tmp_path / "web.log", **env) as web:
                visitor = Visitor(web.url)
                headers = {"X-Forwarded-For": CLIENT_IP}
                assert visitor.get(page, headers=headers).status == 200

                redis.cut()
                assert visitor.get(page, headers=headers).status == 200  # pages need no cache
                # Still ready: the site serves and signs without Redis, and a load balancer that
                # took every instance out on a 503 would turn a Redis blip into an outage.
                ready = visitor.get("/readyz")
                assert ready.status == 200, ready.text
                assert json.loads(ready.text) == {"status": "degraded", "database": "ok", "redis": "down"}
                signed = visitor.post(page, SIGNER, headers=headers)
                assert signed.status == 302, signed.text
                assert signed.headers["Location"].endswith(f"/petitions/{petition.slug}/check-your-email/")
                assert visitor.get(signed.headers["Location"]).status == 200

                signature = Signature.objects.get()
                assert signature.status == Signature.Status.PENDING
                assert signature.email_due == Signature.EmailDue.CONFIRM  # owed, in the signature's own row
                time.sleep(2)
                assert smtp_sink.messages == []  # nothing can reach the worker while Redis is down

                redis.restore()
                assert wait_for(lambda: smtp_sink.messages, timeout=60), (worker.log_path.read_text()[-3000:],
                                                                     beat.log_path.read_text()[-3000:])
                assert wait_for(lambda: json.loads(visitor.get("/readyz").text)["status"] == "ok", timeout=10)
                log = web.log()
            assert wait_for(lambda: Signature.objects.get().email_due == Signature.EmailDue.NONE, timeout=10)
            time.sleep(11)  # the next sweep finds nothing owed
        finally:
            stop_worker(worker)
            stop_worker(beat)

    assert [rcpts for rcpts, _message in smtp_sink.messages] == [[SIGNER["email"]]]
    assert "confirm/" in smtp_sink.messages[0][1].get_body(("plain",)).get_content()
    assert "Rate limiting unavailable (ConnectionError): request allowed" in log and "Cache unavailable" in log
    assert "Internal Server Error" not in log
    assert_logs_are_structured_and_anonymous(log + worker.log_path.read_text())


def test_redis_down_confirming_works_and_the_count_catches_up_once_it_is_back(tmp_path, petition):
    install_schedules("0002_schedules")  # the count update, every 5 s
    signature = SignatureFactory(petition=petition)
    confirm = f"/en/petitions/{petition.slug}/confirm/{signing.make_token(signature, signing.CONFIRM)}/"
    with redis_proxy() as redis:
        env = {"REDIS_URL": redis_through(redis)}
        worker, beat = start_worker(tmp_path / "worker.log", **env), start_beat(tmp_path / "beat.log", **env)
        try:
            with WebServer(tmp_path / "web.log", **env) as web:
                visitor = Visitor(web.url)
                redis.cut()
                assert "Confirm" in visitor.get(confirm).text
                confirmed = visitor.post(confirm, {})
                assert confirmed.status == 302 and confirmed.headers["Location"].endswith("/thank-you/")
                assert Signature.objects.get().status == Signature.Status.CONFIRMED
                assert Petition.objects.get().signature_count == 0  # counted later, not lost

                redis.restore()
                counted = wait_for(lambda: Petition.objects.get().signature_count == 1, timeout=60)
                assert counted, worker.log_path.read_text()[-3000:]
                assert json.loads(visitor.get(f"/api/petitions/{petition.slug}/").text)["signature_count"] == 1
        finally:
            stop_worker(worker)
            stop_worker(beat)


def test_postgres_down_gives_a_clear_503_and_the_site_recovers_by_itself(tmp_path, petition):
    db = connection.settings_dict
    page = f"/en/petitions/{petition.slug}/"
    with Proxy(db["HOST"], int(db["PORT"])) as postgres:
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{postgres.port}/{db['NAME']}"
        with WebServer(tmp_path / "web.log", DATABASE_URL=url) as web:
            visitor = Visitor(web.url)
            assert [visitor.get(page).status for _ in range(4)] == [200] * 4  # both workers connected

            postgres.cut()
            # Each web process keeps the public page for a moment (and serves it meanwhile): once
            # that has run out, the page needs the database again.
            time.sleep(views.PUBLIC_SECONDS + 0.5)
            down = visitor.get(page)
            assert down.status == 503 and down.headers["Retry-After"] == "30"
            assert "Back in a moment" in down.text and "Traceback" not in down.text
            assert "Повернемося за мить" in visitor.get(f"/uk/petitions/{petition.slug}/").text
            assert visitor.post(page, SIGNER).status == 503
            assert visitor.get("/healthz").status == 200  # alive: the load balancer must not kill it
            ready = visitor.get("/readyz")
            assert ready.status == 503 and json.loads(ready.text) == {
                "status": "unavailable", "database": "down", "redis": "ok"
            }

            postgres.restore()
            # No restart, no 500 while reconnecting: the very first requests are served.
            assert [visitor.get(page).status for _ in range(4)] == [200] * 4
            assert visitor.get("/readyz").status == 200
            assert visitor.post(page, SIGNER).status == 302
    assert Signature.objects.filter(email=SIGNER["email"]).count() == 1
    assert "Internal Server Error" not in web.log()


def test_after_a_postgres_restart_the_first_requests_are_served(tmp_path, petition):
    page = f"/en/petitions/{petition.slug}/"
    with WebServer(tmp_path / "web.log") as web:
        visitor = Visitor(web.url)
        assert [visitor.get(page).status for _ in range(4)] == [200] * 4
        # What a restart does to the site's persistent connections: the server ends them.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1
        assert [visitor.get(page).status for _ in range(6)] == [200] * 6
    assert "Internal Server Error" not in web.log()


def _other_connection():
    """A connection of its own, as an operator's psql would be."""
    import psycopg

    db = connection.settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"] or None,
                           dbname=db["NAME"], autocommit=True)


def _last_query_of(pid):
    """What a backend last ran, as Postgres itself reports it."""
    with _other_connection() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def _our_backend():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_the_health_check_keeps_a_healthy_connection_without_a_query():
    pid = _our_backend()
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.is_usable()
    # Django's own check would have sent SELECT 1; the backend's last statement is still ours.
    assert _last_query_of(pid) == "SELECT pg_backend_pid()"
    assert connection.connection is not None and _our_backend() == pid


def test_the_health_check_asks_the_server_when_it_sent_something_unasked():
    from campaign.db.base import _readable

    with connection.cursor() as cursor:
        cursor.execute("LISTEN health_check_test")
    pid = _our_backend()
    with _other_connection() as other:  # a notification: our idle socket has something to read
        other.execute("NOTIFY health_check_test")
    assert wait_for(lambda: _readable(connection.connection.fileno()), timeout=5)
    assert connection.is_usable()  # SELECT 1 answered: the connection is kept
    assert _last_query_of(pid) == "SELECT 1" and _our_backend() == pid


def test_a_connection_the_server_ended_fails_the_health_check_and_is_replaced():
    pid = _our_backend()
    assert connection.is_usable()
    with _other_connection() as other:  # what a restart does; waits for the backend to exit
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
    assert wait_for(lambda: not connection.is_usable(), timeout=5)
    connection.health_check_done = False
    connection.close_if_health_check_failed()
    assert connection.connection is None
    assert _our_backend() != pid  # a new connection, and it works


def test_workers_killed_at_random_moments_never_deliver_a_signature_twice_or_lose_one(tmp_path, settings):
    """Exactly once per signature, whatever moment the worker dies at (claim, render, SMTP, record)."""
    rng = random.Random(20261201)
    countries = ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
                 "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "NO", "IS", "CH"]
    for code in countries:
        Embassy.objects.create(country=code, city="Capital", email=f"embassy-{code.lower()}@example.org")
    petition = PetitionFactory(test_recipient="organiser@example.org", delivery_cadence=Petition.Cadence.MANUAL)
    for index in range(len(countries) * 6):
        SignatureFactory(petition=petition, country=countries[index % len(countries)], name_in_letter=True,
                         status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())

    with SMTPServer() as smtp:
        smtp.handler.delay = 0.2  # each letter takes a while to accept: kills land mid-send too
        env = {"EMAIL_URL": smtp.url}
        from campaign.celery import app

        app.conf.task_always_eager = False
        worker = start_worker(tmp_path / "worker.log", **env)
        try:
            assert len(delivery.plan(petition)) == len(countries)  # one task per embassy, on commit
            started = timezone.now()
            for _ in range(6):
                # Once this worker is on a letter, kill it a random moment later: while it claims,
                # renders the PDF, talks SMTP, or records the result.
                busy = Delivery.objects.filter(status=Delivery.Status.INFLIGHT, status_changed_at__gte=started)
                assert wait_for(busy.exists, timeout=60, interval=0.02), worker.log_path.read_text()[-3000:]
                time.sleep(rng.uniform(0, 0.5))
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
                # Time passes: in-flight letters of the dead worker count as abandoned; the sweep
                # hands them (and the lost queue entries) to the next worker.
                Delivery.objects.filter(status__in=[Delivery.Status.INFLIGHT, Delivery.Status.QUEUED]).update(
                    status_changed_at=timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
                )
                started = timezone.now()
                worker = start_worker(tmp_path / "worker.log", **env)
                delivery.sweep()

            def finished():
                unfinished = Delivery.objects.exclude(status__in=Delivery.FINAL_STATUSES)
                if unfinished.filter(status=Delivery.Status.QUEUED, status_changed_at__lte=timezone.now()
                                     - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)).exists():
                    delivery.sweep()
                return not unfinished.exists()

            assert wait_for(finished, timeout=120, interval=1), (
                list(Delivery.objects.values_list("status", "attempts")), worker.log_path.read_text()[-3000:]
            )
        finally:
            stop_worker(worker)

    confirmed = sorted(Signature.objects.filter(status=Signature.Status.CONFIRMED).values_list("pk", flat=True))
    sent = DeliveryItem.objects.filter(delivery__status=Delivery.Status.SENT)
    assert sorted(sent.values_list("signature_id", flat=True)) == confirmed  # each exactly once, none lost
    assert not Delivery.objects.filter(status=Delivery.Status.FAILED).exists()
    received = [message["Message-ID"] for _rcpts, message in smtp.messages]
    expected = set(Delivery.objects.filter(status=Delivery.Status.SENT).values_list("message_id", flat=True))
    # Every letter arrived. A worker killed after the server accepted a letter and before it
    # recorded that sends it again on retry -- with the same Message-ID, so the recipient's mail
    # system keeps one; the records still hold each signature once.
    assert set(received) == expected
    # The kills did land mid-letter: those letters were taken up again by the next worker.
    assert Delivery.objects.filter(attempts__gte=2).count() >= 4


def _probe_jobs(client):
    response = client.get("/healthz/jobs")
    return response.status_code, json.loads(response.content)


def test_signers_emails_left_unsent_by_a_stopped_worker_are_reported_until_a_worker_sends_them(
    tmp_path, smtp_sink, petition, client, django_user_model
):
    """With the worker stopped every page looks fine while no signer can confirm: the jobs probe
    (for an uptime monitor) and the admin's index say so."""
    from campaign.celery import app

    app.conf.task_always_eager = False  # the kick goes to the broker, and no worker runs (conftest resets it)
    install_schedules("0009_signature_outbox")  # beat on time: only the worker is stopped
    install_schedules("0006_purge_schedule")
    assert client.post(f"/en/petitions/{petition.slug}/", SIGNER).status_code == 302
    assert _probe_jobs(client) == (200, {"status": "ok", "scheduler": "ok", "signer_emails": "ok", "retention": "ok"})

    # Eleven minutes later, no worker having sent it.
    Signature.objects.update(updated_at=timezone.now() - timedelta(minutes=11))
    assert _probe_jobs(client) == (
        503, {"status": "late", "scheduler": "ok", "signer_emails": "late", "retention": "ok"})
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    index = client.get("/admin/").content.decode()
    assert "1 email to a signer has waited more than 10 minutes" in index

    worker = start_worker(tmp_path / "worker.log", EMAIL_URL=smtp_sink.url)
    try:
        assert wait_for(lambda: smtp_sink.messages, timeout=60), worker.log_path.read_text()[-3000:]
        assert wait_for(lambda: _probe_jobs(client)[0] == 200, timeout=10)
    finally:
        stop_worker(worker)
    assert "id=\"late-jobs\"" not in client.get("/admin/").content.decode()


def test_a_stopped_scheduler_is_reported_until_beat_runs_again(tmp_path, client, django_user_model):
    """Beat stopped: the counts stand still and no letter goes out, and nothing else says so."""
    for migration in ("0002_schedules", "0006_purge_schedule", "0009_signature_outbox"):
        install_schedules(migration)
    from django_celery_beat.models import PeriodicTask

    # Installed twenty minutes ago; beat never ran (it records a task's last run when it sends it).
    PeriodicTask.objects.update(last_run_at=None, date_changed=timezone.now() - timedelta(minutes=20))
    assert _probe_jobs(client) == (
        503, {"status": "late", "scheduler": "late", "signer_emails": "ok", "retention": "ok"})
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    assert "Scheduled jobs have not run for 20 minutes" in client.get("/admin/").content.decode()

    beat = start_beat(tmp_path / "beat.log")
    try:
        assert wait_for(lambda: _probe_jobs(client)[0] == 200, timeout=60), beat.log_path.read_text()[-3000:]
    finally:
        stop_worker(beat)
    assert "Scheduled jobs have not run" not in client.get("/admin/").content.decode()
