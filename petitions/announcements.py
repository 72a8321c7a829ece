"""Telling supporters what happened: one email per person about a case event they asked to hear of.

Recipients are the confirmed signers who opted in to updates, of the petitions of the campaigns
(the announcing organiser edits) that feature a defendant of the event's case. A person who signed
several petitions is one recipient: Announcement rows are claimed per person before any email goes
out, and a person already told about this event is never told again.
"""

import contextlib
import hashlib
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from campaign import emails, jobs
from campaign.models import Campaign

from . import signing
from .models import Announcement, Signature

logger = logging.getLogger(__name__)


def audience(event, campaign_ids=None):
    """One signature id per person (their latest) among those who want updates."""
    campaigns = Campaign.objects.filter(prisoners__defendant_links__case=event.case).exclude(
        status=Campaign.Status.DRAFT
    )
    if campaign_ids is not None:
        campaigns = campaigns.filter(pk__in=campaign_ids)
    signers = Signature.objects.filter(
        petition__campaign__in=campaigns, status=Signature.Status.CONFIRMED, wants_updates=True
    ).exclude(email="")
    told = Announcement.objects.filter(event=event).values("signature__email_normalised")
    return (
        signers.exclude(email_normalised__in=told).values("email_normalised").annotate(latest=Max("pk"))
        .values_list("latest", flat=True)
    )


def announce(event, campaign_ids=None, now=None):
    """Claim the recipients and queue the sending; returns how many people will be told."""
    from .tasks import send_announcements

    with transaction.atomic():
        type(event).objects.select_for_update().filter(pk=event.pk).first()  # one announcer at a time
        created = Announcement.objects.bulk_create(
            [Announcement(event=event, signature_id=pk) for pk in audience(event, campaign_ids)],
            ignore_conflicts=True,
        )
        type(event).objects.filter(pk=event.pk, announced_at__isnull=True).update(
            announced_at=now or timezone.now(), announce=True
        )
        jobs.enqueue_on_commit(send_announcements, event.pk)
    return len(created)


@dataclass(frozen=True)
class Progress:
    """Where an event's announcement stands: every claimed person is one or the other. A person the
    email could not go to at all (refused for good, no usable address, unsubscribed since) leaves no
    row, and an email the mail server did not take yet is claimed again for a retry: none is given up."""

    sent: int
    going_out: int  # claimed, not sent yet: the task is still going, or will try again (resume())


def progress(event):
    """How many of the people claimed for the event were sent the email, and how many are still to
    be, counted from the Announcement rows in one query (`announced_to` is written only once a
    task ends, so while one runs it would leave the emails it has sent counted nowhere)."""
    counts = Announcement.objects.filter(event=event).aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)), going_out=Count("pk", filter=Q(sent_at__isnull=True)),
    )
    return Progress(**counts)


# Claimed announcements still unsent this long after announcing are queued again (their task was
# lost with the broker, or its retries ran out while the mail server was down).
RESUME_AFTER = timedelta(minutes=5)


def resume(now=None):
    """The periodic sweep: queue the sending again for events with claimed, unsent announcements."""
    from .tasks import send_announcements

    limit = (now or timezone.now()) - RESUME_AFTER
    events = list(
        Announcement.objects.filter(sent_at__isnull=True, event__announced_at__lte=limit)
        .values_list("event_id", flat=True).distinct().order_by()
    )
    for event_id in events:
        jobs.enqueue(send_announcements, event_id)
    return events


# Seconds one task sends for before it hands the rest to a new task: ten thousand supporters took
# longer than the task's time limit, which stops it between claiming an email and sending it --
# that person counted as told and never told. A task sends over one SMTP connection (a new one per
# email cost a second or more through a distant relay with TLS).
SEND_BUDGET = 60


def send_pending(event_id):
    """Send every claimed, unsent announcement of the event, or as many as SEND_BUDGET allows and
    queue the rest in a new task. Safe to run twice."""
    from .tasks import send_announcements

    sent, started = 0, time.monotonic()
    pending = Announcement.objects.filter(event_id=event_id, sent_at__isnull=True).select_related(
        "signature__petition", "event", "event__case"
    )
    connection = get_connection()
    try:
        for announcement in pending.iterator(chunk_size=500):
            if sent and time.monotonic() - started >= SEND_BUDGET:
                jobs.enqueue(send_announcements, event_id)  # lost with the broker: resume() picks it up
                break
            sent += _claim_and_send(announcement, connection)
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()  # a connection that died is closed all the same
    total = Announcement.objects.filter(event_id=event_id, sent_at__isnull=False).count()
    from prisoners.models import CaseEvent

    CaseEvent.objects.filter(pk=event_id).update(announced_to=total)
    return sent


def _claim_and_send(announcement, connection):
    """1 if this worker claimed the announcement and told the person, else 0; raises, with the
    claim released, when the mail server should be tried again later."""
    # Claim it first: a second worker on the same event skips it (at most once per person).
    if not Announcement.objects.filter(pk=announcement.pk, sent_at__isnull=True).update(sent_at=timezone.now()):
        return 0
    try:
        told = _send(announcement, connection)
    except smtplib.SMTPRecipientsRefused as error:
        codes = sorted(code for code, _reply in error.recipients.values())
        if all(code >= 500 for code in codes):
            # Refused for good (no such mailbox): retrying the event for it would hold up
            # everyone after it. Not counted, like an address no email can go to.
            Announcement.objects.filter(pk=announcement.pk).delete()
            logger.error("Announcement to signature %s not sent: the address was refused for good (%s)",
                         announcement.signature_id, codes)
            return 0
        Announcement.objects.filter(pk=announcement.pk).update(sent_at=None)  # to be retried
        # Celery logs what a task raises, and this refusal names the address: only the codes.
        raise smtplib.SMTPException(f"recipient refused for now ({codes})") from None
    except (smtplib.SMTPException, OSError, SoftTimeLimitExceeded):
        Announcement.objects.filter(pk=announcement.pk).update(sent_at=None)  # to be retried
        raise
    except ValueError as error:  # an address no email can go to: not counted, and the others still go
        Announcement.objects.filter(pk=announcement.pk).delete()
        logger.error("Announcement to signature %s not sent: the address cannot be used (%s)",
                     announcement.signature_id, type(error).__name__)
        return 0
    if not told:  # unsubscribed or withdrew since the claim: not one of those told
        Announcement.objects.filter(pk=announcement.pk).delete()
        return 0
    return 1


def _send(announcement, connection=None):
    """Email the announcement; False, and nothing sent, for a person who withdrew or unsubscribed
    since it was claimed, or whose signature an organiser rejected as spam since."""
    signature, event = announcement.signature, announcement.event
    if not signature.email or not signature.wants_updates or signature.status != Signature.Status.CONFIRMED:
        return False
    language = signature.language
    with translation.override(language):
        token = signing.make_unsubscribe_token(signature)
        unsubscribe = emails.absolute(reverse("petitions:unsubscribe", args=[token]))
        withdraw = reverse("petitions:withdraw", args=[signature.petition.slug, signing.make_token(
            signature, signing.WITHDRAW)])
    # The withdraw link, as every email we send a signer has.
    context = email_context(event, language, signature, unsubscribe, emails.absolute(withdraw))
    if connection is not None:
        connection.open()  # once: Django's backend closes after each email a connection it opened itself
    emails.send(
        "announcement", signature.email, context, language,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        connection=connection,
    )
    return True


def email_context(event, language, signature, unsubscribe_url, withdraw_url):
    """The announcement templates' context: what every recipient in `language` gets, and their
    own name and links. The one place both the sending and the organiser's preview build it."""
    with translation.override(language):
        case_url = emails.absolute(event.case.get_absolute_url())
    return {
        "signature": signature, "event": event, "case": event.case, "case_url": case_url,
        "unsubscribe_url": unsubscribe_url, "withdraw_url": withdraw_url,
    }


# What differs from one recipient to the next, shown in the preview as a placeholder (in the
# organiser's language): a real signer's name or link on an organiser's screen is personal data.
PLACEHOLDERS = {
    "first_name": _("[first name]"),
    "unsubscribe_url": _("[their own link to stop these updates]"),
    "withdraw_url": _("[their own link to withdraw their signature]"),
}


def preview(event, language):
    """The announcement as it would go to the event's recipients in `language` (subject, text and
    HTML), rendered by the templates it is sent with, placeholders where each recipient's own values go."""
    shown = {name: str(text) for name, text in PLACEHOLDERS.items()}  # before the email's language is active
    signer = Signature(first_name=shown["first_name"], language=language)  # never saved: no one's data
    context = email_context(event, language, signer, shown["unsubscribe_url"], shown["withdraw_url"])
    return emails.render("announcement", context, language)


def audience_by_language(event, campaign_ids=None):
    """{language: people} for the recipients announce() would claim now (the same audience())."""
    rows = (
        Signature.objects.filter(pk__in=audience(event, campaign_ids)).values("language")
        .annotate(people=Count("pk")).order_by("language")
    )
    return {row["language"]: row["people"] for row in rows}


@dataclass(frozen=True)
class Plan:
    """What announce() would do now for an organiser: how many people, in which languages, told
    what. `key` stands for what they are shown: confirming a page whose key no longer matches (the
    event edited or announced since, a language's first recipient since) is confirming something else."""

    people: int
    by_language: dict
    previews: dict  # {language: Rendered}, for each language with recipients
    key: str


def plan(event, campaign_ids=None):
    by_language = audience_by_language(event, campaign_ids)
    previews = {language: preview(event, language) for language in by_language}
    digest = hashlib.sha256(str(event.announced_at).encode())
    # Not the counts: on a busy day signers confirm every second, and the organiser could never
    # confirm a page; what each person would read is what they agreed to.
    for language, rendered in previews.items():
        for part in (language, rendered.subject, rendered.text, rendered.html):
            digest.update(b"\0" + part.encode())
    return Plan(sum(by_language.values()), by_language, previews, digest.hexdigest())


def unsubscribe(signature):
    """No more updates to this person, from any petition: one click, at once."""
    return Signature.objects.filter(email_normalised=signature.email_normalised).exclude(email="").update(
        wants_updates=False, updated_at=timezone.now()
    )
