"""The signers' outbox: every owed email goes out once, through SMTP outages, retries and races."""

import logging
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from petitions import outbox, signing
from petitions.models import Signature

from .checks import emails_in
from .factories import PetitionFactory, SignatureFactory
from .smtp import SMTPServer, free_port

pytestmark = pytest.mark.django_db(transaction=True)
Due = Signature.EmailDue


@pytest.fixture(params=[True, False], ids=["pipelining", "one command at a time"])
def smtp(request, settings):
    """A real SMTP server (aiosmtpd) that Django sends to: one that offers PIPELINING (RFC 2920),
    as Postfix and the large relays do, and one that does not."""
    with SMTPServer(pipelining=request.param) as server:
        server.use_in(settings)
        yield server


@pytest.fixture
def smtp_down(settings):
    """Django pointed at a port where no mail server listens (yet)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return port


@pytest.fixture
def petition():
    return PetitionFactory(title="Free Igor Kuznetsov")


def owed(petition, n, kind=Due.CONFIRM, **extra):
    return [SignatureFactory(petition=petition, email_due=kind, **extra) for _ in range(n)]


def our_log(caplog):
    """What our code logged (the test's SMTP server logs addresses, as it may)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("petitions", "campaign")))


def recipients(server):
    return sorted(address for rcpts, _message in server.messages for address in rcpts)


def sign(petition, email="olena@example.org", **extra):
    data = {
        "first_name": "Olena", "last_name": "Petrenko", "email": email, "country": "UA", "city": "",
        "organisation": "", "comment": "", "public_name": "hidden", "name_in_letter": False,
        "wants_updates": False, **extra,
    }
    return signing.sign(petition, data)


def test_signing_owes_the_confirmation_in_the_same_row_and_the_kick_sends_it(petition, smtp):
    result = sign(petition)
    # Eager tasks in tests: the kick ran the drain on commit.
    assert recipients(smtp) == ["olena@example.org"]
    assert "confirm/" in smtp.messages[0][1].get_body(("plain",)).get_content()
    assert Signature.objects.get(pk=result.signature.pk).email_due == Due.NONE


def test_a_repeat_signing_owes_the_right_email(petition, smtp):
    first = sign(petition).signature
    sign(petition, email=" OLENA@example.org ")  # still pending: the link again ...
    later = timezone.now() + outbox.REPEAT_INTERVAL + timedelta(seconds=1)
    outbox.drain(later)  # ... once the pause after the last email is over
    Signature.objects.filter(pk=first.pk).update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    sign(petition)  # confirmed: "you have already signed"
    outbox.drain(later + outbox.REPEAT_INTERVAL + timedelta(seconds=1))
    subjects = [message["Subject"] for _rcpts, message in smtp.messages]
    assert len(subjects) == 3 and subjects[0] == subjects[1] != subjects[2]
    assert Signature.objects.count() == 1


def test_signing_again_and_again_with_one_address_sends_it_one_email_per_interval(client, petition, smtp):
    """Anyone may type anyone's address. Each repeat signing owed its owner another email at once:
    the rate limits (per network) let one machine send 10 a minute and 100 an hour to one person,
    per petition, and a botnet any number. Now it is one email per REPEAT_INTERVAL at most, the
    repeats of the meantime folded into the next one."""
    data = {"first_name": "Olena", "last_name": "Petrenko", "email": "victim@example.org", "country": "UA",
            "public_name": "hidden", "name_in_letter": "no"}
    for attempt in range(10):  # the burst limit's worth, within a minute
        response = client.post(petition.get_absolute_url(), {**data, "first_name": f"Spam {attempt}"})
        assert response.status_code == 302
    assert recipients(smtp) == ["victim@example.org"]

    later = timezone.now() + outbox.REPEAT_INTERVAL
    assert outbox.drain(later - timedelta(seconds=1))["sent"] == 0
    assert outbox.drain(later + timedelta(seconds=1))["sent"] == 1  # "sign again: we send the link again"
    assert recipients(smtp) == ["victim@example.org"] * 2
    Signature.objects.update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    for _attempt in range(3):  # "you have already signed", likewise (from elsewhere: this network is at its limit)
        sign(petition, email="victim@example.org")
    assert outbox.drain(later + timedelta(seconds=2))["sent"] == 0
    assert outbox.drain(later + outbox.REPEAT_INTERVAL + timedelta(seconds=2))["sent"] == 1
    assert len(smtp.messages) == 3


def test_one_address_signed_on_every_petition_is_sent_no_more_than_its_share_a_day(petition, smtp, settings, caplog,
                                                                                    one_window):
    """REPEAT_INTERVAL holds back one signature's emails; one address typed in on every petition got
    each petition's: 36 an hour with three petitions, about a case the Russian state calls extremism,
    to someone who may live there. Now SIGNER_EMAILS_PER_ADDRESS bounds them all together."""
    settings.SIGNER_EMAILS_PER_ADDRESS = "3/d"
    petitions = [petition, *(PetitionFactory() for _ in range(4))]
    for each in petitions:
        sign(each, email="victim@example.org")  # each kick sends at once (eager tasks)
        sign(each, email=f"supporter-of-{each.slug}@example.org")
    # Once the pause after each email is over, the same again ("sign again: we send the link again").
    later = timezone.now() + outbox.REPEAT_INTERVAL + timedelta(seconds=1)
    for each in petitions:
        sign(each, email=" Victim@Example.org ")
    outbox.drain(later)

    assert recipients(smtp).count("victim@example.org") == 3
    assert len([r for r in recipients(smtp) if r.startswith("supporter-of-")]) == 5  # no one else held back
    assert not Signature.objects.exclude(email_due=Due.NONE).exists()  # dropped, not waiting
    assert "email not sent: its address has had 3 emails from us" in our_log(caplog)
    assert "victim" not in our_log(caplog).lower()

    Signature.objects.filter(email="victim@example.org").update(email_due=Due.CONFIRM)
    assert outbox.drain(later + timedelta(days=1))["sent"] == 3  # the next day, its share again


def test_an_email_tried_again_after_our_mail_server_failed_is_not_counted_again(petition, smtp_down, settings):
    settings.SIGNER_EMAILS_PER_ADDRESS = "1/d"
    owed(petition, 1)
    now = timezone.now()
    assert outbox.drain(now)["retrying"] == 1  # counted once, as it was tried
    with SMTPServer(port=smtp_down) as server:
        assert outbox.drain(now + timedelta(seconds=outbox.RETRY_DELAYS[0] + 1))["sent"] == 1
    assert len(server.messages) == 1


def test_signer_emails_are_marked_auto_submitted_so_autoresponders_stay_quiet(petition, smtp):
    """RFC 3834: an automatic email says so, or out-of-office replies bounce back to our sender."""
    owed(petition, 3)  # a merge: the first rendered in full, the rest filled in (as bytes, on SMTP)
    owed(petition, 1, kind=Due.ALREADY_SIGNED, confirmed=True)
    outbox.drain()
    assert len(smtp.messages) == 4
    assert [message["Auto-Submitted"] for _rcpts, message in smtp.messages] == ["auto-generated"] * 4


def test_signer_emails_ask_exchange_not_to_send_out_of_office_replies(petition, smtp):
    """Exchange and Outlook ignore Auto-Submitted and answer what does not carry their own header:
    a bounce-back to our sender for every signer who is away."""
    owed(petition, 3)  # a merge: the first built by Django, the rest (on SMTP) the merge's own bytes
    owed(petition, 1, kind=Due.ALREADY_SIGNED, confirmed=True)
    outbox.drain()
    assert len(smtp.messages) == 4
    assert [message["X-Auto-Response-Suppress"] for _rcpts, message in smtp.messages] == ["OOF, AutoReply"] * 4


def test_signer_emails_message_ids_name_the_sites_domain_not_the_machines(petition, smtp, settings):
    """The machine's name is "localhost" or a container's id: a Message-ID whose right side is no
    domain is a spam sign (rspamd's MID_RHS_NOT_FQDN), and it is not ours to be unique under."""
    settings.SITE_URL = "https://petitions.example.org"
    owed(petition, 3)  # a merge: the first rendered in full, the rest filled in (as bytes, on SMTP)
    owed(petition, 1, kind=Due.ALREADY_SIGNED, confirmed=True)
    outbox.drain()
    ids = [message["Message-ID"] for _rcpts, message in smtp.messages]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert all(mid.startswith("<") and mid.endswith("@petitions.example.org>") for mid in ids), ids


def test_smtp_down_confirmations_wait_then_go_out_once_each(petition, smtp_down, settings):
    signatures = owed(petition, 5)
    now = timezone.now()
    assert outbox.drain(now) == {"sent": 0, "dropped": 0, "retrying": 5, "failed": 0}
    for signature in Signature.objects.all():
        assert signature.email_due == Due.CONFIRM and signature.email_attempts == 1
        assert signature.email_not_before == now + timedelta(seconds=outbox.RETRY_DELAYS[0])
    # Before the retry time nothing is tried again.
    assert outbox.drain(now + timedelta(seconds=5))["retrying"] == 0

    with SMTPServer(port=smtp_down) as server:  # the mail server comes back on its address
        later = now + timedelta(seconds=outbox.RETRY_DELAYS[0] + 1)
        assert outbox.drain(later)["sent"] == 5
        assert outbox.drain(later + timedelta(hours=1)) == {"sent": 0, "dropped": 0, "retrying": 0, "failed": 0}
    assert recipients(server) == sorted(s.email for s in signatures)
    assert not Signature.objects.exclude(email_due=Due.NONE).exists()


def test_a_temporary_refusal_waits_and_a_permanent_one_is_dropped_and_logged_without_the_address(
    petition, smtp, caplog
):
    first, second = owed(petition, 2)
    smtp.handler.replies.extend(["451 4.3.0 Try again later"])
    result = outbox.drain()
    # The 451 stops the batch: both wait (the server is struggling).
    assert result["retrying"] == 2 and recipients(smtp) == []

    smtp.handler.replies.extend([f"550 5.1.1 <{first.email}> no such user"])
    with caplog.at_level(logging.ERROR):
        result = outbox.drain(timezone.now() + timedelta(minutes=1))
    assert result == {"sent": 1, "dropped": 0, "retrying": 0, "failed": 1}
    assert recipients(smtp) == [second.email]
    assert "550" in our_log(caplog) and not emails_in(our_log(caplog))
    assert not Signature.objects.exclude(email_due=Due.NONE).exists()


def test_a_refused_envelope_is_a_refusal_like_any_other_and_the_next_email_still_goes(petition, smtp, caplog):
    # The first email of a merge is Django's own; the refusals here are for the ones after it.
    first, second, third = owed(petition, 3)
    smtp.handler.rcpt_replies.extend([None, f"550 5.1.1 <{second.email}> no such user"])  # None: accepted
    with caplog.at_level(logging.ERROR):
        assert outbox.drain() == {"sent": 2, "dropped": 0, "retrying": 0, "failed": 1}
    assert recipients(smtp) == sorted([first.email, third.email])  # the connection stayed in step
    assert "550" in our_log(caplog) and not emails_in(our_log(caplog))

    later = owed(petition, 3)
    smtp.handler.mail_replies.extend([None, "451 4.3.0 Sender check failed, try again"])
    assert outbox.drain(timezone.now() + timedelta(minutes=1)) == {
        "sent": 1, "dropped": 0, "retrying": 2, "failed": 0}
    smtp.handler.rcpt_replies.extend([None, "452 4.2.2 Mailbox full"])
    assert outbox.drain(timezone.now() + timedelta(hours=1)) == {"sent": 1, "dropped": 0, "retrying": 1, "failed": 0}
    owed(petition, 1)
    smtp.handler.replies.extend([None, "554 5.6.0 Message refused"])  # to the message itself
    assert outbox.drain(timezone.now() + timedelta(hours=2)) == {"sent": 1, "dropped": 0, "retrying": 0, "failed": 1}
    assert recipients(smtp) == sorted([first.email, third.email, *(s.email for s in later)])
    assert not Signature.objects.exclude(email_due=Due.NONE).exists()


def test_an_address_no_email_can_go_to_is_set_aside_and_holds_up_no_one(petition, smtp, caplog):
    # Signed before the form refused such domains (a label too long in IDNA form): Django's
    # backend cannot even build the envelope. It used to stop every batch it was in, for good.
    bad = owed(petition, 1, email="a@" + "ü" * 60 + ".de")[0]
    others = owed(petition, 3)
    with caplog.at_level(logging.ERROR):
        assert outbox.drain() == {"sent": 3, "dropped": 0, "retrying": 0, "failed": 1}
    assert recipients(smtp) == sorted(s.email for s in others)
    assert not Signature.objects.exclude(email_due=Due.NONE).exists()
    assert f"Signature {bad.pk}: confirm email refused for good: UnicodeError" in our_log(caplog)
    assert "ü" not in our_log(caplog)


def test_our_own_unusable_sender_address_is_not_blamed_on_the_signers(petition, smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "Solidarity petitions <noreply@" + "ü" * 60 + ".org>"
    signers = owed(petition, 2)
    result = outbox.drain()
    assert result["failed"] == 0 and result["retrying"] == 2 and recipients(smtp) == []

    settings.DEFAULT_FROM_EMAIL = "Solidarity petitions <noreply@example.org>"  # put right
    outbox.drain(timezone.now() + timedelta(hours=1))
    assert recipients(smtp) == sorted(s.email for s in signers)


def test_a_server_that_offers_pipelining_gets_an_email_in_one_round_trip(petition, settings, monkeypatch):
    import smtplib

    writes = []
    real_send = smtplib.SMTP.send
    monkeypatch.setattr(smtplib.SMTP, "send", lambda self, data: writes.append(
        data.encode() if isinstance(data, str) else data) or real_send(self, data))
    owed(petition, 5)
    with SMTPServer(pipelining=True) as server:
        server.use_in(settings)
        assert outbox.drain()["sent"] == 5
    commands = [w for w in writes if b"FROM:<" in w]  # smtplib writes "mail FROM:"
    # The first email of the merge goes through Django (sendmail: MAIL, RCPT, DATA, the message
    # one at a time). The others: one write each, the previous email's message (if it was one of
    # them) with this one's envelope and DATA; the last message alone.
    assert len(commands) == 5 and all(b"\r\nRCPT TO:<" in w and w.endswith(b"DATA\r\n") for w in commands[1:])
    assert [w.startswith(b"MAIL") for w in commands[1:]] == [True, False, False, False]
    assert all(b"\r\n.\r\nMAIL FROM:<" in w for w in commands[2:])
    assert writes[-2].endswith(b"\r\n.\r\n") and b"MAIL FROM" not in writes[-2]
    assert len(writes) == 1 + 4 + 4 + 1 + 1  # EHLO, the first email, the other four, the last message, QUIT
    assert len(server.messages) == 5
    assert sorted(m["To"] for _rcpts, m in server.messages) == recipients(server)  # each message to its own


def test_a_message_refused_for_now_when_the_next_envelope_is_already_accepted(petition, smtp, caplog):
    """Under PIPELINING the server answers a message with the next email's envelope already sent and
    accepted: that email's message goes all the same, and the rest of the batch waits."""
    signatures = owed(petition, 5)
    outbox.drain()  # the merge's first email, Django's own, is behind us
    assert len(smtp.messages) == 5
    later = owed(petition, 4)
    smtp.handler.replies.extend([None, "451 4.3.0 Try again later"])  # to the second message
    result = outbox.drain(timezone.now() + timedelta(minutes=1))
    sent_now = 1 + (1 if smtp.handler.pipelining else 0)  # the third went with the second's refusal
    assert result == {"sent": sent_now, "dropped": 0, "retrying": 4 - sent_now, "failed": 0}
    assert recipients(smtp) == sorted([s.email for s in signatures] + [s.email for s in later[:1]]
                                      + [s.email for s in later[2:2 + sent_now - 1]])
    waiting = Signature.objects.filter(email_due=Due.CONFIRM)
    assert waiting.count() == 4 - sent_now and later[1].pk in set(waiting.values_list("pk", flat=True))
    assert outbox.drain(timezone.now() + timedelta(hours=1))["sent"] == 4 - sent_now
    assert recipients(smtp) == sorted(s.email for s in signatures + later)  # each once
    assert not emails_in(our_log(caplog))


def test_a_server_closing_on_a_message_leaves_it_and_the_rest_waiting_and_each_goes_once(petition, smtp):
    signatures = owed(petition, 4)
    smtp.handler.replies.extend([None, "421 4.3.2 Shutting down"])  # to the second message
    result = outbox.drain()
    # Under PIPELINING the third email's envelope went with the second message; the connection
    # closed on the 421 before that email's message, which the server never got.
    assert result == {"sent": 1, "dropped": 0, "retrying": 3, "failed": 0}
    assert recipients(smtp) == [signatures[0].email]
    assert outbox.drain(timezone.now() + timedelta(minutes=1))["sent"] == 3
    assert recipients(smtp) == sorted(s.email for s in signatures)  # each once


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "one command at a time"])
def test_a_line_that_starts_with_a_dot_arrives_as_it_was(pipelining):
    from django.core.mail.backends.smtp import EmailBackend

    from campaign.emails import Pipeline

    data = b"Subject: dots\r\nTo: olena@example.org\r\n\r\n.\r\n..two\r\n. Olena\r\nend"
    with SMTPServer(pipelining=pipelining) as server:
        connection = EmailBackend(host="127.0.0.1", port=server.port, username="", password="",
                                  use_tls=False, use_ssl=False)
        connection.open()
        pipeline = Pipeline(connection)
        outcomes = pipeline.send(1, "noreply@example.org", "olena@example.org", data)
        outcomes += pipeline.send(2, "noreply@example.org", "taras@example.org", data + b"\r\n")
        outcomes += pipeline.flush()
        connection.close()
    assert outcomes == [(1, None), (2, None)]
    bodies = [message.get_content() for _rcpts, message in server.messages]
    assert bodies == [".\r\n..two\r\n. Olena\r\nend\r\n"] * 2
    assert recipients(server) == ["olena@example.org", "taras@example.org"]


def test_dot_stuffing_is_what_smtplib_does():
    """send_bytes() doubles a line's leading dot without smtplib's regex; the same bytes, whatever the input
    (a dot at the very start, bare line feeds, dots in a row)."""
    import random
    import re

    from campaign.emails import dot_stuffed

    def smtplib_way(data):  # smtplib._quote_periods()
        return re.sub(rb"(?m)^\.", b"..", data)

    samples = [b"", b".", b"..", b".x", b"\n.", b"\r\n.\r\n", b"a.\n.b\n..c", b".\r\n.\n\n."]
    rng = random.Random(7)
    samples += [bytes(rng.choice(b".\r\nx") for _ in range(rng.randrange(12))) for _ in range(5000)]
    for data in samples:
        assert dot_stuffed(data) == smtplib_way(data), data


def test_after_the_last_retry_the_email_is_given_up(petition, smtp_down, caplog):
    (signature,) = owed(petition, 1, email_attempts=len(outbox.RETRY_DELAYS))
    with caplog.at_level(logging.ERROR):
        assert outbox.drain()["failed"] == 1
    assert Signature.objects.get(pk=signature.pk).email_due == Due.NONE
    assert "given up" in our_log(caplog) and not emails_in(our_log(caplog))


def test_nothing_is_sent_to_a_signer_who_withdrew_or_was_confirmed_meanwhile(petition, smtp):
    withdrawn, confirmed, rejected, pending = owed(petition, 4)
    signing.withdraw(withdrawn)
    Signature.objects.filter(pk=confirmed.pk).update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    Signature.objects.filter(pk=rejected.pk).update(status=Signature.Status.REJECTED)
    assert outbox.drain() == {"sent": 1, "dropped": 3, "retrying": 0, "failed": 0}
    assert recipients(smtp) == [pending.email]


def test_a_batch_left_by_a_dead_worker_is_sent_once_its_lease_runs_out(petition, smtp):
    owed(petition, 3)
    now = timezone.now()
    assert len(outbox.claim(now)) == 3  # a worker claimed them ... and died
    assert outbox.drain(now + timedelta(minutes=1))["sent"] == 0  # leased: nobody else sends them
    assert outbox.drain(now + outbox.LEASE + timedelta(seconds=1))["sent"] == 3
    assert len(smtp.messages) == 3


def test_a_claim_leases_the_oldest_due_rows_and_returns_them_with_what_sending_needs(petition):
    now = timezone.now()
    due = owed(petition, 3, language="uk")
    SignatureFactory(petition=petition)  # owed nothing
    owed(petition, 1, email_not_before=now + timedelta(minutes=5))  # waiting for a retry
    retried = owed(petition, 1, kind=Due.ALREADY_SIGNED, email_not_before=now - timedelta(seconds=1), email_attempts=2)
    claimed = outbox.claim(now, limit=3)
    assert [s.pk for s in claimed] == [s.pk for s in due]  # the oldest first, no more than the limit
    first = claimed[0]
    assert (first.email, first.first_name, first.language, first.email_due) == (
        due[0].email, due[0].first_name, "uk", Due.CONFIRM)
    assert first.last_name == due[0].last_name  # a field sending does not need still loads
    leased = Signature.objects.filter(email_not_before=now + outbox.LEASE).values_list("pk", flat=True)
    assert sorted(leased) == [s.pk for s in due]
    (again,) = outbox.claim(now + timedelta(minutes=1))  # the retry is due; the leased ones are not
    assert (again.pk, again.email_due, again.email_attempts) == (retried[0].pk, Due.ALREADY_SIGNED, 2)


def test_a_clear_leaves_a_row_that_meanwhile_owes_another_email(petition):
    sent, owes_another = owed(petition, 2, email_attempts=1, email_not_before=timezone.now())
    Signature.objects.filter(pk=owes_another.pk).update(email_due=Due.ALREADY_SIGNED)  # signed again, confirmed
    outbox._clear([sent.pk, owes_another.pk], Due.CONFIRM)
    sent.refresh_from_db()
    owes_another.refresh_from_db()
    assert (sent.email_due, sent.email_not_before, sent.email_attempts) == (Due.NONE, None, 0)
    assert owes_another.email_due == Due.ALREADY_SIGNED and owes_another.email_attempts == 1


def test_full_batches_bring_in_another_worker_and_everything_goes_once(petition, smtp):
    owed(petition, 7)
    # Eager tasks: the follow-up drain for the next batch runs at once.
    result = outbox.drain(limit=3)
    assert result["sent"] == 3
    assert len(smtp.messages) == 7 and len(set(recipients(smtp))) == 7


def test_concurrent_drains_never_send_an_email_twice(petition, smtp):
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres row locks (SKIP LOCKED)")
    owed(petition, 120)
    errors = []

    def drain():
        try:
            while outbox.drain(limit=10)["sent"]:
                pass
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(error)
        finally:
            connection.close()

    # (Eager tasks: a drain's follow-up for the next batch runs in its own thread.)
    threads = [threading.Thread(target=drain) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(smtp.messages) == 120 and len(set(recipients(smtp))) == 120


# --- The mail merge: a batch rendered once, each email as its own rendering would be -------------

def expected_email(signature, kind):
    """The email as rendering its templates for this signer alone gives it."""
    from django.urls import reverse
    from django.utils import translation

    from campaign import emails

    petition = signature.petition
    with translation.override(signature.language):
        def link(name, purpose):
            return emails.absolute(reverse(name, args=[petition.slug, signing.make_token(signature, purpose)]))

        context = {"signature": signature, "petition": petition,
                   "petition_url": emails.absolute(petition.get_absolute_url()),
                   "withdraw_url": link("petitions:withdraw", signing.WITHDRAW)}
        if kind == Due.CONFIRM:
            context["confirm_url"] = link("petitions:confirm", signing.CONFIRM)
    return emails.build(outbox.TEMPLATES[kind], signature.email, context, signature.language)


NAMES = ['<b>O\'Neil & "Co"</b>', "Олена", "Jean-Éric", "Ж", "&amp;", "{{ name }}"]


def test_a_batch_is_rendered_once_per_language_and_each_email_is_what_its_own_rendering_gives(
    petition, mailoutbox, monkeypatch
):
    import time_machine

    from campaign import emails

    renders = []
    real_render = emails.render
    monkeypatch.setattr(emails, "render", lambda *args: renders.append(args[0]) or real_render(*args))
    signatures = [SignatureFactory(petition=petition, email_due=Due.CONFIRM, first_name=name, language=language)
                  for language in ("en", "uk") for name in NAMES]
    confirmed = [SignatureFactory(petition=petition, email_due=Due.ALREADY_SIGNED, first_name=name,
                                  status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()) for name in NAMES]
    with time_machine.travel(timezone.now(), tick=False):  # the links' timestamps, the same both ways
        assert outbox.drain()["sent"] == len(signatures) + len(confirmed)
        monkeypatch.setattr(emails, "render", real_render)
        sent = {message.to[0]: message for message in mailoutbox}
        for signature in [*signatures, *confirmed]:
            expected = expected_email(signature, signature.email_due)
            message = sent[signature.email]
            assert (message.subject, message.body, message.alternatives) == (
                expected.subject, expected.body, expected.alternatives)
    # Three groups (en, uk, "already signed"), each rendered in full once and as a merge once.
    assert len(renders) == 6
    html = sent[confirmed[0].email].alternatives[0][0]
    assert "&lt;b&gt;O&#x27;Neil &amp; &quot;Co&quot;&lt;/b&gt;" in html and "<b>O'Neil" not in html
    assert '<b>O\'Neil & "Co"</b>' in sent[confirmed[0].email].body  # the text part is not HTML
    # A confirmation goes to an address whose owner has not spoken yet: it repeats no name typed with it.
    assert "Олена" not in sent[signatures[1].email].body and "O'Neil" not in sent[signatures[0].email].body


def test_a_merge_serves_the_next_batches_until_its_petition_changes_or_a_minute_passes(
    petition, mailoutbox, monkeypatch
):
    import time_machine

    from campaign import emails

    renders = []
    real_render = emails.render
    monkeypatch.setattr(emails, "render", lambda *args: renders.append(args[0]) or real_render(*args))
    clock = [1000.0]
    monkeypatch.setattr(outbox.time, "monotonic", lambda: clock[0])

    def batch(**extra):
        """Two emails owed and sent: their messages, and how many templates the batch rendered."""
        signatures = owed(petition, 2, **extra)
        renders.clear()
        assert outbox.drain()["sent"] == 2
        return [message for message in mailoutbox if message.to[0] in {s.email for s in signatures}], len(renders)

    with time_machine.travel(timezone.now(), tick=False):  # the links' timestamps, the same both ways
        first, rendered = batch()
        assert rendered == 2  # the merge made: in full and with placeholders, once
        second, rendered = batch(first_name="Taras")
        assert rendered == 0  # the first batch's merge, filled in
        monkeypatch.setattr(emails, "render", real_render)
        for message in second:
            expected = expected_email(Signature.objects.get(email=message.to[0]), Due.CONFIRM)
            assert (message.subject, message.body, message.alternatives) == (
                expected.subject, expected.body, expected.alternatives)
        monkeypatch.setattr(emails, "render", lambda *args: renders.append(args[0]) or real_render(*args))
    assert first[0].subject == second[0].subject

    petition.title = "Free Igor Kuznetsov and his comrades"
    petition.save()
    edited, rendered = batch()
    assert rendered == 2
    assert all("his comrades" in message.subject and "his comrades" in message.body for message in edited)

    clock[0] += outbox.MERGE_LIFETIME - 1
    assert batch()[1] == 0
    clock[0] += 1
    assert batch()[1] == 2  # a minute old: made anew
    assert len(outbox._merges) == 1  # and the old ones are gone


def test_a_template_that_does_more_with_a_signers_values_is_rendered_for_each_email(
    petition, mailoutbox, settings, tmp_path, caplog
):
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "signature-confirm-body-text.html").write_text(
        "Dear {{ signature.first_name|upper }} {{ signature.last_name }}: {{ confirm_url }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    owed(petition, 1, first_name="Olena", last_name="Petrenko")
    owed(petition, 1, first_name="Taras", last_name="Shevchenko")
    with caplog.at_level(logging.WARNING):
        assert outbox.drain()["sent"] == 2
    bodies = sorted(message.body.split(":")[0] for message in mailoutbox)
    assert bodies == ["Dear OLENA Petrenko", "Dear TARAS Shevchenko"]
    assert "rendered in full" in our_log(caplog)


def parsed(email_message):
    """What a mail client sees of a message: its headers and parts, decoded."""
    import email
    import email.policy

    if not isinstance(email_message, email.message.EmailMessage):
        email_message = email.message_from_bytes(email_message.message().as_bytes(linesep="\r\n"),  # as sent
                                                  policy=email.policy.default)
    return {
        "headers": {name: str(email_message[name]) for name in ("Subject", "From", "To", "MIME-Version")},
        "parts": [(part.get_content_type(), part.get_content_charset(), part.get_content())
                  for part in email_message.iter_parts()],
    }


def test_over_smtp_each_email_of_a_merge_reads_as_django_would_have_built_it(petition, smtp, monkeypatch):
    import time_machine
    from django.core.mail.backends.smtp import EmailBackend

    built_by_django = []
    real_send = EmailBackend._send
    monkeypatch.setattr(EmailBackend, "_send", lambda self, message: built_by_django.append(message) or
                        real_send(self, message))
    signatures = [SignatureFactory(petition=petition, email_due=Due.CONFIRM, first_name=name, language=language)
                  for language in ("en", "ru") for name in [*NAMES, "A" * 100]]
    confirmed = [SignatureFactory(petition=petition, email_due=Due.ALREADY_SIGNED, first_name=name,
                                  status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
                 for name in [*NAMES, "A" * 100]]
    with time_machine.travel(timezone.now(), tick=False):  # the links' timestamps, the same both ways
        assert outbox.drain()["sent"] == len(signatures) + len(confirmed)
        sent = {rcpts[0]: message for rcpts, message in smtp.messages}
        for signature in [*signatures, *confirmed]:
            expected = expected_email(signature, signature.email_due)
            assert parsed(sent[signature.email]) == parsed(expected)
    # Django built only the first email of each merge (en, ru, "already signed"); the rest went as
    # the merge's own bytes, with a Message-ID each.
    assert len(built_by_django) == 3
    assert len({message["Message-ID"] for message in sent.values()}) == len(sent)
    html = sent[confirmed[0].email].get_body(("html",)).get_content()
    assert "&lt;b&gt;O&#x27;Neil &amp; &quot;Co&quot;&lt;/b&gt;" in html and "<b>O'Neil" not in html


def test_an_email_a_merge_cannot_carry_as_it_is_is_built_by_django(petition, smtp, monkeypatch):
    from django.core.mail.backends.smtp import EmailBackend

    built_by_django = []
    real_send = EmailBackend._send
    monkeypatch.setattr(EmailBackend, "_send", lambda self, message: built_by_django.append(message.to[0]) or
                        real_send(self, message))
    plain = owed(petition, 2)
    awkward = [*owed(petition, 1, email="olena@приклад.укр"), *owed(petition, 1, email='"olena p"@example.org')]
    assert outbox.drain()["sent"] == 4
    # The first email of the merge, and the two addresses that need encoding or quoting.
    assert built_by_django == [plain[0].email, *(s.email for s in awkward)]
    assert recipients(smtp) == sorted([*(s.email for s in plain), "olena@xn--80aikifvh.xn--j1amh",
                                       '"olena p"@example.org'])


def test_the_merges_bytes_refuse_what_they_cannot_carry_as_they_are():
    from campaign.emails import MailMerge, Rendered, Wire

    merge = MailMerge("signature-confirm", "en")
    mark = merge.placeholder("first_name")
    wire = Wire.build(Rendered("Please confirm", f"Hello {mark},\n", f"<p>Hello {mark},</p>\n"), merge.marks)
    assert b"Hello Olena," in wire.data("olena@example.org", {"first_name": "Olena"})
    assert b"Hello \xd0\x9e" in wire.data("olena@example.org", {"first_name": "Олена"})  # 8bit parts
    assert wire.data("olena@example.org", {"first_name": "Olena\r\nBcc: x@example.org"}) is None
    assert wire.data("olena@example.org", {"first_name": "O" * 1000}) is None  # a line too long for SMTP
    assert wire.data("Olena <olena@example.org>", {"first_name": "Olena"}) is None
    # A value in the subject: the header may be encoded, so no merge of bytes at all.
    assert Wire.build(Rendered(f"For {mark}", "", ""), merge.marks) is None


@pytest.mark.skipif(not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), reason="needs REDIS_URL")
def test_under_a_surge_a_process_kicks_redis_only_until_it_knows_when_the_queued_run_starts(monkeypatch):
    import time

    from django.core.cache import cache

    from campaign import jobs
    from campaign.celery import app
    from petitions.tasks import send_signer_emails

    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda task, countdown=None: queued.append(countdown) or True)
    app.conf.task_always_eager = False  # as in production: a queued run waits for its time (reset by celery_eager)
    monkeypatch.setattr(jobs, "_quiet_until", {})
    redis, key = cache.redis_client(), "test:kick"
    calls = []
    real_set = redis.set
    monkeypatch.setattr(redis, "set", lambda *a, **k: calls.append(a) or real_set(*a, **k))

    jobs._kick(send_signer_emails, key, 0.6)  # the first signer: queues a run for 0.6 s from now
    assert queued == [0.6] and len(calls) == 1
    cache.delete(key)  # a sweep's run started meanwhile: the queued run still starts later
    for _ in range(20):
        jobs._kick(send_signer_emails, key, 0.6)
    assert queued == [0.6] and len(calls) == 1  # no round trip: the queued run will see these rows

    time.sleep(0.6)  # the queued run may have started: ask Redis again
    jobs._kick(send_signer_emails, key, 0.6)
    assert queued == [0.6, 0.6] and len(calls) == 2

    jobs._quiet_until.clear()  # another process: finds the key, learns when that run starts
    jobs._kick(send_signer_emails, key, 0.6)
    jobs._kick(send_signer_emails, key, 0.6)
    assert queued == [0.6, 0.6] and len(calls) == 3
    cache.delete(key)

    # A backlog: the queued run is overdue (the workers are busy) and has not started. A process
    # asks again only every BACKLOG_RECHECK seconds; what it commits meanwhile goes with a later run.
    jobs._quiet_until.clear()
    real_set(cache.make_key(key), repr(time.time() - 5))  # queued for 5 s ago
    for _ in range(20):
        jobs._kick(send_signer_emails, key, 0.6)
    assert queued == [0.6, 0.6] and len(calls) == 4  # one round trip, no new run: one is queued
    time.sleep(jobs.BACKLOG_RECHECK)
    jobs._kick(send_signer_emails, key, 0.6)
    assert queued == [0.6, 0.6] and len(calls) == 5
    cache.delete(key)  # the overdue run started at last: the next check queues a new one
    time.sleep(jobs.BACKLOG_RECHECK)
    jobs._kick(send_signer_emails, key, 0.6)
    assert queued == [0.6, 0.6, 0.6] and len(calls) == 6
    cache.delete(key)
