"""Bad input to the admin, as an organiser could send it by editing an address or a form: the
answer is a clear 4xx or the page again with a notice, never a 500, and nothing is changed.

Personas and campaigns as in test_organiser_access (alice edits campaign A, charlie campaign B).
docs/security.md lists what is tried.
"""

import pytest
from django.contrib import admin
from django.forms.models import model_to_dict

from campaign.models import Campaign
from petitions.models import Petition, Signature
from prisoners.models import CaseEvent

from .test_organiser_access import as_user, object_of, url, world  # noqa: F401 -- the fixture

pytestmark = pytest.mark.django_db

DRILLABLE = sorted((m for m in admin.site._registry if admin.site._registry[m].date_hierarchy
                    and m._meta.app_label in {"campaign", "petitions", "prisoners"}), key=lambda m: m._meta.label)


@pytest.mark.parametrize("model", DRILLABLE, ids=lambda m: m._meta.label)
def test_a_filter_in_the_address_that_no_query_can_be_made_of_gets_the_changelists_notice(client, world, model):
    """Django lets any lookup on a model's own fields through, and the drill-down's date field with
    any transform: a year outside the calendar was a 500 when the query was written, a regular
    expression Postgres refuses when it was run."""
    field = admin.site._registry[model].date_hierarchy
    changelist = url(model, "changelist")
    as_user(client, world["alice"])
    for query in ({f"{field}__year__gte": "-1"}, {f"{field}__year__lt": "2147483648"},
                  {f"{field}__iso_year": "9" * 30}, {f"{field}__year__lte": "0"}, {"id__regex": "("}):
        response = client.get(changelist, query)
        assert (response.status_code, response.get("Location")) == (302, changelist + "?e=1"), query
    # The request goes on after the refused query: the notice's page answers, and so does the list.
    assert client.get(changelist + "?e=1").status_code == 200
    response = client.get(changelist, {"id__gte": "0"})
    assert response.status_code == 200
    assert object_of(model, world["A"]).pk in {row.pk for row in response.context["cl"].result_list}


def test_an_action_posted_to_a_changelist_address_with_such_a_filter_changes_nothing(client, world):
    petition = Petition.objects.get(slug="petition-A")
    before = model_to_dict(petition)
    deliveries = petition.deliveries.count()
    as_user(client, world["alice"])
    response = client.post(url(Petition, "changelist") + "?title__regex=(",
                           {"action": "deliver_now", "_selected_action": [petition.pk], "select_across": "1",
                            "index": 0, "post": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    assert model_to_dict(Petition.objects.get(pk=petition.pk)) == before
    assert petition.deliveries.count() == deliveries


@pytest.mark.parametrize("model", [Campaign, Petition, Signature, CaseEvent], ids=lambda m: m._meta.label)
def test_an_empty_to_field_is_no_field_on_the_change_and_delete_pages(client, world, model):
    """`?_to_field=` names no field: Django checks a field it names, but looked up one called ""."""
    mine = object_of(model, world["A"])
    as_user(client, world["alice"])
    assert client.get(url(model, "change", mine.pk), {"_to_field": ""}).status_code == 200
    assert client.get(url(model, "delete", mine.pk), {"_to_field": ""}).status_code in (200, 403)
    # Another campaign's object stays a 404, as without it.
    assert client.get(url(model, "change", object_of(model, world["B"]).pk), {"_to_field": ""}).status_code == 404
