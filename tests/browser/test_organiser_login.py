"""An organiser's first login with ADMIN_TWO_FACTOR: setting up the app in a real browser."""

from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_an_organiser_sets_up_their_app_then_logs_in_with_its_code(page, site, settings, admin_user):
    settings.ADMIN_TWO_FACTOR = True
    page.goto(f"{site.url}{reverse('admin:index')}")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.get_by_role("button", name="Log in").click()

    qr = page.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    box = qr.locator("svg").bounding_box()
    assert box["width"] >= 150 and abs(box["width"] - box["height"]) < 1  # big enough for a phone to read
    key = b32decode(page.locator(".two-factor-key").inner_text().replace(" ", ""))
    page.get_by_role("textbox", name="Code").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Continue").click()

    codes = page.locator(".backup-codes li")
    expect(codes).to_have_count(10)
    page.get_by_role("link", name="Continue to the admin").click()
    expect(page.get_by_role("heading", name="Campaigns, petitions and deliveries")).to_be_visible()
