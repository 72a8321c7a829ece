"""Public JSON: counts, goal, counts by country and delivery totals. No personal data.

Outside the language prefixes, cacheable, and open to any origin (CORS) so campaign sites can show
the count.

"status" is what the petition page says (Petition.public_status()): "open" while it takes
signatures, "scheduled" before its opening date ("opens_at"), "closed" once closed by an organiser or
past its closing date ("closes_at", null when it has none).
"""

import functools

from django.core.cache import caches
from django.core.validators import slug_re
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from . import publication
from .models import Petition

# Kept in each process's memory (caches["local"]) this long, and as long by HTTP caches: the count
# it shows is then at most a few seconds behind the database, and a petition reaching its closing
# date says "closed" within twice this (once the process's copy, once an HTTP cache's).
CACHE_SECONDS = 2
cache = caches["local"]
NO_SUCH_PETITION = {"detail": "No such petition"}


def _petition_json(request, petition):
    deliveries = publication.delivery_totals(petition)
    return {
        "slug": petition.slug,
        "title": petition.title,
        "url": request.build_absolute_uri(petition.get_absolute_url()),
        "status": petition.public_status(),
        "opens_at": petition.opens_at.isoformat(),
        "closes_at": petition.closes_at.isoformat() if petition.closes_at else None,
        "signature_count": petition.signature_count,
        "goal": petition.goal,
        "counts_by_country": publication.counts_by_country(petition),
        "deliveries": {
            "appeals_delivered": deliveries["appeals"],
            "embassies": deliveries["embassies"],
            "last_delivered_at": deliveries["last"].isoformat() if deliveries["last"] else None,
            "embassies_replied": deliveries["replied"],
        },
    }


def _respond(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    # The titles are in the language Django picks: from the language cookie if there is one, else
    # from Accept-Language (these URLs have no language prefix).
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


READ_METHODS = ["GET", "HEAD"]
PREFLIGHT_SECONDS = 86400


def read_only_cors(view):
    """GET and HEAD, and the CORS preflight (OPTIONS) for them.

    A browser sends a preflight before a campaign site's fetch() that adds a header of its own
    (`Content-Type: application/json` on a GET, as many fetch wrappers do; `Cache-Control`), and
    sends the GET only if the answer allows it. Answered 405 without a CORS header, that fetch
    failed with nothing but a CORS error. The answer is the same for any path here, a petition or
    not: it reads nothing. Anything else is a 405 the other site may read.
    """

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method in READ_METHODS:
            return view(request, *args, **kwargs)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Allow"] = ", ".join([*READ_METHODS, "OPTIONS"])
            response["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
            # Any header: nothing here depends on one, and no credentials are ever allowed.
            response["Access-Control-Allow-Headers"] = "*"
            response["Access-Control-Max-Age"] = PREFLIGHT_SECONDS
        else:
            response = HttpResponseNotAllowed(READ_METHODS)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped


def _public_petitions():
    return Petition.objects.public().select_related("campaign").order_by("-opens_at")


@read_only_cors
def petition_list(request):
    key = f"api:petitions:{get_language()}:{request.get_host()}"
    data = cache.get(key)
    if data is None:
        data = {"petitions": [_petition_json(request, p) for p in _public_petitions()]}
        cache.set(key, data, CACHE_SECONDS)
    return _respond(data)


@read_only_cors
def petition_detail(request, slug):
    if not slug_re.match(slug):  # no petition's (campaign/urls.py sends any text here), nor a cache key
        return _respond(NO_SUCH_PETITION, status=404)
    key = f"api:petition:{slug}:{get_language()}:{request.get_host()}"
    data = cache.get(key)
    if data is None:
        petition = _public_petitions().filter(slug=slug).first()
        if petition is None:
            # JSON with the CORS header like any other answer here, so that a campaign's site can
            # read it (a draft, or a mistyped slug), not the site's HTML 404 page.
            return _respond(NO_SUCH_PETITION, status=404)
        data = _petition_json(request, petition)
        cache.set(key, data, CACHE_SECONDS)
    return _respond(data)
