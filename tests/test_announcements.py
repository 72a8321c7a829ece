"""Telling supporters about a case event: once per person, in their language, one-click unsubscribe."""

import datetime
import re
import smtplib
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from campaign import emails
from campaign.models import AuditEntry, CampaignPrisoner, Membership
from petitions import announcements
from petitions.models import Announcement, Signature
from prisoners.models import CaseEvent, CriminalCase, Defendant, Prisoner

from .factories import CampaignFactory, PetitionFactory, SignatureFactory
from .smtp import SMTPServer

pytestmark = pytest.mark.django_db(transaction=True)
UNSUBSCRIBE = re.compile(r"http://127\.0\.0\.1:8000(/\w\w/unsubscribe/[^/\s\"<]+/)")


@pytest.fixture
def world(django_user_model, client):
    campaign, other = CampaignFactory(), CampaignFactory()
    prisoner = Prisoner.objects.create(name="Igor Kuznetsov", slug="igor")
    case = CriminalCase.objects.create(title="Left Resistance case", slug="left-resistance")
    Defendant.objects.create(case=case, prisoner=prisoner)
    for c in (campaign, other):
        CampaignPrisoner.objects.create(campaign=c, prisoner=prisoner)
    one, two, elsewhere = PetitionFactory(campaign=campaign), PetitionFactory(campaign=campaign), PetitionFactory(
        campaign=other
    )
    people = {
        "olena": [SignatureFactory(petition=p, email="Olena@example.org", wants_updates=True, language="uk",
                                   first_name="Олена", confirmed=True) for p in (one, two)],
        "quiet": SignatureFactory(petition=one, email="quiet@example.org", wants_updates=False, confirmed=True),
        "pending": SignatureFactory(petition=one, email="pending@example.org", wants_updates=True),
        "other": SignatureFactory(petition=elsewhere, email="other@example.org", wants_updates=True, confirmed=True),
    }
    alice = django_user_model.objects.create_user("alice", "alice@example.org", "pw", is_staff=True)
    Membership.objects.create(user=alice, campaign=campaign, role=Membership.Role.EDITOR)
    client.force_login(alice)
    return {"case": case, "people": people, "alice": alice, "olena_campaign": campaign}


def add_event(client, case, description="The court extended his detention by three months.", **extra):
    return client.post(reverse("admin:prisoners_caseevent_add"), {
        "case": case.pk, "kind": "custody", "date": "2026-11-20", "date_precision": "day",
        "description_en": description,
        "description_uk": "Суд продовжив арешт на три місяці.", **extra,
    })


def announce_url(event):
    return reverse("admin:prisoners_caseevent_announce", args=[event.pk])


KEY = re.compile(r'name="key" value="([0-9a-f]+)"')


def confirm(client, event, headers=None):
    """What an organiser does: open the confirmation page, read it, press Send."""
    page = client.get(announce_url(event), headers=headers)
    assert page.status_code == 200
    key = KEY.search(page.text).group(1)
    return client.post(announce_url(event), {"key": key}, headers=headers, follow=True)


def add_and_announce(client, case, description="The court extended his detention by three months."):
    assert add_event(client, case, description, _announce="Save and announce…").status_code == 302
    return confirm(client, CaseEvent.objects.latest("pk"))


@pytest.mark.parametrize("language, told", [
    ("fr", "1 personne sera prévenue, une seule fois, dans sa langue."),  # not "1 personnes seront prévenues"
    ("uk", "1 прихильник отримає лист — один раз, своєю мовою."),
    ("ru", "1 сторонник получит письмо — один раз, на своём языке."),
])
def test_the_organiser_is_told_how_many_supporters_will_hear_in_the_plural_form_of_the_number(
    client, world, language, told
):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    response = confirm(client, event, headers={"accept-language": language})
    assert told in [str(message) for message in response.context["messages"]]


def test_the_announcements_source_line_follows_the_typography_of_the_language():
    """French puts a (non-breaking) space before a colon: "Source :", not "Source:" with the English colon."""
    event = SimpleNamespace(date=datetime.date(2026, 11, 20), get_kind_display="Audience", description="",
                            source_url="https://example.org/court")
    context = {"signature": SimpleNamespace(first_name="Anne"), "event": event, "case": SimpleNamespace(title="X")}
    rendered = emails.render("announcement", context, "fr")
    assert "Source\u00a0: https://example.org/court" in rendered.text
    assert "Source\u00a0: <a" in rendered.html


@pytest.mark.parametrize("language, precision, shown", [
    ("en", CaseEvent.DatePrecision.MONTH, "November 2026 — "), ("en", CaseEvent.DatePrecision.YEAR, "2026 — "),
    ("uk", CaseEvent.DatePrecision.DAY, "20 листопада 2026 — "),
])
def test_the_announcement_gives_the_date_only_as_far_as_it_is_known(language, precision, shown):
    event = CaseEvent(kind=CaseEvent.Kind.CUSTODY, date=datetime.date(2026, 11, 20), date_precision=precision,
                      description="Extended.")
    context = {"signature": SimpleNamespace(first_name="Anne"), "event": event, "case": SimpleNamespace(title="X")}
    rendered = emails.render("announcement", context, language)
    assert any(line.startswith(shown) for line in rendered.text.splitlines())  # no day before it
    assert f"<strong>{shown}" in rendered.html


def test_announcing_an_event_emails_each_opted_in_supporter_once_in_their_language(client, world, mailoutbox):
    response = add_and_announce(client, world["case"])
    assert response.status_code == 200

    assert [m.to for m in mailoutbox] == [["Olena@example.org"]]  # twice a signer, told once
    message = mailoutbox[0]
    assert "Суд продовжив арешт" in message.body  # her language
    assert message.extra_headers["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/uk/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    event = CaseEvent.objects.get()
    assert event.announced_to == 1 and event.announced_at is not None
    entry = AuditEntry.objects.get(action="case_event.announced")
    assert entry.user == world["alice"] and entry.data["recipients"] == 1


def test_an_address_no_email_can_go_to_does_not_stop_the_others_being_told(client, world, mailoutbox):
    bad = world["people"]["quiet"]  # signed before the form refused domains with no IDNA form
    Signature.objects.filter(pk=bad.pk).update(email="a@" + "ü" * 60 + ".de", wants_updates=True)

    assert add_and_announce(client, world["case"]).status_code == 200

    assert [m.to for m in mailoutbox] == [["Olena@example.org"]]
    assert CaseEvent.objects.get().announced_to == 1


def test_an_address_the_mail_server_refuses_for_good_does_not_stop_the_others_being_told(
    client, world, settings, caplog
):
    """A 5xx refusal (no such mailbox) is final: retrying the whole event for it held up
    everyone after it, for ever, and put the refused address in the task's error log."""
    gone = SignatureFactory(petition=world["people"]["olena"][0].petition, email="gone@example.org",
                            wants_updates=True, confirmed=True)
    with SMTPServer() as server:
        server.use_in(settings)
        accept = server.handler.handle_RCPT

        async def refuse_gone(smtp, session, envelope, address, options):
            if address == gone.email:
                return "550 5.1.1 <gone@example.org>: no such user"
            return await accept(smtp, session, envelope, address, options)

        server.handler.handle_RCPT = refuse_gone
        assert add_and_announce(client, world["case"]).status_code == 200

        assert [rcpts for rcpts, _message in server.messages] == [["Olena@example.org"]]
    event = CaseEvent.objects.get()
    assert event.announced_to == 1
    assert not Announcement.objects.filter(event=event, sent_at__isnull=True).exists()  # nothing left to resume
    assert "gone@example.org" not in caplog.text


def test_a_refusal_for_now_is_retried_without_the_address_in_what_the_task_raises(world, settings):
    """Celery logs what a task raises (each retry, and the last failure): never a signer's address."""
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="A hearing was held.")
    olena = world["people"]["olena"][0]
    Announcement.objects.create(event=event, signature=olena)
    with SMTPServer() as server:
        server.use_in(settings)
        server.handler.rcpt_replies.append(f"452 4.2.2 <{olena.email}>: mailbox full")
        with pytest.raises(smtplib.SMTPException) as raised:
            announcements.send_pending(event.pk)
        assert "example.org" not in repr(raised.value) and "example.org" not in str(raised.value)
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
        assert Announcement.objects.get(event=event).sent_at is None  # to be retried

        assert announcements.send_pending(event.pk) == 1  # the retry
    assert [rcpts for rcpts, _message in server.messages] == [["Olena@example.org"]]


def test_an_announcement_carries_a_withdraw_link_like_every_email_to_a_signer(client, world, mailoutbox):
    add_and_announce(client, world["case"])
    message = mailoutbox[0]
    html = message.alternatives[0][0]
    link = re.search(r"https?://[^/\s]+(/uk/petitions/[^\s]+/withdraw/[^\s]+/)", message.body).group(1)
    assert link in html

    client.logout()
    assert client.post(link).status_code == 200
    olena = Signature.objects.filter(pk__in=[s.pk for s in world["people"]["olena"]])
    assert Signature.Status.WITHDRAWN in set(olena.values_list("status", flat=True))


def test_a_signature_rejected_as_spam_after_the_claim_is_not_told(world, mailoutbox):
    """A bot may sign with someone else's address: once an organiser rejects it, that address
    gets no campaign mail, even an announcement claimed before (sent later, or retried)."""
    from petitions import moderation

    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="A hearing was held.")
    olena = world["people"]["olena"][0]
    Announcement.objects.create(event=event, signature=olena)
    moderation.reject_as_spam(Signature.objects.filter(pk=olena.pk))

    assert announcements.send_pending(event.pk) == 0
    assert mailoutbox == []
    assert CaseEvent.objects.get().announced_to == 0


def test_an_announcement_is_marked_auto_submitted(client, world, mailoutbox):
    add_and_announce(client, world["case"])
    assert mailoutbox[0].message()["Auto-Submitted"] == "auto-generated"
    assert mailoutbox[0].message()["X-Auto-Response-Suppress"] == "OOF, AutoReply"  # Exchange's own




def test_one_click_unsubscribe_stops_updates_from_every_petition(client, world, mailoutbox):
    add_and_announce(client, world["case"])
    path = UNSUBSCRIBE.search(mailoutbox[0].body).group(1)
    client.logout()

    page = client.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text  # her language: a button to press
    assert Signature.objects.filter(email="Olena@example.org", wants_updates=True).count() == 2  # a GET changes nothing

    assert client.post(path).status_code == 200  # a mail client's one-click POST carries no CSRF token
    assert Signature.objects.filter(email="Olena@example.org", wants_updates=True).count() == 0

    client.force_login(world["alice"])
    add_event(client, world["case"], description="A hearing was held.")
    page = client.get(announce_url(CaseEvent.objects.latest("pk")))
    assert "No supporter to announce this event to" in page.text and 'name="key"' not in page.text
    assert len(mailoutbox) == 1


def test_a_forged_unsubscribe_link_changes_nothing(client, world):
    assert client.post("/en/unsubscribe/forged-token/").status_code == 400
    assert Signature.objects.filter(wants_updates=True).count() == 4


def test_a_superuser_announces_to_every_campaign(client, world, mailoutbox, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    response = add_and_announce(client, world["case"])
    assert response.redirect_chain[-1][0].endswith("/change/")
    assert "2 supporters will be told, each once, in their language." in response.text
    assert sorted(m.to[0] for m in mailoutbox) == ["Olena@example.org", "other@example.org"]


def test_the_page_counts_only_the_campaigns_the_organiser_edits_not_those_they_view(client, world, smtp):
    viewed = Signature.objects.get(email="other@example.org").petition.campaign
    Membership.objects.create(user=world["alice"], campaign=viewed, role=Membership.Role.VIEWER)
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")

    assert client.get(announce_url(event)).context["plan"].by_language == {"uk": 1}  # Olena, not other@

    confirm(client, event)
    assert people_in(smtp) == ["Olena@example.org"]


def test_withdrawn_signers_are_not_told(client, world, mailoutbox):
    Signature.objects.filter(email="Olena@example.org").update(
        status=Signature.Status.WITHDRAWN, email="", updated_at=timezone.now()
    )
    page = add_event(client, world["case"], _announce="Save and announce…")
    page = client.get(page.url)
    assert page.context["plan"].people == 0 and 'name="key"' not in page.text
    assert mailoutbox == []


def test_a_signer_who_unsubscribes_before_the_sending_is_neither_emailed_nor_counted(world, mailoutbox):
    """Between claiming the recipients and sending (a queue, a mail server down for a while) a person
    may unsubscribe or withdraw: no email, and the event's "announced to" counts only those told."""
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                 description="A hearing.")
    Announcement.objects.bulk_create(Announcement(event=event, signature_id=pk) for pk in announcements.audience(event))
    assert Announcement.objects.filter(event=event).count() == 2  # Olena, and the other campaign's signer
    announcements.unsubscribe(world["people"]["olena"][0])

    assert announcements.send_pending(event.pk) == 1
    assert [m.to for m in mailoutbox] == [["other@example.org"]]
    assert CaseEvent.objects.get().announced_to == 1


def _claimed_for_three(world):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="A hearing was held.")
    petition = world["people"]["olena"][0].petition
    for signature in [world["people"]["olena"][0], *(
            SignatureFactory(petition=petition, wants_updates=True, confirmed=True) for _ in range(2))]:
        Announcement.objects.create(event=event, signature=signature)
    return event


def test_a_long_announcement_is_sent_in_tasks_that_each_stay_well_within_the_time_limit(
    world, mailoutbox, monkeypatch
):
    """One email is one SMTP connection: ten thousand supporters outlasted the task's time limit,
    which stops it between claiming an email and sending it -- counted as told, never told."""
    event = _claimed_for_three(world)
    monkeypatch.setattr(announcements, "SEND_BUDGET", 0)  # hand on after every email
    runs = []
    real = announcements.send_pending
    monkeypatch.setattr(announcements, "send_pending", lambda pk: runs.append(pk) or real(pk))

    assert real(event.pk) == 1  # one, and the rest handed to a new task (run at once here)

    assert runs == [event.pk, event.pk]
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        Announcement.objects.filter(event=event).values_list("signature__email", flat=True))
    assert not Announcement.objects.filter(event=event, sent_at__isnull=True).exists()
    assert CaseEvent.objects.get(pk=event.pk).announced_to == 3


def test_an_announcement_stopped_by_the_soft_time_limit_is_sent_again_later(world, mailoutbox, monkeypatch):
    from celery.exceptions import SoftTimeLimitExceeded

    event = _claimed_for_three(world)

    def stopped(announcement, connection=None):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(announcements, "_send", stopped)
    with pytest.raises(SoftTimeLimitExceeded):
        announcements.send_pending(event.pk)
    assert not Announcement.objects.filter(event=event, sent_at__isnull=False).exists()  # none counted as told
    monkeypatch.undo()
    assert announcements.send_pending(event.pk) == 3
    assert len(mailoutbox) == 3


def test_an_announcement_goes_out_over_one_smtp_connection(world, settings):
    """A connection per email cost a second or more each through a distant relay with TLS: ten
    thousand supporters then took hours, in many tasks, for what one connection does in minutes."""
    event = _claimed_for_three(world)
    with SMTPServer() as server:
        server.use_in(settings)
        server.handler.rcpt_replies.append("550 5.1.1 no such user")  # the first refused for good ...
        assert announcements.send_pending(event.pk) == 2  # ... and the others told on the same connection
        assert server.handler.greetings == 1
        assert len(server.messages) == 2
    assert CaseEvent.objects.get(pk=event.pk).announced_to == 2
    assert not Announcement.objects.filter(event=event, sent_at__isnull=True).exists()


def test_a_mail_server_that_is_down_leaves_every_announcement_to_be_sent_again(world, settings):
    from .smtp import free_port

    event = _claimed_for_three(world)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    with pytest.raises(OSError):
        announcements.send_pending(event.pk)
    assert Announcement.objects.filter(event=event, sent_at__isnull=True).count() == 3


# The confirmation page: nothing is sent until an organiser has seen to how many people, and what.

def people_in(server):
    return sorted(rcpt for rcpts, _message in server.messages for rcpt in rcpts)


def change_url(event):
    return reverse("admin:prisoners_caseevent_change", args=[event.pk])


def nothing_announced():
    return (not Announcement.objects.exists() and not AuditEntry.objects.filter(action="case_event.announced").exists()
            and not CaseEvent.objects.filter(announced_at__isnull=False).exists()
            and not CaseEvent.objects.filter(announce=True).exists())


def test_saving_the_event_sends_nothing(client, world, smtp):
    # The box the form had (a page opened before it went) is ignored, whatever it says.
    assert add_event(client, world["case"], announce="on").status_code == 302

    saved = add_event(client, world["case"], description="A hearing was held.", _announce="Save and announce…")
    event = CaseEvent.objects.latest("pk")
    assert saved.status_code == 302 and saved.url == announce_url(event)  # the confirmation page, not a sending
    changed = client.post(change_url(event), {
        "case": world["case"].pk, "kind": "hearing", "date": "2026-11-20", "date_precision": "day",
        "description_en": "A hearing was held.", "_announce": "Save and announce…",
    })
    assert changed.status_code == 302 and changed.url == announce_url(event)

    assert smtp.messages == [] and nothing_announced()


def test_the_events_page_leads_editors_to_the_confirmation_page_and_not_viewers(client, world, django_user_model):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    page = client.get(change_url(event)).text
    assert f'href="{announce_url(event)}"' in page and 'name="_announce"' in page
    assert 'name="announce"' not in page  # the box that sent at once is gone

    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=world["olena_campaign"], role=Membership.Role.VIEWER)
    client.force_login(bob)
    page = client.get(change_url(event))
    assert page.status_code == 200
    assert announce_url(event) not in page.text and 'name="_announce"' not in page.text


def test_confirmation_page_counts_and_previews_without_personal_data(client, world, smtp):
    SignatureFactory(petition=world["people"]["olena"][0].petition, email="ben@example.org", wants_updates=True,
                     language="en", first_name="Benedikt", last_name="Ashworth", confirmed=True)
    assert add_event(client, world["case"], _announce="Save and announce…").status_code == 302
    event = CaseEvent.objects.get()

    page = client.get(announce_url(event))

    assert page.status_code == 200
    assert "Announce this event to 2 supporters?" in page.text  # Olena twice a signer: one person
    assert page.context["plan"].by_language == {"en": 1, "uk": 1}
    assert 'value="Send to 2 supporters"' in page.text and 'method="post"' in page.text
    assert f'href="{change_url(event)}" class="button cancel-link">Not now</a>' in page.text
    english, ukrainian = (page.context["plan"].previews[code] for code in ("en", "uk"))
    assert english.subject == "News of the case: Left Resistance case" and english.subject in page.text
    assert "The court extended his detention by three months." in english.text
    assert "Суд продовжив арешт на три місяці." in ukrainian.text and "Суд продовжив арешт" in page.text
    assert "Hello [first name]," in page.text and "placeholders" in page.text
    for personal in ("Олена", "Benedikt", "Ashworth", "example.org", "/unsubscribe/", "/withdraw/"):
        assert personal not in page.text
    assert smtp.messages == [] and nothing_announced()  # a GET sends nothing

    confirmed = client.post(announce_url(event), {"key": KEY.search(page.text).group(1)}, follow=True)

    # The preview is the email, but for each person's own name and links.
    assert "2 supporters will be told, each once, in their language." in confirmed.text
    sent = {rcpts[0]: message for rcpts, message in smtp.messages}
    assert sorted(sent) == ["Olena@example.org", "ben@example.org"]
    for address, preview in (("ben@example.org", english), ("Olena@example.org", ukrainian)):
        assert sent[address]["Subject"].strip() == preview.subject  # the parser keeps the folded header's space
        text, shown = sent[address].get_body(("plain",)).get_content().splitlines(), preview.text.splitlines()
        assert len(text) == len(shown)
        differ = [(mine, theirs) for mine, theirs in zip(shown, text, strict=True) if mine != theirs]
        assert len(differ) == 3 and all("[" in mine for mine, _theirs in differ)
    assert "Hello Benedikt," in sent["ben@example.org"].get_body(("plain",)).get_content()


def test_the_preview_shows_what_an_organiser_typed_as_text(client, world):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended <script>alert(1)</script>.")
    CriminalCase.objects.filter(pk=world["case"].pk).update(title="Left <b>Resistance</b> case")
    page = client.get(announce_url(event)).text
    assert "<script>alert(1)" not in page and "Extended &lt;script&gt;alert(1)&lt;/script&gt;." in page
    assert "<b>Resistance" not in page and "Новини у справі: Left &lt;b&gt;Resistance&lt;/b&gt; case" in page  # Olena's


def test_only_confirming_sends_once(client, world, smtp):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    for _ in range(2):
        page = client.get(announce_url(event))
    assert smtp.messages == [] and nothing_announced()
    key = KEY.search(page.text).group(1)
    shown = page.context["plan"].people

    done = client.post(announce_url(event), {"key": key}, follow=True)
    assert done.redirect_chain == [(change_url(event), 302)]
    assert people_in(smtp) == ["Olena@example.org"] == [rcpt for rcpt in people_in(smtp) if shown == 1]
    entry = AuditEntry.objects.get(action="case_event.announced")
    assert entry.user == world["alice"] and entry.data["recipients"] == shown
    event.refresh_from_db()
    assert event.announce and event.announced_at is not None and event.announced_to == 1

    again = client.post(announce_url(event), {"key": key}, follow=True)  # pressed twice, or Back and again
    assert again.status_code == 200 and "Nothing was sent" in again.text
    assert people_in(smtp) == ["Olena@example.org"]
    assert AuditEntry.objects.filter(action="case_event.announced").count() == 1

    page = client.get(announce_url(event))
    assert "1 supporter has been told so far." in page.text
    assert "No supporter to announce this event to" in page.text and 'name="key"' not in page.text


def test_a_second_confirmation_tells_only_people_not_told_yet(client, world, smtp):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    confirm(client, event)
    SignatureFactory(petition=world["people"]["olena"][0].petition, email="late@example.org", wants_updates=True,
                     confirmed=True)

    page = client.get(announce_url(event))
    assert "This event was announced on" in page.text and "1 supporter has been told so far." in page.text
    assert "Announce this event to 1 supporter not told yet?" in page.text
    assert 'value="Send to 1 supporter"' in page.text
    client.post(announce_url(event), {"key": KEY.search(page.text).group(1)})

    assert people_in(smtp) == ["Olena@example.org", "late@example.org"]  # Olena once
    assert CaseEvent.objects.get(pk=event.pk).announced_to == 2


def test_with_no_one_to_tell_the_page_says_so_and_offers_no_send_button(client, world, smtp):
    Signature.objects.filter(email="Olena@example.org").update(wants_updates=False)
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    page = client.get(announce_url(event))
    assert page.status_code == 200 and "No supporter to announce this event to" in page.text
    assert "there is no one to send it to" in page.text
    assert 'name="key"' not in page.text and "Send to" not in page.text

    # A POST all the same (a page opened before the last one unsubscribed, say): nothing recorded as announced.
    key = announcements.plan(event, {world["olena_campaign"].pk}).key
    response = client.post(announce_url(event), {"key": key}, follow=True)
    assert "Nothing was sent: there is no supporter left to tell." in response.text
    assert smtp.messages == [] and nothing_announced()


@pytest.mark.parametrize("form", [{}, {"key": "tampered"}, {"key": "0" * 64}, {"key": ["a", "b"]}])
def test_a_tampered_confirmation_changes_nothing(client, world, smtp, form):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    response = client.post(announce_url(event), form, follow=True)
    assert response.status_code == 200 and response.redirect_chain == [(announce_url(event), 302)]
    assert "Nothing was sent" in response.text
    assert smtp.messages == [] and nothing_announced()


def test_a_confirmation_of_a_page_since_outdated_changes_nothing(client, world, smtp):
    """A colleague corrected the text after the page was opened: what the organiser confirmed is
    not what would go out."""
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended by 3 years.")
    key = KEY.search(client.get(announce_url(event)).text).group(1)
    CaseEvent.objects.filter(pk=event.pk).update(description_en="Extended by three months.")

    response = client.post(announce_url(event), {"key": key}, follow=True)

    assert "Nothing was sent" in response.text and "Extended by three months." in response.text
    assert smtp.messages == [] and nothing_announced()
    confirm(client, event)
    assert people_in(smtp) == ["Olena@example.org"]


def test_viewer_cannot_announce(client, world, django_user_model, smtp):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    key = KEY.search(client.get(announce_url(event)).text).group(1)  # alice's page, replayed by bob
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=world["olena_campaign"], role=Membership.Role.VIEWER)
    client.force_login(bob)

    assert client.post(change_url(event), {}).status_code == 403  # as its change page answers him
    assert client.get(announce_url(event)).status_code == 403
    assert client.post(announce_url(event), {"key": key}).status_code == 403
    assert smtp.messages == [] and nothing_announced()


def test_other_campaigns_organiser_gets_404(client, world, django_user_model, smtp):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    key = KEY.search(client.get(announce_url(event)).text).group(1)
    charlie = django_user_model.objects.create_user("charlie", "charlie@example.org", "pw", is_staff=True)
    Membership.objects.create(user=charlie, campaign=CampaignFactory(), role=Membership.Role.EDITOR)
    client.force_login(charlie)

    assert client.get(change_url(event)).status_code == 404
    assert client.get(announce_url(event)).status_code == 404
    assert client.post(announce_url(event), {"key": key}).status_code == 404
    assert client.get(reverse("admin:prisoners_caseevent_announce", args=["no-such-event"])).status_code == 404
    assert smtp.messages == [] and nothing_announced()


def test_people_who_are_not_organisers_are_sent_to_the_login(client, world, django_user_model, smtp):
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    key = KEY.search(client.get(announce_url(event)).text).group(1)
    client.force_login(django_user_model.objects.create_user("dora", "dora@example.org", "pw"))  # not staff
    for response in (client.get(announce_url(event)), client.post(announce_url(event), {"key": key})):
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.logout()
    assert client.post(announce_url(event), {"key": key}).status_code == 302
    assert smtp.messages == [] and nothing_announced()


# What the page says of an announcement under way: every person claimed is told or still to be.

def test_the_confirmation_page_shows_emails_still_going_out_beside_those_sent(client, world, smtp):
    """An organiser who pressed Send comes back while the mail server turns emails away for now:
    those claimed but not sent are neither in the "told" count nor among the people to send to, and
    were shown nowhere -- they could not tell emails still going out from emails lost."""
    from campaign.celery import app

    petition = world["people"]["olena"][0].petition

    def sign(count):
        return [SignatureFactory(petition=petition, wants_updates=True, confirmed=True) for _ in range(count)]

    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.")
    sign(1)
    confirm(client, event)  # Olena and one more: sent
    sign(3)
    smtp.handler.replies.extend(["451 4.3.0 Try again later"] * 20)  # through every retry the task has
    app.conf.task_eager_propagates = False  # the task left to retry later, as a worker would (reset by celery_eager)
    confirm(client, event)
    sign(1)  # since: not claimed yet

    page = client.get(announce_url(event)).text

    assert len(smtp.messages) == 2 and Announcement.objects.filter(event=event, sent_at__isnull=True).count() == 3
    assert "2 supporters have been told so far." in page
    assert "3 more emails are still going out: those the mail server cannot take yet are tried again" in page
    assert 'value="Send to 1 supporter"' in page  # 2 + 3 + 1: every person who asked for updates, once


def test_the_confirmation_page_counts_the_emails_a_task_still_running_has_sent(client, world):
    """The event's "announced to" is written when a sending task ends: one still running has sent
    emails that count there not yet, and are no longer going out."""
    event = CaseEvent.objects.create(case=world["case"], kind="custody", date=datetime.date(2026, 11, 20),
                                     description="Extended.", announced_at=timezone.now(), announce=True)
    olena = world["people"]["olena"][1]  # her latest signature stands for her
    late = SignatureFactory(petition=olena.petition, wants_updates=True, confirmed=True)
    Announcement.objects.create(event=event, signature=olena, sent_at=timezone.now())  # as the task marks it
    Announcement.objects.create(event=event, signature=late)

    page = client.get(announce_url(event)).text

    assert CaseEvent.objects.get(pk=event.pk).announced_to == 0  # the task has not ended
    assert "1 supporter has been told so far." in page
    assert "1 more email is still going out: if the mail server cannot take it yet, it is tried again" in page
    assert "Everyone who asked for updates has been told already or is about to be" in page
    assert 'name="key"' not in page
