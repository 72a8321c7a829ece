"""A campaign's news: the timeline events of the cases it features, on its page and as an Atom feed.

The page says what is coming up (a hearing supporters can attend, a date to picket) and what happened
last. The feed is for supporters who follow the case without giving anyone an email address (the
updates by email need one): a feed reader polls it, and the site learns nothing about who reads it.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, linebreaks
from django.utils.translation import gettext as _

from prisoners.models import CaseEvent
from prisoners.views import public_events

from . import former_slugs
from .emails import absolute  # the site's own address (SITE_URL), not the request's Host
from .models import Campaign

# Enough for a reader that polls once a day through a busy week; older news is on the case pages.
ITEMS = 30


def published():
    # Drafts have no feed, for organisers either: a feed reader shows no preview banner.
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT)


def campaign_events(campaign):
    """The timeline events of the cases with a defendant this campaign features: the events the case
    pages show, never one about a prisoner no campaign has made public."""
    return public_events().filter(case__defendants__campaigns=campaign).distinct().select_related("case", "prisoner")


# How many events of each kind the campaign page shows; the rest are on the case pages.
ON_THE_PAGE = 3


def on_the_page(campaign, today=None):
    """(coming up, latest): the hearings and appeals set for today or later, soonest first, and the
    events up to today, most recent first."""
    today = today or timezone.localdate()
    events = campaign_events(campaign)
    coming = list(events.filter(date__gte=today, kind__in=CaseEvent.SCHEDULED_KINDS).order_by("date", "pk")
                  [:ON_THE_PAGE])
    latest = list(events.filter(date__lte=today).exclude(pk__in=[event.pk for event in coming])
                  .order_by("-date", "-pk")[:ON_THE_PAGE])
    return coming, latest


class CampaignNews(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, slug):
        try:
            return super().__call__(request, slug=slug)
        except Http404:
            # A reader subscribed before the campaign's slug changed follows the 301 to the new feed.
            return former_slugs.redirect_to_current(request, published(), slug, address=self._path)

    def get_object(self, request, slug):
        return get_object_or_404(published(), slug=slug)

    def title(self, campaign):
        return _("%(campaign)s: news of the case") % {"campaign": campaign.title}

    def subtitle(self, campaign):
        return campaign.summary

    def link(self, campaign):
        return absolute(campaign.get_absolute_url())

    def feed_url(self, campaign):
        return absolute(self._path(campaign))

    @staticmethod
    def _path(campaign):
        return reverse("campaign:news", args=[campaign.slug])

    def feed_guid(self, campaign):
        return self._tag(f"campaign:{campaign.pk}")

    def items(self, campaign):
        # Newest entry first, so that an old fact entered today is news in the reader.
        return campaign_events(campaign).order_by("-created_at", "-pk")[:ITEMS]

    def item_title(self, event):
        about = event.prisoner.name if event.prisoner else event.case.title
        return " · ".join(str(part) for part in (event.date_shown, event.get_kind_display(), about))

    def item_description(self, event):
        # Readers take the summary as HTML: escaped here, as the case page escapes it, so that what an
        # organiser typed is shown as text and never runs as markup in someone's reader.
        html = linebreaks(event.description, autoescape=True)
        if event.place or (event.time and event.date_precision == CaseEvent.DatePrecision.DAY):
            html = f"<p>{render_to_string('prisoners/includes/event_when.html', {'event': event})}</p>{html}"
        if event.source_url:
            html += format_html('<p>{} <a href="{}">{}</a></p>', _("Source:"), event.source_url,
                                event.source_title or event.source_url)
        return html

    def item_link(self, event):
        return absolute(f"{event.case.get_absolute_url()}#event-{event.pk}")

    def item_guid(self, event):
        # Stable whatever the case's address becomes, so that a reader never shows an entry twice.
        return self._tag(f"case-event:{event.pk}")

    item_guid_is_permalink = False

    def item_pubdate(self, event):
        return event.created_at

    def item_updateddate(self, event):
        return event.created_at

    def _tag(self, specific):
        # RFC 4151 tag URIs: the site's host and the year the feed began.
        return f"tag:{urlsplit(settings.SITE_URL).hostname},2026:{specific}"
