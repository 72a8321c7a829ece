"""Response headers Django does not set itself, the requests no page here needs, and Django middleware
made lighter for the requests of a surge (the CSP header built once, the message storage made when used)."""

import re
from urllib.parse import unquote_plus

import csp.middleware
from csp.constants import HEADER
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage import default_storage
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.functional import SimpleLazyObject, empty

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
        limit = self.admin_limit if request.path.startswith(self.admin_prefix) else self.public_limit
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        query = request.META.get("QUERY_STRING", "")
        if length < 0 or _has_controls(request.path) or _has_controls(query, decode=True):
            return _refuse(request, "400.html", status=400)
        if length > limit:
            return _refuse(request, "413.html", {"limit_kib": limit // 1024}, status=413)
        return self.get_response(request)


def _refuse(request, template, context=None, *, status):
    """The error page in the language of the address (else the default). This runs before
    LocaleMiddleware, so the active language is still whatever this thread's last request left."""
    from django.shortcuts import render

    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        return render(request, template, context, status=status)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _has_controls(value, decode=False):
    if decode and "%" in value:
        value = unquote_plus(value, errors="replace")
    return CONTROL_CHARACTERS.search(value) is not None


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the site's policy built once per process.

    django-csp assembles the header from the settings anew for every response: a fifth of what
    the whole middleware stack costs a sign POST. Responses with a policy of their own (the
    widget's csp_replace) or a nonce, and report-only policies, go through django-csp unchanged.
    """

    OWN_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")

    def process_response(self, request, response):
        header, excluded, report_only = _site_policy()
        if (
            report_only
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in self.OWN_POLICY)
        ):
            return super().process_response(request, response)
        # What django-csp's process_response does for such a response, with the header cached.
        if settings.DEBUG and response.status_code in (404, 500):
            return response
        if header and HEADER not in response and not getattr(response, "_csp_exempt", False) and not (
            request.path_info.startswith(excluded)
        ):
            response[HEADER] = header
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


_policy = None


def _site_policy():
    global _policy
    if _policy is None:
        config = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        _policy = (
            build_policy(),
            tuple(config.get("EXCLUDE_URL_PREFIXES", None) or ()),
            # Read here, not for every response: a missing setting costs Django's settings object two
            # exceptions each time it is asked for.
            bool(getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)),
        )
    return _policy


@receiver(setting_changed)
def _forget_policy(setting, **kwargs):
    global _policy
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policy = None


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's; with ADMIN_TWO_FACTOR, a session logged in by the password alone -- before it was
    turned on -- is anonymous, as a login waiting for its code is (campaign.two_factor). Not only in
    the admin (AdminSite.has_permission): the draft previews and photos go by `is_staff`."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))


def _user(request):
    from . import two_factor  # here: the models it imports are not loaded when this module is

    if two_factor.enabled() and not request.session.get(two_factor.PASSED, False):
        return AnonymousUser()
    return auth_middleware.get_user(request)


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """Django's, with a request's message storage made only when something uses it.

    Django makes it for every request (a signed-cookie reader and a session reader: ~0.1 M
    instructions, 2-3% of a sign POST, bench/README.md) for notices only the admin shows. A storage
    nothing used stores nothing (BaseStorage.update), so leaving it unmade changes no response.
    """

    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        storage = getattr(request, "_messages", None)
        if type(storage) is SimpleLazyObject and storage._wrapped is empty:  # type(): no evaluation
            return response
        return super().process_response(request, response)
