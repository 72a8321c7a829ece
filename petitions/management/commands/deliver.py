"""`manage.py deliver [--petition SLUG]`: run deliveries now, in this process (no worker needed)."""

from django.core.management.base import BaseCommand, CommandError

from petitions import delivery
from petitions.models import Delivery, Petition


class Command(BaseCommand):
    help = (
        "Plan and send the deliveries that are due (the scheduled task's code, run here and now). "
        "With --petition, deliver that petition's new signatures now whatever its cadence."
    )

    def add_arguments(self, parser):
        parser.add_argument("--petition", metavar="SLUG", help="deliver this petition now")

    def handle(self, *args, petition=None, **options):
        target = None
        if petition is not None:  # an empty slug (an unset "$SLUG") is a mistake, not "every petition"
            target = Petition.objects.filter(slug=petition).first()
            if target is None:
                raise CommandError(f"No petition with the slug {petition!r}.")
            if target.status == Petition.Status.DRAFT:
                raise CommandError(f"Petition {petition!r} is a draft: drafts are not delivered. Open it first.")
            if not target.delivers_live and not target.test_recipient:
                raise CommandError(
                    f"Petition {petition!r} delivers nothing: it is not live and has no test recipient to "
                    "send its letters to. Give it a test recipient (an organiser's address)."
                )
        ids = delivery.sweep(petition=target, enqueue=False)
        for pk in ids:
            delivery.send(pk)
        deliveries = Delivery.objects.filter(pk__in=ids).select_related("embassy").order_by("pk")
        for d in deliveries:
            test = " (TEST, to the test recipient)" if d.is_test else ""
            self.stdout.write(f"{d.embassy}: {d.signature_count} signatures, {d.get_status_display()}{test}")
            if d.last_error:
                self.stdout.write(f"    {d.last_error}")
        self.stdout.write(self.style.SUCCESS(f"{len(ids)} deliveries processed."))
