"""Benchmark: a signing surge against the production stack on this machine, next to a baseline twin.

    .venv/bin/python bench/surge.py [--duration 15] [--connections 16,64] [--server granian|gunicorn]

Run from the project root, with Postgres (postgres://postgres@127.0.0.1:5432, trust auth), Redis
(127.0.0.1:6379) and wrk (`apt-get install wrk`) on this machine. It creates and drops everything it
uses: a database `bench_surge_<pid>`, Redis DB 13, and these processes, all with DEBUG off and production settings:

- the site as deployed (`manage.py serve`: granian; or gunicorn with gunicorn.conf.py),
- a Celery worker (prefork, niced) and beat, as deployed,
- an SMTP sink standing in for the mail relay (bench/smtpsink.py: cheap, like wrk),
- under the very same server settings, the baseline project in bench/baseline/ (a fresh
  startproject whose views do the least possible: one ORM insert; a small template with a cached
  number), so that each figure of ours is also a ratio to the framework's own ceiling.

wrk (Lua scripts in bench/wrk/) drives, at each connection count, for --duration seconds: the
petition page, the JSON count, the sign POST (CSRF cookie and form token as a browser has them,
a new email address and client address per request) with the worker sending the emails alongside
and again with the worker paused (the web server's own capacity), and the confirm POST (each
request another pending signature's link). Then a surge: signers and readers at once, a few
abusive addresses among the signers. Afterwards it checks the database (every accepted signature
is there, the count equals the confirmations), measures the confirmation emails through the
worker to the sink, and writes a Markdown table to bench/results/surge.md. See bench/README.md.
"""

import argparse
import contextlib
import http.cookiejar
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deliveries import (  # noqa: E402
    CLOCK_TICKS,
    _comm,
    _cpu_s,
    admin_sql,
    cpu_model,
    free_port,
    mem_total_mb,
    process_tree,
    server_versions,
)
from smtpsink import Sink  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
REDIS_URL = "redis://127.0.0.1:6379/13"
SLUG = "free-igor-kuznetsov-and-comrades"  # load_demo's petition
PAGE = f"/en/petitions/{SLUG}/"
JSON = f"/api/petitions/{SLUG}/"
SECRET_KEY = "bench-surge-not-a-secret-" + "x" * 40
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

TARGETS = {  # from the issue: (req/s at 64 connections, ratio to the baseline twin)
    "sign": (800, 0.5), "sign-paused": (800, 0.5), "confirm": (800, 0.5), "page": (2000, 0.7), "json": (3000, None),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (15)")
    parser.add_argument("--connections", default="16,64", help="comma-separated connection counts (16,64)")
    parser.add_argument("--server", choices=["granian", "gunicorn"], default="granian",
                        help="granian (manage.py serve, as deployed) or gunicorn (bench/gunicorn.conf.py)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="worker processes (one per core)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (2, as deployed)")
    parser.add_argument("--worker-class", default=None, help="gunicorn's worker class (sync)")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of every run, ours and the baseline taking turns; each row reports the median (3)")
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="the worker's nice value (10, as deployed: web requests first, emails when there is time)")
    parser.add_argument("--emails", type=int, default=10_000, help="confirmation emails for the email phase")
    parser.add_argument("--smtp-delay", type=float, default=0.0, metavar="MS",
                        help="the SMTP sink holds each reply back MS milliseconds, like a relay a network "
                             "round trip away (0: on this machine)")
    parser.add_argument("--only", default="page,json,sign,sign-paused,confirm,surge,baseline,emails",
                        help="which parts to run (all by default)")
    parser.add_argument("--out", default=str(BENCH / "results" / "surge.md"), help="the Markdown results file")
    parser.add_argument("--py-spy", default="", metavar="PATH",
                        help="sample the web server with py-spy during this path's runs (page, json, sign, "
                             "confirm) and print where its time goes")
    parser.add_argument("--keep-logs", action="store_true", help="print the server and worker logs' tails")
    return parser.parse_args()


# --- Processes -------------------------------------------------------------------------------

def server_command(app, port, args):
    """The web server as deployed (manage.py serve: granian), or gunicorn for comparison; the
    baseline gets the same server with the same workers, threads and an access log."""
    if args.server == "granian":
        if app == "campaign.wsgi":
            return [sys.executable, "manage.py", "serve", "--bind", f"127.0.0.1:{port}"]
        from campaign.management.commands.serve import ACCESS_LOG_FORMAT

        return [sys.executable, "-m", "granian", "--interface", "wsgi", f"{app}:application", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(args.workers), "--blocking-threads", str(args.threads),
                "--no-ws", "--access-log", "--access-log-fmt", ACCESS_LOG_FORMAT, "--respawn-failed-workers"]
    command = [sys.executable, "-m", "gunicorn", app, "-c", str(BENCH / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
    if args.worker_class:
        command += ["--worker-class", args.worker_class, "--threads", str(args.threads)]
    return command


def start(command, env, log, cwd=ROOT):
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_http(url, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http://127.0.0.1)
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout} s")


def stop(proc, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- wrk ---------------------------------------------------------------------------------------

class CPU:
    """CPU seconds by part during a run: the web server's processes, the Celery worker and beat,
    Postgres, Redis, wrk and the rest of the machine (from /proc)."""

    roots = {}  # name -> root pid, filled in as processes start

    @classmethod
    def snapshot(cls):
        by_comm = {"postgres": 0.0, "redis-server": 0.0}
        for pid in os.listdir("/proc"):
            if pid.isdigit() and (comm := _comm(pid)) in by_comm:
                by_comm[comm] += _cpu_s(pid)
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        parts = {name: sum(_cpu_s(pid) for pid in process_tree(root)) for name, root in cls.roots.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
        # This process: the count-lag sampler, the loops that wait for the worker.
        harness = resource.getrusage(resource.RUSAGE_SELF)
        busy = sum(values[i] for i in (0, 1, 2, 5, 6, 7)) / CLOCK_TICKS  # user nice system irq softirq steal
        return {**parts, **by_comm, "wrk": children.ru_utime + children.ru_stime,
                "harness": harness.ru_utime + harness.ru_stime, "busy": busy,
                "total": sum(values[:8]) / CLOCK_TICKS}

    @staticmethod
    def delta(before, after):
        return {name: after[name] - before.get(name, 0.0) for name in after}


def fmt_cpu(delta):
    if not delta:
        return ""
    known = {k: v for k, v in delta.items() if k not in {"busy", "total"}}
    share = ", ".join(f"{name} {100 * v / delta['total'] * os.cpu_count():.0f}%" for name, v in known.items()
                      if v > 0.05 * delta["total"] / max(1, os.cpu_count()))
    return f"{100 * delta['busy'] / delta['total']:.0f}% busy ({share})"


class PySpy:
    """py-spy sampling the web server's processes; `report()` gives the top frames by inclusive time."""

    def __init__(self, pid, out):
        self.out = out
        self.proc = subprocess.Popen(
            [shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
             "--subprocesses", "--rate", "250", "--format", "raw", "--output", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def report(self, top=40):
        self.proc.send_signal(2)  # SIGINT: py-spy writes its file and exits
        self.proc.wait(timeout=60)
        inclusive, self_time, total = {}, {}, 0
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames, n = stack.split(";"), int(count)
            total += n
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + n
            self_time[frames[-1]] = self_time.get(frames[-1], 0) + n
        lines = [f"{total} samples; inclusive share, self share, frame"]
        for frame, n in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
            lines.append(f"{100 * n / total:5.1f}% {100 * self_time.get(frame, 0) / total:5.1f}%  {frame[:150]}")
        lines.append("-- by self time")
        for frame, n in sorted(self_time.items(), key=lambda item: -item[1])[:top // 2]:
            lines.append(f"{100 * n / total:5.1f}%  {frame[:150]}")
        return "\n".join(lines)


SINK = []  # the SMTP sink, once started: wrk() reports the emails that arrived during each run


def wrk(url, connections, duration, script, *script_args, threads=2, server=None):
    """Run wrk; with `server` (the web server's root pid), also count halfway through the run how
    the connections are spread over its worker processes (see connections_by_process())."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
               "-s", str(BENCH / "wrk" / script), url]
    if script_args:
        command += ["--", *map(str, script_args)]
    split = []
    if server:
        port = urllib.parse.urlsplit(url).port
        timer = threading.Timer(duration / 2, lambda: split.extend(connections_by_process(server, port)))
        timer.start()
    started, cpu_before, sent_before = time.monotonic(), CPU.snapshot(), SINK[0].stats()[0]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    if server:
        timer.cancel()
    cpu = CPU.delta(cpu_before, CPU.snapshot())
    sent = SINK[0].stats()[0] - sent_before
    line = next((line for line in result.stdout.splitlines() if line.startswith("WRK-RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("WRK-RESULT "))
    data["wall"], data["cpu"], data["sink_messages"] = time.monotonic() - started, cpu, sent
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["statuses"] = {int(k): v for k, v in data["statuses"].items()}
    data["socket_errors"] = sum(v for k, v in data["errors"].items() if k != "status")
    data["server_errors"] = sum(n for status, n in data["statuses"].items() if status >= 500)
    data["in_flight"] = in_flight(data)
    data["latency_ok"] = data["in_flight"] <= connections * 1.05
    data["split"] = split
    return data


def connections_by_process(root, port):
    """The established connections to `port` held by each process of the tree under `root`, most
    first (from /proc/net/tcp* and each process's file descriptors).

    A connection stays with the worker process that accepted it, and each process serves about as
    many requests a second as the other, so a request waits in proportion to its process's share
    of the connections: with 38 and 26, ~46% longer on the first (bench/README.md, seventeenth
    round). wrk opens all its connections at once, and how they fall varies from run to run."""
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # ESTABLISHED
                    established.add(fields[9])  # the socket's inode
    counts = []
    for pid in process_tree(root):
        held = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    held += target.startswith("socket:[") and target[8:-1] in established
        if held:
            counts.append(held)
    return sorted(counts, reverse=True)


def in_flight(data):
    """The requests in flight on average by wrk's own latency record: the latencies it recorded
    added up (mean x requests) over the run's duration. Each connection has one request in flight
    at a time, so this cannot be more than the connections (Little's law) -- unless the record is
    wrong. Debian's wrk 4.1.0 sometimes records, for a few connections, the time since a request
    long gone again and again (at 16 connections on the JSON count here: latencies adding up to 55x
    what 16 connections can hold, a p99 of 1-4 s while a client beside it saw at most 11 ms;
    bench/README.md, twelfth round): its p50 and p99 for such a run mean nothing."""
    return data["latency_us"]["mean"] * data["requests"] / data["duration_us"]


@contextlib.contextmanager
def paused(root):
    """Stop a process tree (SIGSTOP) for the duration, then let it go on (SIGCONT)."""
    pids = process_tree(root)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def median_run(values):
    """The run with the median requests per second (the middle one of an odd number)."""
    return sorted(values, key=lambda data: data["rps"])[len(values) // 2]


class Background(threading.Thread):
    """A wrk run in a thread, so that two can run at once (the surge: signers and readers)."""

    def __init__(self, *args, **kwargs):
        super().__init__(daemon=True)
        self.args, self.kwargs, self.result = args, kwargs, None

    def run(self):
        self.result = wrk(*self.args, **self.kwargs)


# --- The site as a browser sees it -----------------------------------------------------------

def csrf_pairs(base_url, n, path):
    """`n` browsers that loaded the petition page: (csrftoken cookie, form token) each."""
    lines = []
    for _ in range(n):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(base_url + PAGE, timeout=10) as response:
            html = response.read().decode()
        cookie = next(c.value for c in jar if c.name == "csrftoken")
        lines.append(f"{cookie} {CSRF_INPUT.search(html).group(1)}")
    path.write_text("\n".join(lines) + "\n")
    return path


class CountLag(threading.Thread):
    """Samples, every `interval` s, the count the public JSON shows and the confirmed signatures in
    the database; the lag at a sample is how long ago the database first had the count now shown."""

    def __init__(self, base_url, petition_id, interval=0.25):
        super().__init__(daemon=True)
        self.url, self.petition_id, self.interval = base_url + JSON, petition_id, interval
        self.stop_event = threading.Event()
        self.history = []  # (time, confirmed in the database)
        self.max_lag = 0.0
        self.samples = 0

    def run(self):
        from django.db import connection

        while not self.stop_event.wait(self.interval):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM petitions_signature WHERE petition_id = %s AND status = 'confirmed'",
                    [self.petition_id],
                )
                confirmed = cursor.fetchone()[0]
            now = time.monotonic()
            self.history.append((now, confirmed))
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310
                    shown = json.loads(response.read())["signature_count"]
            except OSError:
                continue
            first = next((t for t, c in self.history if c > shown), None)  # first time the db was ahead
            lag = now - first if first is not None else 0.0
            self.max_lag = max(self.max_lag, lag)
            self.samples += 1
        connection.close()

    def stop(self):
        self.stop_event.set()
        self.join(timeout=10)


# --- Database checks (in this process, Django on the bench database) -------------------------

def counts(petition_id):
    from petitions.models import Petition, Signature

    signatures = Signature.objects.filter(petition_id=petition_id)
    return {
        "signatures": signatures.count(),
        "confirmed": signatures.filter(status=Signature.Status.CONFIRMED).count(),
        "shown": Petition.objects.get(pk=petition_id).signature_count,
        "owed_emails": signatures.exclude(email_due="").count(),
    }


def surge_signatures(petition_id, run):
    from petitions.models import Signature

    return Signature.objects.filter(petition_id=petition_id, email__startswith=f"s{run}-").count()


def pending_links(petition_id, n):
    """`n` new pending signatures (nothing owed: the links are made here) and their confirm paths."""
    from django.urls import reverse
    from django.utils import translation

    from petitions import signing
    from petitions.models import Signature

    start = Signature.objects.count()
    Signature.objects.bulk_create(
        [Signature(petition_id=petition_id, first_name="Pending", last_name=f"Signer{i}",
                   email=f"pending{start + i}@surge.example.org", country="PL") for i in range(n)],
        batch_size=5000,
    )
    paths = []
    with translation.override("en"):
        for signature in Signature.objects.filter(petition_id=petition_id, status="pending",
                                                  email__startswith="pending").order_by("pk").iterator():
            token = signing.make_token(signature, signing.CONFIRM)
            paths.append(reverse("petitions:confirm", args=[SLUG, token]))
    return paths


def queries_per_request(base_url):
    """Queries of each measured path with a warm cache, through Django's test client in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from petitions import signing
    from petitions.models import Petition, Signature

    petition = Petition.objects.get(slug=SLUG)
    client = Client(HTTP_X_FORWARDED_FOR="198.51.100.1", HTTP_HOST="127.0.0.1")
    form = {"first_name": "Query", "last_name": "Counter", "country": "UA", "public_name": "hidden",
            "name_in_letter": "no"}
    found = {}
    for name, call in [
        ("page", lambda: client.get(PAGE)),
        ("json", lambda: client.get(JSON)),
        ("sign", lambda: client.post(PAGE, {**form, "email": f"q{time.monotonic_ns()}@surge.example.org"})),
    ]:
        call()  # warm
        with CaptureQueriesContext(connection) as captured:
            response = call()
        found[name] = (len(captured), response.status_code)
    signature = Signature.objects.create(petition=petition, first_name="Query", last_name="Counter",
                                         email=f"q{time.monotonic_ns()}@surge.example.org", country="UA")
    path = f"/en/petitions/{SLUG}/confirm/{signing.make_token(signature, signing.CONFIRM)}/"
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path)
    found["confirm"] = (len(captured), response.status_code)
    return found


# --- Report ----------------------------------------------------------------------------------

UNRELIABLE = "†"  # after a latency: wrk's latency record of that run is impossible (see in_flight())


def fmt_row(name, c, data, baseline=None):
    ratio = f"{data['rps'] / baseline['rps']:.2f}" if baseline else "—"
    statuses = ", ".join(f"{n} × {s}" for s, n in sorted(data["statuses"].items()))
    mark = "" if data["latency_ok"] else f" {UNRELIABLE}"
    return (f"| {name} | {c} | {data['rps']:,.0f} | {data['latency_us']['p50'] / 1000:.1f}{mark} | "
            f"{data['latency_us']['p99'] / 1000:.1f}{mark} | {data['server_errors'] + data['socket_errors']} | "
            f"{ratio} | {statuses} | {fmt_cpu(data['cpu'])} |")


def main():
    args = parse_args()
    only = set(args.only.split(","))
    connections = [int(c) for c in args.connections.split(",")]
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    db_name = f"bench_surge_{os.getpid()}"
    port, baseline_port, sink_port = free_port(), free_port(), free_port()
    base_url, baseline_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{baseline_port}"
    tmp = Path(tempfile.mkdtemp(prefix="bench-surge-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}", "REDIS_URL": REDIS_URL,
        "SECRET_KEY": SECRET_KEY, "DEBUG": "false", "SITE_URL": base_url, "ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}", "TRUSTED_PROXY_COUNT": "1", "LOG_FORMAT": "json",
        "PRIVATE_MEDIA_ROOT": str(tmp / "private"), "MEDIA_ROOT": str(tmp / "media"),
        "WEB_CONCURRENCY": str(args.workers), "WEB_THREADS": str(args.threads),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "SITE_URL",
                                           "ALLOWED_HOSTS", "EMAIL_URL", "TRUSTED_PROXY_COUNT")})
    os.environ["LOG_LEVEL"] = "WARNING"  # this process's own logging
    procs = {}
    logs = {name: open(tmp / f"{name}.log", "w") for name in ("web", "worker", "beat", "baseline")}  # noqa: SIM115
    results, rows, notes = {}, [], []

    import redis as redis_lib

    redis_lib.Redis.from_url(REDIS_URL).flushdb()
    admin_sql(f'CREATE DATABASE "{db_name}"')
    sink = Sink(sink_port, args.smtp_delay / 1000)
    SINK[:] = [sink]
    CPU.roots["SMTP sink"] = sink.process.pid
    try:
        print("== setting up: migrate, load_demo, baseline migrate", flush=True)
        for command, cwd in [(["manage.py", "migrate", "--noinput", "-v0"], ROOT),
                             (["manage.py", "load_demo"], ROOT),
                             (["manage.py", "migrate", "--noinput", "-v0"], BENCH / "baseline")]:
            extra = {"DJANGO_SETTINGS_MODULE": "baseline.settings"} if cwd != ROOT else {}
            subprocess.run([sys.executable, *command], cwd=cwd, env={**env, **extra}, check=True,
                           stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                       check=True)

        os.environ["DJANGO_SETTINGS_MODULE"] = "campaign.settings"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from petitions.models import Petition

        petition = Petition.objects.get(slug=SLUG)
        confirm_paths = (pending_links(petition.pk, 30_000 * len(connections) * args.repeat)
                         if "confirm" in only else [])

        print("== starting the web server, the Celery worker and beat, and the baseline", flush=True)
        procs["worker"] = start(["nice", "-n", str(args.worker_nice),
                                 sys.executable, "-m", "celery", "-A", "campaign", "worker", "--loglevel=WARNING",
                                 f"--concurrency={args.celery_concurrency}", "--without-mingle",
                                 "--without-gossip"], env, logs["worker"])
        procs["beat"] = start([sys.executable, "-m", "celery", "-A", "campaign", "beat", "--loglevel=WARNING"],
                              env, logs["beat"])
        procs["web"] = start(server_command("campaign.wsgi", port, args), env, logs["web"])
        baseline_env = {**env, "DJANGO_SETTINGS_MODULE": "baseline.settings",
                        "PYTHONPATH": f"{BENCH / 'baseline'}{os.pathsep}{ROOT}"}
        procs["baseline"] = start(server_command("baseline.wsgi", baseline_port, args), baseline_env,
                                  logs["baseline"], cwd=BENCH / "baseline")
        CPU.roots.update(web=procs["web"].pid, worker=procs["worker"].pid, beat=procs["beat"].pid,
                         baseline=procs["baseline"].pid)
        wait_http(base_url + "/healthz", procs["web"])
        wait_http(baseline_url + "/page/", procs["baseline"])
        pairs = csrf_pairs(base_url, 64, tmp / "csrf-pairs.txt")
        found_queries = queries_per_request(base_url)
        wrk(base_url + PAGE, 16, 3, "get.lua", threads=args.wrk_threads)  # warm-up
        wrk(baseline_url + "/page/", 16, 3, "get.lua", threads=args.wrk_threads)

        def quiet():
            """Wait until the worker has sent what the last run's signers are owed: each run
            starts on a quiet machine (during a run, the worker works as it would)."""
            deadline = time.monotonic() + 120
            while counts(petition.pk)["owed_emails"] and time.monotonic() < deadline:
                time.sleep(0.5)

        def measure(name, *wrk_args, settled=False, **wrk_kwargs):
            if not settled:
                quiet()
            if wrk_args[0].startswith(base_url + "/"):  # ours, not the twin (whose port may start alike)
                wrk_kwargs["server"] = procs["web"].pid
            if args.py_spy != name:
                return wrk(*wrk_args, **wrk_kwargs)
            spy = PySpy(procs["web"].pid, Path(args.out).parent / f"py-spy-{name}.txt")  # kept
            try:
                return wrk(*wrk_args, **wrk_kwargs)
            finally:
                print(f"== py-spy, the web server during {name}:\n{spy.report()}", flush=True)

        runs = {}  # (name, connections) -> [wrk results]; ours and the baseline alternate
        links_per_run = len(confirm_paths) // max(1, len(connections) * args.repeat)
        for rep in range(args.repeat):
            for c in connections:
                print(f"== round {rep + 1} of {args.repeat}, {c} connections", flush=True)
                if "page" in only:
                    runs.setdefault(("page", c), []).append(
                        measure("page", base_url + PAGE, c, args.duration, "get.lua", threads=args.wrk_threads))
                if "baseline" in only:
                    runs.setdefault(("bpage", c), []).append(
                        measure("bpage", baseline_url + "/page/", c, args.duration, "get.lua",
                                threads=args.wrk_threads))
                if "json" in only:
                    runs.setdefault(("json", c), []).append(
                        measure("json", base_url + JSON, c, args.duration, "get.lua", threads=args.wrk_threads))
                if "sign" in only:
                    run = f"sign{c}r{rep}"
                    data = measure("sign", base_url + PAGE, c, args.duration, "sign.lua", pairs, run, 0,
                                   threads=args.wrk_threads)
                    data["stored"], data["accepted"] = surge_signatures(petition.pk, run), data["statuses"].get(302, 0)
                    data["emails"] = data.pop("sink_messages")
                    runs.setdefault(("sign", c), []).append(data)
                if "sign-paused" in only:
                    # The web's own capacity: the same POSTs with the worker stopped (SIGSTOP), so
                    # the emails they owe wait in the outbox and go out after the run, as they would
                    # with the worker on another machine. The next run's quiet() sees them sent.
                    run = f"paused{c}r{rep}"
                    quiet()  # before the pause: a paused worker sends nothing
                    with paused(procs["worker"].pid):
                        data = measure("sign-paused", base_url + PAGE, c, args.duration, "sign.lua", pairs, run, 0,
                                       settled=True, threads=args.wrk_threads)
                    data["stored"], data["accepted"] = surge_signatures(petition.pk, run), data["statuses"].get(302, 0)
                    runs.setdefault(("sign-paused", c), []).append(data)
                if "baseline" in only:
                    runs.setdefault(("binsert", c), []).append(
                        measure("binsert", baseline_url + "/insert/", c, args.duration, "insert.lua",
                                threads=args.wrk_threads))
                if "confirm" in only:
                    mine, confirm_paths = confirm_paths[:links_per_run], confirm_paths[links_per_run:]
                    (tmp / "confirm-paths.txt").write_text("\n".join(mine) + "\n")
                    before = counts(petition.pk)
                    lag = CountLag(base_url, petition.pk)
                    lag.start()
                    data = measure("confirm", base_url + PAGE, c, args.duration, "confirm.lua", pairs,
                                   tmp / "confirm-paths.txt", args.wrk_threads, threads=args.wrk_threads)
                    time.sleep(8)  # the count catches up (kicks, and beat every 5 s)
                    lag.stop()
                    after = counts(petition.pk)
                    data["confirmed"] = after["confirmed"] - before["confirmed"]
                    data["accepted"] = data["statuses"].get(302, 0)
                    data["count_matches"] = after["shown"] == after["confirmed"]
                    data["max_lag"], data["lag_samples"] = lag.max_lag, lag.samples
                    if data["accepted"] > len(mine):
                        notes.append(f"confirm at {c}: wrk ran out of links ({len(mine)}); repeats confirmed again")
                    runs.setdefault(("confirm", c), []).append(data)
        results = {key: median_run(values) for key, values in runs.items()}
        for (name, c), values in runs.items():
            if name in {"sign", "sign-paused"}:
                results[(name, c)]["all"] = values
            if name == "confirm":
                results[(name, c)]["all"] = values

        if "surge" in only:
            print("== the surge: signers (some abusive) and readers at once", flush=True)
            quiet()
            readers = Background(base_url + PAGE, 16, args.duration * 2, "get.lua", threads=1)
            readers.start()
            signers = wrk(base_url + PAGE, 48, args.duration * 2, "sign.lua", pairs, "surge", 20, threads=1)
            readers.join()
            signers["stored"] = surge_signatures(petition.pk, "surge")
            signers["accepted"] = signers["statuses"].get(302, 0)
            results["surge-sign"], results["surge-read"] = signers, readers.result

        final = counts(petition.pk)
        stop(procs.pop("baseline"))

        if "emails" in only:
            print(f"== {args.emails:,} confirmation emails through the worker to the sink", flush=True)
            from petitions.models import Signature
            from petitions.tasks import send_signer_emails

            deadline = time.monotonic() + 120
            while counts(petition.pk)["owed_emails"] and time.monotonic() < deadline:
                time.sleep(1)  # the surge's own emails first
            start_count, _last = sink.stats()
            Signature.objects.bulk_create(
                [Signature(petition_id=petition.pk, first_name="Mail", last_name=f"Test{i}", country="DE",
                           email=f"mail{i}@surge.example.org", email_due=Signature.EmailDue.CONFIRM)
                 for i in range(args.emails)], batch_size=5000)
            started, cpu_before = time.monotonic(), CPU.snapshot()
            send_signer_emails.delay()
            deadline = started + 600
            while (stats := sink.stats())[0] - start_count < args.emails and time.monotonic() < deadline:
                time.sleep(0.05)
            cpu = CPU.delta(cpu_before, CPU.snapshot())
            sent, finished = stats[0] - start_count, stats[1] if stats[0] > start_count else time.monotonic()
            results["emails"] = {"sent": sent, "seconds": finished - started, "rate": sent / (finished - started),
                                 "cpu": cpu}

        # --- the table ---------------------------------------------------------------------
        postgres_version, redis_version = server_versions()
        server_settings = describe_server(args)
        rows.append("| path | connections | req/s | p50 ms | p99 ms | errors (5xx, socket) | ratio to baseline twin "
                    "| statuses | CPU (% of one core) |")
        rows.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for c in connections:
            for name, twin in (("page", "bpage"), ("json", None), ("sign", "binsert"), ("sign-paused", "binsert"),
                               ("confirm", "binsert")):
                if (name, c) in results:
                    rows.append(fmt_row(name, c, results[(name, c)], results.get((twin, c)) if twin else None))
        for c in connections:
            for name in ("bpage", "binsert"):
                if (name, c) in results:
                    label = {"bpage": "baseline: template with a cached number", "binsert": "baseline: ORM insert"}
                    rows.append(fmt_row(label[name], c, results[(name, c)]))
        flagged = [f"{key[0]} at {key[1]} connections ({data['in_flight']:,.0f} in flight)"
                   for key, data in results.items() if isinstance(key, tuple) and not data["latency_ok"]]
        flagged += [f"the surge's {who} ({results[key]['in_flight']:,.0f} in flight)"
                    for key, who in (("surge-sign", "signers"), ("surge-read", "readers"))
                    if key in results and not results[key]["latency_ok"]]
        if flagged:
            rows += ["", f"{UNRELIABLE} wrk's latency record of that run is impossible: its latencies add up to more "
                     "requests in flight than there were connections (Little's law), so its p50 and p99 say nothing "
                     f"(`in_flight()` in bench/surge.py): {'; '.join(flagged)}."]
        checks = []

        def accounted(label, accepted, stored, connections_):
            # wrk counts the answers that arrive before its clock stops; requests still in flight
            # then are answered and stored all the same: at most one per connection.
            late = stored - accepted
            lost = max(0, -late)
            verdict = "**0 lost**" if lost == 0 and late <= connections_ else f"**{lost} lost, {late} late**"
            return (f"- {label}: {accepted:,} accepted (302), {stored:,} in the database ({late} of them answered "
                    f"after wrk stopped counting, at most one per connection): {verdict}.")

        for c in connections:
            for name, what in (("sign", "sign"), ("sign-paused", "sign with the worker paused")):
                if (name, c) in results:
                    every = results[(name, c)]["all"]
                    accepted, stored = sum(d["accepted"] for d in every), sum(d["stored"] for d in every)
                    label = f"{what} at {c} connections, {len(every)} runs"
                    checks.append(accounted(label, accepted, stored, c * len(every)))
                    splits = ", ".join("/".join(map(str, d["split"])) or "?" for d in every)
                    checks.append(f"- connections per web process in those runs (halfway through; a request "
                                  f"waits in proportion to its process's share): {splits}.")
                    if name == "sign":  # what the worker sent meanwhile, on its share of the cores
                        emails = sum(d["emails"] for d in every)
                        checks.append(f"- the worker during those runs: {emails:,} emails to the sink "
                                      f"({emails / sum(d['wall'] for d in every):,.0f}/s) for {accepted:,} signatures.")
            if ("confirm", c) in results:
                every = results[("confirm", c)]["all"]
                checks.append(
                    f"- confirm at {c} connections, {len(every)} runs: {sum(d['accepted'] for d in every):,} confirm "
                    f"POSTs answered 302, {sum(d['confirmed'] for d in every):,} signatures newly confirmed; the count "
                    f"shown equal to the confirmed signatures after every run: "
                    f"**{all(d['count_matches'] for d in every)}**; the public count at most "
                    f"**{max(d['max_lag'] for d in every):.1f} s** behind the database "
                    f"({sum(d['lag_samples'] for d in every)} samples of the public JSON).")
        if "surge-sign" in results:
            s, r = results["surge-sign"], results["surge-read"]
            rejected = s["statuses"].get(429, 0)
            checks.append(
                f"- the surge (48 connections signing, 1 in 20 requests from 3 abusive addresses, while 16 read "
                f"the page, {args.duration * 2} s): {s['accepted']:,} signatures accepted, {rejected:,} refused by "
                f"the rate limit (429), {s['server_errors']} server errors, {s['socket_errors']} socket errors; "
                f"{s['stored']:,} in the database, **{max(0, s['accepted'] - s['stored'])} lost**. Sign "
                f"{s['rps']:,.0f} req/s "
                f"(p99 {s['latency_us']['p99'] / 1000:.0f} ms{'' if s['latency_ok'] else ' ' + UNRELIABLE}); "
                f"page {r['rps']:,.0f} req/s (p99 {r['latency_us']['p99'] / 1000:.0f} ms"
                f"{'' if r['latency_ok'] else ' ' + UNRELIABLE}), {r['server_errors']} server errors.")
        checks += targets(results, connections)
        checks.append(f"- afterwards: {final['signatures']:,} signatures, {final['confirmed']:,} confirmed, "
                      f"count shown {final['shown']:,}.")
        if "emails" in results:
            e = results["emails"]
            checks.append(f"- confirmation emails: {e['sent']:,} through the worker "
                          f"(--concurrency {args.celery_concurrency}) to the SMTP sink in {e['seconds']:.1f} s: "
                          f"**{e['rate']:,.0f} emails/s**; CPU per email: "
                          + ", ".join(f"{name} {e['cpu'][name] / e['sent'] * 1e6:,.0f} µs"
                                      for name in ("worker", "SMTP sink", "postgres") if e["sent"])
                          + f" ({fmt_cpu(e['cpu'])}).")
        query_line = ", ".join(f"{name} {n} ({status})" for name, (n, status) in found_queries.items())
        report = "\n".join([
            "# Signing surge: results",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {cpu_model()}, {os.cpu_count()} cores, "
            f"{mem_total_mb() / 1024:.0f} GB; Python {platform.python_version()}, PostgreSQL {postgres_version}, "
            f"Redis {redis_version}, {wrk_version()} on the same cores.",
            "",
            f"Command: `{' '.join(['.venv/bin/python', 'bench/surge.py', *sys.argv[1:]])}`",
            "",
            f"Server: {server_settings}; Celery worker --concurrency {args.celery_concurrency} (nice "
            f"{args.worker_nice}) and beat beside it; "
            f"{f'the SMTP sink answering {args.smtp_delay:g} ms late; ' if args.smtp_delay else ''}"
            f"wrk {args.wrk_threads} threads, {args.duration} s per run, "
            f"{args.repeat} rounds with ours and the baseline taking turns: each row is the median round; each run "
            "starts once the worker has sent the emails the previous one owed.",
            "",
            *rows,
            "",
            f"Queries per request (warm cache): {query_line}.",
            "",
            "Checks:",
            "",
            *checks,
            *(f"- note: {note}" for note in notes),
            "",
        ])
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report)
        print(report)
    finally:
        for proc in procs.values():
            stop(proc)
        for log in logs.values():
            log.close()
        if args.keep_logs:
            for name in logs:
                print(f"--- {name}.log\n{tail(tmp / f'{name}.log')}")
        sink.stop()
        try:
            from django.db import connections as django_connections

            django_connections.close_all()
        except Exception:  # noqa: BLE001, S110 -- Django may not be set up yet
            pass
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        redis_lib.Redis.from_url(REDIS_URL).flushdb()
        shutil.rmtree(tmp, ignore_errors=True)


def targets(results, connections):
    """The issue's targets next to what was measured, at the highest connection count."""
    c = max(connections)
    lines = []
    for name, (rps, ratio) in TARGETS.items():
        if (name, c) not in results:
            continue
        data = results[(name, c)]
        twin = results.get(({"page": "bpage", "sign": "binsert", "sign-paused": "binsert",
                             "confirm": "binsert"}.get(name), c))
        got_ratio = data["rps"] / twin["rps"] if twin else None
        verdict = "met" if data["rps"] >= rps else "missed"
        text = f"- target {name} ≥ {rps:,} req/s at {c} connections: {data['rps']:,.0f} ({verdict})"
        if ratio and got_ratio is not None:
            text += f"; ≥ {ratio} of its baseline twin: {got_ratio:.2f} ({'met' if got_ratio >= ratio else 'missed'})"
        if name in {"sign", "sign-paused"}:
            p99 = data["latency_us"]["p99"] / 1000
            errors = data["server_errors"] + data["socket_errors"]
            verdict = ("met" if p99 <= 100 else "missed") if data["latency_ok"] else \
                f"not known: wrk's latency record of this run is impossible, {UNRELIABLE}"
            text += f"; p99 ≤ 100 ms: {p99:.0f} ms ({verdict}); 0 errors: {errors}"
        lines.append(text + ".")
    if "emails" in results:
        rate = results["emails"]["rate"]
        verdict = "met" if rate >= 300 else "missed"
        lines.append(f"- target ≥ 300 confirmation emails/s through the worker: {rate:,.0f} ({verdict}).")
    confirms = [results[("confirm", c)]["all"] for c in connections if ("confirm", c) in results]
    if confirms:
        lag = max(d["max_lag"] for every in confirms for d in every)
        lines.append(f"- target: the count shown never more than 5 s behind the database: at most {lag:.1f} s "
                     f"({'met' if lag <= 5 else 'missed'}).")
    return lines


def wrk_version():
    words = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split()
    return f"wrk {words[1]}" if len(words) > 1 else "wrk"


def describe_server(args):
    if args.server == "granian":
        return (f"granian (WSGI; ours through `manage.py serve`), {args.workers} workers × {args.threads} threads, "
                "access log on")
    if args.worker_class:
        return f"gunicorn, {args.workers} {args.worker_class} workers × {args.threads} threads, access log on"
    return f"gunicorn, {args.workers} sync workers, access log on"


if __name__ == "__main__":
    main()
