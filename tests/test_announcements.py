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
    return {"case": case, "people": people, "alice": alice}


def add_event(client, case, description="The court extended his detention by three months."):
    return client.post(reverse("admin:prisoners_caseevent_add"), {
        "case": case.pk, "kind": "custody", "date": "2026-11-20", "date_precision": "day",
        "description_en": description,
        "description_uk": "Суд продовжив арешт на три місяці.", "announce": "on",
    })


@pytest.mark.parametrize("language, told", [
    ("fr", "1 personne sera prévenue, une seule fois, dans sa langue."),  # not "1 personnes seront prévenues"
    ("uk", "1 прихильник отримає лист — один раз, своєю мовою."),
    ("ru", "1 сторонник получит письмо — один раз, на своём языке."),
])
def test_the_organiser_is_told_how_many_supporters_will_hear_in_the_plural_form_of_the_number(
    client, world, language, told
):
    response = client.post(reverse("admin:prisoners_caseevent_add"), {
        "case": world["case"].pk, "kind": "custody", "date": "2026-11-20", "date_precision": "day",
        "description_en": "Extended.",
        "announce": "on",
    }, headers={"accept-language": language}, follow=True)
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
    response = add_event(client, world["case"])
    assert response.status_code == 302

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

    assert add_event(client, world["case"]).status_code == 302

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
        assert add_event(client, world["case"]).status_code == 302

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
    add_event(client, world["case"])
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
    add_event(client, world["case"])
    assert mailoutbox[0].message()["Auto-Submitted"] == "auto-generated"
    assert mailoutbox[0].message()["X-Auto-Response-Suppress"] == "OOF, AutoReply"  # Exchange's own


def test_saving_the_event_again_tells_nobody_twice(client, world, mailoutbox):
    add_event(client, world["case"])
    event = CaseEvent.objects.get()
    client.post(reverse("admin:prisoners_caseevent_change", args=[event.pk]), {
        "case": event.case_id, "kind": "custody", "date": "2026-11-20", "date_precision": "day",
        "description_en": "Corrected text",
        "announce": "on",
    })
    assert len(mailoutbox) == 1


def test_one_click_unsubscribe_stops_updates_from_every_petition(client, world, mailoutbox):
    add_event(client, world["case"])
    path = UNSUBSCRIBE.search(mailoutbox[0].body).group(1)
    client.logout()

    page = client.get(path)
    assert page.status_code == 200 and '<form method="post">' in page.text  # her language: a button to press
    assert Signature.objects.filter(email="Olena@example.org", wants_updates=True).count() == 2  # a GET changes nothing

    assert client.post(path).status_code == 200  # a mail client's one-click POST carries no CSRF token
    assert Signature.objects.filter(email="Olena@example.org", wants_updates=True).count() == 0

    client.force_login(world["alice"])
    add_event(client, world["case"], description="A hearing was held.")
    assert len(mailoutbox) == 1


def test_a_forged_unsubscribe_link_changes_nothing(client, world):
    assert client.post("/en/unsubscribe/forged-token/").status_code == 400
    assert Signature.objects.filter(wants_updates=True).count() == 4


def test_a_superuser_announces_to_every_campaign(client, world, mailoutbox, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    add_event(client, world["case"])
    assert sorted(m.to[0] for m in mailoutbox) == ["Olena@example.org", "other@example.org"]


def test_withdrawn_signers_are_not_told(client, world, mailoutbox):
    Signature.objects.filter(email="Olena@example.org").update(
        status=Signature.Status.WITHDRAWN, email="", updated_at=timezone.now()
    )
    add_event(client, world["case"])
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
