"""robots.txt and sitemap.xml: how search engines find the campaign's public pages, in every language.

Only what anyone may see is listed: no draft campaign or petition, no prisoner or case that only a
draft campaign names (prisoners.views.public_prisoners decides that, as for the pages themselves).
Pages reached through a signer's link, the signatories list and the widget answer with
X-Robots-Tag: noindex (petitions.views.noindex) and are neither listed here nor disallowed in
robots.txt: a crawler that may not fetch a page never sees its noindex.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_page
from django.views.decorators.http import require_safe

from petitions.models import Petition
from prisoners.views import public_cases, public_prisoners

from .models import Campaign


class _Public(Sitemap):
    i18n = True  # each page once per language, /en/..., /uk/..., /ru/..., /fr/...
    alternates = True  # with <xhtml:link rel="alternate" hreflang> to its twins in the other languages

    # The addresses the site announces (SITE_URL), whatever Host the request came with, and https
    # behind a proxy that speaks http to us.
    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class Pages(_Public):
    def items(self):
        return ["campaign:home", "campaign:privacy"]

    def location(self, item):
        return reverse(item)


class Campaigns(_Public):
    def items(self):
        return Campaign.objects.exclude(status=Campaign.Status.DRAFT).order_by("pk")


class Petitions(_Public):
    def items(self):
        return Petition.objects.public().order_by("pk")


class Prisoners(_Public):
    def items(self):
        return public_prisoners().order_by("pk")


class Cases(_Public):
    def items(self):
        return public_cases().order_by("pk")


SITEMAPS = {"pages": Pages, "campaigns": Campaigns, "petitions": Petitions, "prisoners": Prisoners, "cases": Cases}


@require_safe
@cache_page(15 * 60)
def sitemap(request):
    return sitemap_view(request, SITEMAPS)


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", "Disallow: /api/", "", f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
