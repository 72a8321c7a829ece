"""Benchmark: render and send N confirmed signatures as one PDF letter per embassy, through the real stack.

    .venv/bin/python bench/deliveries.py [--signatures 100000] [--embassies 150] [--concurrency 2]

Run from the project root. It needs Postgres (postgres://postgres@127.0.0.1:5432, trust auth) and Redis
(127.0.0.1:6379) on this machine, and creates and drops everything it uses: a fresh database
`bench_deliveries_<pid>`, Redis DB 12 (flushed at start and end), an SMTP sink (aiosmtpd, in a thread,
counting and discarding messages) and a real Celery worker subprocess (prefork).

The clock runs from `petitions.delivery.sweep(petition=...)` (claims the signatures, one queued Delivery
per embassy, one send_delivery task each on commit) until every delivery is `sent`. Meanwhile the
worker's RSS (main process and pool children) is sampled every 0.1 s. See bench/README.md.
"""

import argparse
import contextlib
import cProfile
import io
import os
import platform
import pstats
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/12"
TEST_RECIPIENT = "organiser@example.org"

LATIN_FIRST = ["Anna", "Jan", "Maria", "Thomas", "Sophie", "Lukas", "Emma", "Pierre", "Giulia", "Mateusz",
               "Olivia", "Noah", "Ingrid", "Sven", "Lucía", "Jürgen", "Zoë", "François", "Björn", "Agnieszka"]
LATIN_LAST = ["Kowalska", "Müller", "Dubois", "Rossi", "García", "Smith", "Nowak", "Johansson", "Novák",
              "Papadopoulos", "O'Brien", "van der Berg", "Schmidt-Wolfenstein", "Łukasiewicz", "Nielsen"]
CYRILLIC_FIRST = ["Анна", "Иван", "Мария", "Дмитрий", "Ольга", "Сергей", "Екатерина", "Алексей", "Наталья",
                  "Михаил", "Татьяна", "Юлия"]
CYRILLIC_LAST = ["Иванова", "Петров", "Смирнова", "Кузнецов", "Попова", "Соколов", "Лебедева",
                 "Константинопольский", "Новикова", "Морозов"]
CITIES = ["Berlin", "Paris", "Warszawa", "Praha", "Vilnius", "Tbilisi", "Yerevan", "London", "Almaty",
          "Москва", "Санкт-Петербург", "Екатеринбург", "Frankfurt am Main", "Llanfairpwllgwyngyll",
          "Saint-Rémy-de-Provence-sur-les-Collines-du-Nord", "", ""]
ORGANISATIONS = ["", "", "", "", "", "Amnesty International", "Memorial", "ОВД-Инфо", "PEN Berlin",
                 "Reporters Without Borders", "Gewerkschaft Erziehung und Wissenschaft, Landesverband Berlin",
                 "Комитет солидарности с политзаключёнными Российской Федерации"]

APPEAL_EN = """We, the undersigned, call on the Russian Federation to release the political prisoners named below.

They were sentenced for their words and for peaceful protest. Their trials did not meet the standards of
a fair hearing, and several of them are denied the medical care they need.

We ask you, as the representative of the Russian Federation in this country, to forward this appeal."""
APPEAL_RU = """Мы, нижеподписавшиеся, призываем Российскую Федерацию освободить политических заключённых.

Они осуждены за слова и мирный протест. Их процессы не отвечали требованиям справедливого суда, а
некоторые из них лишены необходимой медицинской помощи.

Просим Вас как представителя Российской Федерации в этой стране передать это обращение."""
DEMANDS_EN = "Release the prisoners.\nGrant them medical care.\nAllow independent observers at the trials."
DEMANDS_RU = "Освободить заключённых.\nОбеспечить им медицинскую помощь.\nДопустить независимых наблюдателей."


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--embassies", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--pool", choices=["prefork", "solo", "threads"], default="prefork",
        help="the worker's pool (prefork, as deployed; solo/threads run in one process, for comparison)",
    )
    parser.add_argument(
        "--distribution", choices=["uniform", "zipf"], default="uniform",
        help="signatures per country: even (default), or Zipf: the largest country gets ~18%% of 100k/150",
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for all deliveries (600)")
    parser.add_argument(
        "--profile", action="store_true",
        help="afterwards: profile one send in-process (cProfile, queries), time one render, re-plan with queries",
    )
    parser.add_argument("--keep-worker-log", action="store_true", help="print the worker's log at the end")
    parser.add_argument(
        "--no-rescue", action="store_true",
        help="fail instead of re-enqueueing deliveries whose task dropped them (still queued, broker empty)",
    )
    parser.add_argument("--worker-loglevel", default="WARNING", help="the worker's --loglevel (WARNING)")
    return parser.parse_args()


# --- Machine facts and /proc -----------------------------------------------------------------

def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total_mb():
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def _status_kb(pid, *fields):
    """`kB` fields of /proc/<pid>/status (VmRSS, VmHWM) as a tuple; zeros when the process is gone."""
    found = dict.fromkeys(fields, 0)
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                name = line.split(":", 1)[0]
                if name in found:
                    found[name] = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return tuple(found[field] for field in fields)


def _pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def process_tree(root):
    """`root` and all its descendants, from the parent pids in /proc/*/stat."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue
        ppid = int(text[text.rfind(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


class MemorySampler(threading.Thread):
    """Samples the RSS of the worker's process tree every `interval` seconds.

    VmRSS (cheap) every sample; the process tree, PSS (smaps_rollup, a page-table walk) and the
    kernel's per-process peak (VmHWM) every `slow_every` samples, to keep the sampler's own CPU use
    (on a 2-core machine, next to the worker) around 1% of a core.
    """

    def __init__(self, root, interval=0.1, slow_every=10):
        super().__init__(daemon=True)
        self.root, self.interval, self.slow_every = root, interval, slow_every
        self.stop_event = threading.Event()
        self.peak_single_kb = self.peak_sum_kb = self.peak_pss_sum_kb = 0
        self.peak_processes = 0
        self.hwm_kb = {}  # pid -> VmHWM (the kernel's own peak RSS of that process)
        self.samples = 0
        self.pids = [root]

    def sample(self, slow=True):
        if slow:
            self.pids = process_tree(self.root)
            self.peak_pss_sum_kb = max(self.peak_pss_sum_kb, sum(_pss_kb(pid) for pid in self.pids))
            self.peak_processes = max(self.peak_processes, len(self.pids))
        rss = {}
        for pid in self.pids:
            rss[pid], hwm = _status_kb(pid, "VmRSS", "VmHWM")
            if hwm:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), hwm)
        self.peak_single_kb = max(self.peak_single_kb, max(rss.values(), default=0))
        self.peak_sum_kb = max(self.peak_sum_kb, sum(rss.values()))
        self.samples += 1
        return rss

    def run(self):
        while not self.stop_event.wait(self.interval):
            self.sample(slow=self.samples % self.slow_every == 0)

    def stop(self):
        self.stop_event.set()
        self.join(timeout=5)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid):
    """CPU seconds (user + system) of a process and of its children that exited (0 when it is gone).

    The exited children count because Postgres forks short-lived processes (parallel query workers,
    autovacuum) whose CPU time only shows up in the postmaster's cutime/cstime once they are reaped.
    """
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return 0.0
    fields = text[text.rfind(")") + 2:].split()
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


def cpu_snapshot(worker_pid):
    """CPU seconds so far: the worker tree, this process (all threads), Postgres, and the whole machine."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    busy = sum(values[i] for i in (0, 1, 2, 5, 6, 7))  # user nice system irq softirq steal
    postgres = {
        int(pid): _cpu_s(pid) for pid in os.listdir("/proc") if pid.isdigit() and _comm(pid) == "postgres"
    }
    times = os.times()
    return {
        "worker": sum(_cpu_s(pid) for pid in process_tree(worker_pid)),
        "self": times.user + times.system,
        "postgres": postgres,
        "machine_busy": busy / CLOCK_TICKS,
        "machine_total": (busy + values[3] + values[4]) / CLOCK_TICKS,
    }


def cpu_delta(before, after):
    postgres = sum(max(0.0, cpu - before["postgres"].get(pid, 0.0)) for pid, cpu in after["postgres"].items())
    return {
        "worker": after["worker"] - before["worker"], "self": after["self"] - before["self"], "postgres": postgres,
        "busy": after["machine_busy"] - before["machine_busy"],
        "total": after["machine_total"] - before["machine_total"],
    }


def fmt_cpu(delta, wall):
    busy = 100 * delta["busy"] / delta["total"] if delta["total"] else 0
    others = max(0.0, delta["busy"] - delta["worker"] - delta["self"] - delta["postgres"])
    return (f"worker {delta['worker']:.1f} s, benchmark process {delta['self']:.1f} s, Postgres "
            f"{delta['postgres']:.1f} s, everything else {others:.1f} s; machine {busy:.0f}% busy "
            f"({delta['busy']:.1f} of {delta['total']:.1f} CPU-s in {wall:.1f} s)")


# --- SMTP sink -------------------------------------------------------------------------------

class SinkHandler:
    """Counts messages and bytes, keeps nothing."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = 0
        self.bytes = 0
        self.largest = 0
        self.arrivals = []  # time.monotonic() of each message

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        size = len(envelope.original_content or envelope.content or b"")
        with self.lock:
            self.messages += 1
            self.bytes += size
            self.largest = max(self.largest, size)
            self.arrivals.append(time.monotonic())
        return "250 2.0.0 OK"


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Database and Redis ----------------------------------------------------------------------

def admin_sql(statement):
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(statement)


def flush_redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def broker_state():
    """What the Redis broker holds: queued messages and unacknowledged (reserved) ones."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        return {
            "celery queue": client.llen("celery"), "unacked": client.hlen("unacked"),
            "keys": sorted(key.decode() for key in client.keys("*"))[:20],
        }
    finally:
        client.close()


def server_versions():
    import psycopg
    import redis

    with psycopg.connect(ADMIN_DSN) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    client = redis.Redis.from_url(REDIS_URL)
    try:
        redis_version = client.info("server")["redis_version"]
    finally:
        client.close()
    return postgres, redis_version


# --- Data ------------------------------------------------------------------------------------

def country_counts(n_signatures, n_embassies, distribution):
    """Signatures per country: even, or Zipf (the k-th country gets 1/k of the first's share)."""
    weights = [1.0] * n_embassies if distribution == "uniform" else [1 / k for k in range(1, n_embassies + 1)]
    total = sum(weights)
    counts = [max(1, int(n_signatures * w / total)) for w in weights]
    for k in range(n_signatures - sum(counts)):  # the remainder, one each, to the largest
        counts[k % n_embassies] += 1
    return counts


def create_data(n_signatures, n_embassies, distribution="uniform", batch_size=5000):
    from django.db import connection
    from django.utils import timezone
    from django_countries import countries

    from campaign.models import Campaign
    from petitions.models import Embassy, Petition, Signature

    codes = [code for code, _name in countries if code != "RU"]
    if n_embassies > len(codes):
        raise SystemExit(f"--embassies at most {len(codes)} (one per country)")
    if n_signatures < n_embassies:
        raise SystemExit("--signatures must be at least --embassies (every embassy gets a letter)")
    codes = codes[:n_embassies]

    campaign = Campaign.objects.create(
        slug="bench", title="Benchmark campaign", summary="Freedom for political prisoners.",
        status=Campaign.Status.LIVE,
    )
    petition = Petition.objects.create(
        campaign=campaign, slug="bench-appeal", status=Petition.Status.OPEN,
        delivery_cadence=Petition.Cadence.MANUAL, test_recipient=TEST_RECIPIENT,
        title="Free the political prisoners", title_en="Free the political prisoners",
        title_ru="Свободу политзаключённым",
        appeal=APPEAL_EN, appeal_en=APPEAL_EN, appeal_ru=APPEAL_RU,
        demands=DEMANDS_EN, demands_en=DEMANDS_EN, demands_ru=DEMANDS_RU,
        addressee_ru="Послу Российской Федерации",
    )
    Embassy.objects.bulk_create([
        Embassy(
            country=code, mission_type=Embassy.MissionType.EMBASSY, city="Capital",
            address=f"Embassy Street {i + 1}\n{10000 + i} Capital", email=f"embassy-{code.lower()}@example.org",
        )
        for i, code in enumerate(codes)
    ])

    rng = random.Random(42)  # noqa: S311 (test data)
    country_of = [code for code, n in zip(codes, country_counts(n_signatures, n_embassies, distribution),
                                          strict=True) for _ in range(n)]
    rng.shuffle(country_of)
    now = timezone.now()
    done = 0
    while done < n_signatures:
        rows = []
        for i in range(done, min(done + batch_size, n_signatures)):
            cyrillic = rng.random() < 0.3
            first = rng.choice(CYRILLIC_FIRST if cyrillic else LATIN_FIRST)
            last = rng.choice(CYRILLIC_LAST if cyrillic else LATIN_LAST)
            signed = now - timedelta(minutes=rng.randint(60, 60 * 24 * 30))
            rows.append(Signature(
                petition=petition, first_name=first, last_name=last, email=f"signer{i}@example.org",
                country=country_of[i], city=rng.choice(CITIES), organisation=rng.choice(ORGANISATIONS),
                name_in_letter=rng.random() < 0.6, language="ru" if cyrillic else "en",
                status=Signature.Status.CONFIRMED, created_at=signed, confirmed_at=signed + timedelta(minutes=5),
            ))
        Signature.objects.bulk_create(rows, batch_size=batch_size)
        done += len(rows)
    with connection.cursor() as cursor:  # a real table has statistics (autovacuum); a fresh one has none
        cursor.execute("ANALYZE")
    return petition


# --- The run ---------------------------------------------------------------------------------

def wait_for_worker(proc, processes, timeout=60):
    from campaign.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited with {proc.returncode} while starting")
        if app.control.ping(timeout=0.5) and len(process_tree(proc.pid)) >= processes:
            return
        time.sleep(0.2)
    raise RuntimeError("the worker did not answer a ping within 60 s")


def wait_for_deliveries(petition, expected, proc, timeout, rescue=True):
    """Poll until `expected` deliveries are sent. Returns (status counts, ids of rescued deliveries).

    A delivery still `queued` while the broker holds no message at all (none waiting, none reserved)
    was dropped by its task. With `rescue`, it is enqueued again at once (what the periodic sweep does
    in production, but only once the delivery is CELERY_TASK_TIME_LIMIT old) and reported.
    """
    from django.db.models import Count

    from petitions.models import Delivery
    from petitions.tasks import send_delivery

    deadline = time.monotonic() + timeout
    rescued, idle_since = [], None
    while True:
        counts = dict(
            Delivery.objects.filter(petition=petition).values_list("status").annotate(n=Count("pk")).order_by()
        )
        if counts.get(Delivery.Status.SENT, 0) >= expected:
            return counts, rescued
        bad = {s: n for s, n in counts.items() if s in (Delivery.Status.FAILED, Delivery.Status.AWAITING_RETRY)}
        if bad:
            errors = set(
                Delivery.objects.filter(petition=petition, status__in=bad).values_list("last_error", flat=True)
            )
            raise RuntimeError(f"deliveries failed or waiting to retry: {bad}: {sorted(errors)[:3]}")
        if proc.poll() is not None:
            raise RuntimeError(f"the worker exited with {proc.returncode}: {counts}")
        if time.monotonic() > deadline:
            waiting = list(
                Delivery.objects.filter(petition=petition).exclude(status=Delivery.Status.SENT)
                .values_list("pk", "status", "attempts")[:10]
            )
            raise TimeoutError(
                f"not all deliveries sent after {timeout:.0f} s: {counts}; not sent (id, status, attempts): "
                f"{waiting}; rescued {rescued}; broker: {broker_state()}"
            )
        broker = broker_state()
        stuck = counts.get(Delivery.Status.QUEUED, 0) + counts.get(Delivery.Status.INFLIGHT, 0)
        if broker["celery queue"] or broker["unacked"] or not stuck:
            idle_since = None
        elif idle_since is None:
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since > 1.0:  # nothing in the broker for a second: stranded
            if counts.get(Delivery.Status.INFLIGHT):  # its task ended without recording a result: it raised
                raise RuntimeError(
                    f"{counts[Delivery.Status.INFLIGHT]} deliveries left inflight by a task that ended "
                    "(an exception in send(): see the worker log)"
                )
            stranded = list(
                Delivery.objects.filter(petition=petition, status=Delivery.Status.QUEUED).values_list("pk", flat=True)
            )
            print(f"  {len(stranded)} deliveries queued with no task left in the broker: {stranded}", flush=True)
            if not rescue:
                raise RuntimeError(f"deliveries {stranded} were dropped by their tasks (see the report)")
            for pk in stranded:
                send_delivery.delay(pk)
            rescued += stranded
            idle_since = None
        time.sleep(0.2)


def verify(petition, expected_deliveries, n_signatures, sink):
    from django.db.models import Count, Sum

    from petitions.models import Delivery, DeliveryItem, Signature

    deliveries = Delivery.objects.filter(petition=petition)
    sent = deliveries.filter(status=Delivery.Status.SENT)
    problems = []
    if sent.count() != expected_deliveries or deliveries.count() != expected_deliveries:
        problems.append(f"{sent.count()} of {deliveries.count()} deliveries sent, expected {expected_deliveries}")
    items = DeliveryItem.objects.filter(delivery__petition=petition).count()
    if items != n_signatures:
        problems.append(f"{items} DeliveryItems, expected {n_signatures}")
    not_once = (
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .annotate(n=Count("delivery_items")).exclude(n=1).count()
    )
    if not_once:
        problems.append(f"{not_once} confirmed signatures not in exactly one delivery")
    counted = sent.aggregate(total=Sum("signature_count"))["total"] or 0
    if counted != n_signatures:
        problems.append(f"the letters count {counted} signatures, expected {n_signatures}")
    if sent.exclude(recipient=TEST_RECIPIENT).exists() or sent.filter(pdf_sha256="").exists():
        problems.append("a sent delivery has another recipient or no PDF")
    if sink.messages != expected_deliveries:
        problems.append(f"the SMTP sink received {sink.messages} messages, expected {expected_deliveries}")

    sizes = [os.path.getsize(d.pdf.path) for d in sent.only("pk", "pdf") if d.pdf]
    largest = sent.order_by("-signature_count").first()
    pages = None
    if largest is not None and largest.pdf:
        from pypdf import PdfReader

        pages = len(PdfReader(largest.pdf.path).pages)
    return problems, {
        "pdf_bytes": sum(sizes), "pdf_largest": max(sizes, default=0), "pdfs": len(sizes),
        "largest_letter_signatures": largest.signature_count if largest else 0, "largest_letter_pages": pages,
    }


def profile(petition):
    """After the run: where one send's time goes, pure render time, and where planning's time goes."""
    from collections import defaultdict

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from petitions import delivery as delivery_module
    from petitions.models import Delivery, DeliveryItem
    from petitions.pdf import render_letter

    # 1. The task body: re-send the largest delivery in-process, under cProfile, counting queries.
    target = Delivery.objects.filter(petition=petition).order_by("-signature_count").first()
    target.pdf.delete(save=False)
    Delivery.objects.filter(pk=target.pk).update(status=Delivery.Status.QUEUED, pdf="", attempts=0)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        delivery_module.send(target.pk)
        profiler.disable()
    elapsed = time.perf_counter() - started
    target.refresh_from_db()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    print(f"\n## Profile 1: send() of delivery {target.pk} ({target.signature_count} signatures, "
          f"status {target.status}), in-process under cProfile\n")
    print(f"Wall time {elapsed:.2f} s (with the profiler), {len(queries.captured_queries)} SQL queries:\n")
    for query in queries.captured_queries:
        sql = query["sql"]
        sql = sql if len(sql) <= 200 else f"{sql[:130]} … {sql[-70:]}"
        print(f"- {float(query['time']) * 1000:7.1f} ms  {sql}")
    print("\n```\n" + out.getvalue() + "```")

    # 2. Pure render time of that letter (warm, no profiler): fetching vs laying out.
    delivery = Delivery.objects.select_related("petition", "petition__campaign", "embassy").get(pk=target.pk)
    t0 = time.perf_counter()
    rows = list(delivery_module.batch_signatures(delivery))
    fetch_s = time.perf_counter() - t0
    renders = []
    for _ in range(3):
        t0 = time.perf_counter()
        render_letter(delivery, iter(rows))
        renders.append(time.perf_counter() - t0)
    from reportlab.lib import rl_accel

    print(f"\n## Profile 2: render_letter of {len(rows)} rows, warm, no profiler\n\nFetch {fetch_s * 1000:.0f} ms; "
          f"render {', '.join(f'{r:.3f}' for r in renders)} s; reportlab C accelerator (_rl_accel): "
          f"{'yes' if rl_accel._c_funcs else 'not installed (pure-Python fallbacks)'}")

    # 3. Planning again, from scratch, with its queries (the time not in queries is Python and fetching).
    DeliveryItem.objects.filter(delivery__petition=petition).delete()
    for old in Delivery.objects.filter(petition=petition).exclude(pdf=""):
        old.pdf.delete(save=False)
    Delivery.objects.filter(petition=petition).delete()
    with CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        planned = delivery_module.plan(petition, enqueue=False)
        plan_s = time.perf_counter() - t0
    by_kind = defaultdict(lambda: [0, 0.0])
    for query in queries.captured_queries:
        kind = " ".join(query["sql"].split()[:4])[:70]
        by_kind[kind][0] += 1
        by_kind[kind][1] += float(query["time"])
    in_queries = sum(t for _n, t in by_kind.values())
    print(f"\n## Profile 3: plan() again, {len(planned)} deliveries, enqueue off\n\n{plan_s:.2f} s, "
          f"{len(queries.captured_queries)} queries taking {in_queries:.2f} s (server-side cursor fetches of "
          f"`iterator()` and the Python work are the rest, {plan_s - in_queries:.2f} s):\n")
    for kind, (n, t) in sorted(by_kind.items(), key=lambda item: -item[1][1])[:8]:
        print(f"- {t:6.2f} s {n:5d}×  {kind}")


def stop_worker(proc):
    if proc is None or proc.poll() is not None:
        return
    pids = process_tree(proc.pid)
    proc.terminate()  # warm shutdown
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        proc.wait()


def fmt_mb(kb):
    return f"{kb / 1024:.0f} MB"


def main():
    args = parse_args()
    command = shlex.join([os.path.relpath(sys.executable, ROOT), *sys.argv])
    db_name = f"bench_deliveries_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-deliveries-"))
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "campaign.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "bench-deliveries-not-secret",
        "DEBUG": "false",
        "DELIVERY_LIVE": "false",
        "CELERY_TASK_TIME_LIMIT": "3600",
        "CELERY_TASK_SOFT_TIME_LIMIT": "3500",
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "SITE_URL": "http://127.0.0.1:8000",
        "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):  # never someone else's broker
        os.environ.pop(name, None)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    from aiosmtpd.controller import Controller

    sink = SinkHandler()
    controller = Controller(sink, hostname="127.0.0.1", port=port, data_size_limit=None)
    worker = sampler = None
    log = open(workdir / "worker.log", "w+")  # noqa: SIM115 (closed in finally)
    created_db = finished = False
    try:
        flush_redis()
        admin_sql(f'CREATE DATABASE "{db_name}"')
        created_db = True
        controller.start()

        print(f"Database {db_name}, Redis {REDIS_URL}, SMTP sink on port {port}, files in {workdir}", flush=True)
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True, env=os.environ
        )
        migrate_s = time.perf_counter() - t0

        import django

        django.setup()
        from petitions import delivery as delivery_module

        t0 = time.perf_counter()
        petition = create_data(args.signatures, args.embassies, args.distribution)
        setup_s = time.perf_counter() - t0
        print(f"Setup: migrate {migrate_s:.1f} s, {args.signatures} signatures and {args.embassies} "
              f"embassies in {setup_s:.1f} s", flush=True)

        worker = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            [sys.executable, "-m", "celery", "-A", "campaign", "worker", f"--pool={args.pool}",
             f"--concurrency={args.concurrency}",
             f"--loglevel={args.worker_loglevel}", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=os.environ, stdout=log, stderr=subprocess.STDOUT,
        )
        wait_for_worker(worker, args.concurrency + 1 if args.pool == "prefork" else 1)
        sampler = MemorySampler(worker.pid)
        idle = sampler.sample()
        idle_single, idle_sum = max(idle.values()), sum(idle.values())
        print(f"Worker {worker.pid} ready: {len(idle)} processes, idle RSS max {fmt_mb(idle_single)}, "
              f"sum {fmt_mb(idle_sum)}", flush=True)
        sampler.start()

        cpu_start = cpu_snapshot(worker.pid)
        started = time.perf_counter()
        started_monotonic = time.monotonic()
        ids = delivery_module.sweep(petition=petition)
        planning_s = time.perf_counter() - started
        cpu_planned = cpu_snapshot(worker.pid)
        print(f"Planned {len(ids)} deliveries in {planning_s:.2f} s; waiting for the worker", flush=True)
        counts, rescued = wait_for_deliveries(petition, len(ids), worker, args.timeout, rescue=not args.no_rescue)
        total_s = time.perf_counter() - started
        cpu_done = cpu_snapshot(worker.pid)
        sampler.stop()
        sampler.sample()  # one last look (VmHWM catches any peak between samples)
        print(f"All sent in {total_s:.1f} s: {counts}", flush=True)

        problems, pdfs = verify(petition, len(ids), args.signatures, sink)
        first_mail = (min(sink.arrivals) - started_monotonic) if sink.arrivals else float("nan")
        hwm_children = {pid: kb for pid, kb in sampler.hwm_kb.items() if pid != worker.pid}
        postgres_version, redis_version = server_versions()
        import celery
        import django as django_module
        import reportlab

        rows = [
            ("Signatures", f"{args.signatures:,}"),
            ("Embassies (deliveries)", f"{args.embassies} ({len(ids)}), {args.distribution} spread"),
            ("Worker", f"Celery --pool={args.pool} --concurrency={args.concurrency}"),
            ("Setup (not timed): migrate / insert + ANALYZE", f"{migrate_s:.1f} s / {setup_s:.1f} s"),
            ("Planning (`sweep`, in-process)", f"{planning_s:.2f} s"),
            ("First email at", f"{first_mail:.1f} s"),
            ("**Total: sweep to all sent**", f"**{total_s:.1f} s** (target ≤ 60 s)"),
            ("CPU during planning", fmt_cpu(cpu_delta(cpu_start, cpu_planned), planning_s)),
            ("CPU during sending (after planning)", fmt_cpu(cpu_delta(cpu_planned, cpu_done), total_s - planning_s)),
            ("Tasks that dropped their delivery (re-enqueued by the benchmark)",
             f"{len(rescued)}" + (f" (ids {rescued[:10]}; in production the sweep resends them only after "
                                  "CELERY_TASK_TIME_LIMIT, 300 s)" if rescued else "")),
            ("Emails/s (signatures/s)", f"{len(ids) / total_s:.2f} ({args.signatures / total_s:,.0f})"),
            ("**Peak RSS, largest single process**",
             f"**{fmt_mb(sampler.peak_single_kb)}** (VmHWM of pool children: "
             f"{', '.join(fmt_mb(kb) for kb in sorted(hwm_children.values(), reverse=True)) or 'n/a'})"),
            ("**Peak RSS, sum of worker processes**",
             f"**{fmt_mb(sampler.peak_sum_kb)}** ({sampler.peak_processes} processes; PSS sum "
             f"{fmt_mb(sampler.peak_pss_sum_kb)}) (target ≤ 300 MB)"),
            ("Idle worker RSS before the run (max / sum)", f"{fmt_mb(idle_single)} / {fmt_mb(idle_sum)}"),
            ("PDF bytes total (largest)", f"{pdfs['pdf_bytes']:,} ({pdfs['pdf_largest']:,})"),
            ("Largest letter", f"{pdfs['largest_letter_signatures']:,} signatures, "
                               f"{pdfs['largest_letter_pages']} pages"),
            ("SMTP sink", f"{sink.messages} messages, {sink.bytes:,} bytes"),
            ("Verified", "OK" if not problems else "FAILED: " + "; ".join(problems)),
            ("Machine", f"{len(os.sched_getaffinity(0))} CPUs (nproc), {cpu_model()}, {mem_total_mb():,} MB RAM"),
            ("Software", f"Python {platform.python_version()}, Django {django_module.__version__}, "
                         f"Celery {celery.__version__}, reportlab {reportlab.Version}, "
                         f"PostgreSQL {postgres_version}, Redis {redis_version}"),
            ("Date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
            ("Command", f"`{command}`"),
        ]
        print("\n| Measure | Value |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
        print(f"\n({sampler.samples} memory samples every 0.1 s)", flush=True)

        if args.profile:
            profile(petition)
        finished = True
        return 1 if problems else 0
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        stop_worker(worker)
        if args.keep_worker_log or (worker is not None and not finished):
            log.seek(0)
            print("\n--- worker log ---\n" + log.read()[-20000:])
        log.close()
        with contextlib.suppress(AssertionError, RuntimeError):  # never started
            controller.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if created_db:
            admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        flush_redis()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
