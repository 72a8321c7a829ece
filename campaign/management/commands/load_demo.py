"""`manage.py load_demo`: create the demo campaign where it is missing (safe to run again)."""

from django.core.management.base import BaseCommand

from campaign.demo import load_demo


class Command(BaseCommand):
    help = (
        "Create the demo campaign for Igor Kuznetsov, Darya Polyudova and their co-defendants, "
        "with its cases, petition and embassies. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        summary = load_demo()
        self.stdout.write(str(summary))
        if summary.created:
            self.stdout.write(self.style.SUCCESS("Demo campaign loaded."))
        else:
            self.stdout.write("Demo campaign already there; nothing changed.")
