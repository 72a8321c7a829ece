"""Keeping Petition.signature_count right without a hot row.

The e-petitions lesson (STYLE.md): a per-signature `UPDATE petitions SET count = count + 1` makes
the popular petition's row the pinch point of the whole site. Here the signing and confirming
requests only touch their own signature row. A periodic job folds the changes into the count:
each signature carries a `counted` flag, and the job flips the flags that disagree with the
signature's status and moves the count by the same amount, in one transaction per petition.

Because the flip is a conditional UPDATE (`... WHERE counted = false`) of rows the job has locked
(skipping those someone else holds: `unlocked()`), two jobs running at once cannot count the same
signature twice: the second skips the rows the first is flipping. A nightly recount repairs any
drift (a row edited by hand, a bug) and logs it.
"""

import logging

from django.db import transaction
from django.db.models import F, Q

from campaign import jobs

from .models import Petition, Signature

logger = logging.getLogger(__name__)

CONFIRMED = Signature.Status.CONFIRMED
NEEDS_COUNTING = Q(status=CONFIRMED, counted=False) | (Q(counted=True) & ~Q(status=CONFIRMED))


COUNT_UPDATE_KEY = "petitions:count-update-queued"
COUNT_UPDATE_DELAY = 1  # seconds: confirmations arriving meanwhile are folded in by the same run


def schedule_update():
    """Ask for a count update soon after this transaction commits.

    Under a surge thousands of confirmations share one queued update (campaign.jobs.kick); when
    the site is quiet the count still moves within a second or two. The periodic task catches
    anything a lost kick misses.
    """
    from .tasks import update_signature_counts

    jobs.kick(update_signature_counts, COUNT_UPDATE_KEY, COUNT_UPDATE_DELAY)


def update_counts(petition_ids=None):
    """Fold newly confirmed (and newly withdrawn or rejected) signatures into the counts.

    Returns {petition_id: change} for the petitions whose count moved.
    """
    pending = Signature.objects.filter(NEEDS_COUNTING)
    if petition_ids is not None:
        pending = pending.filter(petition_id__in=petition_ids)
    changes = {}
    for petition_id in pending.values_list("petition_id", flat=True).distinct().order_by():
        with transaction.atomic():
            mine = Signature.objects.filter(petition_id=petition_id)
            to_add = mine.filter(status=CONFIRMED, counted=False)
            added = to_add.filter(pk__in=unlocked(to_add)).update(counted=True)
            to_remove = mine.filter(counted=True).exclude(status=CONFIRMED)
            removed = to_remove.filter(pk__in=unlocked(to_remove)).update(counted=False)
            if added != removed:
                Petition.objects.filter(pk=petition_id).update(
                    signature_count=F("signature_count") + added - removed
                )
                changes[petition_id] = added - removed
    return changes


def in_id_order(signatures):
    """For `.filter(pk__in=...)` before an update of several signatures: their rows locked in id order.

    Every transaction that updates several signatures and waits for their locks takes them in
    that order (a rejection as spam, an erasure), so two of them cannot deadlock.
    """
    return signatures.order_by("pk").select_for_update().values("pk")


def unlocked(signatures):
    """For the counting job's updates: the rows no one else holds right now.

    The job never waits for a signature's row: a rejection as spam or an erasure holding some of
    them takes theirs in id order, this job took its own in the order of the disk, and the two
    deadlocked over freshly confirmed signatures (Postgres aborted one; tests/test_races.py). A
    row skipped is counted by the next run (its flag still disagrees with its status).
    """
    return signatures.order_by().select_for_update(skip_locked=True).values("pk")


def recount(petition_ids=None):
    """Recount from the signatures and repair any drift; returns {petition_id: (was, now)}."""
    petitions = Petition.objects.all()
    if petition_ids is not None:
        petitions = petitions.filter(pk__in=petition_ids)
    repaired = {}
    for petition_id in petitions.values_list("pk", flat=True):
        with transaction.atomic():
            # Lock the petition row first: an update_counts() running now either finished before
            # (its flags are visible to the count below) or waits for this lock and then adds
            # exactly the flags this count could not see.
            was = (
                Petition.objects.select_for_update()
                .values_list("signature_count", flat=True)
                .get(pk=petition_id)
            )
            now = Signature.objects.filter(petition_id=petition_id, counted=True).count()
            if was != now:
                Petition.objects.filter(pk=petition_id).update(signature_count=now)
                logger.warning("Repaired signature count of petition %s: %s -> %s", petition_id, was, now)
                repaired[petition_id] = (was, now)
    return repaired
