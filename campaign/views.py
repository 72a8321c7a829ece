from datetime import timedelta

from django.conf import settings
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from petitions import limits, retention
from petitions.models import Petition

from . import former_slugs, news, permissions
from .collation import countries_by_name
from .models import Campaign, CampaignPrisoner, SolidarityAction


def _first_photo_url(request, links):
    """The first prisoner photo among the links, as an absolute URL for the sharing preview."""
    for link in links:
        if link.prisoner.photo:
            return request.build_absolute_uri(link.prisoner.photo.url)
    return ""


def home(request):
    campaigns = Campaign.objects.filter(status=Campaign.Status.LIVE).prefetch_related(
        Prefetch(
            "prisoner_links",
            queryset=CampaignPrisoner.objects.filter(featured=True).select_related("prisoner"),
            to_attr="featured_links",
        ),
        Prefetch("petitions", queryset=Petition.objects.open_for_signing(), to_attr="open_petitions"),
    )
    return render(
        request,
        "campaign/home.html",
        {
            "campaigns": campaigns,
            "meta_title": _("Solidarity petitions"),
            "meta_description": _(
                "Campaigns for political prisoners in Russia: their stories, their cases, and appeals "
                "delivered to the Russian embassies."
            ),
            "page_url": request.build_absolute_uri(reverse("campaign:home")),
        },
    )


# Drafts are not announced yet: their prisoners may not want publicity before it starts.
# Organisers may preview a draft ("view on site" in admin); everyone else gets 404. The page and
# the redirect from one of its former addresses (campaign.former_slugs) both go by these two.

def visible_campaigns(request):
    campaigns = Campaign.objects.all()
    if not request.user.is_staff:
        campaigns = campaigns.exclude(status=Campaign.Status.DRAFT)
    return campaigns


def may_see(request, campaign):
    return campaign.status != Campaign.Status.DRAFT or permissions.can_view(request.user, campaign)


def campaign_detail(request, slug):
    campaigns = visible_campaigns(request)
    try:
        campaign = campaigns.prefetch_related(
            Prefetch("prisoner_links", queryset=CampaignPrisoner.objects.select_related("prisoner")),
            Prefetch(
                "petitions",
                queryset=Petition.objects.exclude(status=Petition.Status.DRAFT),
                to_attr="public_petitions",
            ),
            Prefetch("actions", queryset=SolidarityAction.objects.prefetch_related("organisers")),
            "organisations",
        ).get(slug=slug)
    except Campaign.DoesNotExist:
        return former_slugs.redirect_to_current(request, campaigns, slug, lambda found: may_see(request, found))
    if not may_see(request, campaign):
        raise Http404
    # CampaignPrisoner's ordering already puts featured prisoners first.
    links = list(campaign.prisoner_links.all())
    coming, latest = news.on_the_page(campaign)
    page_url = request.build_absolute_uri(campaign.get_absolute_url())
    return render(
        request,
        "campaign/campaign_detail.html",
        {
            "campaign": campaign,
            "featured_links": [link for link in links if link.featured],
            "other_links": [link for link in links if not link.featured],
            "petitions": campaign.public_petitions,
            "actions": campaign.actions.all(),
            "organisations": campaign.organisations.all(),
            "coming_events": coming,
            "latest_events": latest,
            "meta_title": campaign.title,
            "meta_description": campaign.summary,
            "meta_image": _first_photo_url(request, links),
            "page_url": page_url,
            "share_title": campaign.title,
        },
    )


def _email_hash_kept():
    """How long the count of emails to one address is kept, in words ("1 day"): the window of
    SIGNER_EMAILS_PER_ADDRESS (petitions.limits.emails_to), rounded up to a minute."""
    _limit, period = limits.parse_rate(settings.SIGNER_EMAILS_PER_ADDRESS)
    now = timezone.now()
    return timesince(now - timedelta(minutes=-(-period // 60)), now, depth=2)


def privacy(request):
    return render(
        request,
        "pages/privacy.html",
        {
            "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
            "unconfirmed_days": retention.UNCONFIRMED_DAYS,
            "email_hash_kept": _email_hash_kept(),
            # The countries whose signers the form asks again before naming them (petitions.forms).
            "risk_countries": ", ".join(
                name for code, name in countries_by_name() if code in settings.NAMING_RISK_COUNTRIES
            ),
            "meta_title": _("Privacy: what we store and what we send"),
            "meta_description": _(
                "What we store when you sign, what is shown publicly, what is sent to the embassy, and how "
                "long we keep it."
            ),
            "page_url": request.build_absolute_uri(reverse("campaign:privacy")),
        },
    )
