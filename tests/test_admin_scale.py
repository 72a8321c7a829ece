"""The admin at a real campaign's scale: what a page costs does not grow with the rows it shows.

A live campaign has dozens of prisoners and organisers, cases with dozens of defendants and events,
and 100,000 signatures. Each test counts a page's queries with few rows and with many, for an
administrator and for an organiser (whose every row is also a permission question).
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign import audit
from campaign.models import AuditEntry, Campaign, Membership
from petitions.models import Accreditation, Delivery, Embassy, Signature
from prisoners.models import CaseEvent, CodeArticle, CriminalCase, Defendant, Prisoner

from .factories import CampaignFactory, PetitionFactory, SignatureFactory

# Countries an embassy may also be accredited to, one a row (an embassy is accredited to each once).
COUNTRIES = [
    "LT", "LV", "EE", "FI", "SE", "NO", "DK", "IS", "IE", "GB", "FR", "ES", "PT", "IT", "AT", "CH", "BE", "NL", "LU",
    "CZ", "SK", "HU", "RO", "BG", "GR", "CY", "MT", "SI", "HR", "RS", "BA", "ME", "AL", "MK", "MD", "UA", "GE", "AM",
    "AZ", "KZ",
]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def live_campaign(db, django_user_model):
    """A campaign, another that shares some of its prisoners, an organiser (editor of the first alone)
    and an administrator; a case of the campaign's prisoners, and an embassy."""
    campaign, other = CampaignFactory(status=Campaign.Status.LIVE), CampaignFactory(status=Campaign.Status.LIVE)
    organiser = django_user_model.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    Membership.objects.create(user=organiser, campaign=campaign, role=Membership.Role.EDITOR)
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    case = CriminalCase.objects.create(title="The case", slug="the-case")
    # A prisoner charged in many cases: their page lists each.
    accused = Prisoner.objects.create(name="Igor Kuznetsov", slug="igor-kuznetsov")
    campaign.prisoner_links.create(prisoner=accused)
    embassy = Embassy.objects.create(name="Embassy of the Russian Federation in Poland", country="PL")
    return {"campaign": campaign, "other": other, "organiser": organiser, "root": root, "case": case,
            "accused": accused, "embassy": embassy}


def grow(world, django_user_model, upto):
    """`upto` rows in each inline of the pages below: prisoners of the campaign (every other one also
    featured by the other campaign, so its rows are not the organiser's to change), each a defendant
    charged in the case and with an event in it; as many organisers; the accused's cases; and the
    embassy's accreditations."""
    campaign, other, case = world["campaign"], world["other"], world["case"]
    for i in range(Defendant.objects.filter(case=case).count(), upto):
        prisoner = Prisoner.objects.create(name=f"Prisoner {i}", slug=f"prisoner-{i}")
        campaign.prisoner_links.create(prisoner=prisoner)
        if i % 2:
            other.prisoner_links.create(prisoner=prisoner)
        defendant = Defendant.objects.create(case=case, prisoner=prisoner)
        defendant.charges.add(CodeArticle.objects.create(article=str(200 + i), part="1", title="Charge"))
        CaseEvent.objects.create(case=case, prisoner=prisoner, kind=CaseEvent.Kind.ARREST,
                                 date=datetime.date(2024, 3, 1), description="Arrested")
        elsewhere = CriminalCase.objects.create(title=f"Case {i}", slug=f"case-{i}")
        Defendant.objects.create(case=elsewhere, prisoner=world["accused"])
        user = django_user_model.objects.create_user(f"u{i}", f"u{i}@example.org", "pw", is_staff=True)
        Membership.objects.create(user=user, campaign=campaign, role=Membership.Role.VIEWER)
        Accreditation.objects.create(embassy=world["embassy"], country=COUNTRIES[i])


def inline_pages(world):
    return {
        "campaign": (admin_url(Campaign, "change", world["campaign"].pk), ["prisoner_links", "memberships"]),
        "case": (admin_url(CriminalCase, "change", world["case"].pk), ["defendant_links", "events"]),
        "prisoner": (admin_url(Prisoner, "change", world["accused"].pk), ["defendant_links"]),
        "embassy": (admin_url(Embassy, "change", world["embassy"].pk), ["accreditations"]),
    }


# Whatever the number of rows. An organiser's pages ask a few more questions: their campaigns, and
# of the rows, which campaigns each belongs to (for all rows at once).
MAX_QUERIES = {"root": 8, "organiser": 16}


@pytest.mark.parametrize("persona", ["root", "organiser"])
def test_a_change_page_makes_as_many_queries_with_40_inline_rows_as_with_5(
        live_campaign, client, django_user_model, django_assert_max_num_queries, persona):
    """Each inline row's autocomplete field (a defendant's prisoner and charges, a case event's
    prisoner, a campaign's prisoner) read its object again to show its name, a row's name read its
    prisoner, case or embassy, and each row asked again which campaigns it belongs to: a case with 40
    defendants and 40 events made 165 queries for an administrator and 291 for an organiser."""
    world = live_campaign
    client.force_login(world[persona])
    for rows in (5, 40):
        grow(world, django_user_model, rows)
        for name, (path, inlines) in inline_pages(world).items():
            with django_assert_max_num_queries(MAX_QUERIES[persona], info=f"{name} with {rows} rows"):
                response = client.get(path)
            assert response.status_code == 200
            for prefix in inlines:
                shown = response.context["inline_admin_formsets"]
                formset = next(inline.formset for inline in shown if inline.formset.prefix == prefix)
                # The campaign also features the accused, and has the organiser herself.
                assert formset.initial_form_count() == rows + (prefix in {"prisoner_links", "memberships"})


def test_each_rows_chosen_objects_are_still_shown_by_name_and_other_campaigns_rows_stay_read_only(
        live_campaign, client, django_user_model):
    """What the rows show, read with the rows: each defendant's prisoner and charges, each event's
    prisoner, by name; and the rows of prisoners another campaign also features, which the organiser
    may not change, are still read-only."""
    world = live_campaign
    grow(world, django_user_model, 12)
    client.force_login(world["organiser"])
    page = client.get(admin_url(CriminalCase, "change", world["case"].pk)).text
    for defendant in Defendant.objects.filter(case=world["case"]).select_related("prisoner"):
        i = defendant.prisoner.name.split()[-1]
        selected = f'<option value="{defendant.prisoner.pk}" selected>{defendant.prisoner.name}</option>'
        assert page.count(selected) == 2  # the defendant's row, and their event's
        charge = defendant.charges.get()
        assert f'<option value="{charge.pk}" selected>Art. {200 + int(i)} part 1 CC RF</option>' in page
    read_only = re.findall(r'<select name="defendant_links-\d+-prisoner"[^>]*disabled', page)
    assert len(read_only) == 6  # every other prisoner is also the other campaign's


@pytest.mark.parametrize("model", [Signature, Delivery, AuditEntry], ids=lambda m: m._meta.label)
def test_an_organisers_list_reads_its_table_once_per_query_not_joined_to_itself(
        live_campaign, client, model):
    """An organiser's lists are their campaigns' rows: each query of the signature list (the page, the
    count, the filters, the dates) read the whole signature table twice, once to find the campaign's
    rows and once for the rows themselves. With 100,000 signatures in the campaign and 30,000 in
    another, the list's queries took 550 ms in all; reading the table once, 250 ms."""
    world = live_campaign
    for campaign, n in ((world["campaign"], 3), (world["other"], 2)):
        petition = PetitionFactory(campaign=campaign)
        for _i in range(n):
            signature = SignatureFactory(petition=petition, confirmed=True)
            delivery = Delivery.objects.create(petition=petition, embassy=world["embassy"])
            delivery.items.create(signature=signature, is_test=True)
            audit.record("signature.rejected", campaign=campaign, signature_ids=[signature.pk])
    client.force_login(world["organiser"])
    table = re.compile(rf'(?:FROM|JOIN) "{model._meta.db_table}"')

    with CaptureQueriesContext(connection) as queries:
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3  # their campaign's, not the other's
    reads = [query["sql"] for query in queries if table.search(query["sql"])]
    assert reads
    assert all(len(table.findall(sql)) == 1 for sql in reads), [sql for sql in reads if len(table.findall(sql)) > 1]
