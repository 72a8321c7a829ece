import logging
import smtplib

from celery import shared_task
from django.urls import reverse
from django.utils import translation

from campaign import emails

from . import counting, delivery, signing
from .models import Signature

logger = logging.getLogger(__name__)

# Temporary failures of the mail server or the network; a 5xx refusal is not worth retrying.
RETRYABLE = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError, TimeoutError)


@shared_task(acks_late=True)
def update_signature_counts():
    """Every few seconds (beat), and soon after confirmations: fold them into the counts."""
    changes = counting.update_counts()
    return {str(pk): change for pk, change in changes.items()}


@shared_task(acks_late=True)
def recount_signatures():
    """Nightly (beat): recount every petition from its signatures and repair drift."""
    repaired = counting.recount()
    return {str(pk): now for pk, (_was, now) in repaired.items()}


@shared_task(
    bind=True, acks_late=True, autoretry_for=RETRYABLE, retry_backoff=15, retry_backoff_max=900,
    max_retries=10, retry_jitter=True,
)
def send_signature_email(self, signature_id, kind):
    """Email a signer: `confirm` (the confirmation link) or `already_signed`.

    Takes an id and re-reads the row, so a signature withdrawn meanwhile gets nothing.
    """
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    if signature is None or not signature.email:
        return "gone"
    wanted = {"confirm": Signature.Status.PENDING, "already_signed": Signature.Status.CONFIRMED}[kind]
    if signature.status != wanted:
        return "skipped"
    petition = signature.petition
    with translation.override(signature.language):
        withdraw_token = signing.make_token(signature, signing.WITHDRAW)
        withdraw_url = reverse("petitions:withdraw", args=[petition.slug, withdraw_token])
        context = {
            "signature": signature,
            "petition": petition,
            "petition_url": emails.absolute(petition.get_absolute_url()),
            "withdraw_url": emails.absolute(withdraw_url),
        }
        if kind == "confirm":
            token = signing.make_token(signature, signing.CONFIRM)
            context["confirm_url"] = emails.absolute(reverse("petitions:confirm", args=[petition.slug, token]))
    emails.send(f"signature-{kind.replace('_', '-')}", signature.email, context, signature.language)
    logger.info("Sent %s email for signature %s", kind, signature_id)
    return "sent"


@shared_task(acks_late=True)
def run_deliveries():
    """Every minute (beat): plan the deliveries that are due and pick up retries and strays.

    Thin on purpose: it only claims and enqueues; each letter is its own send_delivery task.
    """
    return delivery.sweep()


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
def purge_personal_data():
    """Daily (beat): anonymise signers of petitions past their retention period."""
    from . import retention

    return {str(pk): n for pk, n in retention.purge().items()}
