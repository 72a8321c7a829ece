"""Moderation, comments, the CSV export and the audit log."""

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from campaign.models import AuditEntry, Membership
from petitions import counting, delivery, moderation, views
from petitions.models import DeliveryItem, Embassy, Petition, Signature

from .checks import third_party_loads
from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def petition():
    return PetitionFactory(slug="free-them", test_recipient="organiser@example.org")


@pytest.fixture
def alice(client, django_user_model, petition):
    user = django_user_model.objects.create_user("alice", "alice@example.org", "pw", is_staff=True)
    Membership.objects.create(user=user, campaign=petition.campaign, role=Membership.Role.EDITOR)
    client.force_login(user)
    return user


def form(**overrides):
    data = {"first_name": "Olena", "last_name": "Petrenko", "email": "olena@example.org", "country": "UA",
            "public_name": "full", "name_in_letter": "yes"}
    data.update(overrides)
    return data


@pytest.mark.usefixtures("one_window")
def test_rules_flag_links_abuse_disposable_addresses_and_bursts(client, petition):
    client.post("/en/petitions/free-them/", form(email="a@mailinator.com"))
    client.post("/en/petitions/free-them/", form(email="b@example.org", comment="visit http://spam.example"))
    client.post("/en/petitions/free-them/", form(email="c@example.org", first_name="Putin"))
    for i in range(4):
        client.post("/en/petitions/free-them/", form(email=f"burst{i}@example.org"))
    flags = {s.email: s.flags for s in Signature.objects.all()}
    assert flags["a@mailinator.com"] == ["disposable_email"]
    assert "link" in flags["b@example.org"]
    assert "abuse" in flags["c@example.org"]
    assert "burst" in flags["burst3@example.org"] and "burst" not in flags["a@mailinator.com"]
    assert moderation.describe(["link"]) == "a link in the name, organisation or comment"


@pytest.mark.parametrize("text", [
    "join t.me/free_crypto_help", "bit.ly/3xYzAb", "wa.me/79991234567", "vk.cc/cabc12", "telegra.ph/Truth-04-01",
    "scam.shop", "казино.рф", "evil[.]com", "evil (dot) net", "HTTPS://spam.example",
])
def test_links_in_the_forms_spam_uses_are_flagged(text):
    """A Telegram or WhatsApp link, a link shortener, a domain with its dot written out: a name or
    comment with one was shown on the petition page at once (only a scheme, www. and eight domain
    endings were looked for), spam on the campaign's own site."""
    for field in ("first_name", "organisation", "comment"):
        signature = Signature(**{"email": "a@example.org", "first_name": "Olena", "last_name": "P", field: text})
        assert "link" in moderation.flags_for(signature), (field, text)


@pytest.mark.parametrize("text", [
    "J.R.R. Tolkien", "St. Petersburg", "Free them.Now!", "Co-defendants. Co-op", "U.S./Canada", "and/or 1.5/10",
    "Нижний Новгород", "ООО «Рога и копыта»", "Ph.D.", "e.g. the prisoners",
])
def test_ordinary_names_and_sentences_are_not_taken_for_links(text):
    signature = Signature(email="a@example.org", first_name="Olena", last_name="P", comment=text)
    assert "link" not in moderation.flags_for(signature), text


def test_the_moderation_queue_shows_flagged_signatures_with_the_reason(client, alice, petition):
    SignatureFactory(petition=petition, first_name="Fine")
    SignatureFactory(petition=petition, first_name="Flagged", flags=["link"])
    page = client.get(reverse("admin:petitions_signature_changelist") + "?review=queue")
    names = [s.first_name for s in page.context["cl"].queryset]
    assert names == ["Flagged"]
    assert "a link in the name, organisation or comment" in page.text


def test_rejecting_as_spam_takes_signatures_out_of_the_count_and_deliveries(client, alice, petition):
    Embassy.objects.create(country="PL", city="Warsaw", email="e@example.org")
    spam = SignatureFactory.create_batch(3, petition=petition, confirmed=True, flags=["burst"])
    SignatureFactory(petition=petition, confirmed=True)
    counting.update_counts()
    assert Petition.objects.get().signature_count == 4

    client.post(reverse("admin:petitions_signature_changelist"),
                {"action": "reject_as_spam", "_selected_action": [s.pk for s in spam]})

    assert Petition.objects.get().signature_count == 1  # at once
    delivery.plan(Petition.objects.get(), enqueue=False)
    assert DeliveryItem.objects.count() == 1
    entry = AuditEntry.objects.get(action="signature.rejected")
    assert entry.user == alice and entry.campaign == petition.campaign
    assert sorted(entry.data["signature_ids"]) == sorted(s.pk for s in spam)


def test_hiding_a_name_and_a_comment(client, alice, petition):
    Petition.objects.filter(pk=petition.pk).update(comment_display=Petition.CommentDisplay.IMMEDIATE)
    signature = SignatureFactory(petition=petition, first_name="Visible", last_name="Person", public_name="full",
                                 comment="Free them all!", confirmed=True)
    page = client.get("/en/petitions/free-them/").text
    assert "Visible Person" in page and "Free them all!" in page

    for action in ("hide_name", "hide_comment"):
        client.post(reverse("admin:petitions_signature_changelist"),
                    {"action": action, "_selected_action": [signature.pk]})

    page = client.get("/en/petitions/free-them/").text
    assert "Visible Person" not in page and "Free them all!" not in page
    assert AuditEntry.objects.filter(action__in=["signature.name_hidden", "signature.comment_hidden"]).count() == 2


def test_what_a_flagged_signature_says_is_published_only_once_reviewed(client, alice, petition):
    Petition.objects.filter(pk=petition.pk).update(comment_display=Petition.CommentDisplay.IMMEDIATE)
    spam = SignatureFactory(petition=petition, first_name="Cheap", last_name="Pills", public_name="full",
                            organisation="pills.example.com", comment="Visit www.pills.example.com",
                            flags=["link"], confirmed=True)
    counting.update_counts()
    pages = ("/en/petitions/free-them/", "/en/petitions/free-them/signatories/")
    for path in pages:
        page = client.get(path).text
        assert "Cheap Pills" not in page and "pills.example.com" not in page, path
    assert Petition.objects.get(pk=petition.pk).signature_count == 1  # counted all the same

    client.post(reverse("admin:petitions_signature_changelist"), {"action": "approve", "_selected_action": [spam.pk]})
    page = client.get(pages[0]).text
    assert "Cheap Pills" in page and "pills.example.com" in page


def test_an_organisation_a_signer_names_is_published_only_once_an_organiser_approves(client, alice, petition):
    """Anyone can type "Amnesty International", and "Organisations that signed" reads as its endorsement."""
    later = [timezone.now()]

    def page():
        later[0] += timedelta(seconds=views.PUBLIC_SECONDS + 1)
        with time_machine.travel(later[0]):
            return client.get("/en/petitions/free-them/").text

    named = SignatureFactory(petition=petition, organisation="Amnesty International", confirmed=True)
    SignatureFactory(petition=petition, organisation="Pending Union")  # not confirmed: never listed
    assert "Amnesty International" not in page()

    dashboard = client.get(reverse("admin:petitions_petition_dashboard", args=[petition.pk])).text
    assert "1 confirmed signature names an organisation not yet approved" in dashboard
    queue = client.get(reverse("admin:petitions_signature_changelist"),
                       {"petition__id__exact": petition.pk, "review": "organisations"})
    assert [s.pk for s in queue.context["cl"].queryset] == [named.pk]

    client.post(reverse("admin:petitions_signature_changelist"), {"action": "approve", "_selected_action": [named.pk]})
    html = page()
    assert "Organisations that signed" in html and "Amnesty International" in html
    assert "Pending Union" not in html
    assert "not yet approved" not in client.get(
        reverse("admin:petitions_petition_dashboard", args=[petition.pk])).text


def test_the_moderation_queue_shows_what_is_to_be_approved_without_opening_each_signature(client, alice, petition):
    """Approving an organisation, or a comment, is deciding on what the signer typed: the list showed
    neither, and each signature had to be opened in turn."""
    SignatureFactory(petition=petition, organisation="Amnesty International", confirmed=True,
                     comment="Free them all " + "now " * 40)

    page = client.get(reverse("admin:petitions_signature_changelist"), {"review": "organisations"}).text
    assert '<td class="field-organisation">Amnesty International</td>' in page
    comment = re.search(r'<td class="field-short_comment">([^<]*)</td>', page).group(1)
    assert comment.startswith("Free them all now") and comment.endswith("…") and len(comment) <= 80


def test_approving_a_signature_rejected_as_spam_says_it_stays_rejected(client, alice, petition):
    spam = SignatureFactory(petition=petition, comment="Visit www.pills.example.com", confirmed=True)
    moderation.reject_as_spam(Signature.objects.filter(pk=spam.pk))

    response = client.post(reverse("admin:petitions_signature_changelist"),
                           {"action": "approve", "_selected_action": [spam.pk]}, follow=True)

    text = [str(message) for message in response.context["messages"]]
    assert "0 signatures changed." in text and any("stay rejected" in message for message in text)
    spam.refresh_from_db()
    assert (spam.status, spam.comment_approved) == (Signature.Status.REJECTED, False)


def test_comments_show_as_the_petition_says(client, petition):
    later = [timezone.now()]

    def page():
        # Visitors see a change within the page's few seconds in each web process's memory.
        later[0] += timedelta(seconds=views.PUBLIC_SECONDS + 1)
        with time_machine.travel(later[0]):
            return client.get("/en/petitions/free-them/").text

    SignatureFactory(petition=petition, comment="Solidarity from Lyon", confirmed=True)
    assert "Solidarity from Lyon" not in page()  # off by default
    Petition.objects.filter(pk=petition.pk).update(comment_display=Petition.CommentDisplay.APPROVED)
    assert "Solidarity from Lyon" not in page()
    Signature.objects.update(comment_approved=True)
    assert "Solidarity from Lyon" in page()


def test_a_viewer_cannot_moderate(client, django_user_model, petition):
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=petition.campaign, role=Membership.Role.VIEWER)
    client.force_login(bob)
    signature = SignatureFactory(petition=petition, confirmed=True)
    client.post(reverse("admin:petitions_signature_changelist"),
                {"action": "reject_as_spam", "_selected_action": [signature.pk]})
    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def test_the_csv_export_is_streamed_and_neutralises_formulas(client, alice, petition):
    SignatureFactory(petition=petition, first_name="=HYPERLINK(\"http://evil\")", last_name="+1", city="-2",
                     organisation="@SUM(A1)", confirmed=True)
    SignatureFactory(petition=petition, first_name="Олена", last_name="O'Brien")
    response = client.get(reverse("admin:petitions_petition_export", args=[petition.pk]))
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2
    evil = next(r for r in rows if "HYPERLINK" in r["first_name"])
    assert evil["first_name"].startswith("'=") and evil["last_name"] == "'+1"
    assert evil["city"] == "'-2" and evil["organisation"] == "'@SUM(A1)"
    assert any(r["first_name"] == "Олена" for r in rows)
    assert AuditEntry.objects.filter(action="signatures.exported", user=alice).exists()


def test_the_csv_export_starts_with_a_byte_order_mark_so_excel_reads_cyrillic(client, alice, petition):
    SignatureFactory(petition=petition, first_name="Олена", last_name="Петренко", city="=1+1", confirmed=True)
    response = client.get(reverse("admin:petitions_petition_export", args=[petition.pk]))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfsigned_at,")  # once, before the header
    assert body.count(b"\xef\xbb\xbf") == 1
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert list(rows[0])[0] == "signed_at"
    assert (rows[0]["first_name"], rows[0]["city"]) == ("Олена", "'=1+1")  # formulas still neutralised


def test_the_csv_export_neutralises_formulas_where_excel_splits_cells_at_semicolons(client, alice, petition):
    # Russian, Ukrainian and French Excel (list separator ";") split a double-clicked .csv at every ";"
    # and line break, ignoring our commas and quotes: what follows one is a cell of its own.
    exfiltrate = "=WEBSERVICE(CHAR(104)&CHAR(116)&A2)"
    SignatureFactory(petition=petition, first_name=f"Ivan;{exfiltrate}", last_name='Petrov; "+1"',
                     city="Lyon;\t@SUM(A1)", organisation="Union; -2", comment=f"Free them!\n{exfiltrate};",
                     confirmed=True)
    SignatureFactory(petition=petition, first_name="Olena", organisation="Saint-Denis; Lyon", comment="Yes;\nno",
                     confirmed=True)
    response = client.get(reverse("admin:petitions_petition_export", args=[petition.pk]))
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    cells = [cell for line in re.split(r"\r\n|\r|\n", body) for cell in line.split(";")]
    assert any("WEBSERVICE" in cell for cell in cells)
    formulas = [cell for cell in cells if cell.lstrip(' \t"').startswith(("=", "+", "-", "@"))]
    assert formulas == []
    # Read as CSV (a comma-separated spreadsheet), each value is what was typed, with a quote before the formula.
    rows = list(csv.DictReader(io.StringIO(body)))
    ivan = next(row for row in rows if row["first_name"].startswith("Ivan"))
    assert ivan["first_name"] == f"Ivan;'{exfiltrate}"
    assert ivan["organisation"] == "Union;' -2"
    assert ivan["comment"] == f"Free them!\n'{exfiltrate};"
    olena = next(row for row in rows if row["first_name"] == "Olena")
    assert (olena["organisation"], olena["comment"]) == ("Saint-Denis; Lyon", "Yes;\nno")  # left as typed


def test_another_campaigns_organiser_cannot_export(client, django_user_model, petition):
    other = PetitionFactory()
    charlie = django_user_model.objects.create_user("charlie", "c@example.org", "pw", is_staff=True)
    Membership.objects.create(user=charlie, campaign=other.campaign, role=Membership.Role.EDITOR)
    client.force_login(charlie)
    assert client.get(reverse("admin:petitions_petition_export", args=[petition.pk])).status_code == 404


def test_a_viewer_cannot_export_every_signers_address(client, django_user_model, petition):
    SignatureFactory(petition=petition, email="olena@example.org", confirmed=True)
    viewer = django_user_model.objects.create_user("vera", "v@example.org", "pw", is_staff=True)
    Membership.objects.create(user=viewer, campaign=petition.campaign, role=Membership.Role.VIEWER)
    client.force_login(viewer)
    response = client.get(reverse("admin:petitions_petition_export", args=[petition.pk]), follow=True)
    assert "olena@example.org" not in response.text
    assert "Only the campaign&#x27;s editors can export its signatures." in response.text
    assert not AuditEntry.objects.filter(action="signatures.exported").exists()


def test_organisers_read_only_their_campaigns_audit_log(client, alice, petition, django_user_model):
    from campaign import audit

    audit.record("signature.rejected", campaign=petition.campaign, signature_ids=[1])
    audit.record("signature.rejected", campaign=PetitionFactory().campaign, signature_ids=[2])
    page = client.get(reverse("admin:campaign_auditentry_changelist"))
    assert [e.data["signature_ids"] for e in page.context["cl"].queryset] == [[1]]
    entry = AuditEntry.objects.filter(campaign=petition.campaign).get()
    assert client.post(reverse("admin:campaign_auditentry_change", args=[entry.pk]), {}).status_code == 403


def test_the_dashboard_draws_signatures_per_day_as_svg_and_counts(client, alice, petition):
    from django.utils import timezone

    SignatureFactory.create_batch(3, petition=petition, confirmed=True)
    SignatureFactory(petition=petition, confirmed=True, confirmed_at=timezone.now() - timezone.timedelta(days=2))
    SignatureFactory(petition=petition)  # pending
    page = client.get(reverse("admin:petitions_petition_dashboard", args=[petition.pk]))
    assert page.status_code == 200
    assert '<svg role="img"' in page.text  # drawn on the server
    assert third_party_loads(page.text) == []
    assert [n for _, n in page.context["series"]][-3:] == [1, 0, 3]
    assert page.context["confirmation_rate"] == 80
    assert page.context["by_country"] == [{"country": "PL", "n": 4}]


def test_the_dashboards_chart_starts_at_midnight_of_its_first_day(client, alice, petition):
    from datetime import datetime, time

    from django.utils import timezone

    from petitions.dashboard import CHART_DAYS

    first_day = timezone.localdate() - timezone.timedelta(days=CHART_DAYS - 1)
    midnight = timezone.make_aware(datetime.combine(first_day, time.min))
    SignatureFactory(petition=petition, confirmed=True, confirmed_at=midnight)
    SignatureFactory(petition=petition, confirmed=True, confirmed_at=midnight - timezone.timedelta(seconds=1))
    series = client.get(reverse("admin:petitions_petition_dashboard", args=[petition.pk])).context["series"]
    assert series[0] == (first_day, 1) and sum(n for _, n in series) == 1


def test_the_dashboard_names_statuses_and_countries_in_the_organisers_language(client, alice, petition):
    from petitions.models import Delivery

    SignatureFactory(petition=petition, confirmed=True, country="PL")
    SignatureFactory(petition=petition)  # pending
    Delivery.objects.create(petition=petition, embassy=Embassy.objects.create(country="PL"),
                            status=Delivery.Status.SENT)
    page = client.get(reverse("admin:petitions_petition_dashboard", args=[petition.pk]), HTTP_ACCEPT_LANGUAGE="uk")
    cells = re.findall(r"<td>([^<]*)</td>", page.text)
    assert {"Очікує підтвердження", "Підтверджений", "Польща", "Надіслано електронною поштою"} <= set(cells)
    assert not {"pending", "confirmed", "PL", "sent"} & set(cells)  # not the codes stored

def test_an_organiser_erases_a_person_on_request_across_their_petitions(client, alice, petition):
    from petitions.models import Petition as P

    second = PetitionFactory(campaign=petition.campaign)
    elsewhere = PetitionFactory()  # another campaign: not alice's to touch
    for p in (petition, second, elsewhere):
        SignatureFactory(petition=p, email="Olena@Example.org", first_name="Olena", confirmed=True)
    SignatureFactory(petition=petition, email="someone@example.org", confirmed=True)
    counting.update_counts()

    response = client.post(reverse("admin:petitions_signature_erase"), {"email": " olena@example.org"})

    assert response.status_code == 302
    assert Signature.objects.filter(email="", status=Signature.Status.WITHDRAWN).count() == 2
    assert Signature.objects.get(petition=elsewhere).first_name == "Olena"
    assert P.objects.get(pk=petition.pk).signature_count == 1  # at once
    entries = AuditEntry.objects.filter(action="person.erased")
    assert sum(e.data["signatures"] for e in entries) == 2
    assert all("olena" not in str(e.data).lower() for e in entries)
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["2 signatures erased."]

    SignatureFactory(petition=petition, email="taras@example.org", confirmed=True)
    response = client.post(reverse("admin:petitions_signature_erase"), {"email": "taras@example.org"})
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "1 signature erased."


def test_a_viewer_cannot_erase(client, django_user_model, petition):
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=petition.campaign, role=Membership.Role.VIEWER)
    client.force_login(bob)
    SignatureFactory(petition=petition, email="olena@example.org", confirmed=True)
    assert client.post(reverse("admin:petitions_signature_erase"), {"email": "olena@example.org"}).status_code == 403
    assert Signature.objects.get().email == "olena@example.org"



def test_the_erase_tool_is_offered_to_editors_only(client, alice, django_user_model, petition):
    erase = reverse("admin:petitions_signature_erase")
    assert erase in client.get(reverse("admin:petitions_signature_changelist")).text
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=petition.campaign, role=Membership.Role.VIEWER)
    client.force_login(bob)
    page = client.get(reverse("admin:petitions_signature_changelist"))
    assert page.status_code == 200 and erase not in page.text  # it would lead a viewer to a 403

def test_right_to_left_names_and_comments_keep_to_themselves_on_the_page(client, petition):
    """A name or comment in Hebrew or Arabic is isolated, so it cannot reorder the text around it
    ("· Israel", the list's punctuation), whatever the page's language."""
    Petition.objects.filter(pk=petition.pk).update(comment_display=Petition.CommentDisplay.IMMEDIATE)
    SignatureFactory(petition=petition, first_name="יוסי", last_name="כהן", public_name="full", country="IL",
                     comment="חופש לכולם 2021!", organisation="ועד הסולידריות", reviewed=True, confirmed=True)
    page = client.get("/en/petitions/free-them/").text
    assert "<bdi>יוסי כהן</bdi> · Israel" in page  # recent signatories
    assert '<p dir="auto" class="mb-1">חופש לכולם 2021!</p>' in page
    assert "— <bdi>יוסי כהן</bdi>, Israel" in page
    assert "<li><bdi>ועד הסולידריות</bdi></li>" in page
    assert "<bdi>יוסי כהן</bdi> · Israel" in client.get("/en/petitions/free-them/signatories/").text


def test_a_rejection_as_spam_can_be_undone(client, alice, petition):
    """An organiser who rejected real supporters by mistake brings them back: confirmed ones into the
    count and the next letters, one rejected before confirming back to waiting for it."""
    Embassy.objects.create(country="PL", city="Warsaw", email="e@example.org")
    confirmed = SignatureFactory.create_batch(2, petition=petition, confirmed=True)
    pending = SignatureFactory(petition=petition)
    changelist = reverse("admin:petitions_signature_changelist")
    chosen = [s.pk for s in [*confirmed, pending]]
    client.post(changelist, {"action": "reject_as_spam", "_selected_action": chosen})
    assert Petition.objects.get().signature_count == 0

    response = client.post(changelist, {"action": "restore", "_selected_action": chosen}, follow=True)

    assert "3 signatures changed." in [str(message) for message in response.context["messages"]]
    statuses = dict(Signature.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in chosen] == ["confirmed", "confirmed", "pending"]
    assert Petition.objects.get().signature_count == 2  # at once
    delivery.plan(Petition.objects.get(), enqueue=False)
    assert sorted(DeliveryItem.objects.values_list("signature_id", flat=True)) == sorted(s.pk for s in confirmed)
    assert sorted(AuditEntry.objects.get(action="signature.restored").data["signature_ids"]) == chosen


def test_undoing_a_rejection_leaves_other_signatures_as_they_are(client, alice, petition):
    withdrawn = SignatureFactory(petition=petition, confirmed=True)
    Signature.objects.filter(pk=withdrawn.pk).update(status=Signature.Status.WITHDRAWN, email="")
    erased = SignatureFactory(petition=petition, confirmed=True)
    Signature.objects.filter(pk=erased.pk).update(status=Signature.Status.REJECTED, email="")  # by retention

    assert moderation.restore(Signature.objects.all()) == 0
    assert sorted(Signature.objects.values_list("status", flat=True)) == ["rejected", "withdrawn"]


def test_hiding_one_part_of_a_flagged_signature_does_not_publish_the_rest(client, alice, petition):
    """A wave flagged for abuse: hiding its comments must not put its mocking names on the page, nor
    hiding its names its comments. What is left waits in the queue for an approval."""
    Petition.objects.filter(pk=petition.pk).update(comment_display=Petition.CommentDisplay.IMMEDIATE)
    mocking_name = SignatureFactory(petition=petition, first_name="Putin", last_name="Forever", public_name="full",
                                    organisation="Z for victory club", comment="Rot in jail", flags=["abuse"],
                                    confirmed=True)
    abusive_comment = SignatureFactory(petition=petition, first_name="Fake", last_name="Name", public_name="full",
                                       comment="Слава России, сука", flags=["abuse"], confirmed=True)
    changelist = reverse("admin:petitions_signature_changelist")

    client.post(changelist, {"action": "hide_comment", "_selected_action": [mocking_name.pk]})
    response = client.post(changelist, {"action": "hide_name", "_selected_action": [abusive_comment.pk]},
                           follow=True)

    for path in ("/en/petitions/free-them/", "/en/petitions/free-them/signatories/"):
        page = client.get(path).text
        for text in ("Putin Forever", "Z for victory club", "Rot in jail", "Fake Name", "Слава России"):
            assert text not in page, (path, text)
    said = " ".join(str(message) for message in response.context["messages"])
    assert "1 signature is flagged and still waiting for review" in said
    queue = client.get(changelist + "?review=queue").context["cl"].queryset
    assert {s.pk for s in queue} == {mocking_name.pk, abusive_comment.pk}

    client.post(changelist, {"action": "approve", "_selected_action": [mocking_name.pk, abusive_comment.pk]})
    page = client.get("/en/petitions/free-them/").text  # what is left is shown, as the organiser chose
    assert "Putin Forever" in page and "Rot in jail" not in page
    assert "Слава России" in page and "Fake Name" not in page
