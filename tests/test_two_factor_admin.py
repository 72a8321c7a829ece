"""Superusers see who has set up the admin's second factor, and reset a lost phone."""

import pytest
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from campaign.models import AuditEntry

pytestmark = pytest.mark.django_db

USERS = f"/{settings.ADMIN_URL}auth/user/"


@pytest.fixture
def accounts(django_user_model):
    olga = django_user_model.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    TOTPDevice.objects.create(user=olga, name="app", confirmed=True)
    StaticToken.objects.create(device=StaticDevice.objects.create(user=olga, name="backup"), token="k7q2m4xa")
    ivan = django_user_model.objects.create_user("ivan", "ivan@example.org", "pw", is_staff=True)
    TOTPDevice.objects.create(user=ivan, name="app", confirmed=False)  # began, never finished
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    return olga, ivan, root


def test_the_accounts_list_says_who_has_set_up_the_app(client, accounts):
    olga, ivan, root = accounts
    client.force_login(root)
    rows = {user.username: user.authenticator for user in client.get(USERS).context["cl"].result_list}
    assert rows == {"olga": True, "ivan": False, "root": False}


def test_a_superuser_resets_a_lost_phone_with_its_backup_codes_and_it_is_recorded(client, accounts):
    olga, ivan, root = accounts
    client.force_login(root)
    response = client.post(USERS, {"action": "reset_authenticator", "_selected_action": [olga.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "1 account's authenticator app reset: its owner sets it up again at their next login."]
    assert not TOTPDevice.objects.filter(user=olga).exists() and not StaticDevice.objects.filter(user=olga).exists()
    assert TOTPDevice.objects.filter(user=ivan).exists()  # not selected
    entry = AuditEntry.objects.get(action="account.two_factor_reset")
    assert entry.user == root and entry.data == {"account": olga.pk}


def test_an_organiser_cannot_reset_anyones_app(client, accounts):
    olga, ivan, root = accounts
    client.force_login(ivan)
    client.post(USERS, {"action": "reset_authenticator", "_selected_action": [olga.pk]})
    assert TOTPDevice.objects.filter(user=olga, confirmed=True).exists()


def test_someone_who_lost_phone_and_backup_codes_gets_in_with_a_code_made_in_the_shell(client, accounts, settings):
    """The last superuser has no one to reset their app: `manage.py addstatictoken` (README)."""
    import io

    from django.core.management import call_command

    olga, ivan, root = accounts
    StaticDevice.objects.filter(user=olga).delete()  # the backup codes are lost too
    settings.ADMIN_TWO_FACTOR = True
    out = io.StringIO()
    call_command("addstatictoken", "olga", stdout=out)
    code = out.getvalue().strip()
    client.post(f"/{settings.ADMIN_URL}login/", {"username": "olga", "password": "pw"})
    response = client.post(f"/{settings.ADMIN_URL}two-factor/", {"code": code})
    assert response.status_code == 302 and "_auth_user_id" in client.session
