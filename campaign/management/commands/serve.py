"""Serve the site in production: granian, in WSGI mode.

    python manage.py serve [--bind 0.0.0.0:8000]

granian measured 30-50% more requests per second than gunicorn on the same two cores for the
petition page and the JSON, and no worse for the sign and confirm POSTs (bench/README.md). Two
settings matter and are fixed here rather than left to its defaults:

- the number of threads per worker process (WEB_THREADS): each thread keeps its own persistent
  database connection, and granian's default grows threads on demand -- in the benchmark that
  exhausted Postgres's connections within seconds ("too many clients"). Workers x threads is the
  number of connections the web server holds.
- logging: the site's own LOGGING (structured and redacted, campaign/logs.py), and an access log
  without the client's address, user agent, referrer or query string.

granian's backpressure stays at its default (the backlog / workers, 512): it caps connections, not
requests -- an idle keep-alive connection holds its place -- so a low value leaves visitors beyond
it unanswered however idle the server is (bench/README.md, fourth round).
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ACCESS_LOG_FORMAT = '"%(method)s %(path)s" %(status)d %(dt_ms).0fms'


def check_static_files_collected():
    """Without collectstatic's manifest every page that names a static file is a 500 (ValueError:
    Missing staticfiles manifest entry), while /healthz says ok: refuse to start instead."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    if isinstance(staticfiles_storage, ManifestFilesMixin) and not staticfiles_storage.hashed_files:
        raise CommandError(
            f"No collected static files in STATIC_ROOT ({settings.STATIC_ROOT}): run"
            " python manage.py collectstatic --noinput first (the Docker image does it when it is built,"
            " into the default STATIC_ROOT)"
        )


class Command(BaseCommand):
    help = "Serve the site with granian (WSGI): the production web server."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="0.0.0.0:8000", help="address:port (0.0.0.0:8000)")  # noqa: S104

    def handle(self, *args, bind, **options):
        from granian import Granian
        from granian.constants import Interfaces

        address, _, port = bind.rpartition(":")
        if not address or not port.isdigit():
            raise CommandError(f"--bind must look like 0.0.0.0:8000, not {bind!r}")
        check_static_files_collected()
        logging = {
            **settings.LOGGING,
            "loggers": {
                **settings.LOGGING.get("loggers", {}),
                "_granian": {"handlers": ["console"], "level": settings.LOG_LEVEL, "propagate": False},
                "granian.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
            },
        }
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "campaign.settings")
        Granian(
            "campaign.wsgi:application",
            interface=Interfaces.WSGI,
            address=address,
            port=int(port),
            workers=settings.WEB_CONCURRENCY,
            blocking_threads=settings.WEB_THREADS,
            websockets=False,
            log_dictconfig=logging,
            log_level=settings.LOG_LEVEL.lower(),
            log_access=True,
            log_access_format=ACCESS_LOG_FORMAT,
            respawn_failed_workers=True,
            workers_kill_timeout=30,
        ).serve()
