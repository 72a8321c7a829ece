"""A first-time visitor sees the campaign, its prisoners, cases and petition."""

import pytest
from django.core.management import call_command
from django.utils.html import escape

from campaign.models import Campaign
from petitions.models import Petition
from prisoners.models import CriminalCase, Prisoner

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)


def test_home_lists_live_campaigns_and_their_petitions(demo, client):
    response = client.get("/")
    assert response.status_code == 200
    campaign = Campaign.objects.get(status=Campaign.Status.LIVE)
    petition = campaign.petitions.get()
    assert escape(campaign.title) in response.text
    assert petition.get_absolute_url() in response.text


def test_home_hides_draft_campaigns(demo, client):
    Campaign.objects.update(status=Campaign.Status.DRAFT)
    response = client.get("/")
    assert "There are no live campaigns" in response.text
    assert client.get(Campaign.objects.first().get_absolute_url()).status_code == 404


def test_campaign_page_tells_the_story(demo, client):
    campaign = Campaign.objects.get()
    response = client.get(campaign.get_absolute_url())
    assert response.status_code == 200
    for prisoner in campaign.prisoners.all():
        assert prisoner.get_absolute_url() in response.text
    assert "Kyiv" in response.text


def test_prisoner_page_shows_cases_and_where_to_write(demo, client):
    prisoner = Prisoner.objects.get(name="Igor Kuznetsov")
    response = client.get(prisoner.get_absolute_url())
    assert response.status_code == 200
    assert escape(prisoner.facility.postal_address.splitlines()[0]) in response.text
    for case in prisoner.cases.all():
        assert case.get_absolute_url() in response.text


def test_case_page_lists_every_defendant(demo, client):
    for case in CriminalCase.objects.all():
        response = client.get(case.get_absolute_url())
        assert response.status_code == 200
        for prisoner in case.defendants.all():
            assert escape(prisoner.name) in response.text


def test_petition_page_shows_the_appeal_and_demands(demo, client):
    petition = Petition.objects.get()
    response = client.get(petition.get_absolute_url())
    assert response.status_code == 200
    for demand in petition.demand_list:
        assert escape(demand) in response.text


def test_unknown_pages_are_404(client, db):
    for url in ("/campaigns/nope/", "/prisoners/nope/", "/cases/nope/", "/petitions/nope/"):
        assert client.get(url).status_code == 404
