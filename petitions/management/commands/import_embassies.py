from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_countries.fields import Country

from petitions.embassy_import import EmbassyImportError, import_embassies


class Command(BaseCommand):
    help = (
        "Create or update the Russian Federation's missions from a Wikidata CSV export "
        "(database-of-embassies format, ';'-separated). Keyed on the QID; an organiser's "
        "delivery choice and verified contact details are kept. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file to import.")

    def handle(self, *args, file, **options):
        try:
            result = import_embassies(file)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except OSError as error:
            raise CommandError(f"{file}: cannot read it ({error.strerror or error})") from None
        except EmbassyImportError as error:
            raise CommandError(f"{file}, {error}; nothing was imported") from None

        summary = (
            f"Embassies: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged"
        )
        if result.skipped:
            summary += f", {len(result.skipped)} skipped"
        if result.missing:
            summary += f", {len(result.missing)} not in the file (kept as they were)"
        self.stdout.write(summary)
        if targets := [embassy for embassy in result.missing if embassy.is_delivery_target]:
            self.stdout.write(self.style.WARNING(
                "Not in the file but still receiving letters (untick \"receives letters\" for a mission "
                "that has closed or moved to a new Wikidata item):"
            ))
            for embassy in targets:
                self.stdout.write(f"  {embassy} ({embassy.wikidata_id})")
        if result.uncovered:
            self.stdout.write(self.style.WARNING(
                "No mission that receives letters covers these countries any more (their signatures go to a "
                "petition's fallback target, or nowhere):"
            ))
            for code in result.uncovered:
                self.stdout.write(f"  {Country(code).name} ({code})")
        if result.unverified_changes:
            self.stdout.write(self.style.WARNING(
                "Verified contact details kept, though the file gives them differently (check them again):"
            ))
            for embassy, differs in result.unverified_changes:
                values = ", ".join(f"{name} {value!r}" for name, value in differs.items())
                self.stdout.write(f"  {embassy} ({embassy.wikidata_id}): {values}")
        if result.rivals:
            self.stdout.write(self.style.WARNING(
                "More than one embassy receives letters for these countries (only the first gets them: untick "
                "\"receives letters\" for the others, or \"serves its host country\" for an embassy to another "
                "state):"
            ))
            for code, embassies in result.rivals.items():
                listed = ", ".join(f"{embassy} ({embassy.wikidata_id or f'#{embassy.pk}'})" for embassy in embassies)
                self.stdout.write(f"  {Country(code).name} ({code}): {listed}")
        if result.skipped and options["verbosity"] < 2:
            self.stdout.write("Run with -v 2 to list the skipped rows.")
        elif result.skipped:
            for row in result.skipped:
                self.stdout.write(f"  line {row.line}: skipped {row.wikidata_id}: {row.reason}")
