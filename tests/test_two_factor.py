"""With ADMIN_TWO_FACTOR, a password alone does not open the admin: a code from an app must follow."""

import time
from base64 import b32decode

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign import two_factor
from campaign.models import AuditEntry, Campaign, Membership

pytestmark = pytest.mark.django_db

ADMIN = f"/{settings.ADMIN_URL}"
LOGIN = f"{ADMIN}login/"
SECOND_STEP = f"{ADMIN}two-factor/"
SIGNATURES = f"{ADMIN}petitions/signature/"


@pytest.fixture(autouse=True)
def on(settings):
    settings.ADMIN_TWO_FACTOR = True


@pytest.fixture
def olga(django_user_model):
    """An editor of a campaign still in draft: its page is hers to preview, no one else's yet."""
    user = django_user_model.objects.create_user("olga", "olga@example.org", "right-password", is_staff=True)
    campaign = Campaign.objects.create(slug="not-yet", title="Not announced yet", summary="s",
                                       status=Campaign.Status.DRAFT)
    Membership.objects.create(user=user, campaign=campaign, role=Membership.Role.EDITOR)
    return user


def password(client, next_url=SIGNATURES):
    return client.post(LOGIN, {"username": "olga", "password": "right-password", "next": next_url})


def code(device, later=0):
    """What the app shows now (or `later` steps of 30 seconds on: a code is taken once)."""
    return f"{totp(device.bin_key, t0=-30 * later):06d}"


def set_up(user, backup=("k7q2m4xa",)):
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    for token in backup:
        StaticToken.objects.create(device=static, token=token)
    return device


def logged_in(client):
    return "_auth_user_id" in client.session


def test_a_password_alone_opens_nothing_not_even_a_draft_preview(client, olga):
    response = password(client)
    assert response.status_code == 302
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fadmin%2Fpetitions%2Fsignature%2F"
    assert not logged_in(client)
    assert client.get(ADMIN)["Location"].startswith(LOGIN)
    assert client.get(SIGNATURES)["Location"].startswith(LOGIN)
    assert client.get("/en/campaigns/not-yet/").status_code == 404


def test_the_first_login_sets_the_app_up_and_shows_the_backup_codes_once(client, olga, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the wrong code below does not make the right one wait
    password(client)
    page = client.get(SECOND_STEP)
    assert page.status_code == 200 and "Set up your authenticator app" in page.text
    assert 'class="two-factor-qr" role="img"' in page.text and "<path d=" in page.text  # drawn here, not fetched
    device = TOTPDevice.objects.get(user=olga)
    assert not device.confirmed
    key = page.context["key"]
    assert client.get(SECOND_STEP).context["key"] == key  # a reload shows the same app to add
    assert "".join(key.split()) in page.text.replace(" ", "")

    wrong = client.post(SECOND_STEP, {"code": "123456" if code(device) != "123456" else "654321",
                                      "next": SIGNATURES})
    assert "That code is not right." in wrong.text and not logged_in(client)
    assert client.post(SECOND_STEP, {"code": "k7q2m4xa", "next": SIGNATURES}).status_code == 200  # no backup codes yet
    assert not logged_in(client)

    done = client.post(SECOND_STEP, {"code": f" {code(device)[:3]} {code(device)[3:]} ", "next": SIGNATURES})
    assert done.status_code == 200 and logged_in(client)
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10 and all(c in done.text for c in codes)
    assert f'href="{SIGNATURES}"' in done.text
    device.refresh_from_db()
    assert device.confirmed
    assert sorted(StaticToken.objects.filter(device__user=olga).values_list("token", flat=True)) == sorted(codes)
    assert AuditEntry.objects.filter(action="account.two_factor_set_up", user=olga).count() == 1
    assert client.get(SIGNATURES).status_code == 200
    assert client.get("/en/campaigns/not-yet/").status_code == 200


def test_a_key_seen_with_the_password_alone_is_not_the_one_the_organiser_then_sets_up(client, olga):
    """Trust on first use lasts until the organiser sets the app up. Someone who had only her password
    and looked at the set-up page, without finishing it, must not hold the key she then scans."""
    intruder = Client()
    password(intruder)
    seen = b32decode("".join(intruder.get(SECOND_STEP).context["key"].split()))

    password(client)
    key = b32decode("".join(client.get(SECOND_STEP).context["key"].split()))
    assert key != seen
    assert client.post(SECOND_STEP, {"code": f"{totp(key):06d}"}).status_code == 200 and logged_in(client)

    assert client.get(SECOND_STEP)["Location"].startswith(LOGIN)  # done: nothing pending
    refused = intruder.post(SECOND_STEP, {"code": f"{totp(seen, t0=-30):06d}"})
    assert "That code is not right." in refused.text and not logged_in(intruder)


def test_later_logins_take_the_apps_code_or_a_backup_code_once(client, olga, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the refusals below make no wait
    device = set_up(olga)
    password(client)
    page = client.get(SECOND_STEP)
    assert "Password accepted for olga" in page.text and 'class="two-factor-qr"' not in page.text

    response = client.post(SECOND_STEP, {"code": "K7Q2 M4XA", "next": SIGNATURES})
    assert response.status_code == 302 and response["Location"] == SIGNATURES and logged_in(client)
    assert AuditEntry.objects.get(action="account.backup_code_used").data == {"left": 0}

    client.logout()
    password(client)
    assert "That code is not right." in client.post(SECOND_STEP, {"code": "k7q2m4xa"}).text  # used up
    assert not logged_in(client)
    assert client.post(SECOND_STEP, {"code": code(device), "next": SIGNATURES})["Location"] == SIGNATURES
    assert logged_in(client)

    client.logout()
    password(client)
    assert "That code is not right." in client.post(SECOND_STEP, {"code": code(device)}).text  # taken once
    assert client.post(SECOND_STEP, {"code": code(device, later=1)}).status_code == 302


def test_a_wrong_code_makes_the_next_attempt_wait(client, olga):
    device = set_up(olga)
    password(client)
    right = code(device)
    client.post(SECOND_STEP, {"code": str((int(right) + 1) % 1_000_000).zfill(6)})
    refused = client.post(SECOND_STEP, {"code": right})
    assert "Too many wrong codes: try again in 1 second." in refused.text and not logged_in(client)


def test_the_wait_after_many_wrong_codes_is_said_as_it_is(client, olga):
    """django-otp doubles it after each: twelve wrong codes ask for over half an hour, not "a minute"."""
    from django.utils import timezone

    device = set_up(olga)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=12,
                                                   throttling_failure_timestamp=timezone.now())
    password(client)
    refused = client.post(SECOND_STEP, {"code": code(device)})
    assert "try again in 34\xa0minutes." in refused.text  # 2**11 seconds, as Django's timeuntil says it
    assert "someone else knows your password" in refused.text and not logged_in(client)


def test_a_backup_code_made_only_of_digits_is_still_a_backup_code(client, olga, settings):
    set_up(olga, backup=("23456723",))  # base32's digits are 2-7: a few in a million codes are all digits
    password(client)
    assert client.post(SECOND_STEP, {"code": "23456723", "next": SIGNATURES})["Location"] == SIGNATURES


def test_the_code_must_follow_the_password_and_soon(client, olga):
    device = set_up(olga)
    assert client.get(SECOND_STEP)["Location"].startswith(LOGIN)
    assert client.post(SECOND_STEP, {"code": code(device)})["Location"].startswith(LOGIN)
    password(client)
    session = client.session
    session[two_factor.PENDING] = {**session[two_factor.PENDING],
                                   "since": int(time.time()) - two_factor.PENDING_SECONDS - 1}
    session.save()
    assert client.post(SECOND_STEP, {"code": code(device)})["Location"].startswith(LOGIN)
    assert not logged_in(client)


def test_a_password_changed_between_the_steps_ends_the_login_waiting_for_its_code(client, olga):
    """As it ends every session logged in with the old one: an administrator who changes a password
    that leaked, or resets a lost app as well, must not leave its holder a login still to finish."""
    device = set_up(olga)
    password(client)
    olga.set_password("changed-after-a-leak")
    olga.save()
    assert client.post(SECOND_STEP, {"code": code(device)})["Location"].startswith(LOGIN)
    assert not logged_in(client)

    TOTPDevice.objects.filter(user=olga).delete()  # the app reset as well: no set-up page for it either
    password(client)
    olga.set_password("changed-again")
    olga.save()
    assert client.get(SECOND_STEP)["Location"].startswith(LOGIN)


def test_the_login_goes_on_only_to_this_sites_pages(client, olga):
    device = set_up(olga)
    password(client, next_url="https://phishing.example/admin/")
    response = client.post(SECOND_STEP, {"code": code(device), "next": "https://phishing.example/admin/"})
    assert response["Location"] == ADMIN


def test_a_session_logged_in_before_it_was_turned_on_must_log_in_again(client, olga):
    client.force_login(olga)
    assert client.get(SIGNATURES)["Location"].startswith(LOGIN)


def test_a_session_logged_in_before_it_was_turned_on_previews_no_draft_either(client, olga, settings):
    """A password alone opens nothing, the module says, not even a draft preview: nor does a login made
    with a password alone before the second factor was turned on (it lasts SESSION_COOKIE_AGE)."""
    settings.ADMIN_TWO_FACTOR = False
    client.force_login(olga)
    assert client.get("/en/campaigns/not-yet/").status_code == 200
    settings.ADMIN_TWO_FACTOR = True
    assert client.get("/en/campaigns/not-yet/").status_code == 404


def test_without_it_the_password_logs_in_and_there_is_no_second_step(client, olga, settings):
    settings.ADMIN_TWO_FACTOR = False
    assert password(client)["Location"] == SIGNATURES and logged_in(client)
    assert client.get(SECOND_STEP).status_code == 404


def test_wrong_passwords_are_still_counted_and_locked_out(client, olga):
    for _ in range(5):
        client.post(LOGIN, {"username": "olga", "password": "guess"})
    assert password(client).status_code == 429
    assert two_factor.PENDING not in client.session


def test_a_superuser_resets_a_lost_app_without_seeing_its_key_and_organisers_see_no_devices(
        client, olga, django_user_model, settings):
    device = set_up(olga)
    settings.ADMIN_TWO_FACTOR = False  # the admins below logged in as before
    client.force_login(olga)
    assert client.get(f"{ADMIN}otp_totp/totpdevice/").status_code == 403

    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    change = client.get(f"{ADMIN}otp_totp/totpdevice/{device.pk}/change/")
    assert change.status_code == 200 and device.key not in change.text  # or they could make her codes
    assert client.post(f"{ADMIN}otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()

    settings.ADMIN_TWO_FACTOR = True
    client.logout()
    password(client)
    assert "Set up your authenticator app" in client.get(SECOND_STEP).text
