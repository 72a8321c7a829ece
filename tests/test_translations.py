"""The Ukrainian, Russian and French catalogues: complete, compiled, in step with the source.

English is the source language. `locale/<lang>/LC_MESSAGES/django.po` is written by makemessages
and translated by hand; `django.mo` next to it is what Django reads, so both are committed.
"""

import datetime
import gettext
import os
import re
import shutil
import subprocess
import sys

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.text import capfirst

from prisoners.models import CaseEvent, CriminalCase, Prisoner

from .factories import PetitionFactory

LANGUAGES = ["uk", "ru", "fr"]
LOCALE = settings.BASE_DIR / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")
# What makemessages must not look at (the same list as the documented command).
NOT_SCANNED = [".venv", "staticfiles", "var", "tests", "bench"]
# Not copied for the fresh extraction: the above, plus what holds no source strings at all.
NOT_COPIED = {
    *NOT_SCANNED, ".git", ".env", "media", "locale", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache",
}

needs_gettext = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge", "msgattrib")),
    reason="needs the GNU gettext tools (CI installs gettext)",
)


def po_path(lang):
    return LOCALE / lang / "LC_MESSAGES" / "django.po"


def mo_path(lang):
    return LOCALE / lang / "LC_MESSAGES" / "django.mo"


def load_po(lang):
    return polib.pofile(str(po_path(lang)))


def entries(catalogue):
    return [e for e in catalogue if not e.obsolete]


def nplurals(catalogue):
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    assert match, "the catalogue has no Plural-Forms header"
    return int(match.group(1))


def key(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def translations(catalogue):
    """{(context, msgid, msgid_plural): msgstr or (msgstr[0], msgstr[1], ...)}"""
    result = {}
    for e in entries(catalogue):
        if e.msgid_plural:
            result[key(e)] = tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural, key=int))
        else:
            result[key(e)] = e.msgstr
    return result


def forms(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural, key=int)]
    return [entry.msgstr]


# --- Every entry translated -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_exists_for_the_language_with_its_header(lang):
    catalogue = load_po(lang)
    assert catalogue.metadata.get("Language") == lang
    assert not catalogue.metadata_is_fuzzy, "the header is still marked fuzzy"
    assert nplurals(catalogue) >= 2
    assert len(entries(catalogue)) > 100, "the catalogue looks empty"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_not_fuzzy(lang):
    catalogue = load_po(lang)
    expected_forms = nplurals(catalogue)
    problems = []
    for e in entries(catalogue):
        if "fuzzy" in e.flags:
            problems.append(f"fuzzy: {e.msgid!r}")
        if e.msgid_plural and len(e.msgstr_plural) != expected_forms:
            problems.append(f"{len(e.msgstr_plural)} plural forms instead of {expected_forms}: {e.msgid!r}")
        if not all(text.strip() for text in forms(e)):
            problems.append(f"untranslated: {e.msgid!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders_and_add_no_html(lang):
    problems = []
    for e in entries(load_po(lang)):
        for i, text in enumerate(forms(e)):
            source = e.msgid_plural if e.msgid_plural and i > 0 else e.msgid
            wanted = set(PLACEHOLDER.findall(e.msgid)) | set(PLACEHOLDER.findall(e.msgid_plural or ""))
            if e.msgid_plural:
                # msgid and msgid_plural may differ (e.g. one names the counter); each form needs them all.
                ok = set(PLACEHOLDER.findall(text)) == wanted
            else:
                ok = sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source))
            if not ok:
                problems.append(f"placeholders differ: {source!r} -> {text!r}")
            if "<" not in source and re.search(r"<\s*/?\s*[a-zA-Z]", text):
                problems.append(f"HTML added: {source!r} -> {text!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs msgfmt (CI installs gettext)")
@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_passes_msgfmt_check(lang, tmp_path):
    """Format strings (python-format), the plural header and its forms, as GNU gettext checks them."""
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po_path(lang))],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- The compiled catalogue -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_is_up_to_date_with_the_po_file(lang):
    assert mo_path(lang).exists(), f"{mo_path(lang)} is missing: run compilemessages"
    source = load_po(lang)
    compiled = polib.mofile(str(mo_path(lang)))
    assert compiled.metadata.get("Plural-Forms") == source.metadata.get("Plural-Forms")
    expected, actual = translations(source), translations(compiled)
    missing = [k[1] for k in expected if k not in actual]
    stale = [k[1] for k in actual if k not in expected]
    changed = [k[1] for k in expected if k in actual and actual[k] != expected[k]]
    assert not (missing or stale or changed), (
        f"django.mo differs from django.po (run compilemessages): missing {missing[:5]}, "
        f"not in the .po {stale[:5]}, different {changed[:5]}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_loads_in_python_gettext(lang):
    """Django reads .mo files with the standard library's gettext."""
    with open(mo_path(lang), "rb") as f:
        catalogue = gettext.GNUTranslations(f)
    assert catalogue.info().get("language") == lang
    assert catalogue.gettext("Sign the appeal") != "Sign the appeal"


# --- In step with the source ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh_extraction(tmp_path_factory):
    """Run makemessages on a copy of the project, into an empty locale directory of its own.

    Returns the freshly extracted catalogue.
    """
    copy = tmp_path_factory.mktemp("project")
    base = settings.BASE_DIR
    for item in base.iterdir():
        if item.name in NOT_COPIED:
            continue
        if item.is_dir():
            shutil.copytree(item, copy / item.name, ignore=shutil.ignore_patterns(*NOT_COPIED, "*.pyc"))
        else:
            shutil.copy2(item, copy / item.name)
    (copy / "locale").mkdir()
    env = {**os.environ, "DEBUG": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "uk", "--no-obsolete",
         *(f"--ignore={name}" for name in NOT_SCANNED)],
        cwd=copy, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    fresh = copy / "locale" / "uk" / "LC_MESSAGES" / "django.po"
    assert fresh.exists(), f"makemessages wrote no catalogue: {result.stdout}{result.stderr}"
    return polib.pofile(str(fresh))


@needs_gettext
@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_has_every_string_of_the_templates_and_code(lang, fresh_extraction):
    wanted = {key(e) for e in entries(fresh_extraction)}
    assert len(wanted) > 100, "the fresh extraction found almost nothing: is the copy complete?"
    have = {key(e) for e in entries(load_po(lang))}
    missing = sorted(wanted - have, key=str)
    assert not missing, (
        f"{len(missing)} source strings are not in locale/{lang}: run makemessages, translate, "
        f"compilemessages. First ones: " + "; ".join(repr(k[1]) for k in missing[:10])
    )


# --- What a visitor sees ----------------------------------------------------------------------


def translated(lang, msgid):
    for e in entries(load_po(lang)):
        if e.msgid == msgid and not e.msgid_plural and not e.msgctxt:
            return e.msgstr
    raise AssertionError(f"{msgid!r} is not in the {lang} catalogue")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_active_language_translates_interface_strings(lang):
    with translation.override(lang):
        text = translation.gettext("Sign the appeal")
    assert text != "Sign the appeal"
    assert text == translated(lang, "Sign the appeal")


def named_fields():
    """Every field of our models that has a name an organiser can read: a form's label, a list's
    column, a filter's title, a validation message ("Signature with this Petition ... exists")."""
    for app in ("campaign", "prisoners", "petitions"):
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if (field.auto_created and not field.concrete) or field.primary_key:
                    continue  # reverse relations and ids: named by Django
                if isinstance(field, GenericForeignKey):
                    continue  # never shown: a form has its two fields
                if getattr(field, "translated_field", None) is not None:
                    continue  # modeltranslation's copy (title_uk) takes its name from the original
                yield model, field


def test_every_field_of_our_models_has_a_translatable_name():
    # A field without a verbose_name is named by Django from its attribute, in English only: the
    # Ukrainian event list had the columns "CASE" and "PRISONER", a petition's page "Campaign:".
    untranslatable = [f"{model.__name__}.{field.name}" for model, field in named_fields()
                      if not isinstance(field.verbose_name, Promise)]
    assert untranslatable == []


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_admins_event_list_and_petition_page_name_their_fields_in_the_language(admin_client, lang):
    case = CriminalCase.objects.create(title="The chat case", slug="chat-case")
    prisoner = Prisoner.objects.create(name="Igor Kuznetsov", slug="igor-kuznetsov")
    CaseEvent.objects.create(case=case, prisoner=prisoner, kind=CaseEvent.Kind.ARREST, date=datetime.date(2021, 9, 16))
    petition = PetitionFactory()

    events = admin_client.get("/admin/prisoners/caseevent/", HTTP_ACCEPT_LANGUAGE=lang)
    page = admin_client.get(f"/admin/petitions/petition/{petition.pk}/change/", HTTP_ACCEPT_LANGUAGE=lang)

    assert events.status_code == page.status_code == 200
    assert "The chat case" in events.text
    for column in ("criminal case", "prisoner"):
        assert escape(capfirst(translated(lang, column))) in events.text
    assert ">Case<" not in events.text and ">Prisoner<" not in events.text
    with translation.override(lang):
        suffix = translation.gettext(":")  # Django's label suffix: " :" in French
    assert f"{escape(capfirst(translated(lang, 'campaign')))}{suffix}</label>" in page.text
    assert ">Campaign:</label>" not in page.text


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGUAGES)
def test_home_page_in_a_language_is_marked_and_translated(client, lang):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    html = response.text
    assert f'lang="{lang}"' in html
    heading = translated(lang, "Campaigns for political prisoners")
    assert escape(heading) in html
    assert "Campaigns for political prisoners" not in html
    assert escape(translated(lang, "Privacy: what we store and what we send")) in html


@pytest.mark.parametrize(
    "lang, counts",
    [
        ("uk", {1: "1 підпис", 3: "3 підписи", 5: "5 підписів", 11: "11 підписів", 21: "21 підпис"}),
        ("ru", {1: "1 подпись", 3: "3 подписи", 5: "5 подписей", 12: "12 подписей", 22: "22 подписи"}),
        ("fr", {0: "0 signature", 1: "1 signature", 2: "2 signatures"}),
    ],
)
def test_plural_forms_follow_the_language_rules(lang, counts):
    with translation.override(lang):
        for n, expected in counts.items():
            text = translation.ngettext("%(signed)s signature", "%(signed)s signatures", n) % {"signed": n}
            assert text == expected
