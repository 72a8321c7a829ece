"""A campaign's news: what is coming up and what happened last, on its page and as an Atom feed (for
supporters who follow the case without an email address)."""

import datetime
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils.translation import override

from campaign.models import Campaign, CampaignPrisoner
from prisoners.models import CaseEvent, CriminalCase, Defendant, Prisoner

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SLUG = "freedom-for-igor-kuznetsov"


@pytest.fixture
def demo(db, settings):
    settings.SITE_URL = "https://petitions.example.org"
    call_command("load_demo", verbosity=0)
    return Campaign.objects.get(slug=SLUG)


def feed_path(slug=SLUG, lang="en"):
    with override(lang):
        return reverse("campaign:news", args=[slug])


def read_feed(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 (our own response)


def entries(feed):
    return [
        {"title": entry.findtext(f"{ATOM}title"), "id": entry.findtext(f"{ATOM}id"),
         "link": entry.find(f"{ATOM}link").get("href"), "summary": entry.findtext(f"{ATOM}summary")}
        for entry in feed.iter(f"{ATOM}entry")
    ]


def test_the_feed_gives_the_campaigns_case_events_newest_entry_first_each_linked_to_its_place(demo, client):
    case = CriminalCase.objects.get(slug="left-resistance-case")
    latest = CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.HEARING, date=datetime.date(2022, 3, 1),
                                      description="The court extended the custody of all defendants.")

    feed = read_feed(client, feed_path())

    assert feed.findtext(f"{ATOM}title").endswith(": news of the case")
    items = entries(feed)
    public_events = CaseEvent.objects.filter(case__defendants__campaigns=demo).distinct().count()
    assert len(items) == public_events > 1
    assert items[0]["title"] == f"March 1, 2022 · Hearing · {case.title}"
    assert items[0]["id"] == f"tag:petitions.example.org,2026:case-event:{latest.pk}"
    # The site's own address, whatever Host the request came with; the anchor is on the case page.
    assert items[0]["link"] == f"https://petitions.example.org/en/cases/left-resistance-case/#event-{latest.pk}"
    assert f'id="event-{latest.pk}"' in client.get(case.get_absolute_url()).text
    assert len({item["id"] for item in items}) == len(items)


def test_what_an_organiser_typed_reaches_a_reader_as_text_never_as_markup(demo, client):
    case = CriminalCase.objects.get(slug="left-resistance-case")
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.STATEMENT, date=datetime.date(2022, 3, 1),
                             description='<script>alert(1)</script><img src=x onerror="alert(2)">',
                             source_url="https://example.org/report?a=1&b=2", source_title="A <b>report</b>")

    summary = entries(read_feed(client, feed_path()))[0]["summary"]  # the HTML a reader will show

    assert "<script>" not in summary and "<img" not in summary and "<b>" not in summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary
    assert '<a href="https://example.org/report?a=1&amp;b=2">A &lt;b&gt;report&lt;/b&gt;</a>' in summary


def test_a_draft_campaign_has_no_feed_and_a_prisoner_only_a_draft_names_is_never_in_one(demo, client, admin_client):
    draft = Campaign.objects.create(slug="not-yet", title="Not yet", summary="…", status=Campaign.Status.DRAFT)
    hidden = Prisoner.objects.create(slug="hidden-person", name="Hidden Person")
    CampaignPrisoner.objects.create(campaign=draft, prisoner=hidden)
    case = CriminalCase.objects.get(slug="left-resistance-case")
    Defendant.objects.create(case=case, prisoner=hidden)
    CaseEvent.objects.create(case=case, prisoner=hidden, kind=CaseEvent.Kind.ARREST,
                             date=datetime.date(2022, 1, 1), description="Hidden Person detained.")

    assert client.get(feed_path("not-yet")).status_code == 404
    assert admin_client.get(feed_path("not-yet")).status_code == 404  # a reader shows no "draft" banner
    assert 'type="application/atom+xml"' not in admin_client.get(draft.get_absolute_url()).text
    for body in (client.get(feed_path()).content.decode(), client.get(demo.get_absolute_url()).text):
        assert "Hidden Person" not in body and "hidden-person" not in body


def test_the_campaign_page_offers_its_feed_in_the_readers_language(demo, client):
    page = client.get(demo.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr").text
    assert f'<link rel="alternate" type="application/atom+xml" href="{feed_path()}"' in page
    assert f'<a href="{feed_path()}">Follow the news of the case in a feed reader (Atom)</a>' in page

    feed = read_feed(client, feed_path(lang="fr"))
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    assert feed.findtext(f"{ATOM}title").endswith("\u00a0: actualités de l’affaire")
    assert entries(feed)[0]["link"].startswith("https://petitions.example.org/fr/cases/")


def test_an_unknown_campaign_has_no_feed(db, client):
    assert client.get(feed_path("no-such-campaign")).status_code == 404


@time_machine.travel(datetime.datetime(2022, 2, 1, 12, tzinfo=datetime.UTC), tick=False)
def test_the_campaign_page_says_what_is_coming_up_and_what_happened_last(demo, client):
    """A hearing supporters can attend, or picket outside, was only on the case page, at the end of its
    timeline."""
    case = CriminalCase.objects.get(slug="left-resistance-case")
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    hearing = CaseEvent.objects.create(case=case, prisoner=kuznetsov, kind=CaseEvent.Kind.HEARING,
                                       date=datetime.date(2022, 2, 15), description="Custody hearing in Moscow.",
                                       time=datetime.time(10, 30), place_en="Moscow City Court <Room 5>")
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.APPEAL, date=datetime.date(2022, 1, 20),
                             description="An appeal already heard.")
    past = list(CaseEvent.objects.filter(case__defendants__campaigns=demo, date__lte=datetime.date(2022, 2, 1))
                .distinct().order_by("-date", "-pk"))

    page = client.get(demo.get_absolute_url()).text

    section = page[page.index('id="news-heading"'):page.index("</section>", page.index('id="news-heading"'))]
    coming_up, latest = section.split("Latest")
    assert "Coming up" in coming_up and "Custody hearing" in coming_up
    # When and where, for those who want to be there: the court's own clock, and the court.
    assert '<time class="fw-semibold" datetime="2022-02-15T10:30">Feb. 15, 2022, 10:30</time> (local time)' \
        ' · Moscow City Court &lt;Room 5&gt;' in coming_up
    assert f'href="{case.get_absolute_url()}#event-{hearing.pk}"' in coming_up
    assert "An appeal already heard" not in coming_up
    # The three most recent up to today, most recent first; the rest are on the case pages.
    shown = [event.pk for event in past if f"#event-{event.pk}\"" in latest]
    assert shown == [event.pk for event in past[:3]]
    assert latest.index(f"#event-{past[0].pk}\"") < latest.index(f"#event-{past[1].pk}\"")
    assert f'href="{feed_path()}"' in section


def test_a_reader_subscribed_before_the_campaigns_slug_changed_is_sent_to_the_new_feed(demo, client):
    demo.slug = "free-them-all"
    demo.save()

    response = client.get(feed_path(SLUG, lang="uk"))

    assert response.status_code == 301
    assert response["Location"] == feed_path("free-them-all", lang="uk")
    read_feed(client, response["Location"])
    Campaign.objects.filter(pk=demo.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(feed_path(SLUG)).status_code == 404


def test_a_time_needs_the_exact_day_and_the_feed_says_when_and_where(demo, client):
    case = CriminalCase.objects.get(slug="left-resistance-case")
    vague = CaseEvent(case=case, kind=CaseEvent.Kind.HEARING, date=datetime.date(2022, 3, 1),
                      date_precision=CaseEvent.DatePrecision.MONTH, time=datetime.time(10), description="A hearing.")
    with pytest.raises(ValidationError) as refused:
        vague.full_clean()
    assert "exact day" in refused.value.message_dict["time"][0]

    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.APPEAL, date=datetime.date(2022, 3, 1),
                             time=datetime.time(9), place_en="Second Court of Appeal", place_fr="Deuxième cour d’appel",
                             description="The appeal.")
    summaries = [entries(read_feed(client, feed_path(lang=lang)))[0]["summary"] for lang in ("en", "fr")]
    assert 'datetime="2022-03-01T09:00"' in summaries[0] and "Second Court of Appeal" in summaries[0]
    assert "Deuxième cour d’appel" in summaries[1]
