import logging

from csp.decorators import csp_replace
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import get_usage

from campaign.permissions import can_view

from . import outbox, publication, signing
from .forms import SignatureForm
from .models import Petition, Signature

logger = logging.getLogger(__name__)


def get_petition(slug):
    return get_object_or_404(Petition.objects.public().select_related("campaign"), slug=slug)


def get_petition_or_preview(request, slug):
    """The public petition, or -- for an organiser of its campaign -- a draft to preview."""
    petition = Petition.objects.public().select_related("campaign").filter(slug=slug).first()
    if petition is not None:
        return petition, False
    if request.user.is_staff:
        petition = Petition.objects.select_related("campaign").filter(slug=slug).first()
        if petition is not None and can_view(request.user, petition):
            return petition, True
    raise Http404


def _rate_key(group, request):
    # Per IP address and petition, as the e-petitions site does.
    return f"{signing.client_ip(request)}:{request.resolver_match.kwargs.get('slug', '')}"


def _rate_limited(request):
    limits = (("burst", settings.SIGN_RATE_BURST), ("sustained", settings.SIGN_RATE_SUSTAINED))
    # Evaluate both (each increments its own counter) so a burst also counts towards the hour.
    usage = [
        get_usage(request, group=f"sign-{name}", key=_rate_key, rate=rate, method="POST", increment=True)
        for name, rate in limits
    ]
    if None in usage:
        # The cache could not count (Redis down): RATELIMIT_FAIL_OPEN lets the supporter in.
        logger.warning("Rate limiting unavailable: request allowed without a limit")
    return any(u is not None and u["should_limit"] for u in usage)


def _petition_page(request, petition, form, status=200, preview=False):
    context = {
        "petition": petition,
        "form": form,
        "preview": preview,
        "is_open": petition.is_open_for_signing() and not preview,
        "page_url": request.build_absolute_uri(petition.get_absolute_url()),
        "widget_url": request.build_absolute_uri(reverse("petitions:widget", args=[petition.slug])),
        **publication.petition_facts(petition),
    }
    return render(request, "petitions/petition_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def petition_detail(request, slug):
    language = get_language()
    if request.method != "POST":
        petition, preview = get_petition_or_preview(request, slug)
        return _petition_page(request, petition, SignatureForm(language=language), preview=preview)

    petition = get_petition(slug)  # a draft takes no signatures, preview or not
    if _rate_limited(request):
        return render(request, "petitions/rate_limited.html", {"petition": petition}, status=429)
    if not petition.is_open_for_signing():
        return _petition_page(request, petition, SignatureForm(language=language), status=409)
    form = SignatureForm(request.POST, language=language)
    if not form.is_valid():
        return _petition_page(request, petition, form, status=400)
    if not form.is_bot:
        signing.sign(petition, form.signature_data(), ip=signing.client_ip(request), language=language)
    # The same answer whatever happened: new, duplicate, or honeypot.
    return HttpResponseRedirect(reverse("petitions:check-email", args=[petition.slug]))


def check_email(request, slug):
    return render(request, "petitions/check_email.html", {"petition": get_petition(slug)})


def _link_problem(request, petition, status=400):
    return render(request, "petitions/bad_link.html", {"petition": petition}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, slug, token):
    """GET shows a Confirm button; only the POST confirms (mail scanners follow links)."""
    petition = get_petition(slug)
    try:
        signature = signing.signature_from_token(
            token, petition, signing.CONFIRM, max_age=signing.CONFIRM_LINK_MAX_AGE
        )
    except signing.ExpiredLink:
        return render(request, "petitions/link_expired.html", {"petition": petition, "token": token}, status=410)
    except signing.BadLink:
        return _link_problem(request, petition)

    if signature.status not in {Signature.Status.PENDING, Signature.Status.CONFIRMED}:
        return _link_problem(request, petition)
    if request.method == "POST":
        signing.confirm(signature)
        return HttpResponseRedirect(reverse("petitions:thanks", args=[petition.slug]))
    return render(
        request, "petitions/confirm.html",
        {"petition": petition, "signature": signature, "already": signature.status == Signature.Status.CONFIRMED},
    )


@require_http_methods(["POST"])
def resend(request, slug, token):
    """A fresh confirmation link for an expired one (the old token still names the signature)."""
    petition = get_petition(slug)
    try:
        signature = signing.signature_from_token(token, petition, signing.CONFIRM)
    except signing.BadLink:
        return _link_problem(request, petition)
    if _rate_limited(request):
        return render(request, "petitions/rate_limited.html", {"petition": petition}, status=429)
    if signature.status == Signature.Status.PENDING:
        outbox.owe(signature.pk, Signature.EmailDue.CONFIRM)
    return HttpResponseRedirect(reverse("petitions:check-email", args=[petition.slug]))


def thanks(request, slug):
    petition = get_petition(slug)
    return render(
        request, "petitions/thanks.html",
        {"petition": petition, "page_url": request.build_absolute_uri(petition.get_absolute_url())},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, slug, token):
    petition = get_petition(slug)
    try:
        signature = signing.signature_from_token(token, petition, signing.WITHDRAW)
    except signing.BadLink:
        # Also what an already withdrawn (erased) signature's link gives.
        return _link_problem(request, petition)
    if request.method == "POST":
        signing.withdraw(signature)
        return render(request, "petitions/withdrawn.html", {"petition": petition})
    return render(request, "petitions/withdraw.html", {"petition": petition})


def signatories(request, slug):
    petition = get_petition(slug)
    paginator = Paginator(publication.public_signatures(petition), 50)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "petitions/signatories.html", {"petition": petition, "page": page})


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def widget(request, slug):
    """The one page other sites may frame: title, count, goal bar and a link to sign."""
    petition = get_petition(slug)
    return render(
        request, "petitions/widget.html",
        {"petition": petition, "sign_url": request.build_absolute_uri(petition.get_absolute_url())},
    )


def deliveries(request, slug):
    """The public delivery log: each letter that reached an embassy. No personal data."""
    petition = get_petition(slug)
    delivered = publication.delivered(petition)
    return render(
        request, "petitions/deliveries.html",
        {"petition": petition, "deliveries": delivered, "totals": publication.delivery_totals(petition)},
    )


@csrf_exempt  # RFC 8058 one-click: mail clients POST here without our form or cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """Stop campaign updates. A POST (our button, or a mail client's one-click) acts at once; a GET
    only shows the button, because mail scanners open links."""
    from . import announcements

    try:
        signature = signing.signature_from_unsubscribe_token(token)
    except signing.BadLink:
        return render(request, "petitions/unsubscribed.html", {"bad": True}, status=400)
    if request.method == "POST":
        announcements.unsubscribe(signature)
        return render(request, "petitions/unsubscribed.html", {"done": True})
    return render(request, "petitions/unsubscribed.html", {"token": token})
