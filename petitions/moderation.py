"""Simple, explainable rules that flag a signature for an organiser's look, and the moderation
actions. A flag never refuses a signature: a real supporter may sign from a shared network or use a
throwaway address to stay safe. An organiser decides.
"""

import re
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.db import transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Signature

BURST_WINDOW = timedelta(minutes=10)
BURST_SIZE = 5  # this many signatures of one petition from one IP hash within the window
# A link: with its scheme or www.; any domain followed by a path (t.me/..., bit.ly/..., wa.me/...: the
# usual spam and scam forms, which named no domain below); a dot written out to dodge the rule
# (evil[.]com, evil(dot)com); or a name ending in a domain spam uses. Flagged, a signature's name
# and comment wait for an organiser's look before the petition page shows them.
#
# Each run of word characters is tried once, from its start, and never given back (possessive
# quantifiers): "\b[\w-]+" was tried again from every letter after each hyphen, and a 1,000-character
# comment like "a-a-a-..." cost 79 ms of the sign POST's CPU (6 ms before the forms above were added);
# now 0.2 ms (bench/README.md, twenty-second round).
_RUN = r"(?<![\w-])[\w-]++"
LINK = re.compile(
    rf"(https?://|www\.|(?<!\.){_RUN}(?:\.[\w-]++)++(?<=[^\W\d_]{{2}})/\S"
    rf"|{_RUN}\s*+(?:\[\.\]|\(\.\)|\[dot\]|\(dot\))\s*+[\w-]{{2}}"
    rf"|{_RUN}\.(com|net|org|ru|info|xyz|top|io|me|ly|cc|su|рф|xn--p1ai|shop|site|online|club|link|click|biz|live"
    r"|store)\b)",
    re.IGNORECASE,
)
# A short, deliberately blunt list; organisers see the reason and decide.
ABUSE = re.compile(r"\b(putin|z ?for ?victory|слава росс|fuck|хуй|пизд|сука|бляд)", re.IGNORECASE)

REASONS = {
    "burst": _("many signatures from one network within minutes"),
    "disposable_email": _("a disposable email address"),
    "link": _("a link in the name, organisation or comment"),
    "abuse": _("abusive words in the name, organisation or comment"),
}


@cache
def disposable_domains():
    path = Path(__file__).resolve().parent / "data" / "disposable_email_domains.txt"
    lines = (line.strip().lower() for line in path.read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def flags_for(signature, busy_network=None):
    """The reasons (keys of REASONS) to look at this signature; empty when nothing stands out.

    `busy_network`: whether BURST_SIZE attempts or more came from the signer's network within
    BURST_WINDOW (counted by petitions.limits with the rate limits; None when unknown). Called
    before the signature is saved, so that the flags go into its INSERT.
    """
    flags = []
    if busy_network:
        flags.append("burst")
    domain = signature.email.rsplit("@", 1)[-1].strip().lower()
    if domain in disposable_domains():
        flags.append("disposable_email")
    text = " ".join([signature.first_name, signature.last_name, signature.organisation, signature.comment])
    if LINK.search(text):
        flags.append("link")
    if ABUSE.search(text):
        flags.append("abuse")
    return flags


def describe(flags):
    return "; ".join(str(REASONS.get(flag, flag)) for flag in flags)


# --- Moderation actions (each returns the number of signatures changed) --------------------------

def approve(queryset):
    """Reviewed, and the comment shown where comments need approval. A signature rejected as spam
    (or withdrawn) stays as it is: approving it does not bring it back."""
    return queryset.exclude(status__in=[Signature.Status.REJECTED, Signature.Status.WITHDRAWN]).update(
        reviewed=True, comment_approved=True, updated_at=timezone.now()
    )


def reject_as_spam(queryset):
    """Out of the count and of every future delivery; the count follows at once."""
    from . import counting
    from .delivery import hold_letters_of

    with transaction.atomic():
        petitions = set(queryset.values_list("petition_id", flat=True))
        hold_letters_of(queryset)  # a letter naming them being sent right now goes first
        rejected = queryset.exclude(status=Signature.Status.REJECTED)
        changed = counting.update_locked(
            rejected, status=Signature.Status.REJECTED, reviewed=True, updated_at=timezone.now()
        )
    counting.update_counts(petitions)
    return changed


def restore(queryset):
    """Undo a rejection as spam: back to confirmed (pending if it never was), into the count at once
    and into the next delivery. A signature whose data retention has since erased stays rejected."""
    from . import counting

    with transaction.atomic():
        petitions = set(queryset.values_list("petition_id", flat=True))
        rejected = queryset.filter(status=Signature.Status.REJECTED).exclude(email="")
        changed = counting.update_locked(
            rejected,
            status=Case(When(confirmed_at__isnull=True, then=Value(Signature.Status.PENDING)),
                        default=Value(Signature.Status.CONFIRMED)),
            reviewed=True, updated_at=timezone.now(),
        )
    counting.update_counts(petitions)
    return changed


# Hiding one part of a signature is no review of the rest: a flagged one stays in the queue, and
# what else it says (a name mocking the prisoners, an organisation, a comment) stays unpublished
# until an organiser approves it. Marked reviewed here, hiding a wave's comments put its names on
# the page, and hiding its names its comments.
def hide_name(queryset):
    return queryset.update(public_name=Signature.PublicName.HIDDEN, updated_at=timezone.now())


def hide_comment(queryset):
    return queryset.update(comment_approved=False, comment_hidden=True, updated_at=timezone.now())
