"""Alphabetical order in the reader's language: country lists sorted as a dictionary of it would.

django-countries sorts names by the Unicode Collation Algorithm when pyuca is installed, else by
their letters reduced to ASCII -- which leaves nothing of a Cyrillic name, so in Ukrainian and
Russian the list came out in the order of the English names (Німеччина, Germany, between Грузія
and Гана), with every name of two words after all the names of one. Nor would plain code-point
order do: it puts Ukrainian І, Ї, Є and Ґ after Я, and Russian Ё after Я.
"""

import functools
import unicodedata

from django.utils import translation
from django_countries import countries

ALPHABETS = {
    "uk": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя",
    "ru": "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
}
# Latin letters, for every other language here (accents are ignored, as a French dictionary does).
LATIN = "abcdefghijklmnopqrstuvwxyz"
LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}
APOSTROPHES = {"'", "’", "ʼ"}  # part of a Ukrainian word (В'єтнам): ignored, as dictionaries do


def sort_key(text, language=None):
    """A key that orders text alphabetically in `language` (the active language by default)."""
    alphabet = ALPHABETS.get((language or translation.get_language() or "en").split("-")[0], "")
    weights = []
    for character in text.casefold():
        if character in APOSTROPHES:
            continue
        if character in alphabet:
            weights.append(1 + alphabet.index(character))
            continue
        base = LIGATURES.get(character) or "".join(
            c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c)
        )
        for letter in base:
            if letter in LATIN:
                weights.append(1 + len(alphabet) + LATIN.index(letter))
            elif letter.isalnum():
                weights.append(1 + len(alphabet) + len(LATIN) + ord(letter))
            else:
                weights.append(0)  # a space, hyphen or bracket: before any letter, as in a dictionary
    return tuple(weights), text


@functools.lru_cache(maxsize=16)
def _countries_by_name(language):
    with translation.override(language):
        named = [(code, str(name)) for code, name in countries]
    return tuple(sorted(named, key=lambda country: sort_key(country[1], language)))


def countries_by_name():
    """(code, name) of every country, in the alphabetical order of the active language."""
    return _countries_by_name(translation.get_language())
