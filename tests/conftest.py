import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings


@pytest.fixture
def one_window():
    """The rate limits, moderation's burst and the emails per address count in fixed windows (a
    minute, ten, an hour, a day): a test's attempts that straddled the turn of one were counted in
    two, and one meant to be refused went through (a CI run whose attempts fell at 22:27:59.97 and
    22:28:00.05). The test runs from the first second of a day (UTC), its clock ticking."""
    import time_machine

    start = (int(time.time()) // 86400 + 1) * 86400 + 1
    with time_machine.travel(start, tick=True):
        yield


needs_services = pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL", "").startswith("postgres")),
    reason="needs REDIS_URL and a Postgres DATABASE_URL (CI sets both)",
)


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    """Tests run with production settings, whose static storage needs collectstatic's manifest."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Accounts that tests make are hashed fast, as Django advises for tests: the production
    hasher's million PBKDF2 rounds cost about 0.4 s an account, and most admin tests make three
    or four personas. The processes that tests start (web server, workers) keep the real one."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def celery_eager(request):
    """Tasks run in-process, on commit, unless the test starts a real worker.

    Tests that want the real broker and worker use `celery_worker_process`.
    """
    from campaign.celery import app

    if "celery_worker_process" in request.fixturenames:
        yield
        return
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
    app.conf.task_eager_propagates = False


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    """Uploads and letters go to the test's own directory, not to the checkout's var/."""
    settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT = tmp_path / "media", tmp_path / "private"


@pytest.fixture(autouse=True)
def english():
    """Every test starts in English: the test client leaves the last request's language active
    in the thread, and translated fields are written in the active language."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def clear_cache():
    """Rate-limit counters, cached counts and the outbox's mail merges must not leak from one test
    into the next."""
    _clear_cache()
    yield
    _clear_cache()


def _clear_cache():
    # Only the site's own keys: with one REDIS_URL the Celery broker lives in the same database,
    # and FLUSHDB would drop its queues under a running worker.
    from django.core.cache import cache, caches

    from petitions import outbox

    outbox.forget_merges()
    caches["local"].clear()  # this process's copies of pages and petitions
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll until predicate() is truthy; returns its last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def start_worker(log_path, **environ):
    """Start a real Celery worker process on the test database; `environ` adds to its environment.

    The process has `.log_path`; stop it with `stop_worker`.
    """
    return _start_celery(log_path, ["worker", "--pool=solo", "--without-mingle", "--without-gossip",
                                    "--without-heartbeat"], environ)


def start_beat(log_path, **environ):
    """Start a real Celery beat process (the DatabaseScheduler, reading the test database)."""
    return _start_celery(log_path, ["beat"], environ)


def _start_celery(log_path, arguments, environ):
    from .faults import service_env

    env = service_env(**environ)
    with open(log_path, "a") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "campaign", *arguments, "--loglevel=INFO"],
            cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    proc.log_path = log_path
    return proc


def stop_worker(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) that Django sends to for the test."""
    from .smtp import SMTPServer

    with SMTPServer() as server:
        server.use_in(settings)
        yield server


@pytest.fixture
def celery_worker_process(transactional_db, tmp_path):
    """A real Celery worker process consuming from the real broker, on the test database."""
    proc = start_worker(tmp_path / "worker.log")
    yield proc
    stop_worker(proc)
