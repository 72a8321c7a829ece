"""Response headers Django does not set itself, and the requests no page here needs."""

import re
from urllib.parse import unquote_plus

# Features this site never uses, switched off for every page (and anything framed in it).
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "camera", "display-capture", "geolocation", "gyroscope",
        "magnetometer", "microphone", "midi", "payment", "usb", "interest-cohort", "browsing-topics",
    )
)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestLimitsMiddleware:
    """Refuse, before anything reads them, requests no page here needs.

    - A body larger than the limit (413): a supporter's form is a few kilobytes; only the admin
      takes uploads (photos), up to ADMIN_REQUEST_MAX_BYTES.
    - A path or query string with control characters, NUL included (400): no address or search
      here has a use for them, and Postgres refuses NUL in a query, which would be a 500.
    """

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.admin_prefix = f"/{settings.ADMIN_URL}"
        self.public_limit = settings.PUBLIC_REQUEST_MAX_BYTES
        self.admin_limit = settings.ADMIN_REQUEST_MAX_BYTES

    def __call__(self, request):
        from django.shortcuts import render

        limit = self.admin_limit if request.path.startswith(self.admin_prefix) else self.public_limit
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        query = request.META.get("QUERY_STRING", "")
        if length < 0 or _has_controls(request.path) or _has_controls(query, decode=True):
            return render(request, "400.html", status=400)
        if length > limit:
            return render(request, "413.html", {"limit_kib": limit // 1024}, status=413)
        return self.get_response(request)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _has_controls(value, decode=False):
    if decode and "%" in value:
        value = unquote_plus(value, errors="replace")
    return CONTROL_CHARACTERS.search(value) is not None
