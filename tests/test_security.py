"""The security baseline: deploy checks, headers, and health endpoints."""

import logging
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_production_settings():
    # (The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; not a deployment's.)
    unset = {"DEBUG", "SITE_URL", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        DEBUG="false", SECRET_KEY="p" * 20 + "roduction-only-secret-key-with-enough-entropy-9f8e7d",
        SITE_URL="https://petitions.example.org", ALLOWED_HOSTS="petitions.example.org",
    )
    # Required behind https:// (the checks connect to none of them).
    env.setdefault("DATABASE_URL", "postgres://petitions@127.0.0.1:5432/petitions")
    env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    env.setdefault("EMAIL_URL", "smtp://127.0.0.1:25")
    env.setdefault("DEFAULT_FROM_EMAIL", "Solidarity petitions <noreply@petitions.example.org>")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def csp(response):
    parts = [part.strip() for part in response["Content-Security-Policy"].split(";") if part.strip()]
    return dict((part.split(" ", 1) + [""])[:2] for part in parts)


@pytest.mark.parametrize("path", ["/en/", "/en/privacy/"])
def test_public_pages_forbid_inline_code_and_other_origins(client, path):
    response = client.get(path)
    policy = csp(response)
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header and "http" not in header
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_only_the_widget_may_be_framed_by_other_sites(client):
    petition = PetitionFactory()
    widget = client.get(f"/en/petitions/{petition.slug}/widget/")
    assert csp(widget)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in widget
    assert csp(client.get(f"/en/petitions/{petition.slug}/"))["frame-ancestors"] == "'none'"


def test_the_policy_built_once_is_django_csps_and_follows_the_settings(client, settings):
    """campaign.middleware.CSPMiddleware caches the header; it must stay what django-csp would send."""
    from csp.utils import build_policy

    assert client.get("/en/").headers["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy" not in client.get(f"/{settings.ADMIN_URL}login/").headers
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'"]}}
    assert csp(client.get("/en/")) == {"default-src": "'self'", "img-src": "'self'"}
    assert "Content-Security-Policy-Report-Only" not in client.get("/en/").headers
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert client.get("/en/").headers["Content-Security-Policy-Report-Only"] == "default-src 'none'"


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    if settings.REDIS_URL:
        assert ready.json()["redis"] == "ok"


# --- Request limits, control characters, error pages ----------------------------------------------

def test_control_characters_in_an_address_or_query_are_refused_with_a_clear_page(client):
    for path in ("/en/?q=%00", "/en/petitions/x%00y/", "/en/?page=%1b%5b31m", "/admin/petitions/signature/?q=%00"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "Request not understood" in response.text
    assert client.get("/en/?page=2").status_code == 200


def test_refusals_before_the_page_are_in_the_language_of_its_address(client):
    """The request limits answer before LocaleMiddleware has chosen a language: without choosing
    one themselves they spoke whatever the previous request on this thread did."""
    petition = PetitionFactory()
    client.get("/fr/")  # leaves French active on this thread
    refused = client.get(f"/uk/petitions/{petition.slug}/?q=%00")
    assert refused.status_code == 400
    assert '<html lang="uk">' in refused.text
    with translation.override("uk"):
        assert translation.gettext("Request not understood") in refused.text

    client.get("/fr/")
    too_much = client.post("/no-such-page/", {"comment": "x" * (settings.PUBLIC_REQUEST_MAX_BYTES + 1)})
    assert too_much.status_code == 413
    assert f'<html lang="{settings.LANGUAGE_CODE}">' in too_much.text
    assert "Too much at once" in too_much.text


def test_a_form_declaring_another_charset_gets_a_clear_page_wherever_it_is_sent(db):
    # Django refuses to read a form body that declares a charset other than UTF-8 (BadRequest), and
    # its own 400 and 404 pages, which check the CSRF token, read the body again: that was a 500 on
    # any address for anyone who sent a CSRF cookie with it (Django 5.2; campaign.errors).

    from petitions.models import Signature

    petition = PetitionFactory()
    client = Client(enforce_csrf_checks=True)
    client.get(f"/en/petitions/{petition.slug}/")
    token = client.cookies["csrftoken"].value
    form = (f"csrfmiddlewaretoken={token}&first_name=Olena&last_name=Petrenko&email=olena%40example.org"
            "&country=UA&public_name=initial&name_in_letter=yes").encode()
    refused = (400, "Request not understood")
    pages = {f"/en/petitions/{petition.slug}/": refused, "/i18n/setlang/": refused, "/admin/login/": refused,
             "/en/no-such-page/": (404, "Page not found")}
    for path, (status, text) in pages.items():
        for charset in ("utf-16", "latin-1", "utf8"):
            response = client.generic("POST", path, form,
                                      content_type=f"application/x-www-form-urlencoded; charset={charset}")
            assert response.status_code == status, (path, charset)
            assert text in response.text
    assert not Signature.objects.exists()
    # UTF-8 however it is written, or an unknown charset (Django reads the body as UTF-8): signed as always.
    for charset in ("UTF-8", "no-such-charset"):
        response = client.generic("POST", f"/en/petitions/{petition.slug}/", form,
                                  content_type=f"application/x-www-form-urlencoded; charset={charset}")
        assert response.status_code == 302, charset
    assert Signature.objects.filter(petition=petition, email="olena@example.org").count() == 1


def test_a_body_over_the_public_limit_is_refused_with_413(client):
    petition = PetitionFactory()
    too_much = {"comment": "x" * (settings.PUBLIC_REQUEST_MAX_BYTES + 1)}
    response = client.post(f"/en/petitions/{petition.slug}/", too_much)
    assert response.status_code == 413 and "Too much at once" in response.text


def test_the_admin_takes_larger_bodies_up_to_its_own_limit(admin_client):
    big = {"q": "x" * (settings.PUBLIC_REQUEST_MAX_BYTES * 2)}
    assert admin_client.post("/admin/login/", big).status_code != 413
    huge = {"q": "x" * (settings.ADMIN_REQUEST_MAX_BYTES + 1)}
    assert admin_client.post("/admin/login/", huge).status_code == 413


def test_an_unexpected_error_shows_a_plain_page_without_details(client, settings):
    settings.ROOT_URLCONF = "tests.urls_broken"
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "Traceback" not in response.text and "ZeroDivisionError" not in response.text


def test_a_stale_form_gets_a_page_that_says_what_to_do(db):

    petition = PetitionFactory()
    response = Client(enforce_csrf_checks=True).post(f"/en/petitions/{petition.slug}/", {"first_name": "Olena"})
    assert response.status_code == 403 and "Please send the form again" in response.text


def test_health_checks_answer_plain_http_probes_when_the_site_is_https(client, settings):
    """A load balancer or the compose healthcheck probes the container over plain http: a 301 to
    https:// is not "healthy". Everything else still goes to https://."""
    settings.SECURE_SSL_REDIRECT = True  # what SITE_URL=https://... sets
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/en/").status_code == 301
    assert client.get("/healthz-not").status_code == 301


def test_a_request_for_a_host_the_site_does_not_serve_gets_a_400_not_a_500(caplog, settings):
    """Scanners send any Host header at a public address. The 400 page's own links to the page in
    each language asked the request for that host again, so each such request was a 500 and an
    "Internal Server Error" traceback in the log. Plain http behind https:// as well: the redirect
    to https:// asks for the host first."""
    anonymous = Client(raise_request_exception=False)
    for secure in (False, True):
        settings.SECURE_SSL_REDIRECT = secure
        for path in ("/en/", "/en/petitions/no-such-petition/", "/robots.txt"):
            response = anonymous.get(path, HTTP_HOST="scanner.example")
            assert response.status_code == 400, (secure, path)
            assert "Request not understood" in response.text
    assert not [record for record in caplog.records if record.name == "django.request"]


def test_a_host_the_site_does_not_serve_is_logged_as_a_warning_not_an_error(caplog):
    """Scanners send bogus Host headers all day; Django logs each at ERROR, and an operator who
    alerts on errors (as README advises) was paged for every one. It stays in the log, as a warning."""
    Client(raise_request_exception=False).get("/en/", HTTP_HOST="scanner.example")
    refused = [record for record in caplog.records if record.name == "django.security.DisallowedHost"]
    assert [record.levelname for record in refused] == ["WARNING"]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_health_checks_answer_a_probe_that_names_the_instance_by_its_address(client):
    """Load balancers (AWS's, Kubernetes' httpGet probes) send the instance's own address as the
    Host, which no ALLOWED_HOSTS can list in advance: a 400 "not healthy" took every instance out.
    Only the health checks answer it; a page under that Host is still refused."""
    for host in ("10.0.3.7:8000", "[fd00::7]:8000", "10.0.3.7"):
        assert client.get("/healthz", HTTP_HOST=host).json() == {"status": "ok"}, host
        ready = client.get("/readyz", HTTP_HOST=host)
        assert ready.status_code == 200 and ready.json()["database"] == "ok", host
    anonymous = Client(raise_request_exception=False)
    assert anonymous.get("/en/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    assert anonymous.get("/healthz-not", HTTP_HOST="10.0.3.7:8000").status_code == 400


def test_pages_that_name_signers_or_come_from_their_links_are_kept_out_of_search_engines(client):
    """A signer who chose to be shown on the site did not choose to be found by a search for their
    name; a confirm or withdraw link's page (a token in its address) is nobody's search result."""
    petition = PetitionFactory()
    base = f"/en/petitions/{petition.slug}/"
    hidden = [f"{base}signatories/", f"{base}signatories/?page=2", f"{base}widget/", f"{base}check-your-email/",
              f"{base}thank-you/", f"{base}confirm/forged/", f"{base}withdraw/forged/", "/en/unsubscribe/forged/"]
    for path in hidden:
        response = client.get(path)
        assert response.status_code in (200, 400), path
        assert response["X-Robots-Tag"] == "noindex, nofollow", path
    for path in (base, "/en/", f"{base}deliveries/", "/en/privacy/"):  # meant to be found
        assert "X-Robots-Tag" not in client.get(path), path


def test_the_petition_page_keeps_signers_names_and_comments_out_of_search_results(client):
    """The page is meant to be found, but the names on it are not a search result's snippet."""
    petition = PetitionFactory(comment_display="immediate")
    SignatureFactory(petition=petition, first_name="Olena", last_name="Petrenko", public_name="full",
                     comment="Free them all", confirmed=True)
    page = client.get(f"/en/petitions/{petition.slug}/").text
    for text in ("Olena Petrenko", "Free them all"):
        section = page[:page.index(text)].rsplit("<section", 1)[1]
        assert "data-nosnippet" in section.split(">", 1)[0], text


def test_no_redirect_leads_to_another_site(db, django_user_model):
    """The admin login's ?next= and the language switch's next (or its Referer) are the site's
    only redirects built from what a request says; each refuses another site's address."""
    django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example/", "\\\\evil.example",
                   "http:evil.example", "///evil.example"):
        login = Client().post(f"/{settings.ADMIN_URL}login/?next={target}",
                              {"username": "root", "password": "pw", "next": target})
        assert login.status_code == 302 and login["Location"] == f"/{settings.ADMIN_URL}", target
        switch = Client().post("/i18n/setlang/", {"language": "uk", "next": target}, HTTP_REFERER=target)
        assert switch.status_code == 302 and switch["Location"] == "/", target


def test_the_language_cookie_is_kept_from_scripts_and_follows_the_sites_https(db):
    """The language switch's cookie had Django's defaults: sent over plain http, readable by scripts."""
    assert settings.LANGUAGE_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE == settings.SITE_IS_HTTPS
    cookie = Client().post("/i18n/setlang/", {"language": "ru", "next": "/ru/"}).cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
