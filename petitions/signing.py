"""Signing an appeal: recording a signature, the links in the emails, confirming and withdrawing.

Nothing here reveals whether an address has signed: a duplicate gets an email, not an error, and
the supporter sees the same "check your email" page either way.
"""

import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, Lower, Trim
from django.utils import timezone
from django.utils.crypto import salted_hmac

from campaign import jobs

from . import counting, moderation, outbox
from .models import Signature
from .sql import TABLE, column

logger = logging.getLogger(__name__)

CONFIRM = "confirm"
WITHDRAW = "withdraw"
CONFIRM_LINK_MAX_AGE = 7 * 24 * 3600


# --- The signer's address: only ever hashed ---------------------------------------------------

IPV6_NETWORK_MASK = ((1 << 64) - 1) << 64  # the first 64 bits of 128
_proxy_warned = False


def _warn_of_a_proxy():
    """Once per process: behind a proxy that TRUSTED_PROXY_COUNT does not count, every visitor has the
    proxy's address, and five wrong passwords or a few signatures from anyone lock everyone out."""
    global _proxy_warned  # noqa: PLW0603 (a flag, so that the log says it once)
    _proxy_warned = True
    logger.warning(
        "Requests carry X-Forwarded-For but TRUSTED_PROXY_COUNT is 0: if a reverse proxy sets it, every "
        "visitor is counted as the proxy by the rate limits and the admin login's lockout. Set "
        "TRUSTED_PROXY_COUNT to the number of proxies in front of the app (README, Deploying)."
    )


def client_ip(request):
    """The client's network as an address: REMOTE_ADDR, or the proxy-set X-Forwarded-For entry we
    trust; for IPv6, the first address of its /64."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies and not _proxy_warned and "HTTP_X_FORWARDED_FOR" in request.META:
        _warn_of_a_proxy()
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if parsed.version == 6:
        # One IPv6 connection (a home's, any rented server's) has the 2**64 addresses of its /64, and
        # picks any of them to send from. Counted per address, each was a fresh start for the sign
        # form's rate limits, moderation's burst flag and the admin login's lockout (which use this).
        parsed = parsed.ipv4_mapped or ipaddress.IPv6Address(int(parsed) & IPV6_NETWORK_MASK)
    return str(parsed)


def ip_hash(address, now=None):
    """A keyed hash of an IP address whose key changes every day (UTC).

    It lets moderation spot a burst from one address on one day, but cannot follow a person
    across days, and the raw address is never stored.
    """
    if not address:
        return ""
    day = (now or timezone.now()).date().isoformat()
    key = hmac.new(settings.IP_HASH_KEY.encode(), day.encode(), hashlib.sha256).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


# --- Links in emails ----------------------------------------------------------------------------

def email_check(signature, key=None):
    # Binds a link to the address it was sent to: once a signature is erased (withdrawn, purged)
    # its old links stop working.
    return salted_hmac("petitions.link", signature.email.strip().lower(), secret=key).hexdigest()[:16]


def _link_is_for(signature, payload):
    """The link was made for this signature's address, under SECRET_KEY or one it replaced
    (SECRET_KEY_FALLBACKS, as Django's signer checks the signature itself): a rotated key must not
    break the links already in signers' mailboxes."""
    if not signature.email:
        return False
    check = str(payload.get("e"))
    return any(
        hmac.compare_digest(check, email_check(signature, key))
        for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    )


def token_signer(purpose):
    """What signs and checks the links for `purpose` (CONFIRM, WITHDRAW, "unsubscribe")."""
    return signing.TimestampSigner(salt=f"petitions.{purpose}")


def make_token(signature, purpose, check=None, signer=None):
    """`check`: email_check(signature), and `signer`: token_signer(purpose), given by a caller that
    makes many links (the outbox)."""
    signer = signer or token_signer(purpose)
    check = check or email_check(signature)
    return signer.sign_object({"s": signature.pk, "p": signature.petition_id, "e": check})


def make_unsubscribe_token(signature):
    signer = token_signer("unsubscribe")
    return signer.sign_object({"s": signature.pk, "e": email_check(signature)})


def signature_from_unsubscribe_token(token):
    signer = token_signer("unsubscribe")
    try:
        payload = signer.unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadLink from None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise BadLink
    signature = Signature.objects.filter(pk=payload["s"]).first()
    if signature is None or not _link_is_for(signature, payload):
        raise BadLink
    return signature


class BadLink(Exception):
    """The link is forged, mangled, for another petition, or for an erased signature."""


class ForgedLink(BadLink):
    """Not a link we made for this petition: forged, mangled, or another petition's."""


class ErasedLink(BadLink):
    """A link we made, for a signature since erased (withdrawn, anonymised after the petition, or
    deleted a month after its last link when never confirmed).

    Only whoever received our email holds it, so its page may say that the data is gone: a signer
    who comes back to make sure of it was told the link "may have been copied incompletely"."""


class ExpiredLink(Exception):
    def __init__(self, signature):
        self.signature = signature


def signature_from_token(token, petition, purpose, max_age=None):
    """The signature a link is for. Raises BadLink, or ExpiredLink (carrying the signature)."""
    signer = token_signer(purpose)
    try:
        payload = signer.unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        raise ForgedLink from None
    if not isinstance(payload, dict) or payload.get("p") != petition.pk or not isinstance(payload.get("s"), int):
        raise ForgedLink
    signature = _signature_for_link(payload["s"], petition.pk)
    # A link we made (its signature checked above) whose signature is gone -- deleted, never
    # confirmed (petitions.retention) -- or emptied is a link to data already erased.
    if signature is None or not signature.email:
        raise ErasedLink
    if not _link_is_for(signature, payload):
        raise BadLink
    if max_age is not None:
        try:
            signer.unsign_object(token, max_age=max_age)
        except signing.SignatureExpired:
            raise ExpiredLink(signature) from None
    return signature


# --- The statements of a surge, in SQL ------------------------------------------------------------
#
# A sign POST is one INSERT; a confirm POST a read of the link's signature and a conditional
# UPDATE. Through the ORM each cost 0.3-0.5 ms of CPU to build and compile on this project's
# two-core machine, against about 0.1 ms for the same SQL sent as it is (bench/README.md); under a
# surge that was a third of a confirmation's CPU. They are written here once, from the model's
# own table and column names, and go through Django's cursor (errors wrapped, queries logged and
# counted, IntegrityError as from the ORM).

_LINK_FIELDS = [field.attname for field in Signature._meta.concrete_fields
                if field.attname in {"id", "petition_id", "email", "status"}]  # in the model's order, for from_db()
# Built from the model's names only; every value is a parameter.
_LINK_SQL = (
    f"SELECT {', '.join(map(column, _LINK_FIELDS))} FROM {TABLE}"  # noqa: S608
    f" WHERE {column('id')} = %s AND {column('petition_id')} = %s"
)
_CONFIRM_SQL = (
    f"UPDATE {TABLE} SET {column('status')} = %s, {column('confirmed_at')} = %s"  # noqa: S608
    f" WHERE {column('id')} = %s AND {column('status')} = %s"
)


# Every column Model.save() would write for a new signature (the database computes the generated one).
_INSERT_FIELDS = [field for field in Signature._meta.concrete_fields if not field.primary_key and not field.generated]
_INSERT_SQL = (
    f"INSERT INTO {TABLE} ({', '.join(column(field.attname) for field in _INSERT_FIELDS)})"  # noqa: S608
    f" VALUES ({', '.join(['%s'] * len(_INSERT_FIELDS))}) RETURNING {column('id')}"
)


def _insert(signature):
    """signature.save(force_insert=True) as a statement written once: the same values (each field's
    pre_save and database preparation), without the ORM compiling the INSERT for every signer."""
    values = [field.get_db_prep_save(field.pre_save(signature, True), connection) for field in _INSERT_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, values)
        signature.pk = cursor.fetchone()[0]
    signature._state.adding, signature._state.db = False, connection.alias


def _signature_for_link(pk, petition_id):
    """The signature with only what the links need, the rest deferred -- as .only() would give it."""
    with connection.cursor() as cursor:
        cursor.execute(_LINK_SQL, [pk, petition_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return Signature.from_db(connection.alias, _LINK_FIELDS, row)


# --- Signing ------------------------------------------------------------------------------------

@dataclass
class SignResult:
    signature: Signature
    created: bool


def sign(petition, data, *, ip="", network=None, language="en", now=None, busy_network=None):
    """Record a pending signature, or find the existing one for this address, and email the signer.

    `data` is a SignatureForm's cleaned_data; `network` is ip_hash(ip), if the caller has it
    already; `busy_network` comes from petitions.limits. The email is owed in the same write as
    the signature (petitions.outbox) and goes out soon after the commit: a confirmation link for
    a new or still pending signature (whose details this submission replaces), "you have already
    signed" for a confirmed one, nothing for a rejected one.
    """
    now = now or timezone.now()
    signature = Signature(
        petition=petition, language=language, created_at=now,
        ip_hash=ip_hash(ip, now) if network is None else network,
        email_due=Signature.EmailDue.CONFIRM, **data,
    )
    # Moderation flags go into the same INSERT (they look only at this signature and earlier ones).
    signature.flags = moderation.flags_for(signature, busy_network)
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint, so that a duplicate leaves the caller's transaction usable
                _insert(signature)
        else:
            _insert(signature)  # autocommit: the INSERT is its own transaction
    except IntegrityError:
        # The unique constraint on (petition, normalised email) caught a second signing.
        # Normalised by the same database expression as the generated column.
        existing = Signature.objects.filter(
            petition=petition, email_normalised=Lower(Trim(Value(data["email"])))
        ).first()
        if existing is None:
            raise
        if existing.status == Signature.Status.PENDING:
            # Not confirmed yet: the latest details are the ones the link confirms (the confirm page
            # shows them). First-come, anyone who knew an address could sign with it first -- a name,
            # a comment, "full name, in the letter" -- and the owner, signing and confirming after,
            # confirmed those; nor could a signer who thought again change their choices.
            Signature.objects.filter(pk=existing.pk, status=Signature.Status.PENDING).update(
                **{name: getattr(signature, name) for name in REPLACED_BY_A_NEW_SUBMISSION},
                email_due=Signature.EmailDue.CONFIRM, updated_at=now,  # a new link: see petitions.retention
                reviewed=False, comment_approved=False,  # an organiser's approval was of the old details
            )
            outbox.schedule()
        elif existing.status == Signature.Status.CONFIRMED:
            outbox.owe(existing.pk, Signature.EmailDue.ALREADY_SIGNED)
        return SignResult(existing, False)
    outbox.schedule()
    return SignResult(signature, True)


# What a new submission with the address of a pending signature replaces: all the signer typed and
# chose (but the address itself, the same one normalised), and what follows from it.
REPLACED_BY_A_NEW_SUBMISSION = [
    "first_name", "last_name", "country", "city", "organisation", "comment", "public_name", "name_in_letter",
    "wants_updates", "language", "flags", "ip_hash",
]


def confirm(signature, now=None):
    """Confirm a pending signature; True if this call confirmed it. Idempotent."""
    now = now or timezone.now()
    # A conditional UPDATE: two clicks (or two tabs) cannot both confirm.
    with connection.cursor() as cursor:
        confirmed_at = connection.ops.adapt_datetimefield_value(now)  # as the ORM stores it (SQLite: naive UTC)
        cursor.execute(_CONFIRM_SQL, [Signature.Status.CONFIRMED, confirmed_at, signature.pk, Signature.Status.PENDING])
        confirmed = cursor.rowcount
    if confirmed:
        signature.status, signature.confirmed_at = Signature.Status.CONFIRMED, now
        counting.schedule_update()
    return bool(confirmed)


# How long a withdrawal waits for a letter naming the signer that is being rendered or sent right
# now. A letter of 100,000 names takes about a minute: past this the page answers, and the worker
# finishes the erasure once the letter has gone (finish_withdrawals).
LETTER_WAIT = 3  # seconds


def withdraw(signature):
    """Withdraw a signature and erase the signer's personal data; the count drops at once.

    Returns True when done; False when a letter naming the signer is being sent right now. Then
    they are withdrawn at once (no longer counted, named in no later letter, their address and
    comment erased), and the rest of their data -- what that letter is printing -- is erased by
    the worker once it has gone.
    """
    from .delivery import LetterBeingSent

    signatures = Signature.objects.filter(pk=signature.pk)
    try:
        erase(signatures, letter_wait=LETTER_WAIT)
    except LetterBeingSent:
        with transaction.atomic():
            forget_in_admin_history(signatures)
            signatures.update(
                status=Signature.Status.WITHDRAWN, email="", comment="", ip_hash="",
                public_name=Signature.PublicName.HIDDEN, wants_updates=False, updated_at=timezone.now(),
            )
        counting.update_counts({signature.petition_id})
        from .tasks import finish_withdrawals

        jobs.enqueue_on_commit(finish_withdrawals)  # and every minute, should this be lost
        logger.info("Signature %s withdrawn; erased once the letter being sent has gone", signature.pk)
        return False
    logger.info("Signature %s withdrawn and erased", signature.pk)
    return True


def finish_withdrawals():
    """Erase the withdrawals that were waiting for a letter naming them (withdraw()); returns how many.

    Their rows are withdrawn and still carry a name: erase() never leaves one, so this finds
    exactly them. It waits for the letters, in the worker.
    """
    waiting = waiting_withdrawals().values_list("pk", flat=True)
    return erase(Signature.objects.filter(pk__in=list(waiting[:1000])))


def waiting_withdrawals():
    return Signature.objects.filter(status=Signature.Status.WITHDRAWN).exclude(first_name="", last_name="")


def erase(signatures, letter_wait=None):
    """Withdraw these signatures and erase their personal data; returns how many were erased.

    The rows stay (as anonymous, withdrawn signatures) so that delivery records that name them
    keep their totals; nothing in them identifies a person any more, nor does any stored letter:
    those already sent that print their names are deleted (their records stay). With `letter_wait`, raises
    LetterBeingSent, having changed nothing, when a letter naming one of them is still being
    rendered or sent after that many seconds.
    """
    from .delivery import forget_letters, hold_letters_of, letters_naming

    with transaction.atomic():
        petition_ids = set(signatures.values_list("petition_id", flat=True))
        # Before the update: the queryset may select by what the update erases (an address).
        hold_letters_of(signatures, wait=letter_wait)  # a letter naming them being sent right now goes first
        # The stored copies of the letters already sent that print their names go too.
        letters = letters_naming(signatures)
        forget_in_admin_history(signatures)
        erased = counting.update_locked(
            signatures,
            status=Signature.Status.WITHDRAWN,
            first_name="", last_name="", email="", city="", organisation="", comment="",
            ip_hash="", public_name=Signature.PublicName.HIDDEN, name_in_letter=False,
            wants_updates=False, updated_at=timezone.now(),
        )
        forget_letters(letters)
    # Erasures are rare; folding them in now keeps the promise that they count at once.
    counting.update_counts(petition_ids)
    return erased


def forget_in_admin_history(signatures):
    """Take the signers' names out of the admin's history of these signatures; returns the entries changed.

    Django's LogEntry keeps str(signature) ("Olena Petrenko (Confirmed)") as the entry's title and,
    in its change message, the names of what was added or changed with it. Erased or anonymised,
    the signature is "Signature #<id>" there, with no message. One UPDATE, the ids never leave
    the database (LogEntry.object_id is text: the ids are compared as text).
    """
    ids = signatures.order_by().annotate(text_id=Cast("pk", output_field=CharField())).values("text_id")
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Signature), object_id__in=ids,
    ).update(object_repr=Concat(Value("Signature #"), F("object_id")), change_message="")
