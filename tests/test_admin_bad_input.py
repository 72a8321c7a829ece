"""Bad input to the admin, as an organiser could send it by editing an address or a form: the
answer is a clear 4xx or the page again with a notice, never a 500, and nothing is changed.

Personas and campaigns as in test_organiser_access (alice edits campaign A, charlie campaign B).
docs/security.md lists what is tried.
"""

import pytest
from django import forms
from django.contrib import admin
from django.forms.models import model_to_dict

from campaign.models import Campaign, CampaignPrisoner
from petitions.models import Petition, Signature
from prisoners.models import CaseEvent, Prisoner

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


def as_posted(response):
    """A change page's form and its inlines' rows, as the browser would post them unchanged."""
    forms_on_page = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {management[name].html_name: management[name].value() for name in management.fields}
        forms_on_page += inline.formset.forms
    for form in forms_on_page:
        for name, field in form.fields.items():
            bound, value = form[name], form[name].value()
            if isinstance(field.widget, forms.MultiWidget):
                parts = value if isinstance(value, list) else field.widget.decompress(value)
                data |= {f"{bound.html_name}_{i}": "" if part is None else part for i, part in enumerate(parts)}
            elif isinstance(field.widget, forms.CheckboxInput):
                if value:
                    data[bound.html_name] = "on"
            elif value is not None:
                data[bound.html_name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
    return data


def test_a_prisoner_a_colleague_linked_meanwhile_gets_the_row_back_with_its_error(client, world):
    """Two organisers add the same prisoner to their campaign at once (or one, in two tabs): the
    second one's row is refused as a duplicate within one page is, not a database error."""
    campaign = world["A"]
    prisoner = Prisoner.objects.create(name="Prisoner C", slug="prisoner-c")
    as_user(client, world["alice"])
    change = url(Campaign, "change", campaign.pk)
    data = as_posted(client.get(change))
    rows = int(data["prisoner_links-TOTAL_FORMS"])
    data |= {"prisoner_links-TOTAL_FORMS": str(rows + 1), f"prisoner_links-{rows}-prisoner": str(prisoner.pk),
             f"prisoner_links-{rows}-position": "0", "_save": "Save"}
    CampaignPrisoner.objects.create(campaign=campaign, prisoner=prisoner)  # a colleague, meanwhile

    response = client.post(change, data)
    assert response.status_code == 200
    assert "already exists" in response.text
    assert CampaignPrisoner.objects.filter(campaign=campaign, prisoner=prisoner).count() == 1


def test_an_inlines_saved_row_posted_again_as_a_new_one_changes_nothing(client, world):
    """The management form's count of saved rows edited down (0, or -1): each saved row comes as a
    new one, on every page with inline rows under a constraint of its parent."""
    campaign = world["A"]
    before = list(CampaignPrisoner.objects.filter(campaign=campaign).values_list("pk", "prisoner"))
    as_user(client, world["alice"])
    change = url(Campaign, "change", campaign.pk)
    data = as_posted(client.get(change)) | {"_save": "Save"}
    for count in ("0", "-1"):
        response = client.post(change, data | {"prisoner_links-INITIAL_FORMS": count,
                                               "memberships-INITIAL_FORMS": count})
        assert response.status_code == 200, count
        assert "already exists" in response.text
    assert list(CampaignPrisoner.objects.filter(campaign=campaign).values_list("pk", "prisoner")) == before
