"""Anonymising signers a fixed time after a petition closes and its letters are delivered.

Names become initials or nothing, as the signer chose for the public list; emails, IP hashes,
cities, organisations and comments are erased, the admin's history of the signatures no longer
names them, and the stored copies of the letters are deleted.
Counts, countries and delivery records stay.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .delivery import letter_files_of, undelivered
from .models import Delivery, Petition, Signature
from .routing import Router
from .signing import forget_in_admin_history

logger = logging.getLogger(__name__)

BATCH = 2000  # signatures anonymised per transaction
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
        if petition.delivers_live and _letters_to_come(petition):
            continue  # live and not everything delivered yet
        due.append(petition)
    return due


def _letters_to_come(petition):
    """Whether confirmed signatures still wait for a live letter that some embassy (or the
    fallback) will receive. A signer from a country nothing covers has no letter coming: waiting
    for one would keep every signer's data for ever."""
    router = Router(petition)
    countries = undelivered(petition, is_test=False).values_list("country", flat=True).distinct().order_by()
    return any(router.route(country) for country in countries)


def anonymise(petition):
    """Erase the personal data of a petition's signatures; returns how many rows changed."""
    # An empty email marks a row already erased (anonymised or withdrawn).
    signatures = Signature.objects.filter(petition=petition).exclude(email="")
    changed = 0
    for batch in _batches(signatures.only("pk", "first_name", "last_name", "public_name"), BATCH):
        # A batch and the admin's history of it in one transaction: no name is left there once
        # the signature itself no longer has it.
        with transaction.atomic():
            for signature in batch:
                if signature.public_name == Signature.PublicName.HIDDEN:
                    first, last = "", ""
                else:
                    first = f"{signature.first_name.strip()[:1]}." if signature.first_name.strip() else ""
                    last = f"{signature.last_name.strip()[:1]}." if signature.last_name.strip() else ""
                # Not a row erased since the batch was read (a withdrawal): no initials written back.
                changed += Signature.objects.filter(pk=signature.pk).exclude(email="").update(
                    first_name=first, last_name=last, email="", ip_hash="", city="", organisation="", comment="",
                    wants_updates=False, updated_at=timezone.now(),
                )
            forget_in_admin_history(Signature.objects.filter(pk__in=[signature.pk for signature in batch]))
    # The stored copies of its letters name people too; the delivery records, with the letters'
    # SHA-256 and their manifests, stay.
    letters = 0
    for stored in Delivery.objects.filter(petition=petition).exclude(pdf=""):
        stored.pdf.delete(save=False)
        letters += Delivery.objects.filter(pk=stored.pk).update(pdf="")
    # And any copy no row names any more (a render killed before it recorded its file).
    storage = Delivery._meta.get_field("pdf").storage
    for name in letter_files_of(Delivery.objects.filter(petition=petition).values_list("pk", flat=True), storage):
        storage.delete(name)
        letters += 1
    logger.info("Anonymised %s signatures and deleted %s stored letters of petition %s", changed, letters, petition.pk)
    return changed


def _batches(queryset, size):
    """Lists of up to `size` rows, by increasing id, each read when the previous one is done."""
    last = 0
    while batch := list(queryset.filter(pk__gt=last).order_by("pk")[:size]):
        yield batch
        last = batch[-1].pk


def purge(now=None):
    return {petition.pk: anonymise(petition) for petition in due_for_anonymising(now)}
