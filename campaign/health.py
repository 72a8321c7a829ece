"""Health endpoints for the load balancer: liveness (the process answers) and readiness (it can
reach Postgres; Redis, where configured, is reported but not required). They reveal nothing but
"ok" or what is down.

HealthCheckMiddleware, first in MIDDLEWARE, answers them before any other middleware: load
balancers and Kubernetes probes name the instance by its own address in the Host header, which
ALLOWED_HOSTS cannot list in advance (CommonMiddleware answered 400, and the probe took every
instance out), and they probe over plain http (SecurityMiddleware redirected to https). The
answers carry no URL, so the Host header has nothing to poison here."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
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


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = PROBES.get(request.path_info)
        return view(request) if view else self.get_response(request)


PROBES = {"/healthz": live, "/readyz": ready}
