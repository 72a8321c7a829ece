"""The security baseline: deploy checks, headers, and health endpoints."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

from .factories import PetitionFactory

pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_production_settings():
    # (The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; not a deployment's.)
    unset = {"DEBUG", "SITE_URL", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(
        DEBUG="false", SECRET_KEY="p" * 20 + "roduction-only-secret-key-with-enough-entropy-9f8e7d",
        SITE_URL="https://petitions.example.org", ALLOWED_HOSTS="petitions.example.org",
    )
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


def test_liveness_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    if settings.REDIS_URL:
        assert ready.json()["redis"] == "ok"
