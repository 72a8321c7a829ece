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


def test_guessing_from_a_new_ipv6_address_each_time_is_locked_out_all_the_same(alice):
    """One IPv6 connection has the 2**64 addresses of its /64: each was five more guesses."""
    from django.test import Client

    statuses = [attempt(Client(REMOTE_ADDR=f"2001:db8:7:9::{n:x}"), "guess").status_code for n in range(1, 8)]
    assert statuses == [200] * 4 + [429] * 3
    assert attempt(Client(REMOTE_ADDR="2001:db8:7:9:ffff::1"), "right-password").status_code == 429
    # Alice, logging in from elsewhere, is not locked out by it.
    assert attempt(Client(REMOTE_ADDR="2001:db8:7:10::1"), "right-password").status_code == 302


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
