"""Anonymising signers a fixed time after a petition closes, once the letters on their way have gone.

"On their way" is what happens without anyone's doing: letters being sent or waiting to be handed
over, and the live letters the schedule will plan for confirmed signatures in none yet. Letters
that only an organiser can start -- deliveries paused, the manual cadence, live delivery off -- are
not waited for: forgotten, they kept every signer's data for ever. The petition's dashboard tells
its organisers from the day it closes what will be delivered and when the data goes (`outlook()`).

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
from django.utils.translation import gettext_lazy as _

from .delivery import letter_files_of, on_schedule, undelivered
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
        if _letters_to_come(petition):
            continue  # the schedule has not delivered everything yet
        due.append(petition)
    return due


def _letters_to_come(petition):
    """Whether confirmed signatures still wait for a live letter that the schedule will plan and
    some embassy (or the fallback) will receive. A signer from a country nothing covers has no
    letter coming, nor has anyone while only an organiser can send one: waiting would keep every
    signer's data for ever."""
    if not (petition.delivers_live and on_schedule(petition)):
        return False
    router = Router(petition)
    countries = undelivered(petition, is_test=False).values_list("country", flat=True).distinct().order_by()
    return any(router.route(country) for country in countries)


def outlook(petition, now=None):
    """For a closed petition's organisers, what becomes of its signers' data: None while it is open
    or once it is anonymised; else a dict of when it closed, when the data goes at the earliest
    ("anonymise_on"), how many confirmed signatures are in no live letter ("not_delivered"),
    whether the schedule will deliver them ("coming"), why not ("held_by"), and how many letters
    are still on their way ("letters_on_their_way")."""
    closed = closed_at(petition)
    if closed is None or not Signature.objects.filter(petition=petition).exclude(email="").exists():
        return None
    not_delivered = undelivered(petition, is_test=False).count()
    if not petition.delivers_live:
        held_by = HELD_BY["not_live"]
    elif petition.delivery_paused:
        held_by = HELD_BY["paused"]
    elif not on_schedule(petition):
        held_by = HELD_BY["manual"]
    else:
        held_by = HELD_BY["unrouted"]
    coming = bool(not_delivered) and _letters_to_come(petition)
    return {
        "closed_at": closed,
        "anonymise_on": closed + timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS),
        "not_delivered": not_delivered,
        "coming": coming,
        "held_by": None if coming or not not_delivered else held_by,
        "letters_on_their_way": petition.deliveries.filter(status__in=UNFINISHED).count(),
    }


HELD_BY = {
    "not_live": _("live delivery is not on, so every letter goes only to the test recipient"),
    "paused": _("its deliveries are paused"),
    "manual": _("its deliveries go out only when an organiser uses “Deliver now”"),
    "unrouted": _("no embassy in the directory covers their countries, and the petition has no fallback target"),
}


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


# --- Signatures never confirmed ------------------------------------------------------------------

#: A signature never confirmed is deleted this many days after its confirmation link was last sent
#: (or its details last replaced). The link expired long before (7 days); nothing of it was counted
#: or sent; and it holds an address, a name and a comment that may have been typed by someone other
#: than the address's owner. They were kept until the petition closed and its retention ran out:
#: years, for a petition that stays open.
UNCONFIRMED_DAYS = 30


def unconfirmed_to_delete(now=None):
    limit = (now or timezone.now()) - timedelta(days=UNCONFIRMED_DAYS)
    # No email on its way (a fresh link asked for moves updated_at too), and in no letter (none
    # should be: only confirmed signatures are claimed; a delivery record must not lose a row).
    return Signature.objects.filter(
        status=Signature.Status.PENDING, updated_at__lt=limit, email_due=Signature.EmailDue.NONE,
        delivery_items__isnull=True,
    )


def delete_unconfirmed(now=None):
    """Delete the signatures never confirmed whose time is up; returns how many."""
    deleted = 0
    for batch in _batches(unconfirmed_to_delete(now).only("pk"), BATCH):
        with transaction.atomic():
            # Asked again in the DELETE itself: a fresh link asked for since the batch was read keeps it.
            doomed = unconfirmed_to_delete(now).filter(pk__in=[signature.pk for signature in batch])
            forget_in_admin_history(doomed)
            deleted += doomed.delete()[1].get(Signature._meta.label, 0)
    if deleted:
        logger.info("Deleted %s signatures never confirmed", deleted)
    return deleted
