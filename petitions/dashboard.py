"""The per-petition dashboard in admin: numbers and a chart drawn on the server as SVG (no script)."""

from datetime import datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django_countries.fields import Country

from .models import Delivery, Signature

CHART_DAYS = 30
CHART_WIDTH, CHART_HEIGHT = 600, 160


def signatures_per_day(petition, days=CHART_DAYS, now=None):
    """[(date, confirmed count)] for the last `days` days, zero-filled."""
    today = timezone.localdate(now or timezone.now())
    start = today - timedelta(days=days - 1)
    # From the first day's midnight as a moment, not `confirmed_at__date__gte`: a range the index on
    # (petition, status, confirmed_at) can answer, rather than a date computed from every row.
    since = timezone.make_aware(datetime.combine(start, time.min))
    counts = dict(
        Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED, confirmed_at__gte=since)
        .annotate(day=TruncDate("confirmed_at")).values("day").annotate(n=Count("pk")).values_list("day", "n")
    )
    return [(start + timedelta(days=i), counts.get(start + timedelta(days=i), 0)) for i in range(days)]


def bars(series, width=CHART_WIDTH, height=CHART_HEIGHT):
    """Bar geometry for the SVG template: x, y, width, height, and the label of each bar."""
    peak = max((n for _, n in series), default=0) or 1
    slot = width / max(len(series), 1)
    return [
        {
            "x": round(i * slot + 1, 1), "width": round(max(slot - 2, 1), 1),
            "height": round(n / peak * (height - 20), 1), "y": round(height - n / peak * (height - 20), 1),
            "day": day, "n": n,
        }
        for i, (day, n) in enumerate(series)
    ]


def facts(petition, now=None):
    # Statuses and countries as their members, so the page shows their names in the organiser's
    # language ("Pending confirmation", "Poland"), not the codes stored ("pending", "PL").
    by_status = {
        Signature.Status(status): n
        for status, n in Signature.objects.filter(petition=petition).values("status").annotate(n=Count("pk"))
        .values_list("status", "n")
    }
    confirmed = by_status.get(Signature.Status.CONFIRMED, 0)
    asked = confirmed + by_status.get(Signature.Status.PENDING, 0)
    series = signatures_per_day(petition, now=now)
    return {
        "by_status": by_status,
        "confirmation_rate": round(100 * confirmed / asked) if asked else None,
        "series": series,
        "bars": bars(series),
        "peak": max((n for _, n in series), default=0),
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "by_country": [
            {**row, "country": Country(row["country"])}
            for row in Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
            .values("country").annotate(n=Count("pk")).order_by("-n", "country")[:50]
        ],
        # Published once approved (petitions.publication): how many wait, for the link to them.
        "organisations_to_approve": Signature.objects.filter(
            petition=petition, status=Signature.Status.CONFIRMED, reviewed=False).exclude(organisation="").count(),
        "deliveries": [
            {**row, "status": Delivery.Status(row["status"])}
            for row in Delivery.objects.filter(petition=petition).values("is_test", "status")
            .annotate(n=Count("pk")).order_by("is_test", "status")
        ],
    }
