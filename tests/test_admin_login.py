"""The admin login resists guessing, with a lockout an organiser can understand."""

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOGIN = f"/{settings.ADMIN_URL}login/"


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.org", "right-password", is_staff=True)


def attempt(client, password):
    return client.post(LOGIN, {"username": "alice", "password": password, "next": f"/{settings.ADMIN_URL}"})


def test_five_wrong_passwords_pause_logins_with_a_clear_page(client, alice):
    for _ in range(4):
        assert attempt(client, "guess").status_code == 200
    assert attempt(client, "guess").status_code == 429  # the fifth failure locks
    locked = attempt(client, "right-password")  # even the right one, for now
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text and "15 minutes" in locked.text
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_failures(client, alice):
    for _ in range(4):
        attempt(client, "guess")
    assert attempt(client, "right-password").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "guess")
    assert attempt(client, "right-password").status_code == 302


def test_sessions_expire(settings):
    assert 0 < settings.SESSION_COOKIE_AGE <= 24 * 3600
