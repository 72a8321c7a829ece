"""`manage.py purge_personal_data`: anonymise signers of petitions past their retention period."""

from django.conf import settings
from django.core.management.base import BaseCommand

from petitions import retention


class Command(BaseCommand):
    help = (
        "Anonymise the signatures of petitions closed more than PERSONAL_DATA_RETENTION_DAYS ago "
        "whose deliveries are finished, and delete the signatures never confirmed whose last "
        "confirmation link went out more than 30 days ago (the scheduled task runs the same code daily)."
    )

    def handle(self, *args, **options):
        done = retention.purge()
        for petition_id, count in done.items():
            self.stdout.write(f"Petition {petition_id}: {count} signatures anonymised")
        unconfirmed = retention.delete_unconfirmed()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(done)} petitions past {settings.PERSONAL_DATA_RETENTION_DAYS} days processed; "
                f"{unconfirmed} signatures never confirmed deleted."
            )
        )
