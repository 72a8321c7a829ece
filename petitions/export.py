"""CSV export of a petition's signatures: streamed row by row, safe to open in a spreadsheet."""

import csv

from .models import Signature

COLUMNS = [
    ("signed_at", "created_at"), ("confirmed_at", "confirmed_at"), ("status", "status"),
    ("first_name", "first_name"), ("last_name", "last_name"), ("email", "email"), ("country", "country"),
    ("city", "city"), ("organisation", "organisation"), ("public_name", "public_name"),
    ("name_in_letter", "name_in_letter"), ("wants_updates", "wants_updates"), ("language", "language"),
    ("comment", "comment"), ("flags", "flags"),
]
BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell a spreadsheet would run as a formula ("=HYPERLINK(...)") is prefixed with a quote."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def rows(petition):
    """Lines of CSV, header first, reading the signatures in chunks (bounded memory)."""
    writer = csv.writer(_Echo())
    # The byte order mark tells Excel the file is UTF-8: without it, it reads it in the machine's
    # legacy code page and shows Cyrillic names as mojibake. Part of the header's line, so that the
    # lines are still the header and one per signature.
    yield BOM + writer.writerow([name for name, _ in COLUMNS])
    signatures = (
        Signature.objects.filter(petition=petition).exclude(email="")
        .order_by("pk").values_list(*[field for _, field in COLUMNS])
    )
    for values in signatures.iterator(chunk_size=2000):
        yield writer.writerow([neutralise(value) for value in values])
