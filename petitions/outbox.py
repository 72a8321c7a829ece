"""The emails owed to signers: the confirmation link, or "you have already signed".

The signature row is the outbox. Signing writes `email_due` in the same INSERT (for a repeat
signing, the same UPDATE) as the signature, so an email is owed exactly when a signature is
recorded -- whatever then happens to Redis, the broker or a worker. `drain()` claims due rows in
batches (SKIP LOCKED, so workers running in parallel never claim the same row), sends them over
one SMTP connection and clears each row as soon as the server accepts its message. A kick after
each signing gets the email out within a second or so; the periodic sweep (beat) sends whatever a
lost kick left behind, e.g. after Redis was down.

A claim is a lease: `email_not_before` moves LEASE into the future, so the rows of a worker that
died mid-batch are tried again once the lease runs out. (The one way an email can go twice: the
server accepted it and the worker died before it cleared the row; rows are cleared CLEAR_EVERY
at a time, so that is at most that many emails.) A temporary SMTP failure
moves `email_not_before` to the next retry time instead; after the last retry the email is given
up and logged -- without the address, like every log line here.
"""

import contextlib
import logging
import smtplib
import time
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.core.signals import setting_changed
from django.db import connection as db
from django.db.models import F, Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation

from campaign import emails, jobs

from . import limits, signing
from .models import Petition, Signature
from .sql import TABLE, column

logger = logging.getLogger(__name__)

BATCH = 100
CLEAR_EVERY = 10
# Longer than the task's hard time limit, whatever the deployment sets: a task still sending a
# batch when its lease ran out would see another worker claim the same rows and send them again.
LEASE = max(timedelta(minutes=10), timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60))
# Seconds before attempt 2, 3, ...; after the last the email is given up.
RETRY_DELAYS = [30, 2 * 60, 10 * 60, 30 * 60, 60 * 60, 3 * 3600, 6 * 3600]
KICK_KEY = "petitions:outbox-kick"
KICK_DELAY = 0.5  # seconds: the signatures of this half second share one task
MERGE_LIFETIME = 60  # seconds a worker process goes on using a mail merge (see _Letters)
# After an email to a signer has gone, the next one to the same signature waits this long. Anyone
# may type anyone's address, and each repeat signing owes an email: without a pause, the rate limits
# (per network and petition) let one machine send a person 100 emails an hour per petition, and many
# machines any number. The repeats of the meantime are folded into one email, sent when the pause
# ends; the check-email page tells a signer with no email "after a few minutes" to sign again.
REPEAT_INTERVAL = timedelta(minutes=5)

Due = Signature.EmailDue
# The email a signature is owed makes sense only in this state; otherwise it is dropped unsent.
WANTED_STATUS = {Due.CONFIRM: Signature.Status.PENDING, Due.ALREADY_SIGNED: Signature.Status.CONFIRMED}
TEMPLATES = {Due.CONFIRM: "signature-confirm", Due.ALREADY_SIGNED: "signature-already-signed"}


def schedule():
    """Get the owed emails out soon after this transaction commits."""
    from .tasks import send_signer_emails

    jobs.kick(send_signer_emails, KICK_KEY, KICK_DELAY)


def owe(signature_id, kind):
    """Owe a signer an email (a repeat signing, a fresh link); sent soon after this commits."""
    # updated_at: the link about to go out is the signature's last sign of life (petitions.retention
    # deletes one never confirmed some time after it).
    Signature.objects.filter(pk=signature_id).update(email_due=kind, updated_at=timezone.now())
    schedule()


# An owed email this long past its time means no worker is sending (a claim's lease is as long).
OVERDUE = LEASE


def overdue(now=None):
    """How many owed emails have waited OVERDUE past the time they could go: a retry's backoff
    or a claim's lease is their time; a new one's is when it was owed (updated_at)."""
    late = (now or timezone.now()) - OVERDUE
    return Signature.objects.exclude(email_due=Due.NONE).filter(
        Q(email_not_before__lt=late) | Q(email_not_before__isnull=True, updated_at__lt=late)
    ).count()


# --- The outbox's statements, in SQL ------------------------------------------------------------
#
# A drain claims a batch and clears each group of sent emails. Through the ORM the claim was three
# statements (select and lock the ids, lease them, fetch the rows with every column) and each
# clear one more, every one of them built and compiled again: about a fifth of the worker's CPU
# per email (bench/README.md, fourteenth round). As petitions.signing does for the sign POST, they
# are written here once, from the model's own table and column names; every value is a parameter.

# What sending needs, in the model's order (for from_db()); the rest stays deferred.
_SENDING_FIELDS = [field.attname for field in Signature._meta.concrete_fields if field.attname in {
    "id", "petition_id", "first_name", "email", "language", "status", "email_due", "email_attempts"}]
# The due rows, oldest first, locked (SKIP LOCKED: parallel drains never claim the same row) and
# leased in the same statement, which returns them. MATERIALIZED: the locking SELECT runs once.
# `<> ''` written as it is, so that the planner matches the partial index `signature_email_due`.
_CLAIM_SQL = (
    f"WITH claimed AS MATERIALIZED (SELECT {column('id')} FROM {TABLE}"  # noqa: S608
    f" WHERE {column('email_due')} <> '' AND ({column('email_not_before')} IS NULL"
    f" OR {column('email_not_before')} <= %s) ORDER BY {column('id')} LIMIT %s"
    f"{' FOR UPDATE SKIP LOCKED' if db.features.has_select_for_update_skip_locked else ''})"
    f" UPDATE {TABLE} SET {column('email_not_before')} = %s"
    f" WHERE {column('id')} IN (SELECT {column('id')} FROM claimed)"
    f" RETURNING {', '.join(map(column, _SENDING_FIELDS))}"
)
# Only if it still owes what we handled: a repeat signing meanwhile may have owed something new.
_CLEAR_SQL = (
    f"UPDATE {TABLE} SET {column('email_due')} = %s, {column('email_not_before')} = %s,"  # noqa: S608
    f" {column('email_attempts')} = 0 WHERE {column('email_due')} = %s AND {column('id')} IN ({{}})"
)


def claim(now, limit=BATCH):
    """Lease up to `limit` owed emails to this worker; returns their signatures, oldest first, with
    only the fields sending needs (the others load if asked for)."""
    with db.cursor() as cursor:
        cursor.execute(_CLAIM_SQL, [db.ops.adapt_datetimefield_value(now), limit,
                                    db.ops.adapt_datetimefield_value(now + LEASE)])
        rows = cursor.fetchall()
    signatures = [Signature.from_db(db.alias, _SENDING_FIELDS, row) for row in rows]
    signatures.sort(key=lambda signature: signature.pk)  # RETURNING keeps no order
    return signatures


def drain(now=None, limit=BATCH):
    """Send one batch of owed emails. Returns {"sent", "dropped", "retrying", "failed"} counts."""
    from .tasks import send_signer_emails

    now = now or timezone.now()
    jobs.started(KICK_KEY)  # before the claim: see campaign.jobs.kick
    signatures = claim(now, limit)
    if len(signatures) == limit:
        jobs.enqueue(send_signer_emails)  # more are due: let another worker process take the next batch
    result = {"sent": 0, "dropped": 0, "retrying": 0, "failed": 0}
    if not signatures:
        return result
    petitions = Petition.objects.in_bulk({s.petition_id for s in signatures})
    done = _Done(now)
    letters = _Letters()
    sendable = []
    for signature in signatures:
        signature.petition = petitions[signature.petition_id]
        if signature.email and signature.status == WANTED_STATUS.get(signature.email_due):
            sendable.append(signature)
        else:
            done.add(signature)  # withdrawn, confirmed meanwhile, rejected: nothing to send
            result["dropped"] += 1
    for signature in _over_the_cap(sendable, now):
        sendable.remove(signature)
        done.add(signature)
        result["dropped"] += 1
    # One connection for the batch. Opened here, because send_messages() closes a connection it
    # opened itself after every call.
    connection = get_connection()
    pipeline = emails.Pipeline(connection)
    retry = []  # (signature, error): refused for now, or the server gone: tried again later
    unsent = []  # not tried, because the server refused another for now or could not be reached

    def settle(outcomes):
        for signature, error in outcomes:
            if error is None:
                done.add(signature, sent=True)
                result["sent"] += 1
            elif isinstance(error, ValueError) and _unusable(signature.email) or isinstance(
                    error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException)) and _is_permanent(error):
                # ValueError: an address no email can be sent to (a domain that has no IDNA form).
                # One raised for another reason (our own sender address, say) is not the signer's.
                done.add(signature)
                logger.error("Signature %s: %s email refused for good: %s",
                             signature.pk, signature.email_due, _reply(error))
                result["failed"] += 1
            else:
                retry.append((signature, error))

    try:
        if sendable:
            connection.open()
        for position, signature in enumerate(sendable):
            settle(letters.send(pipeline, signature))
            if retry:
                # A temporary refusal, or the server unreachable or gone: the rest wait with it.
                unsent = sendable[position + 1:]
                break
        settle(pipeline.flush())
    except (smtplib.SMTPException, OSError) as error:  # could not even connect
        retry, unsent = [(signature, error) for signature in sendable], []
    finally:
        done.flush()
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()  # a connection that died is closed all the same
    if retry:
        result.update(_back_off([signature for signature, _error in retry] + unsent, now, retry[0][1], result))
    return result


def _over_the_cap(signatures, now):
    """The signatures whose address has had SIGNER_EMAILS_PER_ADDRESS of our emails already.

    Anyone may type anyone's address, on every petition: REPEAT_INTERVAL holds one signature's
    emails back, but one address signed on three petitions was sent 36 emails an hour, each about a
    case the Russian state calls extremism -- to someone who may live there. Retries are not
    counted again (our mail server's trouble, not the signer's doing)."""
    first_tries = [signature for signature in signatures if not signature.email_attempts]
    counts = limits.emails_to([signature.email for signature in first_tries], now.timestamp()) if first_tries else None
    if counts is None:
        return []
    limit, _period = limits.parse_rate(settings.SIGNER_EMAILS_PER_ADDRESS)
    over = [signature for signature, count in zip(first_tries, counts, strict=True) if count > limit]
    for signature in over:
        logger.warning("Signature %s: %s email not sent: its address has had %s emails from us (%s)",
                       signature.pk, signature.email_due, limit, settings.SIGNER_EMAILS_PER_ADDRESS)
    return over


class _Done:
    """The rows whose email is dealt with, cleared CLEAR_EVERY at a time: one UPDATE per group
    instead of one per email. A worker killed between a send and its group's UPDATE sends at most
    that many emails again once the lease runs out. A row whose email went out keeps the next one
    back for REPEAT_INTERVAL."""

    def __init__(self, now):
        self.pending = []
        self.pause_until = now + REPEAT_INTERVAL

    def add(self, signature, sent=False):
        self.pending.append((signature, self.pause_until if sent else None))
        if len(self.pending) >= CLEAR_EVERY:
            self.flush()

    def flush(self):
        groups = {}
        for signature, not_before in self.pending:
            groups.setdefault((signature.email_due, not_before), []).append(signature.pk)
        for (kind, not_before), ids in groups.items():
            _clear(ids, kind, not_before)
        self.pending = []


class _Letters:
    """The emails of one batch: a mail merge (campaign.emails.MailMerge) per petition, language
    and kind of email, filled in with each signer's name and links.

    A merge outlives its batch: under a surge a worker process sends batch after batch to the
    same few merges, and making one (its templates rendered twice, its first message built by
    Django) cost the worker as much as a few dozen emails. It is used again for MERGE_LIFETIME
    at most, and only while its petition is unchanged since (`updated_at`, which every save
    moves): an edit that did not go through save() shows in the emails within that minute."""

    def __init__(self):
        self.links, self.signers = {}, {}
        self.clock = time.monotonic()
        for key, (_merge, made) in list(_merges.items()):  # a copy: a worker may run drains in threads
            if self.clock - made >= MERGE_LIFETIME:
                _merges.pop(key, None)

    def merge(self, petition, language, kind):
        key = (petition.pk, petition.updated_at, language, kind)
        entry = _merges.get(key)
        if entry is None:
            entry = _merges[key] = (emails.MailMerge(TEMPLATES[kind], language), self.clock)
        return entry[0]

    def send(self, pipeline, signature):
        """Send the signature its email through `pipeline` (campaign.emails.Pipeline); returns the
        outcomes the pipeline gives, each with its signature."""
        petition, language, kind = signature.petition, signature.language, signature.email_due
        check = signing.email_check(signature)  # the same in both links
        values = {
            "first_name": signature.first_name,
            "withdraw_url": self.link("petitions:withdraw", signature, signing.WITHDRAW, check),
        }
        if kind == Due.CONFIRM:
            values["confirm_url"] = self.link("petitions:confirm", signature, signing.CONFIRM, check)
        return self.merge(petition, language, kind).send(
            pipeline, signature, signature.email, values, lambda: _context(signature, petition, language, values),
            # Only the first name of a stand-in signer: any other field a template showed would
            # be missing from the merge, and the check against the full rendering would notice.
            lambda mark: _context(SimpleNamespace(first_name=mark("first_name")), petition, language,
                                  {field: mark(field) for field in values}),
        )

    def link(self, name, signature, purpose, check):
        """The link with the signer's token: reverse() once per petition, language and view, in
        the signer's language (a token is letters, digits, "-", "_" and ":", which reverse()
        would leave as they are)."""
        petition, language = signature.petition, signature.language
        key = (name, petition.pk, language)
        url = self.links.get(key)
        if url is None:
            with translation.override(language):  # the links carry the signer's language
                url = self.links[key] = emails.absolute(reverse(name, args=[petition.slug, LINK_SLOT]))
        purpose_signer = self.signers.get(purpose)
        if purpose_signer is None:
            purpose_signer = self.signers[purpose] = signing.token_signer(purpose)
        return url.replace(LINK_SLOT, signing.make_token(signature, purpose, check, purpose_signer))


# The merges of this process: (petition pk, its updated_at, language, kind) -> (merge, made at).
_merges = {}


@receiver(setting_changed)
def forget_merges(**kwargs):
    """A merge holds what the settings gave it (templates, sender, site address): tests change them."""
    _merges.clear()


# Where a link's token goes: ":" cannot be in a slug, so this is nowhere else in the link.
LINK_SLOT = ":token:"


def _context(signature, petition, language, values):
    with translation.override(language):
        petition_url = emails.absolute(petition.get_absolute_url())
    return {"signature": signature, "petition": petition, "petition_url": petition_url,
            **{field: value for field, value in values.items() if field != "first_name"}}


def _clear(ids, kind, not_before=None):
    """Owe these rows nothing more (if they still owe `kind`); the next email waits until `not_before`."""
    not_before = None if not_before is None else db.ops.adapt_datetimefield_value(not_before)
    with db.cursor() as cursor:
        cursor.execute(_CLEAR_SQL.format(", ".join(["%s"] * len(ids))), [Due.NONE, not_before, kind, *ids])


def _back_off(signatures, now, error, result):
    """A temporary failure: these wait for their next retry time, or are given up after the last."""
    retrying, failed = result["retrying"], result["failed"]
    for signature in signatures:
        attempt = signature.email_attempts
        if attempt >= len(RETRY_DELAYS):
            _clear([signature.pk], signature.email_due)
            logger.error("Signature %s: %s email given up after %s attempts: %s",
                         signature.pk, signature.email_due, attempt + 1, _reply(error))
            failed += 1
            continue
        Signature.objects.filter(pk=signature.pk).update(
            email_not_before=now + timedelta(seconds=RETRY_DELAYS[attempt]), email_attempts=F("email_attempts") + 1
        )
        retrying += 1
    logger.warning("Mail server unavailable (%s): %s signer emails wait for a retry", _reply(error), len(signatures))
    return {"retrying": retrying, "failed": failed}


def _unusable(address):
    """Whether no email can be sent to this address: Django cannot even put it in an envelope."""
    try:
        sanitize_address(address, "utf-8")
    except ValueError:
        return True
    return False


def _is_permanent(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(code >= 500 for code, _msg in error.recipients.values())
    return error.smtp_code >= 500


def _reply(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # The reply usually repeats the address; only the codes go into the log.
        return "recipient refused (" + ", ".join(str(code) for code, _msg in error.recipients.values()) + ")"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code}"
    return type(error).__name__
