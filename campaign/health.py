"""Health endpoints for the load balancer: liveness (the process answers) and readiness (it can
reach Postgres; Redis, where configured, is reported but not required). They reveal nothing but
"ok" or what is down. And one for an uptime monitor, not the load balancer: /healthz/jobs, whether
the background work (Celery beat and the worker) is being done; the admin's index says the same.

HealthCheckMiddleware, first in MIDDLEWARE, answers them before any other middleware: load
balancers and Kubernetes probes name the instance by its own address in the Host header, which
ALLOWED_HOSTS cannot list in advance (CommonMiddleware answered 400, and the probe took every
instance out), and they probe over plain http (SecurityMiddleware redirected to https). The
answers carry no URL, so the Host header has nothing to poison here."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe
def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request):
    """503 only when this instance cannot serve: Postgres unreachable. Redis down is "degraded",
    still 200: pages, signing and confirming carry on without it (campaign/cache.py, the outbox),
    and a 503 would have every instance taken out of the load balancer at once."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 -- any failure means "not ready"; the reason is not for the public
        checks["database"] = "down"
    if settings.REDIS_URL:
        try:
            cache.set("health:ready", "1", 5)
            checks["redis"] = "ok" if cache.get("health:ready") == "1" else "down"
        except Exception:  # noqa: BLE001
            checks["redis"] = "down"
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", **checks}, status=503)
    status = "ok" if all(value == "ok" for value in checks.values()) else "degraded"
    return JsonResponse({"status": status, **checks})


# The scheduler is late when none of its frequent tasks (every minute or more often) has been sent
# for this long: beat records when it sent each one at most every 3 minutes (django-celery-beat's
# DatabaseScheduler.sync_every), and falls back on when the task was last changed before its first
# run. Signers' emails are late as petitions.outbox.overdue() says.
SCHEDULER_LATE = timedelta(minutes=10)
FREQUENT = timedelta(minutes=1)
RETENTION_TASK = "petitions.tasks.purge_personal_data"


def late_jobs(now=None):
    """{"scheduler": minutes since beat last sent a frequent task, or None if on time,
    "signer_emails": how many are overdue, "retention": whether no enabled periodic task deletes
    personal data}: the background work that is not being done."""
    from django_celery_beat.models import PeriodicTask

    from petitions import outbox

    now = now or timezone.now()
    sent = [
        task.last_run_at or task.date_changed
        for task in PeriodicTask.objects.filter(enabled=True, interval__isnull=False).select_related("interval")
        if task.interval.schedule.run_every <= FREQUENT
    ]
    quiet = now - max(sent) if sent else None
    return {
        "scheduler": int(quiet.total_seconds() // 60) if quiet and quiet > SCHEDULER_LATE else None,
        "signer_emails": outbox.overdue(now),
        # Deleted or disabled in the admin, nothing deletes signers' data as the privacy page
        # promises, while each petition's dashboard still gives a date for it.
        "retention": not PeriodicTask.objects.filter(enabled=True, task=RETENTION_TASK).exists(),
    }


@never_cache
@require_safe
def jobs(request):
    """For an uptime monitor: 503 while the background work is late (beat or the worker stopped)
    or retention is off. Only "ok", "late" or "off" for each, no numbers."""
    late = late_jobs()
    checks = {name: ("off" if name == "retention" else "late") if value else "ok" for name, value in late.items()}
    if any(late.values()):
        return JsonResponse({"status": "late", **checks}, status=503)
    return JsonResponse({"status": "ok", **checks})


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = PROBES.get(request.path_info)
        return view(request) if view else self.get_response(request)


PROBES = {"/healthz": live, "/readyz": ready, "/healthz/jobs": jobs}
