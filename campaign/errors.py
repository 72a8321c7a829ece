"""Error pages that never touch the database.

While Postgres is down or restarting, every page that needs it fails with a connection error; the
supporter gets a 503 "back in a moment" page (with Retry-After) instead of a 500, and the site
recovers by itself when the database returns: persistent connections are health-checked at the
start of each request (CONN_HEALTH_CHECKS), so a connection the restart killed is replaced, not
reused. No error page shows a traceback: with DEBUG off Django never renders one.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

RETRY_AFTER = 30  # seconds


def _page(template, status):
    # Rendered without the request, so no context processor runs: no session, no user, no query.
    return HttpResponse(render_to_string(template), status=status)


def server_error(request):
    """handler500: a database that cannot be reached is a 503 (try again shortly), anything else a 500."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = _page("503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return _page("500.html", 500)
