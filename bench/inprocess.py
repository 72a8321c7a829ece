"""The sign and confirm POSTs in this process, through Django's WSGI handler and every middleware:
CPU per request, and where a sign POST's CPU goes step by step; then the worker's side, the
signers' emails sent by petitions.outbox.drain() to an SMTP sink in another process: CPU per email.
No server, no load generator, so the figures move much less than bench/surge.py's; they show what
a change to the code buys.

    .venv/bin/python bench/inprocess.py [--requests 3000] [--root TREE] [--redis-db 12]

`--root` measures another checkout of the project with this script (bench/ab.py does, to compare
two commits); `--redis-db` lets two measurements run at once. `--sign-only` and `--emails-only` run
just that path (200 to warm up, then --requests more) for bench/ab.py --instructions. `--pauses`
sends the sign POSTs through `campaign.wsgi.application`, as the web server loads it, and reports
the time each took (p50 to the slowest) and the garbage collector's passes, by generation.

Needs Postgres (postgres://postgres@127.0.0.1:5432, trust) and Redis (127.0.0.1:6379); creates and
drops a database `bench_inprocess_<pid>` and uses Redis DB 12 (`--redis-db`). Production settings (DEBUG off).
No Celery worker runs, so the run the first kick queues never starts: it is overdue, and a kick
asks Redis (~200 µs) only every 0.25 s (campaign.jobs.BACKLOG_RECHECK), as in a surge whose worker is
behind; with a worker keeping up, a process skips Redis until the queued run's start time.
"""

import argparse
import collections
import contextlib
import ctypes
import gc
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deliveries import admin_sql, free_port  # noqa: E402
from smtpsink import Sink  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent  # the project measured (--root)
SLUG = "free-igor-kuznetsov-and-comrades"  # load_demo's petition
PAGE = f"/en/petitions/{SLUG}/"
HOST = "127.0.0.1:8000"


def main():
    global ROOT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per measurement (3000)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (this one)")
    parser.add_argument("--redis-db", type=int, default=12, help="the Redis database to use, flushed (12)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--sign-only", action="store_true",
                      help="200 sign POSTs to warm up, then --requests more, nothing else (ab.py --instructions)")
    only.add_argument("--emails-only", action="store_true",
                      help="200 signer emails to warm up, then --requests more, nothing else (ab.py --instructions)")
    only.add_argument("--pauses", action="store_true",
                      help="sign POSTs through campaign.wsgi: wall time per request and the garbage collector's passes")
    args = parser.parse_args()
    ROOT = args.root.resolve()
    db_name = f"bench_inprocess_{os.getpid()}"
    tmp = tempfile.mkdtemp(prefix="bench-inprocess-")
    sink_port = free_port()
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}", "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "SECRET_KEY": "bench-inprocess-not-a-secret-" + "x" * 40, "DEBUG": "false", "SITE_URL": f"http://{HOST}",
        "ALLOWED_HOSTS": "127.0.0.1", "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}", "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "ERROR", "PRIVATE_MEDIA_ROOT": f"{tmp}/private", "MEDIA_ROOT": f"{tmp}/media",
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
    }
    os.environ.update(env)
    admin_sql(f'CREATE DATABASE "{db_name}"')
    # The mail relay: in a process of its own, so that its CPU is not counted as ours.
    sink = Sink(sink_port)
    try:
        for command in (["migrate", "--noinput", "-v0"], ["load_demo"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        measure(args.requests, args.sign_only, args.emails_only, args.pauses)
    finally:
        sink.stop()
        from django.conf import settings
        from django.db import connections

        if settings.configured:  # not if the setup above failed
            connections.close_all()
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')




def measure(n, sign_only=False, emails_only=False, pauses=False):
    sys.path.insert(0, str(ROOT))
    # Celery's Django fix-up puts the working directory first on sys.path when the app is made:
    # from elsewhere, the code measured would be that directory's, not ROOT's.
    os.chdir(ROOT)
    import django

    django.setup()
    import petitions

    if Path(petitions.__file__).resolve().parent != ROOT / "petitions":
        raise SystemExit(f"measuring {petitions.__file__}, not the code in {ROOT}")
    import redis
    from django.core.handlers.wsgi import WSGIHandler

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    app = WSGIHandler()
    if pauses:
        from campaign.wsgi import application as app  # as the web server loads it: whatever that module does

    def call(method, path, body=b"", headers=None):
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "HTTP_HOST": HOST, "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
            "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body)), "wsgi.errors": sys.stderr,
            "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/x-www-form-urlencoded", **(headers or {}),
        }
        answer = {}
        response = app(environ, lambda status, headers, exc_info=None: answer.update(status=status, headers=headers))
        body = b"".join(response)
        response.close()  # as a WSGI server does: request_finished, which recycles the database connection
        return answer["status"], answer["headers"], body

    # A browser's CSRF cookie and form token, from the page.
    _status, headers, html = call("GET", PAGE)
    cookie = next(v.strip().split(";")[0] for k, v in headers if k == "Set-Cookie" and "csrftoken=" in v)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html.decode()).group(1)
    browser = {"HTTP_COOKIE": cookie, "HTTP_ORIGIN": f"http://{HOST}"}
    run = str(int(time.time()))

    def sign(i):
        body = (f"csrfmiddlewaretoken={token}&first_name=Surge&last_name=Signer{i}&email=p{run}-{i}%40surge.example.org"
                "&country=UA&city=&organisation=&comment=&public_name=initial&name_in_letter=yes").encode()
        status, _, _ = call("POST", PAGE, body, {**browser, "HTTP_X_FORWARDED_FOR": f"10.{i // 62500 % 250}."
                                              f"{i // 250 % 250}.{i % 250}"})
        assert status.startswith("302"), status

    def confirm(path):
        status, _, _ = call("POST", path, f"csrfmiddlewaretoken={token}".encode(), browser)
        assert status.startswith("302"), status

    def cpu_per_request(label, fn, items):
        for item in items[:200]:
            fn(item)
        started = time.process_time()
        for item in items[200:]:
            fn(item)
        print(f"{label}: {(time.process_time() - started) / (len(items) - 200) * 1e6:,.0f} µs of CPU per request")

    if sign_only:
        for i in range(200):
            sign(i)
        with callgrind_marks():
            for i in range(200, n + 200):
                sign(i)
        return
    if pauses:
        return measure_pauses(sign, n)
    from petitions import outbox
    from petitions.models import Petition, Signature

    petition = Petition.objects.get(slug=SLUG)

    def emails_cpu(count):
        """Send `count` owed emails (whole batches); the CPU per email."""
        started, sent = time.process_time(), 0
        while sent < count:
            result = outbox.drain()
            assert result["sent"] == outbox.BATCH, result  # every email accepted, a full batch each time
            sent += result["sent"]
        return (time.process_time() - started) / sent * 1e6

    if emails_only:
        # The same rows for every n, three languages as signers sign; n = 0 only warms up.
        Signature.objects.bulk_create([
            Signature(petition=petition, first_name="Surge", last_name=f"Signer{i}", email=f"e{i}@surge.example.org",
                      country="UA", language=("en", "ru", "uk")[i % 3], email_due=Signature.EmailDue.CONFIRM)
            for i in range(200 + max(n, 1000))])
        emails_cpu(200)
        with callgrind_marks():
            emails_cpu(n)
        return
    cpu_per_request("sign POST", sign, list(range(n + 200)))
    from surge import pending_links

    paths = pending_links(petition.pk, n + 200)
    cpu_per_request("confirm POST", confirm, paths)
    # The confirmation emails the sign POSTs owe (the confirmed ones are dropped unsent: not counted).
    Signature.objects.filter(status=Signature.Status.CONFIRMED).update(email_due=Signature.EmailDue.NONE)
    emails_cpu(200)
    print(f"signer emails: {emails_cpu(n // outbox.BATCH * outbox.BATCH):,.0f} µs of CPU per email "
          "(petitions.outbox.drain() to an SMTP sink in another process)")

    # Where a sign POST's CPU goes: the view's steps, timed where the view calls them.
    from petitions import forms, signing, views

    spent = collections.Counter()

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time() - started
        return wrapper

    views._count_attempt = timed("rate limit (client address, keyed hash, Redis)", views._count_attempt)
    views.get_petition = timed("the petition (process memory)", views.get_petition)
    if hasattr(forms.SignatureForm, "valid_data"):  # since 2026-12-02: a form only for bad input
        forms.SignatureForm.valid_data = timed("form: validation without a form", forms.SignatureForm.valid_data)
    forms.SignatureForm.__init__ = timed("form: construction", forms.SignatureForm.__init__)
    forms.SignatureForm.is_valid = timed("form: validation", forms.SignatureForm.is_valid)
    signing._insert = timed("the INSERT", signing._insert)
    outbox.schedule = timed("the outbox kick", outbox.schedule)
    from django.db.backends.base.base import BaseDatabaseWrapper

    BaseDatabaseWrapper.close_if_health_check_failed = timed(
        "the connection's health check", BaseDatabaseWrapper.close_if_health_check_failed)
    started = time.process_time()
    for i in range(n):
        sign(10**6 + i)
    total = (time.process_time() - started) / n * 1e6
    print(f"sign POST, step by step ({total:,.0f} µs in all):")
    for name, seconds in spent.items():
        print(f"  {name:50s} {seconds / n * 1e6:6,.0f} µs")
    print(f"  {'the rest: request, middleware (CSRF...), response':50s} "
          f"{total - sum(spent.values()) / n * 1e6:6,.0f} µs")


@contextlib.contextmanager
def callgrind_marks():
    """Under callgrind (bench/ab.py --instructions), count the instructions of this block alone.

    bench/ab.py names a small library in BENCH_CALLGRIND_MARKS, built from Valgrind's callgrind.h:
    its counters are zeroed here and written out (a dump "measured") at the end, so what the
    process did before (imports, the SMTP sink starting, warming up) counts for nothing. The
    collector's work so far is done first, and what is loaded is frozen, as campaign/wsgi.py does
    in the web server."""
    library = os.environ.get("BENCH_CALLGRIND_MARKS")
    if not library:
        yield
        return
    marks = ctypes.CDLL(library)
    gc.collect()
    gc.freeze()
    marks.bench_zero()
    yield
    marks.bench_dump(b"measured")


def measure_pauses(sign, n):
    """Wall time per sign POST, and the garbage collector's passes meanwhile: a full collection (the
    oldest generation) stops the process's threads for as long as it takes to look at every object
    it tracks."""
    import gc

    for i in range(200):
        sign(i)
    passes = {generation: [] for generation in range(3)}
    started = {}

    def watch(phase, info):
        if phase == "start":
            started["at"] = time.perf_counter()
        else:
            passes[info["generation"]].append(time.perf_counter() - started["at"])

    gc.callbacks.append(watch)
    walls = []
    for i in range(200, n + 200):
        began = time.perf_counter()
        sign(i)
        walls.append(time.perf_counter() - began)
    gc.callbacks.remove(watch)
    walls.sort()
    at = {label: walls[min(len(walls) - 1, int(len(walls) * q))] * 1e3
          for label, q in (("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999))}
    print(f"sign POST, wall time in this process: p50 {at['p50']:.2f} ms, p99 {at['p99']:.2f} ms, "
          f"p99.9 {at['p99.9']:.2f} ms, slowest {walls[-1] * 1e3:.1f} ms ({n} requests)")
    print(f"objects the garbage collector tracks: {len(gc.get_objects()):,} (frozen: {gc.get_freeze_count():,})")
    for generation, times in passes.items():
        total, longest = sum(times) * 1e3, max(times, default=0) * 1e3
        print(f"  generation {generation}: {len(times)} passes, {total:.1f} ms in all, longest {longest:.2f} ms")


if __name__ == "__main__":
    main()
