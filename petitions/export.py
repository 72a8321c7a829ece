"""CSV export of a petition's signatures: streamed row by row, safe to open in a spreadsheet."""

import csv
import re

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
# Where the list separator is ";" -- in Russian, Ukrainian, French and most other European settings
# of Excel -- a double-clicked .csv is split into cells at every ";" and line break, the commas and
# quotes of our CSV notwithstanding: "Ivan;=WEBSERVICE(...)" in a name is a cell of its own there,
# a formula that sends the sheet's names and addresses to another site when the file is opened.
# Such a cell gets the quote too, after the separator (spaces, tabs and quotes may come first).
INNER_FORMULA = re.compile(r"""([;\r\n])(?=[\s"]*[=+\-@])""")


def neutralise(value):
    """A cell a spreadsheet would run as a formula ("=HYPERLINK(...)") is prefixed with a quote,
    and so is one that starts after a ";" or a line break within the value (INNER_FORMULA)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    if ";" in text or "\n" in text or "\r" in text:
        text = INNER_FORMULA.sub(r"\1'", text)
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
