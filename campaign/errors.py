"""The error pages: 400 and 404 as Django's own, without their CSRF check (below); 500 and 503
without the database.

While Postgres is down or restarting, every page that needs it fails with a connection error; the
supporter gets a 503 "back in a moment" page (with Retry-After) instead of a 500, and the site
recovers by itself when the database returns: persistent connections are health-checked at the
start of each request (CONN_HEALTH_CHECKS), so a connection the restart killed is replaced, not
reused. No error page shows a traceback: with DEBUG off Django never renders one.
"""

import sys

from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

RETRY_AFTER = 30  # seconds


def _page(template, status):
    # Rendered without the request, so no context processor runs: no session, no user, no query.
    return HttpResponse(render_to_string(template), status=status)


# handler400 and handler404. Django's own first check the CSRF token (requires_csrf_token), which
# reads a POST's body -- for a 400, the body Django has just failed to read, and for a 404, a body no
# view looked at -- and a body that cannot be read (a form declaring another charset than UTF-8, a
# multipart body without a boundary) then fails the error page itself: a 500 (Django 5.2). These
# render the same templates without that check; the CSRF middleware has already read the token's
# cookie, so a form on the page still gets its token.

def bad_request(request, exception):
    if isinstance(exception, DisallowedHost):
        # The page's links in each language are built from the request's host, which is what was
        # refused: asking for it again raised inside this handler, a 500 for every scanner.
        return _page("400.html", 400)
    return render(request, "400.html", status=400)


def page_not_found(request, exception):
    return render(request, "404.html", status=404)


def server_error(request):
    """handler500: a database that cannot be reached is a 503 (try again shortly), anything else a 500."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        response = _page("503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return _page("500.html", 500)
