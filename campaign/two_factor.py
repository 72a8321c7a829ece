"""The organisers' second factor: a code from an authenticator app after the password.

The admin holds the names and emails of people who may be at risk for having signed; a password
alone -- phished, or reused elsewhere -- must not open it. With ADMIN_TWO_FACTOR on, the admin's
login form checks the password (django-axes still counting the failures) but does not log the
organiser in: it remembers, in the session, who has given it and when (`start`). Only the second
step (`second_step`) logs them in, once a code from their app (TOTP, RFC 6238) or one of their
backup codes is right. Until then they are anonymous everywhere -- the admin, and the public
pages' draft previews that go by `is_staff` -- so nothing needs a second check.

The first time, the second step sets the app up: it shows a QR code and the key, and takes the
first code as proof; ten single-use backup codes are then shown once. A superuser resets an
organiser who lost their phone with the action on Users (campaign.admin.AccountAdmin): the
organiser sets it up again at their next login.

Devices, throttling and the codes' checks are django-otp's (a wrong code makes the next attempt
wait, doubling each time). Setting it up after the password alone is trust on first use: until an
organiser has done it, their password is all there is, as it was.
"""

import math
import time
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.views import LoginView
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.timesince import timeuntil
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit

PENDING = "two_factor_pending"
#: Set in the session of a login that passed both steps (AdminSite.has_permission asks for it).
PASSED = "two_factor_passed"
#: How long the second step may follow the password.
PENDING_SECONDS = 10 * 60
BACKUP_CODES = 10


def enabled():
    return settings.ADMIN_TWO_FACTOR


def start(request, user):
    """The password was right: remember who gave it, not logged in yet. A new session key, as a
    login would give, so that a key planted before cannot be the one that ends up logged in."""
    request.session.cycle_key()
    request.session[PENDING] = {"user": user.pk, "backend": user.backend, "since": int(time.time()),
                                "hash": user.get_session_auth_hash()}


class PasswordStep(LoginView):
    """The admin's login form, checking the password as Django's does (django-axes counting its
    failures), then asking for the code instead of logging in."""

    def form_valid(self, form):
        start(self.request, form.get_user())
        return HttpResponseRedirect(f"{reverse('admin:two_factor')}?{urlencode({'next': self.get_success_url()})}")


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("since", 0) > PENDING_SECONDS:
        return None, None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True, is_staff=True).first()
    # A password changed since it was given ends this login as it ends a session (Django's hash of it).
    if user is None or not constant_time_compare(pending.get("hash", ""), user.get_session_auth_hash()):
        return None, None
    return user, pending.get("backend")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "autocapitalize": "none",
                                      "spellcheck": "false"}),
    )

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split()).lower()


WRONG_CODE = _("That code is not right. Codes change every 30 seconds: type the one your app shows now.")
WAIT = _("Too many wrong codes: try again in %(wait)s. If they were not all yours, someone else knows your "
         "password: once you are in, change it.")


def _wait(until):
    """How long until the next code may be tried, in the organiser's language: django-otp doubles the
    wait after each wrong code, from a second to hours after twenty."""
    seconds = math.ceil((until - timezone.now()).total_seconds())
    if seconds < 60:
        return ngettext("%(n)s second", "%(n)s seconds", max(seconds, 1)) % {"n": max(seconds, 1)}
    return timeuntil(until, depth=2)


def _check(user, code, device):
    """The device that accepts `code` -- the app's, or, once it is set up, a backup code -- and
    None; or None and what to tell the organiser."""
    # The app's codes are six digits; a backup code is eight letters and digits 2-7, all of them
    # digits once in a few hundred thousand sets, which must not be taken for the app's.
    if not (len(code) == device.digits and code.isdigit()):
        device = StaticDevice.objects.filter(user=user, confirmed=True).first() if device.confirmed else None
        if device is None:
            return None, WRONG_CODE
    allowed, details = device.verify_is_allowed()
    if not allowed:
        until = (details or {}).get("locked_until")
        return None, (WAIT % {"wait": _wait(until)} if until else WRONG_CODE)
    # django-otp locks the device's row while it checks: one code cannot be used twice at once.
    accepted = verify_token(user, device.persistent_id, code)
    return (accepted, None) if accepted is not None else (None, WRONG_CODE)


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _back_to_login(request):
    return HttpResponseRedirect(f"{reverse('admin:login')}?{urlencode({'next': _safe_next(request)})}")


def _log_in(request, user, backend):
    request.session.pop(PENDING, None)
    auth.login(request, user, backend=backend)
    request.session[PASSED] = True


def second_step(request, admin_site):
    """The code after the password; the first time, setting the app up."""
    user, backend = _pending_user(request)
    if user is None:
        return _back_to_login(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        # This login's own key, kept across reloads of its page so that the app scanned is the one
        # checked. Not any login's: whoever had only the password and looked at the page before the
        # organiser would hold the key she then sets up, a second factor that is theirs too. Nor one
        # carried over from a session planted before the password (start): a new password, a new key.
        pending = request.session[PENDING]
        device = TOTPDevice.objects.filter(user=user, confirmed=False, pk=pending.get("device")).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
            request.session[PENDING] = {**pending, "device": device.pk}
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        accepted, error = _check(user, code, device)
        if error:
            form.add_error("code", error)
        elif setting_up:
            codes = _set_up(user, device)
            _log_in(request, user, backend)
            audit.record("account.two_factor_set_up", user=request.user)
            return TemplateResponse(request, "admin/two_factor_codes.html", {
                **admin_site.each_context(request), "title": _("Your backup codes"), "codes": codes,
                "next": _safe_next(request),
            })
        else:
            _log_in(request, user, backend)
            if isinstance(accepted, StaticDevice):
                audit.record("account.backup_code_used", user=request.user,
                             left=StaticToken.objects.filter(device=accepted).count())
            return HttpResponseRedirect(_safe_next(request))
    context = {
        **admin_site.each_context(request), "form": form, "setting_up": setting_up, "next": _safe_next(request),
        "title": _("Set up your authenticator app") if setting_up else _("Code from your authenticator app"),
        "username": user.get_username(),
    }
    if setting_up:
        context["qr_code"] = _qr_svg(device.config_url)
        key = b32encode(device.bin_key).decode()
        context["key"] = " ".join(key[i:i + 4] for i in range(0, len(key), 4))
    return TemplateResponse(request, "admin/two_factor.html", context)


def _set_up(user, device):
    """Confirm the app's device and replace the backup codes; returns the new codes."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        StaticDevice.objects.filter(user=user).delete()
        backup = StaticDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=backup, token=code) for code in codes])
    return codes


def _qr_svg(data):
    # Drawn here as SVG paths: nothing is fetched from anywhere, and the key never leaves the page.
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 -- our own drawing, no input in it as text
