import functools
import secrets

from csp.decorators import csp_replace
from django.conf import settings
from django.core.cache import caches
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaign.permissions import can_view

from . import forms, limits, outbox, publication, signing
from .forms import SignatureForm
from .models import Petition, Signature

# Every request of a surge reads the petition, and most read its page: both are kept in this
# process for a moment (caches["local"]). Publishing, closing or editing a petition shows within
# that time; counts stay within a few seconds of the database (the count job runs about a second
# after confirmations).
PUBLIC_SECONDS = 2
local_cache = caches["local"]
# What the cached page carries instead of a visitor's CSRF token; replaced in every response.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"


def noindex(view):
    """Kept out of search engines: the list of signatories (a signer chose to be shown on the site,
    not to be found by anyone searching for their name), the widget, and the pages reached through
    a signer's link. The petition page itself is meant to be found."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def public_petition(slug):
    """The public petition with this slug, or None; fresh from the database."""
    return Petition.objects.public().select_related("campaign").filter(slug=slug).first()


def get_petition(slug):
    """The public petition (as it was at most PUBLIC_SECONDS ago), or 404."""
    petition = local_cache.get(f"petition:{slug}")
    if petition is None:
        petition = _remember(slug, public_petition(slug))
    if not petition:
        raise Http404
    return petition


def _remember(slug, petition):
    petition = petition or False  # False: there is none (remembered as well)
    local_cache.set(f"petition:{slug}", petition, PUBLIC_SECONDS)
    return petition


def get_petition_or_preview(request, slug):
    """The public petition, or -- for an organiser of its campaign -- a draft to preview."""
    petition = public_petition(slug)
    if petition is not None:
        return petition, False
    if request.user.is_staff:
        petition = Petition.objects.select_related("campaign").filter(slug=slug).first()
        if petition is not None and can_view(request.user, petition):
            return petition, True
    raise Http404


def _network(request):
    """The client's address as the day's keyed hash: all that rate limits and moderation see of it."""
    return signing.ip_hash(signing.client_ip(request))


def _count_attempt(network, petition):
    """Count this attempt per network and petition (petitions.limits), as the e-petitions site does."""
    return limits.count_attempt(network, petition.slug)


def _petition_page(request, petition, form, status=200, preview=False, **extra):
    context = {
        "petition": petition,
        "form": form,
        "preview": preview,
        "is_open": petition.is_open_for_signing() and not preview,
        "page_url": request.build_absolute_uri(petition.get_absolute_url()),
        "widget_url": request.build_absolute_uri(reverse("petitions:widget", args=[petition.slug])),
        **publication.petition_facts(petition),
        **extra,
    }
    return render(request, "petitions/petition_detail.html", context, status=status)


def _public_page(request, slug, language):
    """The public petition page as rendered at most PUBLIC_SECONDS ago, with this visitor's CSRF
    token put in; None when the petition is not public (then it may be an organiser's preview).

    It does not depend on who asks: the form is empty, and names and counts are public."""
    key = f"page:{slug}:{language}:{request.get_host()}"
    html = local_cache.get(key)
    if html is None:
        petition = _remember(slug, public_petition(slug))  # fresh: the sign POSTs that follow use it too
        if not petition:
            return None
        response = _petition_page(request, petition, SignatureForm(language=language), csrf_token=CSRF_PLACEHOLDER)
        html = response.content.decode()
        local_cache.set(key, html, PUBLIC_SECONDS)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


@require_http_methods(["GET", "HEAD", "POST"])
def petition_detail(request, slug):
    language = get_language()
    if request.method != "POST":
        # Rendered afresh: with a query string (?utm_source=..., the page shows its address), and
        # for anyone logged in, so that organisers see their changes at once.
        fresh = request.GET or settings.SESSION_COOKIE_NAME in request.COOKIES
        response = None if fresh else _public_page(request, slug, language)
        if response is not None:
            return response
        petition, preview = get_petition_or_preview(request, slug)
        return _petition_page(request, petition, SignatureForm(language=language), preview=preview)

    petition = get_petition(slug)  # a draft takes no signatures, preview or not
    network = _network(request)
    attempt = _count_attempt(network, petition)
    if attempt.limited:
        # What they typed comes back in hidden fields, sent again by one button once they have
        # waited: a back link gave an empty form. Not the whole page: a flood is answered cheaply.
        form = SignatureForm(request.POST, language=language)
        return render(request, "petitions/rate_limited.html", {"petition": petition, "form": form}, status=429)
    if not petition.is_open_for_signing():
        # Said at the top: a signer whose POST arrived as the petition closed saw the page again, on
        # a phone its top, with "closed" only in the sign box far below, and might think it signed.
        return _petition_page(request, petition, SignatureForm(language=language), status=409, not_recorded=True)
    cleaned = SignatureForm.valid_data(request.POST)
    if cleaned is None:  # something is wrong: the form says what, next to the field
        form = SignatureForm(request.POST, language=language)
        if not form.is_valid():
            return _petition_page(request, petition, form, status=400)
        cleaned = form.cleaned_data
    if not forms.is_bot(cleaned):
        signing.sign(petition, forms.signature_data(cleaned), network=network, language=language,
                     busy_network=attempt.from_a_busy_network)
    # The same answer whatever happened: new, duplicate, or honeypot.
    return HttpResponseRedirect(_check_email_url(get_script_prefix(), language, petition.slug))


@functools.lru_cache(maxsize=1024)
def _check_email_url(script_prefix, language, slug):
    # reverse() walks the URL patterns every time (~35 µs, a sign POST's 1.4%); the address only
    # changes with the language prefix and where the site is mounted.
    return reverse("petitions:check-email", args=[slug])


@noindex
def check_email(request, slug):
    return render(request, "petitions/check_email.html", {"petition": get_petition(slug)})


def _link_problem(request, petition, status=400, public=True, error=None):
    erased = isinstance(error, signing.ErasedLink)
    return render(
        request, "petitions/bad_link.html", {"petition": petition, "public": public, "erased": erased}, status=status
    )


def _closed_for_confirming(request, petition):
    return render(request, "petitions/closed_for_confirming.html", {"petition": petition}, status=410)


# PRIVATE: the pages a signer's link leads to (confirm, fresh link, withdraw, unsubscribe) are kept by
# no cache: a shared one (a CDN, a workplace proxy) would keep a page for a link only its signer
# was sent, and a browser keeps it for the next person at a shared computer to find with "Back"
# -- a withdraw page, telling which appeal its signer signed, after they withdrew. Each answer is
# for whoever holds the link, now.
@require_http_methods(["GET", "HEAD", "POST"])
@noindex
@never_cache  # PRIVATE; and it shows the signer's details
def confirm(request, slug, token):
    """GET shows a Confirm button; only the POST confirms (mail scanners follow links)."""
    petition = get_petition(slug)
    try:
        signature = signing.signature_from_token(
            token, petition, signing.CONFIRM, max_age=signing.CONFIRM_LINK_MAX_AGE
        )
    except signing.ExpiredLink as expired:
        # Only a pending signature needs a fresh link: a confirmed one is counted however old its
        # link (and says so below), and a rejected one would get nothing from a fresh link.
        if expired.signature.status == Signature.Status.PENDING:
            if not petition.takes_confirmations():
                return _closed_for_confirming(request, petition)
            return render(request, "petitions/link_expired.html", {"petition": petition, "token": token}, status=410)
        signature = expired.signature
    except signing.BadLink as error:
        return _link_problem(request, petition, error=error)

    if signature.status not in {Signature.Status.PENDING, Signature.Status.CONFIRMED}:
        return _link_problem(request, petition)
    if signature.status == Signature.Status.PENDING and not petition.takes_confirmations():
        return _closed_for_confirming(request, petition)
    if request.method == "POST":
        signing.confirm(signature)
        return HttpResponseRedirect(reverse("petitions:thanks", args=[petition.slug]))
    return render(
        request, "petitions/confirm.html",
        {"petition": petition, "signature": signature, "already": signature.status == Signature.Status.CONFIRMED},
    )


@require_http_methods(["POST"])
@noindex
@never_cache  # PRIVATE (see confirm)
def resend(request, slug, token):
    """A fresh confirmation link for an expired one (the old token still names the signature)."""
    petition = get_petition(slug)
    try:
        signature = signing.signature_from_token(token, petition, signing.CONFIRM)
    except signing.BadLink as error:
        return _link_problem(request, petition, error=error)
    if _count_attempt(_network(request), petition).limited:
        return render(request, "petitions/rate_limited.html", {"petition": petition}, status=429)
    # "Check your email" only when an email is on its way.
    if signature.status == Signature.Status.CONFIRMED:
        return render(request, "petitions/confirm.html", {"petition": petition, "already": True})
    if signature.status != Signature.Status.PENDING:
        return _link_problem(request, petition)
    if not petition.takes_confirmations():  # a fresh link would only lead to the same page
        return _closed_for_confirming(request, petition)
    outbox.owe(signature.pk, Signature.EmailDue.CONFIRM)
    return HttpResponseRedirect(reverse("petitions:check-email", args=[petition.slug]))


@noindex
def thanks(request, slug):
    petition = get_petition(slug)
    return render(
        request, "petitions/thanks.html",
        {"petition": petition, "page_url": request.build_absolute_uri(petition.get_absolute_url())},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@noindex
@never_cache  # PRIVATE (see confirm)
def withdraw(request, slug, token):
    # A signer may withdraw at any time: whatever became of the petition since (back to a draft,
    # its campaign unpublished), the link in their email still works.
    petition = Petition.objects.select_related("campaign").filter(slug=slug).first()
    if petition is None:
        raise Http404
    public = public_petition(slug) is not None  # else no link to its page, which is not there
    try:
        signature = signing.signature_from_token(token, petition, signing.WITHDRAW)
    except signing.ForgedLink:
        # Only a link we sent may tell that an unpublished petition has this slug: anyone else
        # gets the 404 of a slug no petition has, or trying slugs with any token would find drafts.
        if not public:
            raise Http404 from None
        return _link_problem(request, petition, public=public)
    except signing.BadLink as error:
        # Also what an already withdrawn (erased) signature's link gives.
        return _link_problem(request, petition, public=public, error=error)
    if request.method == "POST":
        erased = signing.withdraw(signature)
        return render(
            request, "petitions/withdrawn.html", {"petition": petition, "public": public, "erased": erased}
        )
    return render(request, "petitions/withdraw.html", {"petition": petition})


@noindex
def signatories(request, slug):
    petition = get_petition(slug)
    paginator = Paginator(publication.public_signatures(petition), 50)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "petitions/signatories.html", {"petition": petition, "page": page})


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@noindex
def widget(request, slug):
    """The one page other sites may frame: title, count, goal bar and a link to sign."""
    petition = get_petition(slug)
    return render(
        request, "petitions/widget.html",
        {"petition": petition, "sign_url": request.build_absolute_uri(petition.get_absolute_url()),
         "progress": publication.progress_percent(petition)},
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
@noindex
@never_cache  # PRIVATE (see confirm)
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
