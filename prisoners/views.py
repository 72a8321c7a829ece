from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from campaign import former_slugs
from campaign.models import Campaign, CampaignPrisoner
from campaign.permissions import can_view
from petitions.models import Petition

from .models import CaseEvent, CriminalCase, Defendant, Prisoner


def in_published_campaign(prisoner_ref):
    """True where the prisoner is in at least one campaign that is not a draft.

    A prisoner (and anything naming them) is public only then: a draft campaign's people must not
    become findable before organisers, and often their families and lawyers, decide to go public.
    """
    return Exists(
        CampaignPrisoner.objects.filter(prisoner=prisoner_ref).exclude(campaign__status=Campaign.Status.DRAFT)
    )


def public_prisoners():
    return Prisoner.objects.filter(in_published_campaign(OuterRef("pk")))


def public_defendants():
    return Defendant.objects.filter(in_published_campaign(OuterRef("prisoner"))).select_related("prisoner")


def public_cases():
    return CriminalCase.objects.filter(Exists(public_defendants().filter(case=OuterRef("pk"))))


def public_events():
    """Events about the whole case, or about a public prisoner; never about an unpublished one."""
    return CaseEvent.objects.filter(Q(prisoner__isnull=True) | in_published_campaign(OuterRef("prisoner")))


def prisoner_detail(request, slug):
    try:
        prisoner = public_prisoners().select_related("facility").get(slug=slug)
    except Prisoner.DoesNotExist:
        return former_slugs.redirect_to_current(request, public_prisoners(), slug)
    links = list(
        Defendant.objects.filter(prisoner=prisoner)
        .select_related("case")
        .prefetch_related(
            "charges",
            Prefetch(
                "case__defendant_links",
                queryset=public_defendants().exclude(prisoner=prisoner).prefetch_related("charges"),
                to_attr="codefendants",
            ),
        )
        .order_by("case__opened_on", "case__pk")
    )
    events = public_events().filter(case__in=[link.case for link in links]).select_related("case", "prisoner")
    # The way from a prisoner's page (the one people share) to the campaign and its appeal: without
    # it the page was a dead end for a visitor who wants to act.
    campaigns = (
        Campaign.objects.filter(prisoner_links__prisoner=prisoner)
        .exclude(status=Campaign.Status.DRAFT)
        .prefetch_related(Prefetch("petitions", queryset=Petition.objects.open_for_signing(), to_attr="open_petitions"))
    )
    page_url = request.build_absolute_uri(prisoner.get_absolute_url())
    return render(
        request,
        "prisoners/prisoner_detail.html",
        {
            "prisoner": prisoner,
            "links": links,
            "events": events,
            "campaigns": campaigns,
            "several_cases": len(links) > 1,
            "meta_title": prisoner.name,
            "meta_description": prisoner.summary or prisoner.get_status_display(),
            "meta_image": request.build_absolute_uri(prisoner.photo.url) if prisoner.photo else "",
            "page_url": page_url,
        },
    )


def case_detail(request, slug):
    try:
        case = public_cases().get(slug=slug)
    except CriminalCase.DoesNotExist:
        return former_slugs.redirect_to_current(request, public_cases(), slug)
    defendants = list(public_defendants().filter(case=case).prefetch_related("charges"))
    # The case's charges are the union of the charges of the defendants shown (CriminalCase.articles
    # over all of them could hint at an unpublished defendant), in the articles' own order.
    articles = sorted(
        {article for defendant in defendants for article in defendant.charges.all()},
        key=lambda article: (article.code, article.sort_key),
    )
    events = public_events().filter(case=case).select_related("prisoner")
    return render(
        request,
        "prisoners/case_detail.html",
        {
            "case": case,
            "articles": articles,
            "defendants": defendants,
            "events": events,
            "meta_title": case.title,
            "meta_description": case.summary or _("A criminal case against political prisoners in Russia."),
            "page_url": request.build_absolute_uri(case.get_absolute_url()),
        },
    )


PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def photo(request, name):
    """A prisoner's photo (MEDIA_URL/prisoners/<name>): to everyone once the prisoner is public, and
    before that only to the organisers who may see them -- a draft campaign's people must not be
    findable. In production too: nothing else serves MEDIA_ROOT."""
    prisoner = Prisoner.objects.filter(photo=f"prisoners/{name}").first()
    if prisoner is None:
        raise Http404
    public = public_prisoners().filter(pk=prisoner.pk).exists()
    if not public and not (request.user.is_staff and can_view(request.user, prisoner)):
        raise Http404
    try:
        image = prisoner.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(image, content_type=PHOTO_TYPES.get(name.rpartition(".")[2].lower(), "image/jpeg"))
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
