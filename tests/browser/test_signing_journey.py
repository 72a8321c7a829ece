"""The supporter's journey in a real browser: find the petition, sign, confirm by email, see the count.

Email goes over real SMTP (aiosmtpd) from the task that sends it: run eagerly by the live server
by default, or by a real Celery worker process when Redis and Postgres are there.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from campaign.models import Campaign
from petitions.models import Petition, Signature

from ..conftest import needs_services, wait_for

pytestmark = pytest.mark.browser

CAMPAIGN_SLUG = "freedom-for-igor-kuznetsov"
PETITION_SLUG = "free-igor-kuznetsov-and-comrades"
COUNT = re.compile(r"^(\d+) signatures?$")


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)
    return Petition.objects.get(slug=PETITION_SLUG)


def path(name, *args, lang="en"):
    with translation.override(lang):
        return reverse(name, args=args)


def shown_count(page):
    return int(COUNT.match(page.get_by_text(COUNT).first.inner_text().strip()).group(1))


def field(label):
    """A field's accessible name, with or without the required-field asterisk."""
    return re.compile(rf"^{label}\*?$")


def fill_and_sign(page, email, first_name="Олена", last_name="Петренко"):
    page.get_by_role("textbox", name=field("First name")).fill(first_name)
    page.get_by_role("textbox", name=field("Last name")).fill(last_name)
    page.get_by_role("textbox", name=field("Email")).fill(email)
    page.get_by_role("combobox", name=field("Country")).select_option("UA")
    page.get_by_label("Full name", exact=True).check()
    page.get_by_label("Yes, include my name").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()


def confirm_link(smtp_server, email, site_url, timeout=30):
    messages = wait_for(lambda: smtp_server.to(email), timeout=timeout)
    assert messages, f"no email for {email} within {timeout} s"
    text = messages[0].get_body(preferencelist=("plain",)).get_content()
    found = re.findall(rf"{re.escape(site_url)}/en/petitions/{PETITION_SLUG}/confirm/[^\s/]+/", text)
    assert len(found) == 1, text
    return found[0]


def sign_confirm_and_see_the_count_go_up(page, site, smtp_server, email, email_timeout=30):
    page.goto(f"{site.url}/en/")
    campaign = Campaign.objects.get(slug=CAMPAIGN_SLUG)
    page.get_by_role("link", name=campaign.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(campaign.title)
    page.get_by_role("link", name="Read and sign").first.click()
    expect(page).to_have_url(f"{site.url}{path('petitions:detail', PETITION_SLUG)}")
    before = shown_count(page)

    fill_and_sign(page, email)
    assert urlsplit(page.url).path == path("petitions:check-email", PETITION_SLUG)

    link = confirm_link(smtp_server, email, site.url, timeout=email_timeout)
    page.goto(link)
    confirm = page.get_by_role("button", name="Confirm", exact=True)
    expect(confirm).to_be_visible()
    assert Signature.objects.get(email=email).status == Signature.Status.PENDING  # opening is not confirming

    confirm.click()
    expect(page.get_by_role("heading", name="Thank you for signing")).to_be_visible()
    assert Signature.objects.get(email=email).status == Signature.Status.CONFIRMED

    page.get_by_role("link", name="Back to the petition").click()

    def counted():
        page.reload()
        return shown_count(page) == before + 1

    assert wait_for(counted, timeout=15, interval=0.5), f"the count stayed at {shown_count(page)}, not {before + 1}"
    recent = page.get_by_role("region", name="Recent signatories")
    expect(recent).to_contain_text("Олена Петренко")


def test_a_supporter_signs_confirms_by_email_and_sees_the_count_go_up(page, site, smtp_server, demo):
    sign_confirm_and_see_the_count_go_up(page, site, smtp_server, "olena@example.org")


def test_the_whole_journey_works_with_javascript_disabled(new_page, site, smtp_server, demo):
    page = new_page(java_script_enabled=False)
    sign_confirm_and_see_the_count_go_up(page, site, smtp_server, "olena.nojs@example.org")


@needs_services
@pytest.mark.celery_worker
def test_the_real_worker_delivers_the_confirmation_email(page, mailing_worker, site, smtp_server, demo):
    from campaign.celery import app

    assert not app.conf.task_always_eager  # the worker process sends the email and updates the count
    try:
        sign_confirm_and_see_the_count_go_up(page, site, smtp_server, "olena.worker@example.org", email_timeout=60)
    except AssertionError:
        print(mailing_worker.log_path.read_text())  # noqa: T201 (shown with the failure)
        raise
    log = mailing_worker.log_path.read_text()
    assert "send_signer_emails" in log and "update_signature_counts" in log


# --- Languages ------------------------------------------------------------------------------------

def switch_language(page, name):
    # Each language is named in itself ("Українська"), whatever the page's language.
    page.get_by_role("navigation", name="Language").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize(("language", "name"), [("uk", "Українська"), ("ru", "Русский")])
def test_the_language_switch_shows_ukrainian_and_russian_pages(page, site, demo, language, name):
    page.goto(f"{site.url}{path('petitions:detail', PETITION_SLUG)}")

    switch_language(page, name)

    expect(page).to_have_url(f"{site.url}{path('petitions:detail', PETITION_SLUG, lang=language)}")
    assert urlsplit(page.url).path.startswith(f"/{language}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    with translation.override(language):
        translated = translation.gettext("Sign the appeal")
    expect(page.get_by_role("heading", name=translated, exact=True)).to_be_visible()
    # Fails until locale/<language>/LC_MESSAGES/django.po translates it: the page must not be English.
    assert translated != "Sign the appeal", f"no {language} translation of 'Sign the appeal' yet"


# --- Phones ---------------------------------------------------------------------------------------

def test_a_mobile_visitor_can_sign(new_page, site, smtp_server, demo):
    width = 390
    page = new_page(viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(f"{site.url}{path('petitions:detail', PETITION_SLUG)}")

    form = page.locator("form", has=page.get_by_role("button", name="Sign", exact=True))
    form.scroll_into_view_if_needed()
    expect(form).to_be_visible()
    box = form.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    too_wide = page.evaluate(TOO_WIDE, width)

    fill_and_sign(page, "olena.mobile@example.org")
    assert wait_for(lambda: smtp_server.to("olena.mobile@example.org"), timeout=30)
    assert Signature.objects.get(email="olena.mobile@example.org").status == Signature.Status.PENDING
    # Checked last, so that a layout fault does not hide whether signing works.
    assert scroll_width <= width, f"the page scrolls sideways ({scroll_width} px); too wide: {too_wide}"


def petition_on_a_phone(new_page, site):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(f"{site.url}{path('petitions:detail', PETITION_SLUG)}")
    return page


def test_a_mobile_visitor_whose_form_has_a_mistake_lands_on_it(new_page, site, demo):
    page = petition_on_a_phone(new_page, site)
    page.get_by_role("textbox", name=field("First name")).fill("Олена")
    page.get_by_role("textbox", name=field("Last name")).fill("Петренко")
    page.get_by_role("textbox", name=field("Email")).fill("olena@")
    page.get_by_role("combobox", name=field("Country")).select_option("UA")
    page.get_by_label("Yes, include my name").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    # The page comes back (the form is below the whole appeal on a phone) open on the field to correct.
    email = page.get_by_role("textbox", name=field("Email"))
    expect(email).to_be_focused()
    expect(email).to_be_in_viewport()
    expect(page.get_by_text("Enter a valid email address.")).to_be_in_viewport()
    assert not Signature.objects.filter(first_name="Олена").exists()


def test_a_signer_with_a_russian_mailbox_is_asked_on_the_form_ticks_the_box_and_signs(new_page, site, smtp_server,
                                                                                      demo):
    """The question comes back in the form, open on it (on a phone the form is far down the page),
    and one tick lets the signature through; nothing was recorded before."""
    page = petition_on_a_phone(new_page, site)
    page.get_by_role("textbox", name=field("First name")).fill("Иван")
    page.get_by_role("textbox", name=field("Last name")).fill("Петров")
    page.get_by_role("textbox", name=field("Email")).fill("ivan.browser@yandex.ru")
    page.get_by_role("combobox", name=field("Country")).select_option("DE")
    page.get_by_label("No, only count my signature").check()
    page.get_by_role("button", name="Sign", exact=True).click()

    box = page.get_by_role("checkbox", name="I understand, and I want to use this address.")
    expect(box).to_be_focused()
    expect(box).to_be_in_viewport()
    expect(page.get_by_text("Mail services there must give the Russian authorities access")).to_be_visible()
    assert not Signature.objects.filter(email="ivan.browser@yandex.ru").exists()

    box.check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert wait_for(lambda: smtp_server.to("ivan.browser@yandex.ru"), timeout=30)


# The elements sticking out to the right of the viewport, for the failure message.
TOO_WIDE = """width => [...document.querySelectorAll("body *")]
    .filter(element => element.getBoundingClientRect().right > width + 0.5)
    .map(element => `<${element.tagName.toLowerCase()} class="${element.className}">`)
    .slice(0, 5)"""


# --- Privacy --------------------------------------------------------------------------------------

def test_pages_request_nothing_from_other_origins(page, site, demo):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    pages = [
        path("campaign:home"),
        path("campaign:detail", CAMPAIGN_SLUG),
        path("petitions:detail", PETITION_SLUG),
        path("prisoners:prisoner", "igor-kuznetsov"),
        path("prisoners:case", "what-to-do-chat-case"),
        path("petitions:signatories", PETITION_SLUG),
        path("campaign:privacy"),
        path("petitions:widget", PETITION_SLUG),
    ]
    for page_path in pages:
        response = page.goto(f"{site.url}{page_path}", wait_until="networkidle")
        assert response.status == 200, page_path

    origin = urlsplit(site.url)
    assert any(url.endswith(".css") for url in requested), requested  # the recorder saw subresources
    foreign = [url for url in requested if urlsplit(url)[:2] != origin[:2]]
    assert foreign == []


def test_pages_load_without_a_console_error(page, site, demo, admin_user):
    """Nothing a page asks for is missing (its icon included: a browser asks for /favicon.ico when
    a page names none) and nothing is refused by the Content-Security-Policy."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    for page_path in [
        path("campaign:home"), path("petitions:detail", PETITION_SLUG), path("petitions:widget", PETITION_SLUG),
        reverse("admin:login"),
    ]:
        response = page.goto(f"{site.url}{page_path}", wait_until="networkidle")
        assert response.status == 200, page_path
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert page.request.get(f"{site.url}{icon}").status == 200, page_path
    page.fill("#id_username", "admin")
    page.fill("#id_password", "password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()
    assert page.locator("link[rel=icon]").count() == 1
    assert errors == []
