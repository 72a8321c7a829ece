"""What the public may see of a petition: counts, public names, organisations, delivery totals.

Never emails, IP hashes, or a name the signer chose to hide.
"""

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce

from .models import Delivery, Signature

DELIVERED = [Delivery.Status.SENT, Delivery.Status.HANDED_OVER]
# Flagged by moderation (a link or abusive words in it, a flood from one network) and not yet looked
# at: counted like any other, but what it says is not published until an organiser has reviewed it.
AWAITING_REVIEW = Q(reviewed=False) & ~Q(flags=[])


def _published(petition):
    return Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED).exclude(AWAITING_REVIEW)


def public_signatures(petition):
    return (
        _published(petition)
        .exclude(public_name=Signature.PublicName.HIDDEN)
        .only("first_name", "last_name", "public_name", "country", "confirmed_at")
        .order_by("-confirmed_at", "-pk")
    )


def public_comments(petition, limit=20):
    """Signers' comments as the petition's setting allows, with the name as each signer chose."""
    mode = petition.comment_display
    if mode == petition.CommentDisplay.OFF:
        return []
    comments = (
        _published(petition)
        .filter(comment_hidden=False)
        .exclude(comment="")
        .only("first_name", "last_name", "public_name", "country", "comment", "confirmed_at")
        .order_by("-confirmed_at", "-pk")
    )
    if mode == petition.CommentDisplay.APPROVED:
        comments = comments.filter(comment_approved=True)
    return list(comments[:limit])


# Anyone can type any organisation's name, and a list of "organisations that signed" reads as their
# endorsement: one is published only once an organiser has approved its signature.
ORGANISATION_APPROVED = Q(reviewed=True)


def signing_organisations(petition, limit=50):
    return list(
        _published(petition)
        .filter(ORGANISATION_APPROVED)
        .exclude(organisation="")
        .values_list("organisation", flat=True)
        .distinct()
        .order_by("organisation")[:limit]
    )


def delivery_totals(petition):
    """How many appeals went to how many embassies, when last, and how many of those embassies
    replied -- live deliveries only."""
    totals = Delivery.objects.filter(petition=petition, is_test=False, status__in=DELIVERED).aggregate(
        appeals=Sum("signature_count"),
        embassies=Count("embassy", distinct=True),
        last=Max("sent_at"),
        last_handed=Max("handed_over_at"),
        replied=Count("embassy", distinct=True, filter=Q(reply_received_on__isnull=False)),
    )
    last = max(filter(None, [totals["last"], totals["last_handed"]]), default=None)
    return {"appeals": totals["appeals"] or 0, "embassies": totals["embassies"], "last": last,
            "replied": totals["replied"]}


def delivered(petition):
    """Live letters that were sent or handed over, for the public delivery log."""
    return (
        Delivery.objects.filter(petition=petition, is_test=False, status__in=DELIVERED)
        .select_related("embassy")
        .only("embassy", "addressed_to", "status", "channel", "signature_count", "sent_at", "handed_over_at",
              "pdf_sha256", "manifest_sha256", "petition_id", "reply_received_on")
        # Latest first, however it went: a letter handed over has no sent_at, and ordered by that
        # column Postgres put every such letter first (NULLs lead a descending order), however old.
        .order_by(Coalesce("sent_at", "handed_over_at").desc(), "-pk")
    )


def counts_by_country(petition):
    rows = (
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        .values("country")
        .annotate(n=Count("pk"))
        .order_by("-n", "country")
    )
    return {row["country"]: row["n"] for row in rows}


def progress_percent(petition):
    if not petition.goal:
        return 100
    return min(100, round(100 * petition.signature_count / petition.goal))


def petition_facts(petition):
    return {
        "recent_signatures": list(public_signatures(petition)[:10]),
        "organisations": signing_organisations(petition),
        "comments": public_comments(petition),
        "deliveries": delivery_totals(petition),
        "progress": progress_percent(petition),
    }


