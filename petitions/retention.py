"""Anonymising signers a fixed time after a petition closes and its letters are delivered.

Names become initials or nothing, as the signer chose for the public list; emails, IP hashes,
cities, organisations and comments are erased, and the stored copies of the letters deleted.
Counts, countries and delivery records stay.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import Delivery, Petition, Signature

logger = logging.getLogger(__name__)

UNFINISHED = [
    Delivery.Status.QUEUED, Delivery.Status.INFLIGHT, Delivery.Status.AWAITING_RETRY,
    Delivery.Status.AWAITING_HANDOVER,
]


def closed_at(petition):
    """When the petition stopped taking signatures, or None while it is open."""
    now = timezone.now()
    if petition.closes_at and petition.closes_at <= now:
        return petition.closes_at
    if petition.status == Petition.Status.CLOSED:
        return petition.closes_at if petition.closes_at and petition.closes_at <= now else petition.updated_at
    return None


def due_for_anonymising(now=None):
    """Petitions closed longer than the retention period whose deliveries are all finished."""
    now = now or timezone.now()
    limit = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    due = []
    for petition in Petition.objects.filter(Q(status=Petition.Status.CLOSED) | Q(closes_at__lte=now)):
        closed = closed_at(petition)
        if closed is None or closed > limit:
            continue
        if petition.deliveries.filter(status__in=UNFINISHED).exists():
            continue
        if petition.delivers_live and Signature.objects.filter(
            petition=petition, status=Signature.Status.CONFIRMED
        ).exclude(delivery_items__is_test=False).exists():
            continue  # live and not everything delivered yet
        due.append(petition)
    return due


def anonymise(petition):
    """Erase the personal data of a petition's signatures; returns how many rows changed."""
    # An empty email marks a row already erased (anonymised or withdrawn).
    signatures = Signature.objects.filter(petition=petition).exclude(email="")
    changed = 0
    for signature in signatures.only("pk", "first_name", "last_name", "public_name").iterator(chunk_size=2000):
        if signature.public_name == Signature.PublicName.HIDDEN:
            first, last = "", ""
        else:
            first = f"{signature.first_name.strip()[:1]}." if signature.first_name.strip() else ""
            last = f"{signature.last_name.strip()[:1]}." if signature.last_name.strip() else ""
        changed += Signature.objects.filter(pk=signature.pk).update(
            first_name=first, last_name=last, email="", ip_hash="", city="", organisation="", comment="",
            wants_updates=False, updated_at=timezone.now(),
        )
    # The stored copies of its letters name people too; the delivery records, with the letters'
    # SHA-256 and their manifests, stay.
    letters = 0
    for stored in Delivery.objects.filter(petition=petition).exclude(pdf=""):
        stored.pdf.delete(save=False)
        letters += Delivery.objects.filter(pk=stored.pk).update(pdf="")
    logger.info("Anonymised %s signatures and deleted %s stored letters of petition %s", changed, letters, petition.pk)
    return changed


def purge(now=None):
    return {petition.pk: anonymise(petition) for petition in due_for_anonymising(now)}
