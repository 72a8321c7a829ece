"""Prisoners and cases shared between campaigns: what one campaign's organisers may do to them.

Personas as in test_organiser_access: alice edits campaign A, bob views A, charlie edits B, root
is a superuser. A record shared by A and B must not be taken away from B by A's organisers.
"""

from html.parser import HTMLParser

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from campaign.models import Campaign, CampaignPrisoner, Membership
from campaign.permissions import EDITABLE_SHARED
from prisoners.models import CaseEvent, CriminalCase, Defendant, Prisoner

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


class _Form(HTMLParser):
    """What a browser sends for the admin's form as shown: disabled fields are not sent."""

    def __init__(self):
        super().__init__()
        self.data, self.in_form, self.select, self.textarea, self.text = [], False, None, None, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self.in_form = True
        name = a.get("name")
        if not self.in_form or (tag in ("input", "select", "textarea") and ("disabled" in a or not name)):
            return
        if tag == "input" and a.get("type", "text") in ("checkbox", "radio"):
            if "checked" in a:
                self.data.append((name, a.get("value", "on")))
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file"):
            self.data.append((name, a.get("value", "")))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in a:
            self.data.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = name, ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.data.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text += data


def form_data(page):
    parser = _Form()
    parser.feed(page.text)
    data = {}
    for name, value in parser.data:
        if "__prefix__" not in name:
            data.setdefault(name, []).append(value)
    return data


def row_prefix(data, formset, pk):
    """The prefix ("defendant_links-1") of the row of `formset` showing the object `pk`."""
    return next(name[:-3] for name, value in data.items()
                if name.startswith(f"{formset}-") and name.endswith("-id") and value == [str(pk)])


def test_an_editor_cannot_change_or_remove_another_campaigns_prisoner_in_a_shared_case(client, world):
    case = shared_case(world)
    theirs = Defendant.objects.get(case=case, prisoner__slug="prisoner-B")
    as_user(client, world["alice"])
    page = client.get(url(CriminalCase, "change", case.pk))
    data = form_data(page)
    row = row_prefix(data, "defendant_links", theirs.pk)
    assert f"{row}-prisoner" not in data and f"{row}-DELETE" not in data  # shown, but disabled
    assert "Prisoner B" in page.text
    # A forged request: Django ignores what is sent for a disabled field.
    data.update({f"{row}-DELETE": "on", f"{row}-notes": "changed by A"})
    assert client.post(url(CriminalCase, "change", case.pk), data).status_code == 302
    assert Defendant.objects.get(pk=theirs.pk).notes == ""


def test_a_viewer_of_another_campaign_cannot_remove_its_link_on_a_prisoner_she_edits(client, world):
    Membership.objects.create(user=world["alice"], campaign=world["B"], role=Membership.Role.VIEWER)
    prisoner = Prisoner.objects.get(slug="prisoner-A")
    link_b = CampaignPrisoner.objects.create(campaign=world["B"], prisoner=prisoner)
    as_user(client, world["alice"])
    data = form_data(client.get(url(Prisoner, "change", prisoner.pk)))
    row = row_prefix(data, "campaign_links", link_b.pk)
    assert f"{row}-campaign" not in data and f"{row}-DELETE" not in data
    data[f"{row}-DELETE"] = "on"
    assert client.post(url(Prisoner, "change", prisoner.pk), data).status_code == 302
    assert CampaignPrisoner.objects.filter(pk=link_b.pk).exists()


@pytest.mark.parametrize("campaign", ["B", None], ids=["in-another-campaign", "in-no-campaign"])
def test_an_editor_saves_a_case_whose_co_defendant_is_not_in_their_campaign(client, world, campaign):
    case = CriminalCase.objects.get(slug="case-A")
    other = Prisoner.objects.create(name="Co-defendant X", slug="co-defendant-x")
    if campaign:
        CampaignPrisoner.objects.create(campaign=world[campaign], prisoner=other)
    link = Defendant.objects.create(case=case, prisoner=other)
    as_user(client, world["alice"])
    page = client.get(url(CriminalCase, "change", case.pk))
    assert "Co-defendant X" in page.text  # the current value is shown
    data = form_data(page)
    response = client.post(url(CriminalCase, "change", case.pk), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert Defendant.objects.get(pk=link.pk).prisoner == other
    # A new row is still offered only the editor's own prisoners.
    data.update({"defendant_links-TOTAL_FORMS": str(int(data["defendant_links-TOTAL_FORMS"][0]) + 1)})
    new = f"defendant_links-{int(data['defendant_links-TOTAL_FORMS']) - 1}"
    outsider = Prisoner.objects.create(name="Prisoner Y", slug="prisoner-y")
    data.update({f"{new}-prisoner": str(outsider.pk), f"{new}-role": "accused", f"{new}-position": "9"})
    response = client.post(url(CriminalCase, "change", case.pk), data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert errors[-1] == {"prisoner": ["Select a valid choice. That choice is not one of the available choices."]}
    assert not Defendant.objects.filter(prisoner=outsider).exists()


@pytest.mark.parametrize("model, fields, formset, row, message", [
    (Prisoner, {"name_en": "New Prisoner", "slug": "new-prisoner"}, "campaign_links", "campaign",
     "Link the prisoner to one of your campaigns"),
    (CriminalCase, {"title_en": "New case", "slug": "new-case"}, "defendant_links", "prisoner",
     "Add a defendant from your campaigns"),
], ids=["prisoner", "case"])
def test_an_organiser_adds_a_prisoner_or_case_only_linked_to_one_of_their_campaigns(
        client, world, model, fields, formset, row, message):
    as_user(client, world["alice"])
    data = {**form_data(client.get(url(model, "add"))), **fields, "_continue": "Save and continue editing"}
    response = client.post(url(model, "add"), data)
    assert response.status_code == 200
    assert message in response.text
    assert not model.objects.filter(slug=fields["slug"]).exists()

    data[f"{formset}-0-{row}"] = str(world["A"].pk if model is Prisoner else Prisoner.objects.get(slug="prisoner-A").pk)
    response = client.post(url(model, "add"), data)
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # not a 404: it is theirs to edit


def test_the_history_of_a_shared_prisoner_shows_only_changes_by_the_viewers_colleagues(client, world):
    prisoner = Prisoner.objects.get(slug="prisoner-A")
    CampaignPrisoner.objects.create(campaign=world["B"], prisoner=prisoner, featured=False)
    as_user(client, world["charlie"])
    data = form_data(client.get(url(Prisoner, "change", prisoner.pk)))
    row = next(name[:-9] for name, value in data.items()
               if name.startswith("campaign_links-") and name.endswith("-campaign") and value == [str(world["B"].pk)])
    data[f"{row}-featured"] = "on"
    assert client.post(url(Prisoner, "change", prisoner.pk), data).status_code == 302
    as_user(client, world["root"])
    client.post(url(Prisoner, "change", prisoner.pk), form_data(client.get(url(Prisoner, "change", prisoner.pk))))
    as_user(client, world["alice"])
    client.post(url(Prisoner, "change", prisoner.pk), form_data(client.get(url(Prisoner, "change", prisoner.pk))))

    as_user(client, world["bob"])  # a colleague of alice's on campaign A
    history = client.get(url(Prisoner, "history", prisoner.pk))
    assert [entry.user.username for entry in history.context["action_list"]] == ["alice"]
    assert "Campaign B secret title" not in history.text and "charlie" not in history.text
    as_user(client, world["root"])
    history = client.get(url(Prisoner, "history", prisoner.pk))
    assert [entry.user.username for entry in history.context["action_list"]] == ["charlie", "root", "alice"]


def test_saving_a_case_event_about_another_campaigns_co_defendant_keeps_its_prisoner(client, world):
    case = shared_case(world)
    theirs = Prisoner.objects.get(slug="prisoner-B")
    event = CaseEvent.objects.get(case=case)
    CaseEvent.objects.filter(pk=event.pk).update(prisoner=theirs)
    as_user(client, world["alice"])
    page = client.get(url(CaseEvent, "change", event.pk))
    assert "Prisoner B" in page.text
    assert client.post(url(CaseEvent, "change", event.pk), form_data(page)).status_code == 302
    assert CaseEvent.objects.get(pk=event.pk).prisoner == theirs
    # Other choices are still only the editor's own prisoners.
    outsider = Prisoner.objects.create(name="Prisoner Y", slug="prisoner-y")
    response = client.post(url(CaseEvent, "change", event.pk), {**form_data(page), "prisoner": str(outsider.pk)})
    assert response.status_code == 200 and "prisoner" in response.context["adminform"].form.errors


def test_the_history_of_a_shared_record_does_not_tell_what_a_colleague_did_in_another_campaign(
        client, world, django_user_model):
    """dana organises A with alice, and B too. Her change message naming campaign B ("Added campaign
    prisoner 'Prisoner A in Campaign B secret title'") was in the history alice reads: B's title, a
    draft's perhaps, and that B features the prisoner, none of which alice may see elsewhere."""
    dana = django_user_model.objects.create_user("dana", "dana@example.org", "pw", is_staff=True)
    for campaign in (world["A"], world["B"]):
        Membership.objects.create(user=dana, campaign=campaign, role=Membership.Role.EDITOR)
    Campaign.objects.filter(pk=world["B"].pk).update(status=Campaign.Status.DRAFT)
    prisoner = Prisoner.objects.get(slug="prisoner-A")
    as_user(client, dana)
    data = form_data(client.get(url(Prisoner, "change", prisoner.pk)))
    n = int(data["campaign_links-TOTAL_FORMS"][0])
    data.update({"campaign_links-TOTAL_FORMS": [str(n + 1)], f"campaign_links-{n}-campaign": [str(world["B"].pk)],
                 f"campaign_links-{n}-prisoner": [str(prisoner.pk)], f"campaign_links-{n}-position": ["1"]})
    assert client.post(url(Prisoner, "change", prisoner.pk), data).status_code == 302
    assert CampaignPrisoner.objects.filter(prisoner=prisoner, campaign=world["B"]).exists()
    as_user(client, dana)
    assert "Campaign B secret title" in client.get(url(Prisoner, "history", prisoner.pk)).text  # hers to read

    as_user(client, world["alice"])
    history = client.get(url(Prisoner, "history", prisoner.pk))
    assert history.status_code == 200
    assert [entry.user.username for entry in history.context["action_list"]] == ["dana"]  # who, and when
    assert "Campaign B secret title" not in history.text
    # A colleague who organises nothing alice does not keeps their messages.
    alice_before = history.text
    as_user(client, world["bob"])
    Membership.objects.filter(user=world["bob"]).update(role=Membership.Role.EDITOR)
    data = form_data(client.get(url(Prisoner, "change", prisoner.pk)))
    data["name_en"] = ["Prisoner A, renamed"]
    assert client.post(url(Prisoner, "change", prisoner.pk), data).status_code == 302
    as_user(client, world["alice"])
    history = client.get(url(Prisoner, "history", prisoner.pk))
    assert [entry.user.username for entry in history.context["action_list"]] == ["dana", "bob"]
    assert "Changed Name [en]" in history.text and "Changed Name [en]" not in alice_before
