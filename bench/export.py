"""Benchmark: the streamed CSV export of 100,000 signatures runs in bounded memory.

    python bench/export.py [--signatures 100000]

Creates its own Postgres database (postgres://postgres@127.0.0.1:5432), fills one petition with
N confirmed signatures, then consumes petitions.export.rows() as the admin's StreamingHttpResponse
does, measuring Python's peak traced allocations (tracemalloc) and the process's peak RSS growth.
For comparison it also measures building the whole CSV in memory at once. Drops its database.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DB = "postgres://postgres@127.0.0.1:5432/postgres"


def psql(sql):
    subprocess.run(["psql", ADMIN_DB, "-qc", sql], check=True)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=100_000)
    args = parser.parse_args()
    db = f"bench_export_{os.getpid()}"
    psql(f"CREATE DATABASE {db}")
    try:
        os.environ.update(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}", SECRET_KEY="bench", DEBUG="false",
            DJANGO_SETTINGS_MODULE="campaign.settings",
        )
        os.environ.pop("REDIS_URL", None)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.utils import timezone

        from campaign.models import Campaign
        from petitions import export
        from petitions.models import Petition, Signature

        campaign = Campaign.objects.create(slug="bench", title="Bench", summary="s", status="live")
        petition = Petition.objects.create(campaign=campaign, slug="bench", title="Bench", appeal="a", status="open")
        now = timezone.now()
        started = time.perf_counter()
        batch = []
        for i in range(args.signatures):
            batch.append(Signature(
                petition=petition, first_name=f"Олена{i}", last_name="Петренко", email=f"s{i}@example.org",
                country="UA", city="Lviv", organisation="=cmd" if i % 1000 == 0 else "Union",
                status="confirmed", confirmed_at=now, comment="Freedom for political prisoners!",
            ))
            if len(batch) == 5000:
                Signature.objects.bulk_create(batch)
                batch = []
        Signature.objects.bulk_create(batch)
        setup = time.perf_counter() - started

        base_rss = rss_mb()
        tracemalloc.start()
        started = time.perf_counter()
        lines = size = 0
        for line in export.rows(petition):  # what StreamingHttpResponse does with it
            lines += 1
            size += len(line.encode())
        streamed = time.perf_counter() - started
        _, stream_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        stream_rss = rss_mb() - base_rss

        tracemalloc.start()
        started = time.perf_counter()
        whole = "".join(export.rows(petition))
        materialised = time.perf_counter() - started
        _, whole_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del whole

        print(f"| signatures | {args.signatures:,} |")
        print("| --- | --- |")
        print(f"| setup (bulk insert) | {setup:.1f} s |")
        print(f"| CSV rows streamed | {lines - 1:,} ({size / 1e6:.1f} MB) in {streamed:.1f} s |")
        print(f"| streamed: peak Python allocations | {stream_peak / 1e6:.1f} MB |")
        print(f"| streamed: growth of peak RSS | {stream_rss:.1f} MB |")
        print(f"| for comparison, the whole CSV built in memory | {whole_peak / 1e6:.1f} MB in {materialised:.1f} s |")
        print(f"\n`python bench/export.py --signatures {args.signatures}` on {os.cpu_count()} cores, "
              f"{time.strftime('%Y-%m-%d')}")
    finally:
        from django.db import connections

        connections.close_all()
        psql(f"DROP DATABASE IF EXISTS {db}")


if __name__ == "__main__":
    main()
