"""Keeping Petition.signature_count right without a hot row.

The e-petitions lesson (STYLE.md): a per-signature `UPDATE petitions SET count = count + 1` makes
the popular petition's row the pinch point of the whole site. Here the signing and confirming
requests only touch their own signature row. A periodic job folds the changes into the count:
each signature carries a `counted` flag, and the job flips the flags that disagree with the
signature's status and moves the count by the same amount, in one transaction per petition.

Because the flip is a conditional UPDATE (`... WHERE counted = false`) of rows the job has locked
(skipping those someone else holds: `update_locked()`), two jobs running at once cannot count the same
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
            added = update_locked(mine.filter(status=CONFIRMED, counted=False), skip_locked=True, counted=True)
            removed = update_locked(
                mine.filter(counted=True).exclude(status=CONFIRMED), skip_locked=True, counted=False
            )
            if added != removed:
                Petition.objects.filter(pk=petition_id).update(
                    signature_count=F("signature_count") + added - removed
                )
                changes[petition_id] = added - removed
    return changes


# Rows updated per statement once locked: an IN list of ids this long is one index scan, and
# within SQLite's limit on the parameters of a statement.
CHUNK = 5000


def update_locked(signatures, skip_locked=False, **changes):
    """UPDATE these signatures, their rows locked first; returns how many were updated.

    Waiting for the rows, it takes them in id order: every transaction that updates several
    signatures does so (a rejection as spam, an erasure), and two of them cannot deadlock. With
    `skip_locked` (the counting job) it takes only the rows no one else holds: the job never waits,
    and a row skipped is counted by the next run (its flag still disagrees with its status). Taking
    its rows in the order of the disk, the job deadlocked with a rejection as spam over fresh
    signatures (Postgres aborted one; tests/test_races.py).

    The ids are read by one SELECT ... FOR UPDATE, then updated by id, and not as one `UPDATE ...
    WHERE id IN (SELECT ... FOR UPDATE)`: with the statistics of a table that had grown in a surge,
    Postgres planned that as a nested loop that ran the locking subquery again for every row. The
    counting job then took 2-5 s per run for a few thousand confirmations, and the count shown
    fell 10-20 s behind (bench/README.md, "The counting job's locks").
    """
    if skip_locked:
        rows = signatures.select_for_update(skip_locked=True, of=("self",)).order_by()
    else:
        rows = signatures.select_for_update(of=("self",)).order_by("pk")
    ids = list(rows.values_list("pk", flat=True))
    return sum(
        Signature.objects.filter(pk__in=ids[start:start + CHUNK]).update(**changes)
        for start in range(0, len(ids), CHUNK)
    )


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
