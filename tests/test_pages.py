"""A first-time visitor sees the campaign, its prisoners, cases and petition -- and nothing else."""

import datetime
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.translation import override

from campaign.models import Campaign, CampaignPrisoner, Organisation, SolidarityAction
from petitions.models import Petition
from prisoners.models import CaseEvent, CodeArticle, CriminalCase, Defendant, DetentionFacility, Prisoner
from tests.checks import emails_in, third_party_loads
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
CAMPAIGN_SLUG = "freedom-for-igor-kuznetsov"


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    return Campaign.objects.get(slug=CAMPAIGN_SLUG)


def url(name, *args, lang="en"):
    with override(lang):
        return reverse(name, args=args)


def public_urls(lang="en"):
    """Every public page of the demo outside the petition app."""
    urls = [url("campaign:home", lang=lang), url("campaign:detail", CAMPAIGN_SLUG, lang=lang),
            url("campaign:privacy", lang=lang)]
    urls += [url("prisoners:prisoner", slug, lang=lang) for slug in Prisoner.objects.values_list("slug", flat=True)]
    urls += [url("prisoners:case", slug, lang=lang) for slug in CriminalCase.objects.values_list("slug", flat=True)]
    return urls


class _Structure(HTMLParser):
    """Tags, attributes and headings of a page, for checks a substring search would get wrong."""

    def __init__(self):
        super().__init__()
        self.tags, self.styled, self.headings, self.images = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "style" in attrs:
            self.styled.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "img":
            self.images.append(attrs)


def structure(html):
    parser = _Structure()
    parser.feed(html)
    return parser


def get_ok(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.text


def position(html, text):
    index = html.find(text)
    assert index >= 0, f"{text!r} not on the page"
    return index


# --- Home --------------------------------------------------------------------------------------


def test_home_lists_live_campaigns_with_featured_prisoners_and_open_petitions(demo, client):
    petition = demo.petitions.get()
    Petition.objects.filter(pk=petition.pk).update(signature_count=1234, goal=10000)
    html = get_ok(client, url("campaign:home"))
    assert escape(demo.title) in html
    assert escape(demo.summary) in html
    assert demo.get_absolute_url() in html
    assert url("prisoners:prisoner", "igor-kuznetsov") in html
    assert url("prisoners:prisoner", "darya-polyudova") in html
    # Co-defendants are on the campaign page, not crowding the home page.
    assert url("prisoners:prisoner", "dmitry-chebanov") not in html
    assert petition.get_absolute_url() in html
    assert "1,234 of 10,000 signatures" in html
    assert re.search(r'<progress[^>]*value="1234" max="10000"', html)


def test_home_hides_draft_campaigns_and_petitions_that_are_not_open(demo, client):
    petition = demo.petitions.get()
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.CLOSED)
    html = get_ok(client, url("campaign:home"))
    assert escape(demo.title) in html
    assert petition.get_absolute_url() not in html

    Campaign.objects.update(status=Campaign.Status.DRAFT)
    html = get_ok(client, url("campaign:home"))
    assert "There are no live campaigns" in html
    assert escape(demo.title) not in html


@pytest.mark.parametrize("opens, closes", [(-10, -1), (1, 10)], ids=["past its closing date", "not open yet"])
def test_a_petition_open_but_outside_its_dates_is_shown_as_the_petition_page_shows_it(demo, client, opens, closes):
    """Its status stays OPEN (closing by date changes nothing stored): every page must go by the dates
    too, as the petition page does, or supporters are sent to sign where they cannot."""
    petition = demo.petitions.get()
    now = datetime.datetime.now(datetime.UTC)
    Petition.objects.filter(pk=petition.pk).update(
        status=Petition.Status.OPEN, opens_at=now + datetime.timedelta(days=opens),
        closes_at=now + datetime.timedelta(days=closes),
    )
    petition.refresh_from_db()
    # The day it opened or closed, as the visitor's language writes a date (English: "Dec. 17, 2026")
    when = formats.date_format(petition.opens_at if opens > 0 else petition.closes_at, "DATE_FORMAT")
    said = (f"Signing opens on {when} at {petition.opens_at:%H:%M} UTC." if opens > 0
            else f"This petition closed on {when}.")
    page = get_ok(client, petition.get_absolute_url())
    assert said in page and 'name="email"' not in page

    assert petition.get_absolute_url() not in get_ok(client, url("campaign:home"))
    campaign = get_ok(client, demo.get_absolute_url())
    assert petition.get_absolute_url() in campaign
    assert "Read and sign" not in campaign
    assert "Open for signatures" not in campaign
    assert ("Closed" if opens < 0 else "Opens on") in campaign
    widget = get_ok(client, url("petitions:widget", petition.slug))
    assert "Sign the appeal" not in widget
    assert "Go to the petition" in widget and said in widget


def test_an_open_petition_says_when_signing_closes_to_the_minute_in_utc(demo, client):
    """Supporters sign from many time zones: a date alone is a different day for half of them."""
    petition = demo.petitions.get()
    closes = datetime.datetime.now(datetime.UTC).replace(microsecond=0) + datetime.timedelta(days=3)
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.OPEN, closes_at=closes)
    page = get_ok(client, petition.get_absolute_url())
    when = formats.date_format(closes, "DATE_FORMAT")
    assert f"Signing closes on {when} at {closes:%H:%M} UTC." in page and 'name="email"' in page

    petition.refresh_from_db()
    petition.closes_at = None  # as an organiser saves it in admin
    petition.save()
    caches["local"].clear()  # the page is kept for two seconds in each process
    assert "Signing closes" not in get_ok(client, petition.get_absolute_url())


@pytest.mark.parametrize("lang, when", [("uk", "7 грудня 2026"), ("ru", "7 декабря 2026"), ("fr", "7 décembre 2026")])
def test_a_date_that_ends_a_sentence_ends_with_one_full_stop(demo, client, lang, when):
    """Django's Ukrainian and Russian dates end in an abbreviation ("р.", "г."), whose point doubled the
    sentence's own: "Петицію закрито 07 грудня 2026 р..". """
    petition = demo.petitions.get()
    closed = datetime.datetime(2026, 12, 7, 12, tzinfo=datetime.UTC)
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.OPEN, opens_at=closed - datetime.timedelta(
        days=30), closes_at=closed)
    with time_machine.travel(closed + datetime.timedelta(days=3), tick=False):
        for name in ("petitions:detail", "petitions:widget"):
            text = re.sub(r"<[^>]*>", "", get_ok(client, url(name, petition.slug, lang=lang)))
            assert f"{when}." in text and ".." not in text


# --- Campaign ----------------------------------------------------------------------------------


def test_campaign_page_tells_the_story_with_featured_prisoners_first(demo, client):
    html = get_ok(client, demo.get_absolute_url())
    assert "<h1>" + escape(demo.title) + "</h1>" in html
    assert escape(demo.story.split("\n\n")[0]) in html
    assert html.count("<p>") >= demo.story.count("\n\n") + 1  # paragraphs kept
    for prisoner in demo.prisoners.all():
        assert prisoner.get_absolute_url() in html
    kuznetsov = position(html, url("prisoners:prisoner", "igor-kuznetsov"))
    polyudova = position(html, url("prisoners:prisoner", "darya-polyudova"))
    codefendant = position(html, url("prisoners:prisoner", "dmitry-chebanov"))
    assert kuznetsov < codefendant and polyudova < codefendant
    assert "In pre-trial detention" in html
    assert "Convicted and imprisoned" in html


def test_campaign_page_shows_petitions_with_counter_and_goal_progress(demo, client):
    petition = demo.petitions.get()
    Petition.objects.filter(pk=petition.pk).update(signature_count=7, goal=500)
    Petition.objects.create(campaign=demo, slug="draft-one", title="Unfinished draft", appeal="…",
                            status=Petition.Status.DRAFT)
    html = get_ok(client, demo.get_absolute_url())
    assert petition.get_absolute_url() in html
    assert "7 of 500 signatures" in html
    assert re.search(r'<progress[^>]*value="7" max="500"', html)
    assert "Unfinished draft" not in html
    assert url("petitions:detail", "draft-one") not in html


@pytest.mark.parametrize(
    "lang, signed, goal, shown",
    [
        ("en", 12345, 100000, ["12,345 signatures", "Goal: 100,000 signatures"]),
        ("en", 1, 1, ["1 signature<", "Goal: 1 signature<"]),
        ("ru", 21, 1001, ["21 подпись", "Цель: 1\xa0001 подпись"]),
        ("uk", 3, 5000, ["3 підписи", "Мета: 5\xa0000 підписів"]),
    ],
)
def test_petition_counter_groups_digits_and_agrees_in_number(demo, client, lang, signed, goal, shown):
    petition = demo.petitions.get()
    Petition.objects.filter(pk=petition.pk).update(signature_count=signed, goal=goal)
    html = get_ok(client, url("petitions:detail", petition.slug, lang=lang))
    for text in shown:
        assert text in html


def test_a_petition_without_a_goal_shows_its_count_and_no_goal_on_its_page_and_widget(demo, client):
    """A goal of 0 is none: the campaign and home pages show the count alone, and so do the petition
    page and the widget other sites frame -- not "Goal: 0 signatures" under a bar already full."""
    petition = demo.petitions.get()
    Petition.objects.filter(pk=petition.pk).update(signature_count=37, goal=0)
    for path in (url("petitions:detail", petition.slug), url("petitions:widget", petition.slug)):
        html = get_ok(client, path)
        assert "37 signatures" in html, path
        assert "Goal:" not in html and "<progress" not in html, path


def test_campaign_page_shows_closed_petitions_without_a_sign_button(demo, client):
    Petition.objects.update(status=Petition.Status.CLOSED)
    html = get_ok(client, demo.get_absolute_url())
    assert demo.petitions.get().get_absolute_url() in html
    assert "Closed" in html
    assert "Read and sign" not in html


def test_campaign_page_says_when_a_scheduled_petition_opens_rather_than_closed(demo, client):
    Petition.objects.update(opens_at=datetime.datetime(2099, 3, 8, 9, 0, tzinfo=datetime.UTC))
    html = get_ok(client, demo.get_absolute_url())
    assert "Opens on March 8, 2099" in html
    assert "Closed" not in html and "Read and sign" not in html
    assert "8 березня 2099" in get_ok(client, url("campaign:detail", demo.slug, lang="uk"))


def test_campaign_page_lists_solidarity_actions_in_full(demo, client):
    action = demo.actions.get()
    html = get_ok(client, demo.get_absolute_url())
    assert escape(action.title) in html
    assert 'datetime="2021-12-15"' in html
    assert f"{escape(action.place)}, Kyiv, Ukraine" in html
    for organisation in action.organisers.all():
        assert escape(organisation.name) in html
    for slogan in action.slogan_list:
        assert f"<li>{escape(slogan)}</li>" in html


def test_campaign_page_links_supporting_organisations_with_a_website(demo, client):
    with_site = demo.organisations.get(name="Nihilist")
    with_site.website = "https://nihilist.example/"
    with_site.save()
    html = get_ok(client, demo.get_absolute_url())
    assert (f'<a class="print-href" href="https://nihilist.example/" rel="noopener noreferrer">'
            f'{escape(with_site.name)}</a>') in html
    without_site = demo.organisations.get(name="Against the Current")
    assert escape(without_site.name) in html


def test_campaign_page_shows_photos_with_alt_text_naming_the_prisoner(demo, client):
    Prisoner.objects.filter(slug="igor-kuznetsov").update(photo="prisoners/kuznetsov.jpg")
    Prisoner.objects.filter(slug="kirill-kotov").update(photo="prisoners/kotov.jpg")
    html = get_ok(client, demo.get_absolute_url())
    images = {image["src"]: image["alt"] for image in structure(html).images}
    assert images["/media/prisoners/kuznetsov.jpg"] == "Photo of Igor Kuznetsov"
    assert images["/media/prisoners/kotov.jpg"] == "Photo of Kirill Kotov"
    assert '<meta property="og:image" content="http://testserver/media/prisoners/kuznetsov.jpg">' in html


def test_campaign_page_has_sharing_meta_and_share_links(demo, client):
    html = get_ok(client, demo.get_absolute_url())
    absolute = f"http://testserver{demo.get_absolute_url()}"
    assert f'<meta property="og:url" content="{absolute}">' in html
    assert f'<meta property="og:title" content="{escape(demo.title)}">' in html
    assert f'id="share-url" class="form-control mb-2" type="url" value="{absolute}"' in html


def test_draft_campaign_is_404(demo, client):
    Campaign.objects.update(status=Campaign.Status.DRAFT)
    assert client.get(demo.get_absolute_url()).status_code == 404


def test_archived_campaign_stays_readable(demo, client):
    Campaign.objects.update(status=Campaign.Status.ARCHIVED)
    html = get_ok(client, demo.get_absolute_url())
    assert "This campaign has ended" in html
    assert client.get(url("prisoners:prisoner", "igor-kuznetsov")).status_code == 200


def test_campaign_page_gives_a_prisoners_original_name_only_where_it_differs(demo, client):
    """On the Russian page the name is already the original: once, as on the prisoner's page, not
    twice in a row (read out twice by a screen reader)."""
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")

    def shown_as(html, name):  # elements whose whole text is the name
        return re.findall(rf"<(\w+)[^>]*>{re.escape(escape(name))}</", html)

    assert kuznetsov.name_ru == kuznetsov.name_original
    assert shown_as(get_ok(client, url("campaign:detail", CAMPAIGN_SLUG, lang="ru")), kuznetsov.name_original) == ["a"]
    english = get_ok(client, url("campaign:detail", CAMPAIGN_SLUG))
    assert shown_as(english, kuznetsov.name_en) == ["a"]
    assert shown_as(english, kuznetsov.name_original) == ["p"]


# --- Prisoner ----------------------------------------------------------------------------------


def test_prisoner_page_shows_status_and_where_to_write(demo, client):
    prisoner = Prisoner.objects.select_related("facility").get(slug="igor-kuznetsov")
    html = get_ok(client, prisoner.get_absolute_url())
    assert "In pre-trial detention" in html
    assert escape(prisoner.facility.name) in html
    assert escape(prisoner.facility.name_original) in html
    assert escape(prisoner.facility.postal_address.splitlines()[0]) in html
    assert "<address" in html
    assert escape(prisoner.biography.split("\n\n")[0]) in html


def test_postal_address_is_marked_as_russian_on_every_language_page(demo, client):
    """The address is written in Russian, as on the envelope: a screen reader reading an English or
    French page must switch to Russian for it, not spell out Cyrillic with an English voice."""
    prisoner = Prisoner.objects.select_related("facility").get(slug="igor-kuznetsov")
    for lang in ("en", "uk", "ru", "fr"):
        html = get_ok(client, url("prisoners:prisoner", prisoner.slug, lang=lang))
        address = re.search(r"<address\b([^>]*)>(.*?)</address>", html, re.S)
        assert 'lang="ru"' in address.group(1), lang
        assert escape(prisoner.facility.name_original) in address.group(2)
        assert escape(prisoner.facility.postal_address.splitlines()[0]) in address.group(2)


def test_a_facilitys_official_name_without_its_postal_address_is_not_given_as_where_to_write(demo, client):
    """An organiser fills in the name for the envelope first and the street address later: the page
    said "Letters can be sent to:" over the name alone, and a supporter's letter went nowhere."""
    prisoner = Prisoner.objects.select_related("facility").get(slug="igor-kuznetsov")
    DetentionFacility.objects.filter(pk=prisoner.facility_id).update(postal_address="")
    html = get_ok(client, prisoner.get_absolute_url())
    assert "Letters can be sent to:" not in html
    assert "<address" not in html
    assert "We do not have a postal address for this facility yet." in html
    assert re.search(rf'<p class="mb-1" lang="ru">{re.escape(escape(prisoner.facility.name_original))}</p>', html)


def test_a_prisoners_page_leads_to_the_campaign_and_the_appeal_to_sign(demo, client):
    """The page people share (a co-defendant's, say) was a dead end: no way to the campaign's story
    or to the appeal, short of the home page, which lists neither an archived campaign nor a
    co-defendant. A draft campaign the prisoner is also in stays unmentioned."""
    petition = demo.petitions.get()
    krylova = Prisoner.objects.get(slug="alena-krylova")
    draft = Campaign.objects.create(slug="draft-campaign", title="Not announced yet", summary="Draft")
    CampaignPrisoner.objects.create(campaign=draft, prisoner=krylova)
    html = get_ok(client, krylova.get_absolute_url())
    assert f'<a href="{demo.get_absolute_url()}">Read the full story: {escape(demo.title)}</a>' in html
    assert re.search(rf'<a class="btn[^"]*" href="{petition.get_absolute_url()}">Read and sign<', html)
    assert draft.get_absolute_url() not in html and "Not announced yet" not in html

    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.CLOSED)
    html = get_ok(client, krylova.get_absolute_url())
    assert demo.get_absolute_url() in html
    assert "Read and sign" not in html


def test_prisoner_page_gives_no_address_when_not_held(demo, client):
    prisoner = Prisoner.objects.select_related("facility").get(slug="igor-kuznetsov")
    Prisoner.objects.filter(pk=prisoner.pk).update(status=Prisoner.Status.RELEASED)
    html = get_ok(client, prisoner.get_absolute_url())
    assert "Released" in html
    assert escape(prisoner.facility.postal_address.splitlines()[0]) not in html
    assert "<address" not in html


def test_prisoner_page_shows_each_case_with_own_charges_and_linked_codefendants(demo, client):
    html = get_ok(client, url("prisoners:prisoner", "darya-polyudova"))
    case = CriminalCase.objects.get(slug="left-resistance-case")
    assert case.get_absolute_url() in html
    # Her own charge (founding, part 1), not the part 2 her co-defendants are charged under.
    assert "Art. 282.1 part 1 CC RF" in html
    assert "Creating or leading an extremist community" in html
    assert "Art. 282.1 part 2 CC RF" not in html
    for slug in ("igor-kuznetsov", "sergey-kirsanov", "andrey-romanov"):
        assert f'<a href="{url("prisoners:prisoner", slug)}">' in html
    # Not in the riot case, so none of its defendants are her co-defendants.
    assert url("prisoners:prisoner", "dmitry-chebanov") not in html


def test_prisoner_page_shows_timeline_of_all_their_cases_with_sources(demo, client):
    prisoner = Prisoner.objects.get(slug="igor-kuznetsov")
    linked = CaseEvent.objects.filter(prisoner=prisoner, kind=CaseEvent.Kind.ARREST).get()
    linked.source_url = "https://news.example/arrest"
    linked.source_title = "Arrest report"
    linked.save()
    html = get_ok(client, prisoner.get_absolute_url())
    for event in CaseEvent.objects.filter(case__defendants=prisoner):
        assert escape(event.description) in html
    assert ('<a class="print-href" href="https://news.example/arrest" rel="noopener noreferrer">'
            'Arrest report</a>') in html
    assert "Source: Appeal by a group of comrades" in html  # no URL: the title, unlinked
    assert 'datetime="2021-09-16"' in html
    assert "Charges brought" in html  # an event kind from the second case


def test_prisoner_only_in_draft_campaign_is_404(demo, client):
    draft = Campaign.objects.create(slug="not-yet", title="Not yet", summary="…", status=Campaign.Status.DRAFT)
    hidden = Prisoner.objects.create(slug="hidden-person", name="Hidden Person")
    CampaignPrisoner.objects.create(campaign=draft, prisoner=hidden)
    assert client.get(hidden.get_absolute_url()).status_code == 404

    CampaignPrisoner.objects.create(campaign=demo, prisoner=hidden)
    assert client.get(hidden.get_absolute_url()).status_code == 200


def test_prisoner_in_no_campaign_is_404(demo, client):
    loose = Prisoner.objects.create(slug="in-no-campaign", name="In No Campaign")
    assert client.get(loose.get_absolute_url()).status_code == 404


def test_unpublished_codefendant_is_neither_named_nor_linked(demo, client):
    draft = Campaign.objects.create(slug="not-yet", title="Not yet", summary="…", status=Campaign.Status.DRAFT)
    hidden = Prisoner.objects.create(slug="hidden-person", name="Hidden Person")
    CampaignPrisoner.objects.create(campaign=draft, prisoner=hidden)
    case = CriminalCase.objects.get(slug="left-resistance-case")
    Defendant.objects.create(case=case, prisoner=hidden)
    CaseEvent.objects.create(case=case, prisoner=hidden, kind=CaseEvent.Kind.ARREST,
                             date=datetime.date(2022, 1, 1), description="Hidden Person detained.")
    for path in (url("prisoners:prisoner", "igor-kuznetsov"), case.get_absolute_url(), demo.get_absolute_url()):
        html = get_ok(client, path)
        assert "Hidden Person" not in html, path
        assert hidden.get_absolute_url() not in html, path


# --- Case --------------------------------------------------------------------------------------


def test_case_page_lists_charges_every_defendant_and_the_timeline(demo, client):
    case = CriminalCase.objects.get(slug="left-resistance-case")
    html = get_ok(client, case.get_absolute_url())
    assert f"<h1>{escape(case.title)}</h1>" in html
    for article in case.articles:
        assert f"<strong>{escape(str(article))}</strong>: {escape(article.title)}" in html
    for defendant in case.defendant_links.select_related("prisoner").prefetch_related("charges"):
        assert f'<a href="{defendant.prisoner.get_absolute_url()}">{escape(defendant.prisoner.name)}</a>' in html
        for article in defendant.charges.all():
            assert escape(str(article)) in html
    for event in case.events.all():
        assert escape(event.description) in html
        assert escape(event.source_title) in html


def test_an_event_without_a_source_says_so_rather_than_pass_for_a_sourced_fact(demo, client):
    case = CriminalCase.objects.get(slug="left-resistance-case")
    case.events.create(kind="hearing", date="2022-01-10", description_en="A hearing was postponed.")
    html = get_ok(client, case.get_absolute_url())
    assert "A hearing was postponed." in html and html.count("No source given.") == 1


def test_every_demo_case_page_names_all_its_defendants(demo, client):
    for case in CriminalCase.objects.all():
        html = get_ok(client, case.get_absolute_url())
        for prisoner in case.defendants.all():
            assert escape(prisoner.name) in html


def test_case_with_only_unpublished_defendants_is_404(demo, client):
    draft = Campaign.objects.create(slug="not-yet", title="Not yet", summary="…", status=Campaign.Status.DRAFT)
    hidden = Prisoner.objects.create(slug="hidden-person", name="Hidden Person")
    CampaignPrisoner.objects.create(campaign=draft, prisoner=hidden)
    case = CriminalCase.objects.create(slug="hidden-case", title="Hidden case")
    Defendant.objects.create(case=case, prisoner=hidden)
    assert client.get(case.get_absolute_url()).status_code == 404

    Campaign.objects.filter(pk=draft.pk).update(status=Campaign.Status.LIVE)
    assert client.get(case.get_absolute_url()).status_code == 200


def test_unknown_pages_are_404(client, db):
    for path in ("/en/campaigns/nope/", "/en/prisoners/nope/", "/en/cases/nope/", "/en/petitions/nope/"):
        assert client.get(path).status_code == 404


# --- Privacy -----------------------------------------------------------------------------------


def test_privacy_page_says_what_is_stored_shown_sent_and_for_how_long(db, client, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 45
    html = get_ok(client, url("campaign:privacy"))
    for text in (
        "first and last name", "keyed hash of your IP address", "The key changes every day",
        "never store the address itself", "first name and initial", "Your email address is never shown",
        "one PDF letter", "name withheld", "never sent", "anonymised 45 days after the petition closes",
        "withdraw your signature", "no analytics", "no CAPTCHA service", "Your comment, if you write one",
        "only if your name is in the letter too",
        "A signature never confirmed is deleted 30 days after its last confirmation email",
        "keyed hash of your email address", "think about not showing your name: the list can be read there too",
        "the form asks you once more when your country is one of these: Belarus, Russia.",
        "Mail services in Russia (any address ending in .ru, and Yandex's) must give the Russian authorities",
    ):
        assert text in html, text


@pytest.mark.parametrize(("rate", "kept"), [
    ("10/d", "1\xa0day"), ("20/2d", "2\xa0days"), ("5/90m", "1\xa0hour, 30\xa0minutes"), ("3/30s", "1\xa0minute"),
])
def test_privacy_page_says_how_long_the_hash_of_an_email_address_is_kept(db, client, settings, rate, kept):
    """It said "for a day" whatever SIGNER_EMAILS_PER_ADDRESS's window was (the README asked to edit
    the page with the setting)."""
    settings.SIGNER_EMAILS_PER_ADDRESS = rate
    assert f"A keyed hash of your email address, so that no one can flood your mailbox by signing with it again " \
           f"and again. It is kept {kept} at most." in get_ok(client, url("campaign:privacy"))


def test_privacy_page_says_who_sees_a_signers_details_and_how_to_withdraw_without_the_email(db, client):
    """Someone with family in Russia asks who can read their address, and a careful one deletes our
    emails: signing again with the same address brings an email with the withdraw link
    (test_signing.py), which the page did not say."""
    html = get_ok(client, url("campaign:privacy"))
    assert "organisers of the campaign can see your details, your email address included" in html
    assert "Sign the petition again with the same address" in html


# --- Every page --------------------------------------------------------------------------------


def test_every_page_has_one_h1_and_headings_in_order(demo, client):
    for path in public_urls():
        headings = structure(get_ok(client, path)).headings
        assert headings.count(1) == 1, path
        assert headings[0] == 1, path
        for previous, current in zip(headings, headings[1:], strict=False):
            assert current <= previous + 1, f"{path}: h{previous} followed by h{current}"


def test_every_page_has_opengraph_meta_with_an_absolute_url(demo, client):
    for path in public_urls():
        html = get_ok(client, path)
        assert f'<meta property="og:url" content="http://testserver{path}">' in html, path
        assert '<meta property="og:title" content="' in html, path


def test_no_page_uses_inline_style_or_script(demo, client):
    Prisoner.objects.filter(slug="igor-kuznetsov").update(photo="prisoners/kuznetsov.jpg")
    for path in public_urls():
        html = get_ok(client, path)
        page = structure(html)
        assert page.styled == [], path
        assert "script" not in page.tags and "style" not in page.tags, path
        assert "<script" not in html.lower(), path


def test_no_page_loads_anything_from_another_site(demo, client):
    Prisoner.objects.filter(slug="igor-kuznetsov").update(photo="prisoners/kuznetsov.jpg")
    Organisation.objects.filter(name="Nihilist").update(website="https://nihilist.example/")
    for path in public_urls():
        assert third_party_loads(get_ok(client, path)) == [], path


def test_no_page_shows_an_email_address(demo, client):
    petition = demo.petitions.get()
    assert petition.test_recipient  # the demo has one; it must not leak
    SignatureFactory(petition=petition, confirmed=True, email="signer@example.org", organisation="Union")
    for path in public_urls():
        assert emails_in(get_ok(client, path)) == [], path


def test_ukrainian_pages_are_marked_as_ukrainian(demo, client):
    for path in public_urls(lang="uk"):
        assert path.startswith("/uk/")
        assert '<html lang="uk">' in get_ok(client, path), path


def test_ukrainian_page_shows_ukrainian_content_falling_back_to_english(demo, client):
    Campaign.objects.filter(pk=demo.pk).update(title_uk="Свобода Ігорю Кузнєцову", summary_uk="")
    html = get_ok(client, url("campaign:detail", CAMPAIGN_SLUG, lang="uk"))
    assert "<h1>Свобода Ігорю Кузнєцову</h1>" in html
    assert escape(demo.summary_en) in html  # no Ukrainian summary: the English one


def test_content_is_escaped_everywhere(demo, client):
    """Every content field shown on a page carries a script tag; it must arrive as text."""
    def mark(field):
        return f"{XSS}{field}"

    Campaign.objects.filter(pk=demo.pk).update(
        title=mark("campaign-title"), summary=mark("campaign-summary"), story=mark("campaign-story"))
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    Prisoner.objects.filter(pk=kuznetsov.pk).update(
        name=mark("prisoner-name"), summary=mark("prisoner-summary"), biography=mark("prisoner-biography"))
    DetentionFacility.objects.filter(pk=kuznetsov.facility_id).update(
        name=mark("facility-name"), name_original=mark("facility-original"),
        postal_address=mark("facility-address"))
    case = CriminalCase.objects.get(slug="what-to-do-chat-case")
    CriminalCase.objects.filter(pk=case.pk).update(title=mark("case-title"), summary=mark("case-summary"))
    CaseEvent.objects.filter(case=case, prisoner=kuznetsov, kind=CaseEvent.Kind.ARREST).update(
        description=mark("event-description"), source_title=mark("event-source"))
    SolidarityAction.objects.filter(campaign=demo).update(
        title=mark("action-title"), description=mark("action-description"),
        slogans=f"{mark('action-slogan')}\nFreedom")
    Organisation.objects.filter(name="Nihilist").update(name=mark("organisation-name"))
    CodeArticle.objects.filter(article="212").update(title=mark("article-title"))

    shown_on = {
        url("campaign:detail", CAMPAIGN_SLUG): [
            "campaign-title", "campaign-summary", "campaign-story", "prisoner-name", "prisoner-summary",
            "action-title", "action-description", "action-slogan", "organisation-name"],
        url("campaign:home"): ["campaign-title", "campaign-summary", "prisoner-name"],
        kuznetsov.get_absolute_url(): [
            "prisoner-name", "prisoner-summary", "prisoner-biography", "facility-name", "facility-original",
            "facility-address", "case-title", "event-description", "event-source", "article-title"],
        case.get_absolute_url(): [
            "case-title", "case-summary", "prisoner-name", "event-description", "event-source", "article-title"],
    }
    for path, fields in shown_on.items():
        html = get_ok(client, path)
        assert "<script" not in html.lower(), path
        for field in fields:
            assert escape(mark(field)) in html, f"{field} on {path}"


# --- Queries -----------------------------------------------------------------------------------


def queries_for(client, path):
    with CaptureQueriesContext(connection) as captured:
        get_ok(client, path)
    return len(captured)


def test_campaign_page_queries_do_not_grow_with_its_content(demo, client):
    path = demo.get_absolute_url()
    before = queries_for(client, path)
    organisation = Organisation.objects.create(name="Another union", website="https://union.example/")
    demo.organisations.add(organisation)
    for n in range(10):
        prisoner = Prisoner.objects.create(slug=f"extra-{n}", name=f"Extra {n}", photo=f"prisoners/{n}.jpg")
        CampaignPrisoner.objects.create(campaign=demo, prisoner=prisoner, featured=n % 2 == 0, position=20 + n)
        action = SolidarityAction.objects.create(
            campaign=demo, title=f"Picket {n}", date=datetime.date(2022, 1, 1 + n), place="Embassy",
            city="Paris", country="FR", slogans="One\nTwo")
        action.organisers.add(organisation)
    Petition.objects.create(campaign=demo, slug="second", title="Second appeal", appeal="…",
                            status=Petition.Status.OPEN)
    assert queries_for(client, path) == before
    assert before <= 8


def test_home_queries_do_not_grow_with_campaigns(demo, client):
    path = url("campaign:home")
    before = queries_for(client, path)
    for n in range(5):
        campaign = Campaign.objects.create(slug=f"more-{n}", title=f"More {n}", summary="…",
                                           status=Campaign.Status.LIVE)
        prisoner = Prisoner.objects.create(slug=f"more-{n}", name=f"More {n}")
        CampaignPrisoner.objects.create(campaign=campaign, prisoner=prisoner, featured=True)
        Petition.objects.create(campaign=campaign, slug=f"more-{n}", title=f"More {n}", appeal="…",
                                status=Petition.Status.OPEN)
    assert queries_for(client, path) == before


def test_prisoner_and_case_page_queries_do_not_grow_with_codefendants_and_events(demo, client):
    prisoner_path = url("prisoners:prisoner", "igor-kuznetsov")
    case = CriminalCase.objects.get(slug="left-resistance-case")
    before = (queries_for(client, prisoner_path), queries_for(client, case.get_absolute_url()))
    article = CodeArticle.objects.get(article="282.1", part="2")
    for n in range(8):
        prisoner = Prisoner.objects.create(slug=f"extra-{n}", name=f"Extra {n}")
        CampaignPrisoner.objects.create(campaign=demo, prisoner=prisoner, position=30 + n)
        Defendant.objects.create(case=case, prisoner=prisoner, position=30 + n).charges.add(article)
        CaseEvent.objects.create(case=case, prisoner=prisoner, kind=CaseEvent.Kind.ARREST,
                                 date=datetime.date(2022, 2, 1 + n), description=f"Extra {n} detained.")
    after = (queries_for(client, prisoner_path), queries_for(client, case.get_absolute_url()))
    assert after == before


# --- Facts in the visitor's language -------------------------------------------------------------
# A Ukrainian page once read "Рідне місто: Tomsk", "ч. 1.1 ст. 212 КК РФ: Inciting, recruiting…",
# "Джерело: Appeal by a group of comrades…": these fields had no translation at all.


def shown_in_ukrainian_not_english(html, *objects_and_fields):
    """Each (object, field) with a Ukrainian value: the page has it, and not the English one."""
    for obj, name in objects_and_fields:
        english, ukrainian = getattr(obj, f"{name}_en"), getattr(obj, f"{name}_uk")
        assert english and ukrainian, (obj, name)
        assert escape(ukrainian) in html, (obj, name)
        assert escape(english) not in html, (obj, name)


def test_ukrainian_prisoner_page_shows_city_facility_charges_and_sources_in_ukrainian(demo, client):
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    html = get_ok(client, url("prisoners:prisoner", kuznetsov.slug, lang="uk"))

    articles = CodeArticle.objects.filter(defendants__prisoner=kuznetsov).distinct()
    events = CaseEvent.objects.filter(prisoner=kuznetsov)
    assert articles.count() == 2 and events.exists()
    shown_in_ukrainian_not_english(
        html, (kuznetsov, "city"), (kuznetsov.facility, "name"),
        *((article, "title") for article in articles), *((event, "source_title") for event in events),
    )


def test_ukrainian_case_page_shows_investigators_charges_notes_and_sources_in_ukrainian(demo, client):
    case = CriminalCase.objects.get(slug="left-resistance-case")
    html = get_ok(client, url("prisoners:case", case.slug, lang="uk"))

    noted = Defendant.objects.filter(case=case).exclude(notes_en="")
    assert noted.exists()
    shown_in_ukrainian_not_english(
        html, (case, "investigating_body"),
        *((article, "title") for article in case.articles),
        *((link, "notes") for link in noted),
        *((event, "source_title") for event in case.events.all()),
    )


def test_ukrainian_campaign_page_shows_where_actions_were_held_and_who_supports_in_ukrainian(demo, client):
    html = get_ok(client, url("campaign:detail", CAMPAIGN_SLUG, lang="uk"))

    organisations = demo.organisations.all()
    assert organisations.exists()
    for action in demo.actions.all():
        shown_in_ukrainian_not_english(html, (action, "place"), (action, "city"))
    shown_in_ukrainian_not_english(html, *((organisation, "description") for organisation in organisations))


def marked_as_english(html):
    """The elements that say lang="en" inside a page (the language links' own "English" aside)."""
    html = re.sub(r'<a [^>]*hreflang="[^"]*"[^>]*>', "", html)
    return re.findall(r'<(?!html\b)(\w+)\b[^>]*\slang="en"', html)


def test_english_shown_for_a_missing_translation_is_marked_as_english(demo, client):
    """A field not yet translated falls back to English: the element holding it says lang="en", so
    that a screen reader on the Ukrainian page does not read the English with a Ukrainian voice."""
    petition = Petition.objects.get(campaign=demo)
    prisoner = Prisoner.objects.get(slug="igor-kuznetsov")
    case = CriminalCase.objects.get(slug="left-resistance-case")
    pages = [url("petitions:detail", petition.slug, lang="uk"), url("campaign:detail", CAMPAIGN_SLUG, lang="uk"),
             url("prisoners:prisoner", prisoner.slug, lang="uk"), url("prisoners:case", case.slug, lang="uk")]
    for path in pages:  # the demo, translated: nothing to mark
        assert marked_as_english(get_ok(client, path)) == [], path

    Petition.objects.filter(pk=petition.pk).update(title_uk="", appeal_uk="")
    Campaign.objects.filter(pk=demo.pk).update(story_uk="")
    Prisoner.objects.filter(pk=prisoner.pk).update(biography_uk="")
    CriminalCase.objects.filter(pk=case.pk).update(title_uk="")
    shown = [get_ok(client, f"{path}?fresh") for path in pages]
    # The petition's title and appeal; its title on the campaign page (and in its sign button's
    # hidden text), the case's title in its news (a case-wide event's, and two "More in" links), and
    # the story; on the prisoner's page, the petition's title in the sign button's hidden text, the
    # biography, and the case's title over its charges and over its two events in the timeline; the
    # case's title.
    assert [marked_as_english(html) for html in shown] == [
        ["h1", "div"], ["h3", "span", "span", "span", "span", "div"], ["span", "div", "h3", "p", "p"], ["h1"]]
    assert re.search(r'<h1 lang="en">([^<]*)</h1>', shown[0]).group(1) == escape(petition.title_en)
    assert re.search(r'<div lang="en"><p>([^<]*)', shown[0]).group(1).strip() == escape(
        petition.appeal_en.split("\n")[0].strip())
    assert marked_as_english(get_ok(client, url("petitions:detail", petition.slug))) == []  # English page


class _TextLanguages(HTMLParser):
    """Each piece of text in a page's body, with the language it is marked as (the nearest `lang`)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, page_language):
        super().__init__()
        self.stack, self.texts, self.in_body = [page_language], [], False

    def handle_starttag(self, tag, attrs):
        self.in_body = self.in_body or tag == "body"
        if tag not in self.VOID:
            self.stack.append(dict(attrs).get("lang") or self.stack[-1])

    def handle_endtag(self, tag):
        if tag not in self.VOID and len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data):
        if self.in_body and data.strip():
            self.texts.append((self.stack[-1], " ".join(data.split())))


def english_read_as(html, english_values, page_language="uk"):
    """The English values the page shows in text that is not marked lang="en"."""
    parser = _TextLanguages(page_language)
    # Slogans are quoted as the report gives them, in whatever language that was: not a fallback.
    parser.feed(re.sub(r'<ul class="slogans">.*?</ul>', "", html, flags=re.S))
    return sorted({value for lang, text in parser.texts if lang != "en" for value in english_values if value in text})


def test_every_field_shown_in_english_for_a_missing_translation_is_marked_as_english(demo, client):
    """Each translated field falls back to English on its own, wherever it is shown: as a heading, a
    link, a paragraph, or a word inside a sentence of the page ("From Tomsk", "Source: …"). Each must
    say lang="en", or a screen reader reads the English names, places, charges and sources of a
    Ukrainian page with a Ukrainian voice. Here an organiser has translated nothing into Ukrainian."""
    from modeltranslation.translator import translator

    article = CodeArticle.objects.get(article="212")
    CodeArticle.objects.filter(pk=article.pk).update(max_sentence_en="ten years in prison")
    event = CaseEvent.objects.filter(prisoner__slug="igor-kuznetsov").first()
    CaseEvent.objects.filter(pk=event.pk).update(source_url="https://example.org/report")
    SolidarityAction.objects.update(source_url="https://example.org/kyiv")
    english_values = set()
    for model in translator.get_registered_models():
        for name in translator.get_options_for_model(model).fields:
            model.objects.update(**{f"{name}_uk": ""})
            for value in model.objects.values_list(f"{name}_en", flat=True):
                # A text field is shown paragraph by paragraph (linebreaks).
                english_values.update(" ".join(part.split()) for part in (value or "").split("\n\n") if part)

    pages = public_urls(lang="uk")
    pages.remove(url("campaign:privacy", lang="uk"))
    unmarked = {path: english_read_as(get_ok(client, path), english_values) for path in pages}
    assert {path: found for path, found in unmarked.items() if found} == {}
    # What the test looks for is there: marked, not missing.
    kuznetsov = get_ok(client, url("prisoners:prisoner", "igor-kuznetsov", lang="uk"))
    assert 'Рідне місто: <span lang="en">Tomsk</span>' in kuznetsov
    assert f'<span lang="en">{escape(event.source_title_en)}</span></a>' in kuznetsov
    assert "(до <span lang=\"en\">ten years in prison</span>)" in kuznetsov
    campaign = get_ok(client, url("campaign:detail", CAMPAIGN_SLUG, lang="uk"))
    assert '<span lang="en">Embassy of the Russian Federation</span>, <span lang="en">Kyiv</span>' in campaign


def test_the_language_links_lead_to_the_same_page_in_each_language_without_cookies(demo, client):
    """Plain links: the form they replaced needed the CSRF cookie, and a browser refusing cookies got a 403."""
    petition = url("petitions:detail", "free-igor-kuznetsov-and-comrades")
    for path in [*public_urls(), petition, f"{petition}?utm_source=leaflet", "/en/no-such-page/"]:
        page = client.get(path)
        links = dict(re.findall(r'<a href="([^"]+)" hreflang="([a-z]+)"', page.text))
        assert sorted(links.values()) == ["en", "fr", "ru", "uk"], path
        for target, lang in links.items():
            assert target == f"/{lang}/{path.removeprefix('/en/')}", (path, target)
            if page.status_code == 200:
                client.cookies.clear()
                assert f'<html lang="{lang}"' in get_ok(client, target)


def test_the_language_links_of_a_missing_page_never_lead_to_another_site(db):
    """A path of several slashes is read by browsers as another site's address ("///evil.example/" is
    http://evil.example/): the 404 page of such an address, a link anyone can post, put it in its
    language links, and "Українська" on our page led to that site."""
    from django.test import Client

    anonymous = Client(raise_request_exception=False)
    for path in ("/%2F%2Fevil.example/", "///evil.example/", "/%2F/evil.example/x?y=1", "/en//evil.example/",
                 "/%5C%5Cevil.example/"):
        page = anonymous.get(path)
        assert page.status_code == 404, path
        links = re.findall(r'<a href="([^"]+)" hreflang="([a-z]+)"', page.text)
        assert len(links) == 4, path
        for target, _lang in links:
            assert target.startswith("/") and not target.startswith(("//", "/\\")), (path, target)


def test_search_engines_are_told_the_address_of_each_page_in_each_language(demo, client):
    """<link rel="alternate" hreflang>: a search shows a Ukrainian reader the Ukrainian page. Full
    addresses, without a visitor's query string; x-default is the English page."""
    petition = url("petitions:detail", "free-igor-kuznetsov-and-comrades", lang="uk")
    for path in (petition, f"{petition}?utm_source=leaflet", url("campaign:privacy", lang="fr")):
        page = get_ok(client, path)
        alternates = dict(re.findall(r'<link rel="alternate" hreflang="([a-z-]+)" href="([^"]+)">', page))
        plain = path.split("?")[0].split("/", 2)[2]
        assert alternates == {
            **{lang: f"http://testserver/{lang}/{plain}" for lang in ("en", "uk", "ru", "fr")},
            "x-default": f"http://testserver/en/{plain}",
        }, path


# --- robots.txt and the sitemap ------------------------------------------------------------------

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


def sitemap_entries(client):
    from xml.etree import ElementTree

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    return {
        entry.findtext("s:loc", namespaces=SITEMAP_NS): {
            link.get("hreflang"): link.get("href") for link in entry.findall("x:link", SITEMAP_NS)
        }
        for entry in root.findall("s:url", SITEMAP_NS)
    }


def test_sitemap_lists_every_public_page_in_every_language_at_the_sites_address(demo, client, settings):
    settings.SITE_URL = "https://petitions.example.org"
    entries = sitemap_entries(client)
    for lang in ("en", "uk", "ru", "fr"):
        for path in [*public_urls(lang), url("petitions:detail", "free-igor-kuznetsov-and-comrades", lang=lang)]:
            assert f"https://petitions.example.org{path}" in entries, path
    # Each page names its twins in the other languages, as the pages' own <link rel="alternate"> do.
    petition = "https://petitions.example.org/uk/petitions/free-igor-kuznetsov-and-comrades/"
    assert entries[petition]["fr"] == "https://petitions.example.org/fr/petitions/free-igor-kuznetsov-and-comrades/"
    assert set(entries[petition]) == {"en", "uk", "ru", "fr"}
    # Nothing but pages anyone may open: every address listed answers 200 to a visitor.
    for loc in entries:
        assert client.get(loc.removeprefix("https://petitions.example.org")).status_code == 200, loc


def test_sitemap_leaves_out_drafts_and_the_people_only_a_draft_names(demo, client):
    draft = Campaign.objects.create(slug="not-yet", title="Not yet", summary="…", status=Campaign.Status.DRAFT)
    hidden = Prisoner.objects.create(slug="hidden-person", name="Hidden Person")
    CampaignPrisoner.objects.create(campaign=draft, prisoner=hidden)
    case = CriminalCase.objects.create(slug="hidden-case", title="Hidden case")
    Defendant.objects.create(case=case, prisoner=hidden)
    Petition.objects.create(campaign=demo, slug="draft-one", title="Unfinished draft", appeal="…")
    Petition.objects.create(campaign=draft, slug="in-a-draft", title="In a draft campaign", appeal="…",
                            status=Petition.Status.OPEN)

    listed = "\n".join(sitemap_entries(client))
    for slug in ("not-yet", "hidden-person", "hidden-case", "draft-one", "in-a-draft"):
        assert f"/{slug}/" not in listed, slug
    assert "/prisoners/igor-kuznetsov/" in listed  # the public ones still are


def test_robots_txt_points_to_the_sitemap_and_keeps_the_admin_address_to_itself(db, client, settings):
    settings.SITE_URL = "https://petitions.example.org"
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert "Sitemap: https://petitions.example.org/sitemap.xml" in lines
    assert settings.ADMIN_URL.strip("/") not in response.content.decode()
    # Pages marked noindex must stay fetchable, or a crawler never sees that they are: only the JSON is
    # disallowed.
    assert [line for line in lines if line.startswith("Disallow")] == ["Disallow: /api/"]
    assert client.post("/robots.txt").status_code == 405


def test_charges_are_listed_in_the_order_of_the_code_not_of_their_text(demo, client):
    """Attempted murder is "part 3 of article 30, article 105": as text, "105" came before "30", and
    part 10 before part 2."""
    case = CriminalCase.objects.get(slug="left-resistance-case")
    defendant = Defendant.objects.filter(case=case).first()
    for article, part in [("105", "2"), ("30", "3"), ("282", "10"), ("282", "2")]:
        defendant.charges.add(CodeArticle.objects.create(article=article, part=part, title=f"t{article}/{part}"))
    for page in (get_ok(client, case.get_absolute_url()), get_ok(client, defendant.prisoner.get_absolute_url())):
        shown = [page.index(f"Art. {a} part {p} CC RF") for a, p in [("30", "3"), ("105", "2"), ("282", "2"),
                                                                      ("282", "10")]]
        assert shown == sorted(shown)


def test_a_timeline_event_known_only_to_the_month_or_year_shows_no_made_up_day(demo, client):
    """Sources often say only "in September 2021" or "in 2019"; a day shown would be published as fact."""
    case = CriminalCase.objects.get(slug="what-to-do-chat-case")
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    CaseEvent.objects.create(case=case, prisoner=kuznetsov, kind=CaseEvent.Kind.OTHER, date=datetime.date(2019, 6, 15),
                             date_precision=CaseEvent.DatePrecision.YEAR, description="One-person pickets; fined.")
    CaseEvent.objects.create(case=case, prisoner=kuznetsov, kind=CaseEvent.Kind.SEARCH, date=datetime.date(2021, 9, 20),
                             date_precision=CaseEvent.DatePrecision.MONTH, description="Flat searched.")
    for path in (url("prisoners:case", case.slug), url("prisoners:prisoner", kuznetsov.slug)):
        html = get_ok(client, path)
        assert '<time class="fw-semibold" datetime="2019">2019</time>' in html, path
        assert '<time class="fw-semibold" datetime="2021-09">September 2021</time>' in html, path
        assert "June 15, 2019" not in html and "Sept. 20, 2021" not in html, path
        # Still in the order of the dates entered: 2019, the arrest of 16 September, the search.
        assert html.index(">2019<") < html.index("Sept. 16, 2021") < html.index(">September 2021<"), path
    uk = get_ok(client, url("prisoners:case", case.slug, lang="uk"))
    assert ">Вересень 2021<" in uk or ">вересень 2021<" in uk
