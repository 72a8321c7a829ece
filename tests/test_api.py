"""The public JSON: counts, goal, counts by country and delivery totals -- and no personal data."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from petitions import counting
from petitions.models import Delivery, Embassy, Petition

from .checks import emails_in
from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def petition():
    petition = PetitionFactory(slug="free-them", goal=500, test_recipient="organiser@example.org")
    SignatureFactory.create_batch(3, petition=petition, country="UA", confirmed=True, public_name="full")
    SignatureFactory.create_batch(2, petition=petition, country="FR", confirmed=True, city="Paris")
    SignatureFactory(petition=petition, country="DE")  # pending: not counted anywhere
    counting.update_counts()
    embassy = Embassy.objects.create(country="UA", city="Kyiv", email="embassy@example.org")
    Delivery.objects.create(
        petition=petition, embassy=embassy, is_test=False, status=Delivery.Status.SENT, signature_count=3,
        sent_at=timezone.now(),
    )
    Delivery.objects.create(  # a test delivery never counts as delivered
        petition=petition, embassy=embassy, is_test=True, status=Delivery.Status.SENT, signature_count=3,
    )
    return petition


def test_detail_gives_count_goal_countries_and_delivery_totals(client, petition):
    response = client.get("/api/petitions/free-them/")
    assert response.status_code == 200
    data = response.json()
    assert data["signature_count"] == 5
    assert data["goal"] == 500
    assert data["counts_by_country"] == {"UA": 3, "FR": 2}
    assert data["deliveries"]["appeals_delivered"] == 3
    assert data["deliveries"]["embassies"] == 1
    assert data["deliveries"]["last_delivered_at"] is not None
    assert data["url"].endswith("/en/petitions/free-them/")


def test_list_gives_every_public_petition(client, petition):
    PetitionFactory(slug="draft-one", status=Petition.Status.DRAFT)
    data = client.get("/api/petitions/").json()
    assert [p["slug"] for p in data["petitions"]] == ["free-them"]


def test_status_is_open_only_while_the_petition_takes_signatures(client, petition):
    """An open petition closes by its dates with no change to its stored status; the JSON says what
    the petition page says."""
    assert client.get("/api/petitions/free-them/").json()["status"] == "open"
    now = timezone.now()
    with time_machine.travel(now + timedelta(days=1)):  # past the caches' seconds
        Petition.objects.filter(pk=petition.pk).update(opens_at=now - timedelta(days=10), closes_at=now)
        assert client.get("/api/petitions/free-them/").json()["status"] == "closed"
        assert client.get("/api/petitions/").json()["petitions"][0]["status"] == "closed"
    Petition.objects.filter(pk=petition.pk).update(opens_at=now + timedelta(days=10), closes_at=None)
    with time_machine.travel(now + timedelta(days=2)):  # past the caches' seconds again
        data = client.get("/api/petitions/free-them/").json()
        assert data["status"] == "scheduled"  # not open yet: not "closed", which it has never been
        assert (data["opens_at"], data["closes_at"]) == ((now + timedelta(days=10)).isoformat(), None)


def test_json_carries_no_personal_data(client, petition):
    for url in ("/api/petitions/", "/api/petitions/free-them/"):
        body = client.get(url).content.decode()
        assert emails_in(body) == []
        for word in ("Anna", "Kowalska", "Paris", "ip_hash"):
            assert word not in body


def test_json_is_cacheable_and_open_to_other_origins(client, petition):
    response = client.get("/api/petitions/free-them/", HTTP_ORIGIN="https://campaign.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json"


def test_unknown_and_draft_petitions_are_404_in_json_that_other_sites_may_read(client, petition):
    PetitionFactory(slug="draft-one", status=Petition.Status.DRAFT)
    for path in ("/api/petitions/nope/", "/api/petitions/draft-one/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json" and response["Access-Control-Allow-Origin"] == "*"
        assert response.json() == {"detail": "No such petition"}


def test_a_url_without_its_slash_or_with_a_mistyped_slug_still_answers_json_that_other_sites_may_read(
    client, petition
):
    """Not the slash redirect nor the site's HTML 404: neither carries the CORS header, so a campaign
    site's fetch() of them fails with nothing but a CORS error."""
    for path, status in [
        ("/api/petitions", 200), ("/api/petitions/free-them", 200),
        ("/api/petitions/free.them/", 404), ("/api/petitions/free%20them", 404), ("/api/petitions/%D1%81/", 404),
    ]:
        response = client.get(path)
        assert response.status_code == status, path
        assert response["Content-Type"] == "application/json" and response["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/petitions/free-them").json()["slug"] == "free-them"


def test_the_json_says_its_language_follows_the_language_cookie_too(client, petition):
    response = client.get("/api/petitions/free-them/")
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_json_refuses_writes(client, petition):
    assert client.post("/api/petitions/free-them/").status_code == 405


def test_a_preflight_from_another_site_is_answered_so_that_its_fetch_goes_ahead(
    client, petition, django_assert_num_queries
):
    """A campaign site's fetch() that adds a header of its own (Content-Type: application/json, as
    many fetch wrappers do) makes the browser ask first with OPTIONS; unless that answer allows the
    origin, the method and the header, the browser never sends the GET."""
    for path in ("/api/petitions/", "/api/petitions", "/api/petitions/free-them/", "/api/petitions/free-them"):
        with django_assert_num_queries(0):
            response = client.options(
                path, HTTP_ORIGIN="https://campaign.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,cache-control",
            )
        assert response.status_code == 204, path
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "GET" in {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}
        assert response["Access-Control-Allow-Headers"] == "*"
    refused = client.post("/api/petitions/free-them/", HTTP_ORIGIN="https://campaign.example")
    assert refused.status_code == 405 and refused["Access-Control-Allow-Origin"] == "*"


def test_json_is_outside_the_language_prefixes(client, petition):
    assert client.get("/en/api/petitions/").status_code == 404
    assert json.loads(client.get("/api/petitions/").content)["petitions"]
