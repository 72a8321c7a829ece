"""Organisers see and change only their own campaigns. Personas as in STYLE.md:

alice -- editor of campaign A; bob -- viewer of campaign A; charlie -- editor of campaign B;
root -- superuser. Generated over every registered admin model, so a new model cannot be forgotten.
"""

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from campaign import audit
from campaign.models import AuditEntry, Campaign, CampaignPrisoner, Membership, Organisation, SolidarityAction
from campaign.permissions import CAMPAIGN_PATHS, EDITABLE_SHARED
from petitions.models import Accreditation, Delivery, DeliveryItem, Embassy, Petition, Signature
from prisoners.models import CaseEvent, CodeArticle, CriminalCase, Defendant, DetentionFacility, Prisoner

from .factories import SignatureFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {"campaign", "prisoners", "petitions"}
REGISTERED = sorted(
    (m for m in admin.site._registry if m._meta.app_label in OUR_APPS), key=lambda m: m._meta.label
)
SCOPED = [m for m in REGISTERED if CAMPAIGN_PATHS.get(m._meta.label) is not None]
SHARED = [m for m in REGISTERED if CAMPAIGN_PATHS.get(m._meta.label, "") is None]


def build_campaign(letter):
    campaign = Campaign.objects.create(slug=f"campaign-{letter}", title=f"Campaign {letter} secret title",
                                       summary="s", status=Campaign.Status.LIVE)
    prisoner = Prisoner.objects.create(name=f"Prisoner {letter}", slug=f"prisoner-{letter}")
    CampaignPrisoner.objects.create(campaign=campaign, prisoner=prisoner)
    case = CriminalCase.objects.create(title=f"Case {letter}", slug=f"case-{letter}")
    Defendant.objects.create(case=case, prisoner=prisoner)
    CaseEvent.objects.create(case=case, kind="arrest", date=timezone.now().date(), description=f"Arrest {letter}")
    SolidarityAction.objects.create(campaign=campaign, title=f"Picket {letter}", date=timezone.now().date(),
                                    place="Embassy", city="Kyiv", country="UA")
    petition = Petition.objects.create(campaign=campaign, slug=f"petition-{letter}", title=f"Petition {letter}",
                                       appeal="Free them", status=Petition.Status.OPEN,
                                       test_recipient="organiser@example.org")
    signature = SignatureFactory(petition=petition, first_name=f"Signer{letter}", email=f"signer-{letter}@example.org",
                                 confirmed=True)
    embassy = Embassy.objects.get_or_create(country="UA", city="Kyiv")[0]
    delivery = Delivery.objects.create(petition=petition, embassy=embassy)
    DeliveryItem.objects.create(delivery=delivery, signature=signature, is_test=True)
    audit.record("signature.rejected", campaign=campaign, signature_ids=[signature.pk])
    return campaign


@pytest.fixture
def world(django_user_model):
    a, b = build_campaign("A"), build_campaign("B")
    Organisation.objects.create(name="Shared organisation")
    DetentionFacility.objects.create(name="SIZO-5", city="Moscow")
    CodeArticle.objects.create(article="212", part="1.1", title="Mass riots")
    Accreditation.objects.create(embassy=Embassy.objects.get(), country="MD")
    users = {}
    for name in ("alice", "bob", "charlie"):
        users[name] = django_user_model.objects.create_user(name, f"{name}@example.org", "pw", is_staff=True)
    users["root"] = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    Membership.objects.create(user=users["alice"], campaign=a, role=Membership.Role.EDITOR)
    Membership.objects.create(user=users["bob"], campaign=a, role=Membership.Role.VIEWER)
    Membership.objects.create(user=users["charlie"], campaign=b, role=Membership.Role.EDITOR)
    return {"A": a, "B": b, **users}


def as_user(client, user):
    client.force_login(user)
    return client


def object_of(model, campaign):
    """An object of `model` that belongs to `campaign` (and to no other)."""
    path = CAMPAIGN_PATHS[model._meta.label]
    lookup = {"pk": campaign.pk} if path == "" else {path: campaign}
    return model.objects.filter(**lookup).order_by("pk").first()


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_registered_model_has_a_campaign_rule():
    missing = [m._meta.label for m in REGISTERED if m._meta.label not in CAMPAIGN_PATHS]
    assert missing == []


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
def test_an_editor_sees_and_changes_only_their_campaign(client, world, model):
    mine, theirs = object_of(model, world["A"]), object_of(model, world["B"])
    as_user(client, world["alice"])

    listing = client.get(url(model, "changelist"))
    assert listing.status_code == 200
    shown = set(listing.context["cl"].queryset.values_list("pk", flat=True))
    assert mine.pk in shown and theirs.pk not in shown

    page = client.get(url(model, "change", mine.pk))
    assert page.status_code == 200
    if model not in (Delivery, AuditEntry):  # recorded by the system, not edited
        assert page.context["has_change_permission"]


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
def test_a_viewer_reads_but_cannot_change(client, world, model):
    mine = object_of(model, world["A"])
    as_user(client, world["bob"])

    page = client.get(url(model, "change", mine.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(url(model, "change", mine.pk), {}).status_code == 403
    assert client.get(url(model, "delete", mine.pk)).status_code == 403
    assert client.get(url(model, "add")).status_code == 403
    assert model.objects.filter(pk=mine.pk).exists()


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_another_campaigns_organiser_gets_404_by_url_guessing(client, world, model, view):
    theirs = object_of(model, world["A"])
    as_user(client, world["charlie"])
    assert client.get(url(model, view, theirs.pk)).status_code == 404
    assert client.post(url(model, view, theirs.pk), {"post": "yes"}).status_code == 404
    assert model.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
def test_the_superuser_sees_every_campaign(client, world, model):
    as_user(client, world["root"])
    shown = set(client.get(url(model, "changelist")).context["cl"].queryset.values_list("pk", flat=True))
    assert {object_of(model, world["A"]).pk, object_of(model, world["B"]).pk} <= shown


@pytest.mark.parametrize("model", SHARED, ids=lambda m: m._meta.label)
def test_shared_reference_data_is_readable_and_editable_only_as_allowed(client, world, model):
    obj = model.objects.order_by("pk").first()
    for name in ("alice", "bob", "charlie"):
        as_user(client, world[name])
        page = client.get(url(model, "change", obj.pk))
        assert page.status_code == 200
        may_change = name != "bob" and model._meta.label in EDITABLE_SHARED
        assert page.context["has_change_permission"] == may_change, name
        client.logout()


def test_only_superusers_change_the_embassy_directory(client, world):
    embassy = Embassy.objects.get()
    as_user(client, world["alice"])
    response = client.post(url(Embassy, "change", embassy.pk), {"email": "attacker@example.org"})
    assert response.status_code == 403
    assert Embassy.objects.get().email == ""


def test_list_filters_do_not_leak_other_campaigns_names(client, world):
    as_user(client, world["charlie"])
    for model in (SolidarityAction, Petition, Signature, Delivery, Membership):
        html = client.get(url(model, "changelist")).text
        assert "Campaign A secret title" not in html and "Petition A" not in html, model


def test_the_country_filter_lists_only_the_countries_of_the_organisers_own_signatures(client, world):
    SignatureFactory(petition=Petition.objects.get(slug="petition-A"), country="DE")
    SignatureFactory(petition=Petition.objects.get(slug="petition-B"), country="FR")
    as_user(client, world["alice"])
    listing = client.get(url(Signature, "changelist"))
    country_filter = next(f for f in listing.context["cl"].filter_specs if getattr(f, "field_path", "") == "country")
    shown = [choice["display"] for choice in country_filter.choices(listing.context["cl"])]
    # All, then campaign A's two countries by name (the factory's Poland and Germany) -- not
    # campaign B's France, and not the 250 countries of the field's choices.
    assert shown == ["All", "Germany", "Poland"]
    assert "?country=DE" in listing.text and "?country=FR" not in listing.text
    assert client.get(url(Signature, "changelist"), {"country": "DE"}).context["cl"].result_count == 1


def test_the_country_filter_is_in_the_alphabetical_order_of_the_organisers_language(client, world):
    for country in ("DE", "GH"):
        SignatureFactory(petition=Petition.objects.get(slug="petition-A"), country=country)
    as_user(client, world["alice"])
    listing = client.get(url(Signature, "changelist"), headers={"accept-language": "uk"})
    country_filter = next(f for f in listing.context["cl"].filter_specs if getattr(f, "field_path", "") == "country")
    shown = [choice["display"] for choice in country_filter.choices(listing.context["cl"])]
    # Ghana, Germany, Poland: not Germany before Ghana, as in English.
    assert shown == ["Всі", "Гана", "Німеччина", "Польща"]


def test_autocomplete_offers_only_the_users_campaigns(client, world):
    as_user(client, world["charlie"])
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "petitions", "model_name": "signature", "field_name": "petition", "term": "Petition"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Petition B"]


def test_choices_in_forms_are_limited_to_campaigns_the_editor_may_change(client, world):
    as_user(client, world["charlie"])
    form = client.get(url(SolidarityAction, "add")).context["adminform"].form
    assert list(form.fields["campaign"].queryset) == [world["B"]]
    response = client.post(url(SolidarityAction, "add"), {
        "campaign": world["A"].pk, "title_en": "Sneaky", "kind": "picket", "date": "2026-12-01",
        "place": "x", "city": "x", "country": "UA",
    })
    assert response.status_code == 200  # the form refuses campaign A
    assert not SolidarityAction.objects.filter(title="Sneaky").exists()


def test_actions_cannot_reach_another_campaign(client, world, mailoutbox):
    petition_a = Petition.objects.get(slug="petition-A")
    as_user(client, world["charlie"])
    client.post(url(Petition, "changelist"), {"action": "deliver_now", "_selected_action": [petition_a.pk]})
    assert Delivery.objects.filter(petition=petition_a).count() == 1  # only the fixture's
    assert mailoutbox == []


def test_letters_previews_and_routing_are_404_for_another_campaign(client, world):
    petition_a = Petition.objects.get(slug="petition-A")
    delivery_a = Delivery.objects.get(petition=petition_a)
    embassy = Embassy.objects.get()
    as_user(client, world["charlie"])
    for path in (
        reverse("admin:petitions_delivery_letter", args=[delivery_a.pk]),
        reverse("admin:petitions_petition_routing", args=[petition_a.pk]),
        reverse("admin:petitions_petition_preview", args=[petition_a.pk, embassy.pk]),
    ):
        assert client.get(path).status_code == 404, path
    as_user(client, world["alice"])
    assert client.get(reverse("admin:petitions_petition_routing", args=[petition_a.pk])).status_code == 200


def test_an_editor_adds_an_organiser_by_email_to_their_campaign_only(client, world, django_user_model):
    newcomer = django_user_model.objects.create_user("dana", "dana@example.org", "pw", is_staff=True)
    as_user(client, world["alice"])
    ok = client.post(url(Membership, "add"), {"user_email": "DANA@example.org", "campaign": world["A"].pk,
                                              "role": "viewer"})
    assert ok.status_code == 302
    assert Membership.objects.filter(user=newcomer, campaign=world["A"]).exists()
    refused = client.post(url(Membership, "add"), {"user_email": "dana@example.org", "campaign": world["B"].pk,
                                                   "role": "editor"})
    assert refused.status_code == 200
    assert not Membership.objects.filter(user=newcomer, campaign=world["B"]).exists()
    as_user(client, world["bob"])
    assert client.post(url(Membership, "add"), {"user_email": "dana@example.org", "campaign": world["A"].pk,
                                                "role": "editor"}).status_code == 403


def test_only_superusers_create_campaigns(client, world):
    as_user(client, world["alice"])
    assert client.get(url(Campaign, "add")).status_code == 403
    as_user(client, world["root"])
    assert client.get(url(Campaign, "add")).status_code == 200


def test_staff_without_a_campaign_see_nothing(client, world, django_user_model):
    loner = django_user_model.objects.create_user("eve", "eve@example.org", "pw", is_staff=True)
    as_user(client, loner)
    assert client.get(url(Signature, "changelist")).status_code == 403
    assert "Signer" not in client.get(reverse("admin:index")).text


def test_organisers_preview_drafts_on_the_site_and_nobody_else_does(client, world):
    campaign, petition = world["A"], Petition.objects.get(slug="petition-A")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    campaign_url, petition_url = f"/en/campaigns/{campaign.slug}/", f"/en/petitions/{petition.slug}/"

    assert client.get(campaign_url).status_code == 404
    assert client.get(petition_url).status_code == 404
    as_user(client, world["charlie"])
    assert client.get(campaign_url).status_code == 404
    assert client.get(petition_url).status_code == 404
    as_user(client, world["bob"])
    page = client.get(campaign_url)
    assert page.status_code == 200 and "Draft preview" in page.text
    page = client.get(petition_url)
    assert page.status_code == 200 and "Draft preview" in page.text and 'name="first_name"' not in page.text
    assert client.post(petition_url, {"first_name": "x"}).status_code == 404  # no signing a draft


def test_a_viewer_reads_who_organises_their_campaign(client, world):
    client = as_user(client, world["bob"])
    alice = Membership.objects.get(user=world["alice"])
    for path in (reverse("admin:campaign_membership_change", args=[alice.pk]),
                 reverse("admin:campaign_campaign_change", args=[world["A"].pk])):
        page = client.get(path).text
        assert "alice@example.org" in page and "organiser&#x27;s email" in page.lower(), path
        assert "None" not in page, path


def test_a_facilitys_prisoner_count_leaves_out_another_campaigns_prisoners(client, world):
    facility = DetentionFacility.objects.get()
    Prisoner.objects.filter(name="Prisoner A").update(facility=facility)
    for name, expected in (("charlie", 0), ("alice", 1), ("root", 1)):
        page = as_user(client, world[name]).get(reverse("admin:prisoners_detentionfacility_changelist"))
        assert [obj._prisoners for obj in page.context["cl"].result_list] == [expected], name


@pytest.mark.parametrize("model", [Campaign, Petition, Prisoner, CriminalCase], ids=lambda m: m._meta.label)
def test_view_on_site_does_not_tell_another_campaigns_addresses(client, world, model, django_user_model):
    """Django's "view on site" (/admin/r/<content type>/<id>/) redirected any staff user to any object's
    page: counting up the ids, an organiser of B learnt the address of each of A's drafts, which
    carries its name (a prisoner's slug is their name)."""
    Campaign.objects.filter(pk=world["A"].pk).update(status=Campaign.Status.DRAFT)
    theirs = object_of(model, world["A"])
    content_type = ContentType.objects.get_for_model(model)
    link = reverse("admin:view_on_site", args=[content_type.pk, theirs.pk])
    loner = django_user_model.objects.create_user("eve", "eve@example.org", "pw", is_staff=True)
    for user in (world["charlie"], loner):
        response = as_user(client, user).get(link)
        assert response.status_code == 404, user
        assert theirs.slug not in response.text and theirs.slug not in response.get("Location", "")
    for name in ("alice", "bob", "root"):
        response = as_user(client, world[name]).get(link)
        assert response.status_code == 302 and response["Location"].endswith(theirs.get_absolute_url()), name
    for content_type_id, object_id in ((content_type.pk, "abc"), (content_type.pk, "9" * 30), ("x", 1), ("9" * 30, 1),
                                       (ContentType.objects.get_for_model(Membership).pk, 1)):
        assert client.get(f"/admin/r/{content_type_id}/{object_id}/").status_code == 404, (content_type_id, object_id)


def every_action():
    """(model, action name) for every action of every scoped model's admin, as an editor has them."""
    request = RequestFactory().get("/")
    request.user = type("Root", (), {"is_active": True, "is_staff": True, "is_superuser": True,
                                     "has_perm": lambda self, perm, obj=None: True})()
    return [(model, name) for model in SCOPED for name in admin.site._registry[model].get_actions(request)]


@pytest.mark.parametrize("model,action", every_action(), ids=lambda v: getattr(v, "__name__", v))
def test_no_action_reaches_another_campaigns_rows_by_their_ids(client, world, model, action, mailoutbox):
    """An action posted by hand with the ids of another campaign's rows: Django filters the ids by the
    changelist's queryset (ours is the organiser's campaigns), so nothing is changed, deleted, queued
    or recorded -- for every action, ours and Django's "delete selected", on every scoped model."""
    theirs = object_of(model, world["A"])
    before = model_to_dict(theirs)
    audit, deliveries = AuditEntry.objects.count(), Delivery.objects.count()
    as_user(client, world["charlie"]).post(url(model, "changelist"), {
        "action": action, "_selected_action": [theirs.pk], "post": "yes", "index": 0,
    })
    assert model.objects.filter(pk=theirs.pk).exists()
    assert model_to_dict(model.objects.get(pk=theirs.pk)) == before
    assert (AuditEntry.objects.count(), Delivery.objects.count()) == (audit, deliveries)
    assert mailoutbox == []


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
def test_a_delete_page_lists_no_signers_address_and_nothing_of_another_campaign(client, world, model):
    """Django's delete confirmation lists every related object that would go: none of another
    campaign's, and a signature by the name its signer chose to show, never by its address."""
    for name in ("alice", "root"):
        page = as_user(client, world[name]).get(url(model, "delete", object_of(model, world["A"]).pk))
        assert page.status_code in (200, 403), (name, page.status_code)
        assert "@example.org" not in page.text, name
        if name == "alice":
            for theirs in ("Campaign B secret title", "Petition B", "Prisoner B", "SignerB", "Picket B", "Case B"):
                assert theirs not in page.text, theirs
