"""Delivering confirmed appeals: one letter per (petition, embassy), claimed, rendered, sent, recorded.

The shape follows pretix's outgoing mail (STYLE.md):

- `plan()` claims the signatures in the database -- a DeliveryItem per signature, unique per
  (signature, test or live), so no two deliveries can ever carry the same signature -- and creates
  one queued Delivery per embassy. The tasks are enqueued after the transaction commits.
- `send()` takes a delivery id, locks the row, skips it when it is in flight or final, renders the
  PDF once, emails it, and records the result. Temporary SMTP failures are retried on an explicit
  delay list; a permanent refusal (or running out of retries) marks the delivery failed with the
  server's reply and returns its signatures to the pool.
- `sweep()` (periodic) plans what is due and re-enqueues deliveries that a dead worker abandoned
  or that wait for a retry, so nothing is lost when a worker dies mid-batch.

Safety switch: unless the deployment sets DELIVERY_LIVE and the petition its live switch, every
letter goes to the petition's test recipient, marked TEST, and is recorded as a test delivery.
"""

import contextlib
import hashlib
import logging
import posixpath
import re
import smtplib
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from campaign import emails, jobs

from .models import Delivery, DeliveryItem, Petition, Signature
from .routing import Router

logger = logging.getLogger(__name__)

# Seconds to wait before attempt 2, 3, ...; after the last, the delivery fails for good.
RETRY_DELAYS = [60, 5 * 60, 15 * 60, 60 * 60, 3 * 60 * 60, 6 * 60 * 60]
CADENCE = {Petition.Cadence.DAILY: timedelta(days=1), Petition.Cadence.WEEKLY: timedelta(days=7)}
S = Delivery.Status


class PermanentFailure(Exception):
    pass


class TemporaryFailure(Exception):
    pass


# --- What is due, and claiming it ------------------------------------------------------------

def confirmed(petition):
    return Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)


def undelivered(petition, is_test):
    """Confirmed signatures not yet in a delivery of this kind (test or live)."""
    return confirmed(petition).exclude(delivery_items__is_test=is_test)


def unrouted(petition):
    """How many confirmed signatures wait with nowhere to go: no embassy covers their country and
    the petition has no fallback target, so plan() leaves them out of every letter."""
    router = Router(petition)
    pending = undelivered(petition, not petition.delivers_live).values_list("country").annotate(n=Count("pk"))
    return sum(n for country, n in pending.order_by() if router.route(country) is None)


def unverified_recipients(petition):
    """The embassies that live letters of the petition's undelivered signatures would be emailed to,
    though no organiser has verified their contact details (`contact_verified_on`): an address
    imported from Wikidata may be years old -- a mission closed since, a provider's address passed
    on -- and a letter names people. Empty where the deployment delivers nothing live."""
    if not settings.DELIVERY_LIVE:
        return []
    router = Router(petition)
    found = {}
    for code in undelivered(petition, is_test=False).values_list("country", flat=True).distinct().order_by():
        embassy = router.route(code)
        if embassy is not None and embassy.email and embassy.contact_verified_on is None:
            found[embassy.pk] = embassy
    return sorted(found.values(), key=str)


def on_schedule(petition):
    """Whether the schedule plans this petition's letters by itself: not a draft, not paused, and
    a cadence other than manual (only when an organiser says so)."""
    return (not petition.delivery_paused and petition.status != Petition.Status.DRAFT
            and petition.delivery_cadence in CADENCE)


def is_due(petition, now=None):
    if not on_schedule(petition):
        return False
    period = CADENCE[petition.delivery_cadence]
    last = petition.deliveries.filter(is_test=not petition.delivers_live).aggregate(last=Max("created_at"))["last"]
    return last is None or last <= (now or timezone.now()) - period


def plan(petition, now=None, enqueue=True, only_if_due=False):
    """Claim every undelivered confirmed signature into one queued Delivery per embassy.

    Returns the new deliveries; their send tasks are enqueued once this commits (unless
    `enqueue` is false: the `deliver` command sends them itself). With `only_if_due` (the
    schedule), nothing is planned unless the petition is due, as seen under the planning lock.
    """
    from .tasks import send_delivery

    now = now or timezone.now()
    is_test = not petition.delivers_live
    if is_test and not petition.test_recipient:
        logger.warning("Petition %s has no test recipient; nothing delivered", petition.pk)
        return []
    with transaction.atomic():
        # One planner per petition at a time; the unique constraint on DeliveryItem would refuse
        # a double claim anyway, this just avoids creating deliveries that end up empty.
        # FOR NO KEY UPDATE: a signature's INSERT takes FOR KEY SHARE on its petition (the foreign
        # key), which FOR UPDATE would hold off: every sign POST waited for the planning.
        locked = Petition.objects.select_for_update(no_key=True).filter(pk=petition.pk).first()
        # Asked again under the lock: two sweeps at once (a slow beat tick and the next, or two
        # beats) both saw the petition due; the second, let in once the first has committed,
        # would otherwise send each embassy a second letter in the same period.
        if only_if_due and (locked is None or not is_due(locked, now)):
            return []
        pending = undelivered(petition, is_test)
        router = Router(petition)
        by_embassy = {}
        for country in pending.values_list("country", flat=True).distinct().order_by():
            embassy = router.route(country)
            if embassy is None:
                logger.warning("Petition %s: no embassy and no fallback for country %s", petition.pk, country)
                continue
            by_embassy.setdefault(embassy, []).append(country)
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                petition=petition, embassy=embassy, is_test=is_test, created_at=now, status_changed_at=now,
                channel=Delivery.Channel.EMAIL if embassy.email else Delivery.Channel.HAND,
            )
            for embassy in sorted(by_embassy, key=lambda embassy: embassy.pk)
        )
        delivery_of = {
            country: delivery.pk for delivery in deliveries for country in by_embassy[delivery.embassy]
        }
        counts = _claim_items(confirmed(petition), delivery_of, is_test)
        created, empty = [], []
        for delivery in deliveries:
            delivery.signature_count = counts.get(delivery.pk, 0)
            (created if delivery.signature_count else empty).append(delivery)
        Delivery.objects.filter(pk__in=[delivery.pk for delivery in empty]).delete()
        Delivery.objects.bulk_update(created, ["signature_count"])
        if enqueue:
            for delivery in created:
                jobs.enqueue_on_commit(send_delivery, delivery.pk)
    if created:
        logger.info(
            "Petition %s: %s %s deliveries planned", petition.pk, len(created), "test" if is_test else "live"
        )
    return created


def _claim_items(signatures, delivery_of, is_test):
    """Claim the signatures, by country, into their deliveries: {delivery id: signatures claimed}.

    One INSERT ... SELECT, so the ids never leave the database (it was a scan and a round trip of
    every id per embassy). What is already delivered is skipped by the unique constraint (a
    signature in one test and one live delivery at most), not by a NOT EXISTS in the same
    statement: with no statistics yet for DeliveryItem (a new site's first delivery) Postgres
    scanned it again for every signature, rows just inserted included (95 s for 100,000
    signatures instead of 1.3 s; bench/README.md).
    """
    if not delivery_of:
        return {}
    ids = signatures.filter(country__in=delivery_of).values("pk", "country").order_by()
    select, params = ids.query.sql_with_params()
    countries = sorted(delivery_of)
    case = " ".join("WHEN %s THEN %s" for _ in countries)
    table = connection.ops.quote_name(DeliveryItem._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(DeliveryItem._meta.get_field(name).column)
        for name in ("delivery", "signature", "is_test")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            # Only names and placeholders are formatted in; "WHERE true": SQLite needs it to parse
            # ON CONFLICT after INSERT ... SELECT.
            f"INSERT INTO {table} ({columns}) SELECT CASE pending.country {case} END, pending.pk, %s "  # noqa: S608
            f"FROM ({select}) AS pending WHERE true ON CONFLICT DO NOTHING",
            [value for country in countries for value in (country, delivery_of[country])] + [is_test, *params],
        )
    claimed = DeliveryItem.objects.filter(delivery__in=set(delivery_of.values())).values_list("delivery")
    return dict(claimed.annotate(count=Count("pk")).order_by())


def sweep(now=None, petition=None, enqueue=True):
    """The periodic job: plan what is due, and pick up deliveries left waiting or abandoned.

    With `petition`, that petition is planned now whatever its cadence ("deliver now").
    Returns the ids of the deliveries to send (already enqueued when `enqueue`).
    """
    from .tasks import send_delivery

    now = now or timezone.now()
    petitions = Petition.objects.exclude(status=Petition.Status.DRAFT).select_related("fallback_embassy")
    if petition is not None:
        petitions = petitions.filter(pk=petition.pk)
    planned = []
    for candidate in petitions:
        if petition is not None or is_due(candidate, now):
            planned += plan(candidate, now, enqueue=enqueue, only_if_due=petition is None)

    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    waiting = Delivery.objects.filter(
        Q(status=S.AWAITING_RETRY, status_changed_at__lte=now)
        | Q(status__in=[S.QUEUED, S.INFLIGHT], status_changed_at__lte=stale)
    )
    if petition is not None:
        waiting = waiting.filter(petition=petition)
    resumed = list(waiting.exclude(pk__in=[d.pk for d in planned]).values_list("pk", flat=True))
    if enqueue:
        for pk in resumed:
            jobs.enqueue(send_delivery, pk)
    return [d.pk for d in planned] + resumed


# --- Sending ---------------------------------------------------------------------------------

def message_id(delivery):
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<delivery-{delivery.pk}.{delivery.petition.slug}@{host}>"


def _claim(delivery_id, now):
    """Lock the row and move it to inflight; None when another worker has it or it is final."""
    with transaction.atomic():
        # of=("self",): lock only the delivery row. Without it Postgres also locks the joined
        # petition, campaign and embassy rows, and SKIP LOCKED would drop this delivery whenever
        # anything holds the petition row (a signature being inserted, the counting job).
        delivery = (
            # FOR NO KEY UPDATE: not held off by a withdrawal waiting for this letter (hold_letters_of,
            # FOR KEY SHARE); still skipped while another worker sends it (letter_lock, FOR UPDATE).
            Delivery.objects.select_for_update(skip_locked=True, of=("self",), no_key=True)
            .select_related("petition", "petition__campaign", "embassy")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in Delivery.FINAL_STATUSES or delivery.status == S.AWAITING_HANDOVER:
            return None
        if delivery.status == S.AWAITING_RETRY and delivery.status_changed_at > now:
            return None  # not yet: the sweep sends it when its retry time comes
        stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        if delivery.status == S.INFLIGHT and delivery.status_changed_at > stale:
            return None  # a live worker is on it
        if delivery.attempts > len(RETRY_DELAYS):
            # Abandoned in flight again and again (a letter that crashes its worker, say): stop
            # re-sending it on every sweep; record the failure and free its signatures.
            fail(delivery, f"gave up after {delivery.attempts} attempts (left in flight each time)", now)
            return None
        delivery.status, delivery.status_changed_at = S.INFLIGHT, now
        delivery.attempts += 1
        delivery.save(update_fields=["status", "status_changed_at", "attempts"])
        return delivery


# The rows of a letter: by country, and in each the named signers, by surname, before those only
# counted. Sorted by surname among the named, a "name withheld" row showed where its signer's
# surname falls in the alphabet (between Abramova and Baranova: a B).
LETTER_ORDER = ("country", "-name_in_letter", "last_name", "first_name", "pk")


def batch_signatures(delivery):
    # Confirmed still: a signer may withdraw, or an organiser reject a signature as spam, after it
    # was claimed for a letter and before the letter goes.
    return (
        Signature.objects.filter(delivery_items__delivery=delivery, status=Signature.Status.CONFIRMED)
        .only("pk", "first_name", "last_name", "name_in_letter", "city", "country", "organisation")
        .order_by(*LETTER_ORDER)
    )


def render(delivery, now=None):
    """Render and store the delivery's PDF (once: a retry sends the same letter)."""
    # reportlab (25 MB) is loaded by the processes that render letters, not by every web process.
    from .pdf import addressed_to, render_letter

    storage = delivery.pdf.storage
    with transaction.atomic():
        # Locked before the signatures are read: two renders of one letter (two organisers
        # downloading it to print) take turns, each reading what the other left, and a withdrawal
        # (hold_letters_of) either waits for this render or is seen by it. As files are stored only
        # under this lock, any other file of this letter beside the new one is one to delete.
        previous = Delivery.objects.select_for_update().filter(pk=delivery.pk).values_list("pdf", flat=True).get()
        # A signature withdrawn or rejected since it was claimed is not in this letter: it lets go of
        # its claim, so that the claims are what the letter carries. Rejected as spam by mistake and
        # restored, it goes in the next letter; still claimed, it was never delivered at all.
        DeliveryItem.objects.filter(delivery=delivery).exclude(signature__status=Signature.Status.CONFIRMED).delete()
        pdf, manifest, count = render_letter(
            delivery, batch_signatures(delivery).iterator(chunk_size=2000), now=now
        )
        # The new file is stored under a new name (the storage never overwrites), then recorded,
        # and only once that is committed does the previous one go: killed in between, the row
        # still names a letter that exists. The previous letter must go: a signer withdrew since
        # it was rendered, and it names them. What a killed worker leaves is a file no row names;
        # the next render of this letter deletes it, and retention deletes every letter file of
        # its petition anyway.
        delivery.pdf.save(letter_name(delivery), ContentFile(pdf), save=False)
        delivery.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        delivery.manifest_sha256 = manifest
        delivery.signature_count = count
        delivery.addressed_to = addressed_to(delivery.embassy)
        delivery.save(update_fields=["pdf", "pdf_sha256", "manifest_sha256", "signature_count", "addressed_to"])
        stale = [name for name in {previous, *_letter_files(delivery)} if name and name != delivery.pdf.name]
        transaction.on_commit(lambda: [storage.delete(name) for name in stale])
    return pdf


def letter_name(delivery):
    return f"letter-{delivery.pk}.pdf"


LETTER_FILE = re.compile(r"letter-(\d+)(?:_[A-Za-z0-9]+)?\.pdf")


def letter_files_of(delivery_ids, storage=None):
    """Every stored file of these deliveries' letters, whether a row names it or not (a render
    killed between storing its file and recording it leaves one that none does)."""
    storage = storage or Delivery._meta.get_field("pdf").storage
    wanted = {str(pk) for pk in delivery_ids}

    def walk(directory):
        try:
            directories, files = storage.listdir(directory)
        except FileNotFoundError:
            return
        for name in files:
            found = LETTER_FILE.fullmatch(name)
            if found and found[1] in wanted:
                yield f"{directory}/{name}"
        for child in directories:
            yield from walk(f"{directory}/{child}")

    yield from walk(Delivery._meta.get_field("pdf").upload_to.split("/")[0])


def letters_naming(signatures):
    """The letters already sent or handed over whose stored copy prints one of these signers' names
    (with their city and organisation): [(delivery id, file name)]. Read before the signers are
    erased (the erasure clears `name_in_letter`). A letter still to go is not here: it is rendered
    again, without them, before it is sent or printed."""
    named = signatures.filter(name_in_letter=True).values("pk")
    return list(
        Delivery.objects.filter(status__in=[S.SENT, S.HANDED_OVER], items__signature__in=named)
        .exclude(pdf="").order_by("pk").values_list("pk", "pdf").distinct()
    )


def forget_letters(letters):
    """Delete the stored copies of these letters ([(delivery id, file name)], from letters_naming());
    their records stay, with the letter's SHA-256 and manifest, as retention leaves them. The files
    go once the transaction commits."""
    if not letters:
        return
    Delivery.objects.filter(pk__in=[pk for pk, _name in letters]).update(pdf="")
    storage = Delivery._meta.get_field("pdf").storage
    transaction.on_commit(lambda: [storage.delete(name) for _pk, name in letters])
    logger.info("Deleted the stored letters of deliveries %s: they named a signer who was erased",
                ", ".join(str(pk) for pk, _name in letters))


def _letter_files(delivery):
    """This delivery's letter files beside its current one (the same month's folder)."""
    directory = posixpath.dirname(delivery.pdf.name)
    try:
        _directories, files = delivery.pdf.storage.listdir(directory)
    except FileNotFoundError:
        return []
    return [
        posixpath.join(directory, name) for name in files
        if (found := LETTER_FILE.fullmatch(name)) and found[1] == str(delivery.pk)
    ]


def _email(delivery, pdf, recipient):
    context = {"delivery": delivery, "petition": delivery.petition, "embassy": delivery.embassy}
    headers = {"Message-ID": message_id(delivery)}
    if contact := delivery.petition.campaign.contact_email:  # an embassy's answer reaches the campaign
        headers["Reply-To"] = contact
    message = emails.build(
        "delivery", recipient, context, "en",
        headers=headers,
        attachments=[(f"appeal-{delivery.petition.slug}-{delivery.pk}.pdf", pdf, "application/pdf")],
    )
    try:
        message.send()
    except smtplib.SMTPResponseException as error:
        text = error.smtp_error
        reply = f"{error.smtp_code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        if 400 <= error.smtp_code < 500:
            raise TemporaryFailure(reply) from error
        raise PermanentFailure(reply) from error
    except smtplib.SMTPRecipientsRefused as error:
        replies = "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in error.recipients.values())
        if all(400 <= code < 500 for code, _ in error.recipients.values()):
            raise TemporaryFailure(replies) from error
        raise PermanentFailure(replies) from error
    except (smtplib.SMTPException, OSError) as error:
        raise TemporaryFailure(f"{type(error).__name__}: {error}") from error
    except ValueError as error:  # an address no email can go to (a domain with no IDNA form)
        raise PermanentFailure(f"the recipient's address cannot be used ({type(error).__name__})") from error


def outdated(delivery):
    """Whether a signature in the stored letter was withdrawn or rejected since it was rendered."""
    if batch_signatures(delivery).count() == delivery.signature_count:
        return False
    logger.info("Delivery %s: a signature in its letter was withdrawn; it is rendered again", delivery.pk)
    return True


def _stored_letter(delivery):
    """The letter rendered for an earlier attempt, or None: none yet, its file is gone, or one of
    its signatures was withdrawn or rejected since (the letter must not name them)."""
    if not delivery.pdf or outdated(delivery):
        return None
    try:
        with delivery.pdf.open("rb") as letter:
            return letter.read()
    except FileNotFoundError:
        logger.warning("Delivery %s: its stored letter is missing; rendering it again", delivery.pk)
        return None


def send(delivery_id, now=None):
    """Deliver one letter. Returns the delay in seconds before a retry, or None when done."""
    now = now or timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    with letter_lock(delivery):
        return _deliver(delivery, now)


UNFINISHED = [S.QUEUED, S.INFLIGHT, S.AWAITING_RETRY, S.AWAITING_HANDOVER]


@contextlib.contextmanager
def letter_lock(delivery):
    """Hold the delivery's row while its letter is read, rendered and sent (or printed).

    A withdrawal or a rejection as spam (hold_letters_of) then either goes first, and the letter
    leaves the signer out, or waits until the letter has gone: no letter naming someone leaves
    after their withdrawal. Postgres only: SQLite (development) serialises writes itself, and a
    transaction held through SMTP there would stop every other write.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        Delivery.objects.select_for_update().filter(pk=delivery.pk).values_list("pk", flat=True).get()
        yield


class LetterBeingSent(Exception):
    """hold_letters_of() waited as long as it was told to, and a letter was still going."""


def hold_letters_of(signatures, wait=None):
    """In the transaction that withdraws or rejects `signatures`, before it does: wait for any of
    their letters being rendered or sent right now (letter_lock). FOR KEY SHARE, which only a
    letter_lock holds off, in id order. With `wait` (seconds), raises LetterBeingSent past it;
    the transaction must then be rolled back (erase()'s atomic block does)."""
    if connection.vendor != "postgresql":
        return
    ids = list(
        Delivery.objects.filter(status__in=UNFINISHED, items__signature__in=signatures.values("pk"))
        .order_by("pk").values_list("pk", flat=True).distinct()
    )
    if not ids:
        return
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        if wait is not None:  # for this statement only: what follows may wait on other locks as it always did
            cursor.execute("SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                           [f"{max(1, round(wait * 1000))}ms"])
            previous = cursor.fetchone()[0]
        try:
            cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE", [ids])  # noqa: S608
        except OperationalError as error:
            if wait is not None and getattr(error.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                raise LetterBeingSent from error
            raise
        if wait is not None:
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous])


def _deliver(delivery, now):
    if not delivery.is_test and not delivery.petition.delivers_live:
        # Live delivery was switched off (for the petition or the deployment) while this letter waited,
        # for a retry say: it must not reach the embassy now. Its signatures wait for live delivery again.
        fail(delivery, "not sent: live delivery was switched off before it went", now)
        return None
    pdf = _stored_letter(delivery)
    if pdf is None:
        if not batch_signatures(delivery).exists():
            fail(delivery, "nothing to send: every signature in it was withdrawn or rejected", now)
            return None
        pdf = render(delivery, now)

    if not delivery.is_test and delivery.channel == Delivery.Channel.HAND:
        _set(delivery, S.AWAITING_HANDOVER, now)
        return None
    recipient = delivery.petition.test_recipient if delivery.is_test else delivery.embassy.email
    try:
        if not recipient:
            raise PermanentFailure("no recipient address")
        _email(delivery, pdf, recipient)
    except TemporaryFailure as error:
        if delivery.attempts > len(RETRY_DELAYS):
            fail(delivery, f"gave up after {delivery.attempts} attempts: {error}", now)
            return None
        delay = RETRY_DELAYS[delivery.attempts - 1]
        # For a delivery awaiting retry, status_changed_at is when the retry is due; the periodic
        # sweep sends it then (no long countdowns parked in the broker).
        _set(delivery, S.AWAITING_RETRY, now + timedelta(seconds=delay), last_error=str(error))
        logger.warning("Delivery %s: temporary failure, retry in %ss", delivery.pk, delay)
        return delay
    except PermanentFailure as error:
        fail(delivery, str(error), now)
        return None
    _set(delivery, S.SENT, now, recipient=recipient, message_id=message_id(delivery), sent_at=now, last_error="")
    logger.info("Delivery %s sent (%s signatures, test=%s)", delivery.pk, delivery.signature_count, delivery.is_test)
    return None


def fail(delivery, error, now=None):
    """Record a final failure and return the delivery's signatures to the pool.

    Its stored letter goes too: it went nowhere, its signatures go into the next letter, and it
    only kept their names -- where a signer who withdraws later could not be found, the failure
    having freed their signature from it (letters_naming)."""
    _release(delivery, error, now)
    logger.error("Delivery %s failed: %s", delivery.pk, error)


def _release(delivery, error, now=None):
    with transaction.atomic():
        delivery.items.all().delete()
        stored = Delivery.objects.filter(pk=delivery.pk).values_list("pdf", flat=True).first()
        _set(delivery, S.FAILED, now or timezone.now(), last_error=error, pdf="")
        if stored:
            storage = Delivery._meta.get_field("pdf").storage
            transaction.on_commit(lambda: storage.delete(stored))


RETURNABLE = [S.SENT, S.HANDED_OVER]


def record_return(delivery, note, now=None):
    """The letter came back undelivered: the embassy's mail server accepted it and then bounced it
    (a full or closed mailbox answers later, to our sender), or a posted letter was sent back. It
    reached no one, so it is recorded as failed, with what came back, and its signatures go back to
    the pool as a failed send's do: the petition's next letter to the embassy carries them. Until
    then, the public log and the totals counted it as delivered.

    Returns how many signatures it frees that are still confirmed (a signer may have withdrawn
    since). Raises ValueError unless the letter is, as read now, sent or handed over."""
    with transaction.atomic():
        # Locked: two organisers recording the same bounce free its signatures once, with one record.
        locked = Delivery.objects.select_for_update().filter(pk=delivery.pk, status__in=RETURNABLE)
        if locked.values_list("pk", flat=True).first() is None:
            raise ValueError(f"delivery {delivery.pk} is not sent or handed over")
        freed = batch_signatures(delivery).count()
        _release(delivery, f"returned undelivered: {note}", now)
    # What came back is the organiser's text: it stays on the record, out of the log.
    logger.info("Delivery %s recorded as returned undelivered; %s signatures freed", delivery.pk, freed)
    return freed


def record_reply(delivery, received_on, text):
    """The embassy answered a letter delivered to it (or, both empty, an organiser takes back a reply
    recorded by mistake). Only on a live letter sent or handed over, as read now: one returned
    undelivered meanwhile reached no one to answer it."""
    updated = Delivery.objects.filter(pk=delivery.pk, status__in=RETURNABLE, is_test=False).update(
        reply_received_on=received_on, reply=text
    )
    if not updated:
        raise ValueError(f"delivery {delivery.pk} is not a live letter sent or handed over")
    delivery.reply_received_on, delivery.reply = received_on, text


def _set(delivery, status, when, **fields):
    delivery.status, delivery.status_changed_at = status, when
    for name, value in fields.items():
        setattr(delivery, name, value)
    delivery.save(update_fields=["status", "status_changed_at", *fields])


def record_handover(delivery, note, when=None):
    """An organiser handed the printed letter over (or posted it)."""
    when = when or timezone.now()
    # Only if it is still waiting to be handed over, as read now, not as the form read it.
    updated = Delivery.objects.filter(pk=delivery.pk, status=S.AWAITING_HANDOVER).update(
        status=S.HANDED_OVER, status_changed_at=when, handed_over_at=when, handover_note=note
    )
    if not updated:
        raise ValueError(f"delivery {delivery.pk} is not waiting to be handed over")
    delivery.status, delivery.status_changed_at = S.HANDED_OVER, when
    delivery.handed_over_at, delivery.handover_note = when, note
