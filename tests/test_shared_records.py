"""Prisoners and cases shared between campaigns: what one campaign's organisers may do to them.

Personas as in test_organiser_access: alice edits campaign A, bob views A, charlie edits B, root
is a superuser. A record shared by A and B must not be taken away from B by A's organisers.
"""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from campaign.models import Campaign, CampaignPrisoner, Membership
from campaign.permissions import EDITABLE_SHARED
from prisoners.models import CriminalCase, Defendant, Prisoner

from . import test_organiser_access
from .test_organiser_access import SHARED, as_user, url

pytestmark = pytest.mark.django_db

world = test_organiser_access.world  # the fixture: A, B, their organisers and root


def shared_prisoner(world):
    """Campaign B's prisoner, featured by campaign A too."""
    prisoner = Prisoner.objects.get(slug="prisoner-B")
    CampaignPrisoner.objects.create(campaign=world["A"], prisoner=prisoner)
    return prisoner


def shared_case(world):
    """Campaign A's case, with campaign B's prisoner as a co-defendant."""
    case = CriminalCase.objects.get(slug="case-A")
    Defendant.objects.create(case=case, prisoner=Prisoner.objects.get(slug="prisoner-B"))
    return case


@pytest.mark.parametrize("make", [shared_prisoner, shared_case], ids=["prisoner", "case"])
def test_an_editor_cannot_delete_what_another_campaign_also_features(client, world, make):
    obj = make(world)
    model = type(obj)
    as_user(client, world["alice"])
    assert client.get(url(model, "change", obj.pk)).context["has_delete_permission"] is False
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    client.post(url(model, "changelist"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [obj.pk],
                                           "post": "yes"})
    assert model.objects.filter(pk=obj.pk).exists()
    # An editor of every campaign that features it may.
    Membership.objects.create(user=world["alice"], campaign=world["B"], role=Membership.Role.EDITOR)
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 302
    assert not model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [m for m in SHARED if m._meta.label in EDITABLE_SHARED],
                         ids=lambda m: m._meta.label)
def test_shared_reference_data_editors_change_is_deleted_by_superusers_only(client, world, model):
    obj = model.objects.order_by("pk").first()
    as_user(client, world["alice"])
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()
    as_user(client, world["root"])
    assert client.get(url(model, "delete", obj.pk)).status_code == 200


def test_only_superusers_delete_campaigns(client, world):
    as_user(client, world["alice"])
    assert client.post(url(Campaign, "delete", world["A"].pk), {"post": "yes"}).status_code == 403
    client.post(url(Campaign, "changelist"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [world["A"].pk],
                                              "post": "yes"})
    assert Campaign.objects.filter(pk=world["A"].pk).exists()
    as_user(client, world["root"])
    assert client.get(url(Campaign, "delete", world["A"].pk)).status_code == 200
