"""Old addresses of campaigns, prisoners and criminal cases keep working after their slug changes.

They were shared on social media, are in the announcement emails already sent and in sitemaps: an
organiser who corrects a slug (a prisoner's transliterated name, say) must not break them. The old
address answers 301 to the current one (campaign.former_slugs) -- and only where the current page
would answer: an old address tells nothing a current one would not.
"""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import override

from campaign.former_slugs import REDIRECT_MAX_AGE
from campaign.models import Campaign, CampaignPrisoner, FormerSlug, Membership
from prisoners.models import CriminalCase, Defendant, Prisoner

from .factories import CampaignFactory
from .test_admin import admin_url, resubmit
from .test_races import in_thread, lock_waiters, wait_for

pytestmark = pytest.mark.django_db

KINDS = ["campaign", "prisoner", "case"]
VIEWS = {"campaign": "campaign:detail", "prisoner": "prisoners:prisoner", "case": "prisoners:case"}


def url(kind, slug, lang="en"):
    with override(lang):
        return reverse(VIEWS[kind], args=[slug])


@pytest.fixture
def world():
    """A live campaign for one prisoner, who is the defendant of one case: all three are public."""
    campaign = CampaignFactory(slug="free-them", title="Free them", status=Campaign.Status.LIVE)
    prisoner = Prisoner.objects.create(slug="ihor-kuznetsov", name="Igor Kuznetsov")
    CampaignPrisoner.objects.create(campaign=campaign, prisoner=prisoner, featured=True)
    case = CriminalCase.objects.create(slug="left-resistance", title="The Left Resistance case")
    Defendant.objects.create(case=case, prisoner=prisoner)
    return {"campaign": campaign, "prisoner": prisoner, "case": case}


def another(world, kind, slug, title):
    """A second public object of the kind."""
    if kind == "campaign":
        return CampaignFactory(slug=slug, title=title)
    if kind == "prisoner":
        prisoner = Prisoner.objects.create(slug=slug, name=title)
        CampaignPrisoner.objects.create(campaign=world["campaign"], prisoner=prisoner)
        return prisoner
    case = CriminalCase.objects.create(slug=slug, title=title)
    Defendant.objects.create(case=case, prisoner=world["prisoner"])
    return case


def rename(obj, slug):
    obj.slug = slug
    obj.save()
    return obj


def former(obj):
    return sorted(FormerSlug.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
                  .values_list("slug", flat=True))


def assert_redirects(client, path, to):
    response = client.get(path)
    assert response.status_code == 301, path
    assert response["Location"] == to
    return response


# --- The redirect ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["en", "uk", "fr"])
def test_an_old_address_answers_301_to_the_current_one_in_the_same_language(client, world, kind, lang):
    old = world[kind].slug
    rename(world[kind], "corrected")
    response = assert_redirects(client, url(kind, old, lang), url(kind, "corrected", lang))
    assert response["Location"].startswith(f"/{lang}/")
    assert f"max-age={REDIRECT_MAX_AGE}" in response["Cache-Control"]  # a browser keeps it a day, not for ever
    assert client.get(response["Location"]).status_code == 200
    assert former(world[kind]) == [old]


@pytest.mark.parametrize("kind", KINDS)
def test_the_redirect_keeps_the_query_string(client, world, kind):
    old = world[kind].slug
    rename(world[kind], "corrected")
    query = "utm_source=leaflet&utm_campaign=kyiv%20picket&q=%D0%BA"
    assert_redirects(client, f"{url(kind, old, 'uk')}?{query}", f"{url(kind, 'corrected', 'uk')}?{query}")


@pytest.mark.parametrize("kind", KINDS)
def test_every_earlier_slug_leads_to_the_current_address_in_one_hop(client, world, kind):
    first = world[kind].slug
    rename(world[kind], "second")
    rename(world[kind], "third")
    for old in (first, "second"):
        assert_redirects(client, url(kind, old), url(kind, "third"))
    assert former(world[kind]) == sorted([first, "second"])


def test_a_slug_changed_in_the_admin_is_remembered(client, world, django_user_model):
    """The admin is where organisers change slugs: its save goes through the model's."""
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    admin = type(client)()
    admin.force_login(root)
    for kind, obj in world.items():
        path = admin_url(type(obj), "change", obj.pk)
        assert "the old address keeps working" in admin.get(path).text  # the slug's help text says so
        old = obj.slug
        no_new_photo = {"photo": ""} if kind == "prisoner" else {}
        assert resubmit(admin, path, slug=f"{old}-corrected", **no_new_photo).status_code == 302
        assert_redirects(client, url(kind, old), url(kind, f"{old}-corrected"))


def test_saving_without_the_slug_reads_and_writes_no_former_slug(world):
    prisoner = world["prisoner"]
    prisoner.birth_year = 1964
    with CaptureQueriesContext(connection) as captured:
        prisoner.save(update_fields=["birth_year"])
    assert len(captured) == 1  # the UPDATE
    prisoner.slug = "ihor"
    prisoner.save(update_fields=["slug"])
    assert former(prisoner) == ["ihor-kuznetsov"]


def test_a_save_that_fails_remembers_nothing(world):
    """Another object already has the new slug: the row is not written, and no former slug either."""
    CriminalCase.objects.create(slug="taken", title="Another case")
    case = world["case"]
    case.slug = "taken"
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()
    assert not FormerSlug.objects.exists()
    assert CriminalCase.objects.get(pk=case.pk).slug == "left-resistance"


def test_kinds_keep_their_former_slugs_apart(client, world):
    """A campaign and a prisoner may each have had the slug "kuznetsov": each old address leads to its own."""
    rename(world["campaign"], "kuznetsov")
    rename(world["prisoner"], "kuznetsov")
    rename(world["campaign"], "free-kuznetsov")
    rename(world["prisoner"], "igor-kuznetsov")
    assert_redirects(client, url("campaign", "kuznetsov"), url("campaign", "free-kuznetsov"))
    assert_redirects(client, url("prisoner", "kuznetsov"), url("prisoner", "igor-kuznetsov"))


# --- Nothing more than the current page tells ------------------------------------------------------


def assert_hidden(client, kind, slug, *never_shown):
    """The 404 of a slug nothing ever had, saying nothing of what the object is called now."""
    response, unknown = client.get(url(kind, slug)), client.get(url(kind, "no-such-slug"))
    assert (response.status_code, unknown.status_code) == (404, 404), slug
    assert "Location" not in response
    assert response.templates[0].name == unknown.templates[0].name == "404.html"
    for text in never_shown:
        assert text not in response.text


def test_a_draft_campaigns_old_address_is_404_as_an_unknown_one(client, world, django_user_model):
    campaign = rename(world["campaign"], "free-them-now")
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert_hidden(client, "campaign", "free-them", "free-them-now")

    # The draft's own organiser previews it ("view on site"), as its current address; another
    # campaign's organiser may not, by either address.
    alice = django_user_model.objects.create_user("alice", "alice@example.org", "pw", is_staff=True)
    other = django_user_model.objects.create_user("oleg", "oleg@example.org", "pw", is_staff=True)
    Membership.objects.create(user=alice, campaign=campaign, role=Membership.Role.VIEWER)
    Membership.objects.create(user=other, campaign=CampaignFactory(), role=Membership.Role.EDITOR)
    client.force_login(other)
    assert client.get(url("campaign", "free-them-now")).status_code == 404
    assert_hidden(client, "campaign", "free-them", "free-them-now")
    client.force_login(alice)
    assert client.get(url("campaign", "free-them-now")).status_code == 200
    assert_redirects(client, url("campaign", "free-them"), url("campaign", "free-them-now"))


@pytest.mark.parametrize("kind", ["prisoner", "case"])
def test_the_old_address_of_someone_only_a_draft_names_is_404_as_an_unknown_one(client, world, kind,
                                                                                  django_user_model):
    old = world[kind].slug
    rename(world[kind], "renamed")
    Campaign.objects.filter(pk=world["campaign"].pk).update(status=Campaign.Status.DRAFT)
    assert_hidden(client, kind, old, "renamed")
    # As for the current page: not even to the draft's organisers (the pages go by public_prisoners()).
    alice = django_user_model.objects.create_user("alice", "alice@example.org", "pw", is_staff=True)
    Membership.objects.create(user=alice, campaign=world["campaign"], role=Membership.Role.EDITOR)
    client.force_login(alice)
    assert client.get(url(kind, "renamed")).status_code == 404
    assert_hidden(client, kind, old, "renamed")

    Campaign.objects.filter(pk=world["campaign"].pk).update(status=Campaign.Status.LIVE)
    assert_redirects(client, url(kind, old), url(kind, "renamed"))


def test_the_old_address_of_a_prisoner_in_no_campaign_is_404(client, world):
    prisoner = rename(world["prisoner"], "renamed")
    CampaignPrisoner.objects.filter(prisoner=prisoner).delete()
    assert_hidden(client, "prisoner", "ihor-kuznetsov", "renamed")
    rename(world["case"], "renamed")
    assert_hidden(client, "case", "left-resistance", "renamed")  # its one defendant is in no campaign


# --- Two organisers at once -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", KINDS)
def test_two_organisers_renaming_at_once_both_old_addresses_lead_to_the_last_name(client, world, kind):
    """Both opened the form at `old`; the first saves "corrected", and before it commits the second saves
    "corrected-again". The second waits for the first, and records the slug the first saved, not the
    one its form showed: else "corrected", live for a moment and perhaps already shared, would be lost."""
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres row locks")
    model, old = type(world[kind]), world[kind].slug
    first_form, second_form = model.objects.get(pk=world[kind].pk), model.objects.get(pk=world[kind].pk)
    errors, saved, release = [], threading.Event(), threading.Event()

    def first_organiser():  # saved, and its transaction still open (the rest of the admin's save, say)
        with transaction.atomic():
            rename(first_form, "corrected")
            saved.set()
            release.wait(20)

    try:
        first = in_thread(first_organiser, errors)
        assert saved.wait(10), errors
        base = lock_waiters()
        second = in_thread(lambda: rename(second_form, "corrected-again"), errors)
        assert wait_for(lambda: lock_waiters() > base), "the second save did not wait for the first's row lock"
        assert not second.is_set(), errors
    finally:
        release.set()
    assert first.wait(20) and second.wait(20), "a save is still running"
    assert not errors, errors

    obj = model.objects.get(pk=world[kind].pk)
    assert obj.slug == "corrected-again"
    assert former(obj) == sorted([old, "corrected"])
    for slug in (old, "corrected"):
        assert_redirects(client, url(kind, slug), url(kind, "corrected-again"))
    assert client.get(url(kind, "corrected-again")).status_code == 200


# --- A current slug wins -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_former_slug_given_to_another_object_is_that_objects_address(client, world, kind):
    x = world[kind]
    old = x.slug
    rename(x, "x-now")
    y = another(world, kind, "spare", f"Another {kind}")
    rename(y, old)

    page = client.get(url(kind, old))
    assert page.status_code == 200
    assert "Another" in page.text
    assert former(x) == [] and former(y) == ["spare"]
    assert_redirects(client, url(kind, "spare"), url(kind, old))
    assert client.get(url(kind, "x-now")).status_code == 200


def test_a_new_object_given_a_former_slug_takes_the_address_over(client, world):
    rename(world["campaign"], "free-them-now")
    CampaignFactory(slug="free-them", title="A new campaign")
    assert "A new campaign" in client.get(url("campaign", "free-them")).text
    assert former(world["campaign"]) == []


def test_a_former_slug_that_is_a_hidden_objects_current_one_redirects_nowhere(client, world):
    """Y, a draft, took X's old slug: its address is Y's, and Y's page is not shown. Sending visitors on to
    X would say that the draft took it."""
    rename(world["campaign"], "free-them-now")
    CampaignFactory(slug="free-them", title="Secret draft", status=Campaign.Status.DRAFT)
    assert_hidden(client, "campaign", "free-them", "free-them-now", "Secret draft")


def test_a_current_slug_wins_even_where_it_was_set_past_save(client, world):
    """QuerySet.update() skips the model's save(), and so leaves the former slug: the view still lets
    the current one win, shown or not, and redirects by the object, not by a slug it stored."""
    rename(world["prisoner"], "renamed")
    other = Prisoner.objects.create(slug="other", name="Another prisoner")
    CampaignPrisoner.objects.create(campaign=world["campaign"], prisoner=other)
    Prisoner.objects.filter(pk=other.pk).update(slug="ihor-kuznetsov")
    assert FormerSlug.objects.filter(slug="ihor-kuznetsov").exists()
    assert "Another prisoner" in client.get(url("prisoner", "ihor-kuznetsov")).text
    CampaignPrisoner.objects.filter(prisoner=other).delete()  # hidden now: its address is still not X's
    assert_hidden(client, "prisoner", "ihor-kuznetsov", "renamed")
    Prisoner.objects.filter(pk=world["prisoner"].pk).update(slug="ihor-kuznetsov-2")
    Prisoner.objects.filter(pk=other.pk).update(slug="other")
    assert_redirects(client, url("prisoner", "ihor-kuznetsov"), url("prisoner", "ihor-kuznetsov-2"))


@pytest.mark.parametrize("kind", KINDS)
def test_a_slug_given_back_is_the_address_again_without_a_loop(client, world, kind):
    first = world[kind].slug
    rename(world[kind], "second")
    rename(world[kind], first)  # b -> a: no unique-constraint error
    assert client.get(url(kind, first)).status_code == 200
    assert_redirects(client, url(kind, "second"), url(kind, first))
    assert former(world[kind]) == ["second"]
    rename(world[kind], "second")  # and back again
    assert_redirects(client, url(kind, first), url(kind, "second"))
    assert former(world[kind]) == [first]


# --- Deleted with the object -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_deleting_an_object_deletes_its_former_slugs(client, world, kind):
    obj = world[kind]
    old = obj.slug
    rename(obj, "second")
    rename(obj, "third")
    bystander = rename(another(world, kind, "kept", "Kept"), "kept-now")
    type(obj).objects.filter(pk=obj.pk).delete()  # a queryset's delete, as the admin's action does
    assert list(FormerSlug.objects.values_list("slug", flat=True)) == ["kept"]
    assert former(bystander) == ["kept"]
    for slug in (old, "second", "third"):
        assert client.get(url(kind, slug)).status_code == 404


def test_deleting_in_the_admin_lists_and_deletes_the_former_addresses(world, django_user_model, client):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    case = rename(world["case"], "left-resistance-2021")
    path = admin_url(CriminalCase, "delete", case.pk)
    assert "Former address: left-resistance" in client.get(path).text
    assert client.post(path, {"post": "yes"}).status_code == 302
    assert not FormerSlug.objects.exists()
    client.logout()
    assert client.get(url("case", "left-resistance")).status_code == 404


# --- The pages people open by their current address pay nothing for this -----------------------------


def queries(client, path, status=200):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == status, path
    return [query["sql"] for query in captured]


def test_a_page_opened_by_its_current_address_never_reads_the_former_slugs(client, db):
    call_command("load_demo", verbosity=0)
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    case = CriminalCase.objects.get(slug="left-resistance-case")
    campaign = Campaign.objects.get()
    paths = [campaign.get_absolute_url(), kuznetsov.get_absolute_url(), case.get_absolute_url()]
    before = [queries(client, path) for path in paths]
    for obj in (campaign, kuznetsov, case):
        slug = obj.slug
        rename(obj, f"{slug}-new")
        rename(obj, slug)  # the same addresses, and former slugs in the table
    assert FormerSlug.objects.count() == 3
    after = [queries(client, path) for path in paths]
    assert [len(page) for page in after] == [len(page) for page in before]
    assert not [sql for page in after for sql in page if "formerslug" in sql]


@pytest.mark.parametrize("kind", ["prisoner", "case"])
def test_an_old_or_unknown_address_costs_one_query_more_than_a_miss_did(client, world, kind):
    old = world[kind].slug
    rename(world[kind], "renamed")
    ContentType.objects.get_for_model(world[kind])  # cached for the process, as on a server after its first
    unknown = queries(client, url(kind, "no-such-slug"), status=404)
    redirected = queries(client, url(kind, old), status=301)
    assert len(redirected) == len(unknown) == 2
    assert "formerslug" not in unknown[0] and "formerslug" in unknown[1]
