"""Benchmark: the counting job folding N newly confirmed signatures into the count, on Postgres.

    .venv/bin/python bench/counting.py [--signatures 20000] [--rounds 5]

Run from the project root; needs Postgres (postgres://postgres@127.0.0.1:5432, trust auth). Creates
and drops its own database `bench_counting_<pid>`. Each round: N confirmed, uncounted signatures of
one petition (as a surge leaves them between two runs of the job; confirmed in random order, so that
their rows lie on disk out of id order), then `counting.update_counts()` is timed (wall clock: the
work is in Postgres), then the same N are withdrawn and the job times again (the `removed` update).
Reports the median of the rounds. See bench/README.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = "postgres://postgres@127.0.0.1:5432/postgres"


def admin_sql(statement):
    import psycopg

    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(statement)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signatures", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    db_name = f"bench_counting_{os.getpid()}"
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "campaign.settings", "DEBUG": "false", "SITE_URL": "http://127.0.0.1:8000",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}", "LOG_LEVEL": "WARNING",
    })
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    admin_sql(f'CREATE DATABASE "{db_name}"')
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True)
        import django

        django.setup()
        from django.db import connection

        from petitions import counting
        from petitions.models import Signature
        from tests.factories import PetitionFactory

        petition = PetitionFactory()
        table = connection.ops.quote_name(Signature._meta.db_table)
        added, removed = [], []
        for round_ in range(args.rounds):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (petition_id, first_name, last_name, email, country, "  # noqa: S608
                    "city, organisation, comment, public_name, name_in_letter, wants_updates, language, status, "
                    "ip_hash, flags, reviewed, comment_approved, comment_hidden, email_due, email_attempts, "
                    "counted, created_at, updated_at) "
                    "SELECT %s, 'A', 'B', 'r' || %s || '-' || i || '@example.org', "
                    "'FR', '', '', '', 'initials', true, false, 'en', "
                    "'pending', '', '[]', false, false, false, '', 0, false, now(), now() "
                    "FROM generate_series(1, %s) AS i",
                    [petition.pk, round_, args.signatures],
                )
                cursor.execute(  # one at a time in random order, as people click their links
                    f"UPDATE {table} SET status = 'confirmed', confirmed_at = now() WHERE id IN "  # noqa: S608
                    f"(SELECT id FROM {table} WHERE status = 'pending' ORDER BY random())"
                )
                cursor.execute(f"VACUUM ANALYZE {table}")
            started = time.perf_counter()
            change = counting.update_counts()[petition.pk]
            added.append(time.perf_counter() - started)
            assert change == args.signatures, change
            Signature.objects.filter(status="confirmed").update(status="withdrawn")
            started = time.perf_counter()
            change = counting.update_counts()[petition.pk]
            removed.append(time.perf_counter() - started)
            assert change == -args.signatures, change
        connection.close()
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')

    def ms(values):
        return f"{statistics.median(values) * 1000:.0f} ms (rounds: {', '.join(f'{v * 1000:.0f}' for v in values)})"

    print(f"{args.signatures:,} confirmed, counted in   {ms(added)}")
    print(f"{args.signatures:,} withdrawn, uncounted in {ms(removed)}")


if __name__ == "__main__":
    main()
