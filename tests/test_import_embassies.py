"""`manage.py import_embassies FILE`: the Wikidata export of Russia's missions becomes embassies."""

import datetime
import subprocess
import sys
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django_countries import countries

from petitions.embassy_import import COUNTRY_ALIASES
from petitions.models import Accreditation, Embassy

SHARED_FILE = settings.BASE_DIR.parent / "shared" / "data" / "russian-missions-wikidata-2022-11.csv"

QID_AFGHANISTAN = "Q16687384"
QID_ANGOLA = "Q106303333"
QID_UKRAINE = "Q2063895"
QID_HOLY_SEE = "Q16687393"
QID_ITALY = "Q4374042"
QID_ABKHAZIA = "Q4374039"
QID_SOUTH_OSSETIA = "Q110007948"

pytestmark = pytest.mark.django_db

# The 2022 export has two Wikidata items for the embassy in Dublin: every import of it says so.
IRELAND_TWINS = [
    "More than one embassy receives letters for these countries (only the first gets them: untick "
    "\"receives letters\" for the others, or \"serves its host country\" for an embassy to another state):",
    "  Ireland (IE): Embassy of the Russian Federation in Ireland (Q104773502), "
    "Embassy of the Russian Federation in Ireland (Q112374490)",
]


def shared_lines():
    return SHARED_FILE.read_text(encoding="utf-8").splitlines()


def line_of(qid, lines):
    """The index in `lines` of the row for `qid`."""
    (index,) = [i for i, line in enumerate(lines) if line.endswith(f"/entity/{qid}")]
    return index


def replace_field(line, column, value):
    header = shared_lines()[0].split(";")
    cells = line.split(";")
    cells[header.index(column)] = value
    return ";".join(cells)


def write(tmp_path, lines, name="missions.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(path):
    out = StringIO()
    call_command("import_embassies", str(path), stdout=out)
    return out.getvalue().strip()


def embassy(qid):
    return Embassy.objects.get(wikidata_id=qid)


def accredited_to(qid):
    accreditations = Accreditation.objects.filter(embassy__wikidata_id=qid)
    return set(accreditations.values_list("country", flat=True))


def snapshot():
    """Everything the importer may write, to prove that a failed import changed nothing."""
    embassies = list(Embassy.objects.order_by("pk").values())
    accreditations = list(Accreditation.objects.order_by("pk").values("embassy_id", "country"))
    return embassies, accreditations


# --- The shared file ------------------------------------------------------------------------


def test_import_creates_every_mission_in_the_shared_file():
    output = run_import(SHARED_FILE)

    assert output.splitlines() == ["Embassies: 174 created, 0 updated, 0 unchanged", *IRELAND_TWINS]
    assert Embassy.objects.count() == 174
    assert Counter(Embassy.objects.values_list("mission_type", flat=True)) == {
        Embassy.MissionType.EMBASSY: 146,
        Embassy.MissionType.CONSULATE_GENERAL: 23,
        Embassy.MissionType.CONSULATE: 2,
        Embassy.MissionType.HONORARY_CONSULATE: 1,
        Embassy.MissionType.CONSULAR_OFFICE: 1,
        Embassy.MissionType.DE_FACTO_EMBASSY: 1,
    }
    assert not Embassy.objects.filter(country="").exists()
    assert set(Embassy.objects.values_list("wikidata_id", flat=True)) >= {
        QID_AFGHANISTAN, QID_ANGOLA, QID_UKRAINE,
    }


def test_embassy_in_angola_is_also_accredited_to_sao_tome_and_principe():
    run_import(SHARED_FILE)

    assert embassy(QID_ANGOLA).country == "AO"
    assert accredited_to(QID_ANGOLA) == {"ST"}


def test_host_country_is_not_recorded_as_an_accreditation():
    run_import(SHARED_FILE)

    # The file lists Afghanistan as the Kabul embassy's jurisdiction; it is the host country.
    assert embassy(QID_AFGHANISTAN).country == "AF"
    assert accredited_to(QID_AFGHANISTAN) == set()
    assert Accreditation.objects.count() > 0
    for accreditation in Accreditation.objects.select_related("embassy"):
        assert accreditation.country != accreditation.embassy.country


def test_embassy_to_the_holy_see_is_hosted_in_italy_and_accredited_to_the_vatican():
    run_import(SHARED_FILE)

    assert (embassy(QID_HOLY_SEE).country, embassy(QID_HOLY_SEE).city) == ("IT", "Rome")
    assert accredited_to(QID_HOLY_SEE) == {"VA"}


def test_the_report_names_countries_where_several_embassies_would_receive_letters(tmp_path):
    """Two Wikidata items for one embassy (Dublin, in the 2022 export) both received letters' routing,
    and the second never got any: the administrator is told, and told no more once one is unticked."""
    assert run_import(SHARED_FILE).splitlines()[-2:] == IRELAND_TWINS  # not Italy: the Holy See's is not a rival
    Embassy.objects.filter(wikidata_id="Q112374490").update(is_delivery_target=False)
    assert "More than one embassy" not in run_import(SHARED_FILE)


def test_italys_signers_go_to_the_embassy_to_italy_not_to_the_holy_see_whichever_comes_first(tmp_path):
    """Both Rome embassies have Italy as their host country; the router chose between them by id, and
    a file (or a Wikidata item made anew) with the Holy See's row first sent Italy's letters there."""
    from petitions.routing import Router

    lines = shared_lines()
    italy, holy_see = line_of(QID_ITALY, lines), line_of(QID_HOLY_SEE, lines)
    run_import(write(tmp_path, [lines[0], lines[holy_see], lines[italy]]))
    assert embassy(QID_HOLY_SEE).pk < embassy(QID_ITALY).pk

    assert (embassy(QID_ITALY).serves_host_country, embassy(QID_HOLY_SEE).serves_host_country) == (True, False)
    router = Router()
    assert router.route("IT").wikidata_id == QID_ITALY
    assert router.route("SM").wikidata_id == QID_ITALY  # accredited
    assert router.route("VA").wikidata_id == QID_HOLY_SEE


def test_ukraine_embassy_is_in_kyiv_with_the_files_contact_details():
    run_import(SHARED_FILE)

    ukraine = embassy(QID_UKRAINE)
    assert ukraine.country == "UA"
    assert ukraine.city == "Kyiv"
    assert ukraine.mission_type == Embassy.MissionType.EMBASSY
    assert ukraine.email == "rusemb@kv.ukrtel.net"
    assert ukraine.phone == "+380-44-244-0961"
    assert ukraine.website == "http://ukraine.mid.ru/"
    assert ukraine.address == ""


def test_emails_are_stored_without_mailto():
    run_import(SHARED_FILE)

    emails = set(Embassy.objects.exclude(email="").values_list("email", flat=True))
    assert emails == {
        "rusembafg@yandex.ru", "rusemb-minsk@yandex.ru", "indconru@gmail.com",
        "rusbotschaft@bluewin.ch", "rusembbangkok@gmail.com", "rusemb@kv.ukrtel.net",
    }


def test_embassies_are_delivery_targets_and_consulates_are_not():
    run_import(SHARED_FILE)

    targets = Counter(
        Embassy.objects.filter(is_delivery_target=True).values_list("mission_type", flat=True)
    )
    # All embassies but the two in Abkhazia and South Ossetia (see the next test).
    assert targets == {Embassy.MissionType.EMBASSY: 144, Embassy.MissionType.DE_FACTO_EMBASSY: 1}
    assert Embassy.objects.filter(is_delivery_target=False).count() == 29


def test_missions_in_occupied_territories_are_named_and_never_delivery_targets():
    run_import(SHARED_FILE)

    abkhazia, south_ossetia = embassy(QID_ABKHAZIA), embassy(QID_SOUTH_OSSETIA)
    assert (abkhazia.country, abkhazia.city) == ("GE", "Sukhumi")
    assert str(abkhazia) == "Embassy of the Russian Federation in Sukhumi, Abkhazia"
    assert (south_ossetia.country, south_ossetia.city) == ("GE", "Tskhinvali")
    assert str(south_ossetia) == "Embassy of the Russian Federation in Tskhinvali, South Ossetia"
    assert accredited_to(QID_ABKHAZIA) == accredited_to(QID_SOUTH_OSSETIA) == set()
    # Every other mission keeps the generated name.
    assert Embassy.objects.exclude(name="").count() == 2
    # A signer in Georgia must never be routed to them.
    assert not abkhazia.is_delivery_target and not south_ossetia.is_delivery_target


@pytest.mark.parametrize("name, code", [
    ("State of Palestine", "PS"), ("Federated States of Micronesia", "FM"), ("Macau", "MO"),
    ("United States", "US"),
])
def test_wikidatas_names_of_countries_signers_can_choose_are_known(tmp_path, name, code):
    """Wikidata's English labels, which a newer export may use for a host country or a jurisdiction;
    one unknown name stops the whole import."""
    lines = shared_lines()
    i = line_of(QID_ANGOLA, lines)

    run_import(write(tmp_path, [lines[0], replace_field(lines[i], "jurisdictions", f"Angola|{name}")]))

    assert accredited_to(QID_ANGOLA) == {code}


def test_every_country_alias_is_a_real_iso_code():
    assert all(code in countries for code in COUNTRY_ALIASES.values())


# --- Re-importing ---------------------------------------------------------------------------


def test_second_import_of_the_same_file_creates_and_updates_nothing():
    run_import(SHARED_FILE)
    before = dict(Embassy.objects.values_list("pk", "updated_at"))
    accreditations_before = snapshot()[1]

    output = run_import(SHARED_FILE)

    assert output.splitlines()[0] == "Embassies: 0 created, 0 updated, 174 unchanged"
    assert dict(Embassy.objects.values_list("pk", "updated_at")) == before
    assert snapshot()[1] == accreditations_before


def test_changed_row_in_a_second_file_updates_that_embassy(tmp_path):
    run_import(SHARED_FILE)
    angola_before = embassy(QID_ANGOLA)
    others = Embassy.objects.exclude(pk=angola_before.pk)
    untouched_before = dict(others.values_list("pk", "updated_at"))
    lines = shared_lines()
    i = line_of(QID_ANGOLA, lines)
    lines[i] = replace_field(lines[i], "website", "https://angola.mid.ru/ru/")
    lines[i] = replace_field(lines[i], "jurisdictions", "Angola|Namibia")
    lines[i] = replace_field(lines[i], "email", "mailto:embrus@example.ao")

    output = run_import(write(tmp_path, lines))

    assert output.splitlines()[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    assert "  Sao Tome and Principe (ST)" in output.splitlines()  # Angola's, and no one else's
    angola = embassy(QID_ANGOLA)
    assert angola.pk == angola_before.pk
    assert angola.website == "https://angola.mid.ru/ru/"
    assert angola.email == "embrus@example.ao"
    assert accredited_to(QID_ANGOLA) == {"NA"}
    assert angola.updated_at > angola_before.updated_at
    assert dict(others.values_list("pk", "updated_at")) == untouched_before


def test_new_row_in_a_second_file_is_created_and_existing_ones_are_kept(tmp_path):
    lines = shared_lines()
    run_import(write(tmp_path, lines[:-1], name="older.csv"))
    assert Embassy.objects.count() == 173

    output = run_import(SHARED_FILE)

    assert output.splitlines()[0] == "Embassies: 1 created, 0 updated, 173 unchanged"
    assert Embassy.objects.count() == 174


def test_missions_no_longer_in_the_file_are_kept_and_those_receiving_letters_are_named(tmp_path):
    """A mission that closed, or whose Wikidata item was merged into another, is not deleted (its
    deliveries refer to it), but the organiser is told it would still receive letters."""
    run_import(SHARED_FILE)
    lines = shared_lines()
    albania = lines[line_of("Q16687405", lines)]
    consulate = next(line for line in lines if line.split(";")[14] == "consulate general")
    newer = [line for line in lines if line not in (albania, consulate)]

    output = run_import(write(tmp_path, newer))

    assert output.splitlines()[0] == (
        "Embassies: 0 created, 0 updated, 172 unchanged, 2 not in the file (kept as they were)"
    )
    assert "  Embassy of the Russian Federation in Albania (Q16687405)" in output.splitlines()
    assert "onsulate" not in output  # not a target: counted, not listed
    assert Embassy.objects.count() == 174


def test_reimport_keeps_an_organisers_delivery_target_choice(tmp_path):
    run_import(SHARED_FILE)
    consulate = Embassy.objects.filter(mission_type=Embassy.MissionType.CONSULATE_GENERAL).first()
    Embassy.objects.filter(pk=consulate.pk).update(is_delivery_target=True)
    Embassy.objects.filter(wikidata_id=QID_UKRAINE).update(is_delivery_target=False)
    # A changed row is saved, but the choice still stands.
    lines = shared_lines()
    i = line_of(QID_UKRAINE, lines)
    lines[i] = replace_field(lines[i], "website", "https://ukraine.mid.ru/")

    output = run_import(write(tmp_path, lines))

    assert output.splitlines()[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    assert embassy(consulate.wikidata_id).is_delivery_target is True
    assert embassy(QID_UKRAINE).is_delivery_target is False
    assert embassy(QID_UKRAINE).website == "https://ukraine.mid.ru/"


def test_reimport_keeps_accreditations_an_organiser_added_by_hand(tmp_path):
    run_import(SHARED_FILE)
    accredited_by_file = accredited_to(QID_ANGOLA)
    Accreditation.objects.create(embassy=embassy(QID_ANGOLA), country="NA")  # as the admin's inline adds it
    lines = shared_lines()
    i = line_of(QID_ANGOLA, lines)
    lines[i] = replace_field(lines[i], "jurisdictions", "Angola|Zambia")

    assert run_import(write(tmp_path, lines)).splitlines()[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    assert accredited_to(QID_ANGOLA) == {"NA", "ZM"}  # the file's replaced, the organiser's kept
    assert run_import(SHARED_FILE).splitlines()[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    assert accredited_to(QID_ANGOLA) == accredited_by_file | {"NA"}


def test_reimport_keeps_contact_details_an_organiser_verified(tmp_path):
    run_import(SHARED_FILE)
    Embassy.objects.filter(wikidata_id=QID_UKRAINE).update(
        contact_verified_on=datetime.date(2024, 3, 1),
        address="Povitroflotskyi Ave 27, Kyiv",
        email="verified@example.org",
        phone="+380 00 000 00 00",
    )
    lines = shared_lines()
    i = line_of(QID_UKRAINE, lines)
    lines[i] = replace_field(lines[i], "website", "https://ukraine.mid.ru/")

    output = run_import(write(tmp_path, lines))

    assert output.splitlines()[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    ukraine = embassy(QID_UKRAINE)
    assert ukraine.address == "Povitroflotskyi Ave 27, Kyiv"
    assert ukraine.email == "verified@example.org"
    assert ukraine.phone == "+380 00 000 00 00"
    assert ukraine.website == "https://ukraine.mid.ru/"


def test_verified_contact_details_alone_do_not_count_as_a_change():
    run_import(SHARED_FILE)
    Embassy.objects.filter(wikidata_id=QID_UKRAINE).update(
        contact_verified_on=datetime.date(2024, 3, 1), email="verified@example.org"
    )

    assert run_import(SHARED_FILE).splitlines()[0] == "Embassies: 0 created, 0 updated, 174 unchanged"
    assert embassy(QID_UKRAINE).email == "verified@example.org"


def test_reimport_restores_unverified_contact_details_from_the_file():
    run_import(SHARED_FILE)
    Embassy.objects.filter(wikidata_id=QID_UKRAINE).update(email="typo@example.org", phone="")

    output = run_import(SHARED_FILE)

    assert output.splitlines()[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    assert embassy(QID_UKRAINE).email == "rusemb@kv.ukrtel.net"
    assert embassy(QID_UKRAINE).phone == "+380-44-244-0961"


def test_reimport_names_countries_left_without_a_route(tmp_path):
    """Angola's embassy is the only one accredited to São Tomé and Príncipe: a newer file that drops
    the accreditation leaves São Tomé's signers without an embassy, and the administrator must hear
    of it to set a fallback or add the accreditation back by hand."""
    run_import(SHARED_FILE)
    lines = shared_lines()
    i = line_of(QID_ANGOLA, lines)
    lines[i] = replace_field(lines[i], "jurisdictions", "Angola")

    output = run_import(write(tmp_path, lines)).splitlines()

    assert output[0] == "Embassies: 0 created, 1 updated, 173 unchanged"
    assert output[1:] == [
        "No mission that receives letters covers these countries any more (their signatures go to a "
        "petition's fallback target, or nowhere):",
        "  Sao Tome and Principe (ST)",
        *IRELAND_TWINS,
    ]


def test_reimport_names_verified_contact_details_the_file_now_gives_differently(tmp_path):
    """Verified details are kept, but an embassy that changed its email in the meantime would go on
    getting letters at the old one: the administrator is told, to check it again."""
    run_import(SHARED_FILE)
    Embassy.objects.filter(wikidata_id=QID_UKRAINE).update(
        contact_verified_on=datetime.date(2024, 3, 1), email="verified@example.org",
        address="Povitroflotskyi Ave 27, Kyiv",  # the file has no address: no difference to report
    )
    lines = shared_lines()
    i = line_of(QID_UKRAINE, lines)
    lines[i] = replace_field(lines[i], "phone", "+380-44-000-0000")

    output = run_import(write(tmp_path, lines)).splitlines()

    assert output[0] == "Embassies: 0 created, 0 updated, 174 unchanged"
    assert output[1:] == [
        "Verified contact details kept, though the file gives them differently (check them again):",
        "  Embassy of the Russian Federation in Ukraine (Q2063895): "
        "email 'rusemb@kv.ukrtel.net', phone '+380-44-000-0000'",
        *IRELAND_TWINS,
    ]
    assert embassy(QID_UKRAINE).email == "verified@example.org"
    assert embassy(QID_UKRAINE).phone == "+380-44-244-0961"


def test_rows_operated_by_another_country_are_skipped(tmp_path):
    lines = shared_lines()
    german = replace_field(lines[1], "operator", "Germany")
    german = replace_field(german, "operatorQID", "http://www.wikidata.org/entity/Q183")
    german = replace_field(german, "QID", "http://www.wikidata.org/entity/Q1")
    out = StringIO()

    path = write(tmp_path, [*lines[:3], german])
    call_command("import_embassies", str(path), stdout=out, verbosity=2)

    assert out.getvalue().splitlines() == [
        "Embassies: 2 created, 0 updated, 0 unchanged, 1 skipped",
        "  line 4: skipped http://www.wikidata.org/entity/Q1: operated by Germany, not Russia",
    ]
    assert not Embassy.objects.filter(wikidata_id="Q1").exists()


def test_header_ending_in_a_separator_is_accepted(tmp_path):
    # database-of-embassies' generator writes its header row with a trailing ';'.
    lines = shared_lines()

    output = run_import(write(tmp_path, [lines[0] + ";", *lines[1:3]]))

    assert output == "Embassies: 2 created, 0 updated, 0 unchanged"


def test_file_with_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("\n".join(shared_lines()[:3]) + "\n", encoding="utf-8-sig")

    assert run_import(path) == "Embassies: 2 created, 0 updated, 0 unchanged"


# --- Malformed files ------------------------------------------------------------------------


def bad_row(column, value):
    """A file whose line 2 is valid and whose line 3 has `value` in `column`."""
    lines = shared_lines()
    return [lines[0], lines[1], replace_field(lines[2], column, value)]


MALFORMED = {
    "unknown type": (bad_row("type", "permanent mission"), "line 3: unknown mission type"),
    "unknown host country": (bad_row("country", "Narnia"), "line 3: unknown country 'Narnia'"),
    "unknown jurisdiction": (
        bad_row("jurisdictions", "Albania|Narnia"), "line 3: unknown country 'Narnia'"
    ),
    "empty host country": (bad_row("country", ""), "line 3: the host country"),
    "invalid email": (bad_row("email", "mailto:not-an-email"), "line 3: invalid email"),
    "QID on another site": (
        bad_row("QID", "https://example.org/entity/Q16687405"), "line 3: QID"
    ),
    "QID that is not an item": (
        bad_row("QID", "http://www.wikidata.org/entity/P31"), "line 3: QID"
    ),
    "bare QID": (bad_row("QID", "Q16687405"), "line 3: QID"),
    "invalid website": (bad_row("website", "not a url"), "line 3: invalid website"),
    "duplicate QID": (
        bad_row("QID", "http://www.wikidata.org/entity/Q16687384"),
        "line 3: duplicate QID Q16687384 (first on line 2)",
    ),
    "too few fields": (shared_lines()[:2] + [shared_lines()[2].rsplit(";", 1)[0]], "line 3:"),
    "too many fields": (shared_lines()[:2] + [shared_lines()[2] + ";extra"], "line 3:"),
    "missing column": (
        [";".join(cell for cell in shared_lines()[0].split(";") if cell != "type"),
         *shared_lines()[1:3]],
        "line 1: missing required column(s): type",
    ),
    "header only": (shared_lines()[:1], "line 1: the file has a header but no missions"),
    "comma-separated": (
        [line.replace(";", ",") for line in shared_lines()[:3]], "line 1: missing required"
    ),
    # Past the csv module's field size limit (128 KiB): a pasted document, a broken quote.
    "huge field": (bad_row("address", "x" * 200_000), "line 3: a field is too long"),
    # Postgres refuses NUL in text (a DataError mid-import); it is a sign of a UTF-16 file, too.
    "NUL byte": (bad_row("city", "Lu\x00anda"), "line 3: a NUL byte"),
}


@pytest.mark.parametrize("lines, message", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_file_is_rejected_naming_the_line_and_changes_nothing(tmp_path, lines, message):
    path = write(tmp_path, lines)

    with pytest.raises(CommandError, match="line") as excinfo:
        run_import(path)

    assert message in str(excinfo.value)
    assert "nothing was imported" in str(excinfo.value)
    assert Embassy.objects.count() == 0
    assert Accreditation.objects.count() == 0


def test_malformed_file_leaves_existing_embassies_unchanged(tmp_path):
    run_import(SHARED_FILE)
    before = snapshot()
    lines = shared_lines()
    # Line 2 changes an existing embassy and line 3 adds a new one; line 5 is bad.
    changed = replace_field(lines[1], "website", "https://changed.example/")
    new = replace_field(lines[2], "QID", "http://www.wikidata.org/entity/Q999999999")
    angola = lines[line_of(QID_ANGOLA, lines)]
    angola = replace_field(angola, "jurisdictions", "Angola")
    bad = replace_field(lines[5], "type", "embassy?")

    with pytest.raises(CommandError, match="line 5: unknown mission type"):
        run_import(write(tmp_path, [lines[0], changed, new, angola, bad]))

    assert snapshot() == before


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(CommandError, match="line 1: the file is empty"):
        run_import(path)


def test_file_that_is_not_utf8_is_rejected_naming_the_line(tmp_path):
    lines = shared_lines()
    i = line_of(QID_ANGOLA, lines)
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "\n".join(lines[:3]).encode() + b"\n" + lines[i].encode("latin-1") + b"\n"
    )

    with pytest.raises(CommandError, match="line 4: not valid UTF-8"):
        run_import(path)
    assert Embassy.objects.count() == 0


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "nowhere.csv")


def test_command_line_reports_an_error_without_a_traceback(tmp_path):
    # The file is rejected before any query, so this never touches a database.
    path = write(tmp_path, bad_row("type", "permanent mission"))

    process = subprocess.run(
        [sys.executable, "manage.py", "import_embassies", str(path)],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )

    assert process.returncode == 1
    assert "line 3: unknown mission type 'permanent mission'" in process.stderr
    assert "Traceback" not in process.stderr
    assert process.stdout == ""
