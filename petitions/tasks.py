import logging
import smtplib

from celery import shared_task

from campaign import jobs

from . import counting, delivery, outbox, signing

logger = logging.getLogger(__name__)

# Temporary failures of the mail server or the network; a 5xx refusal is not worth retrying.
RETRYABLE = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError)


@shared_task(acks_late=True)
def update_signature_counts():
    """Every few seconds (beat), and soon after confirmations: fold them into the counts."""
    jobs.started(counting.COUNT_UPDATE_KEY)  # before reading: see campaign.jobs.kick
    changes = counting.update_counts()
    return {str(pk): change for pk, change in changes.items()}


@shared_task(acks_late=True)
def recount_signatures():
    """Nightly (beat): recount every petition from its signatures and repair drift."""
    repaired = counting.recount()
    return {str(pk): now for pk, (_was, now) in repaired.items()}


@shared_task(acks_late=True)
def send_signer_emails():
    """Soon after signing (kicked), and every few seconds (beat): send the emails signers are owed."""
    return outbox.drain()


@shared_task(acks_late=True)
def run_deliveries():
    """Every minute (beat): plan the deliveries that are due and pick up retries and strays.

    Thin on purpose: it only claims and enqueues; each letter is its own send_delivery task.
    """
    if signing.waiting_withdrawals().exists():  # their own task was lost (Redis restarted, say)
        jobs.enqueue(finish_withdrawals)
    return delivery.sweep()


@shared_task(acks_late=True)
def finish_withdrawals():
    """Soon after a withdrawal that found a letter naming the signer on its way (and every minute,
    from run_deliveries): erase what that letter was printing, once it has gone."""
    return signing.finish_withdrawals()


@shared_task(acks_late=True)
def send_delivery(delivery_id):
    """Render, send and record one letter. Idempotent: a final or in-flight delivery is skipped."""
    delivery.send(delivery_id)


@shared_task(
    acks_late=True, autoretry_for=RETRYABLE + (smtplib.SMTPException,), retry_backoff=30, retry_backoff_max=1800,
    max_retries=8,
)
def send_announcements(event_id):
    """Email the supporters claimed for a case event (one per person; already-sent ones skipped)."""
    from . import announcements

    return announcements.send_pending(event_id)


@shared_task(acks_late=True)
def resume_announcements():
    """Every few minutes (beat): queue again the announcements a lost task left unsent."""
    from . import announcements

    return announcements.resume()


@shared_task(acks_late=True)
def purge_personal_data():
    """Daily (beat): anonymise signers of petitions past their retention period."""
    from . import retention

    anonymised = {str(pk): n for pk, n in retention.purge().items()}
    return {"anonymised": anonymised, "unconfirmed_deleted": retention.delete_unconfirmed()}
