"""`manage.py load_demo`: the campaign of the December 2021 appeal, loaded once and only once."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from modeltranslation.translator import translator

from campaign.demo import EMBASSIES, load_demo
from campaign.models import Campaign, CampaignPrisoner, Organisation, SolidarityAction
from petitions.models import Accreditation, Delivery, Embassy, Petition, Signature
from prisoners.models import (
    CaseEvent,
    CodeArticle,
    CriminalCase,
    Defendant,
    DetentionFacility,
    Prisoner,
)

pytestmark = pytest.mark.django_db

SHARED_FILE = settings.BASE_DIR.parent / "shared" / "data" / "russian-missions-wikidata-2022-11.csv"
IMPORTER = settings.BASE_DIR / "petitions" / "management" / "commands" / "import_embassies.py"

RIOT_CASE = "what-to-do-chat-case"
LEFT_RESISTANCE_CASE = "left-resistance-case"
RIOT_CODEFENDANTS = [
    "Dmitry Chebanov", "Zhanna Chernova", "Nikita Kreshchuk", "Alexey Kurlov",
    "Maria Platonova", "Vyacheslav Abramov", "Alexey Yanochkin", "Dmitry Lamanov",
]
LEFT_RESISTANCE_MEMBERS = ["Sergey Kirsanov", "Kirill Kotov", "Alena Krylova", "Andrey Romanov"]
EVERY_PRISONER = [
    "Igor Kuznetsov", "Darya Polyudova", *RIOT_CODEFENDANTS, *LEFT_RESISTANCE_MEMBERS
]
KYIV_ORGANISERS = {"Sotsialnyy Rukh (Social Movement)", "Against the Current", "Nihilist"}
MFA_NAME = "Ministry of Foreign Affairs of the Russian Federation"
APPEAL = "Appeal by a group of comrades from the Russian Federation and Ukraine, 9 December 2021"

#: Every table the demo writes to, through tables included.
DEMO_MODELS = [
    DetentionFacility, CodeArticle, Prisoner, CriminalCase, Defendant, Defendant.charges.through,
    CaseEvent, Organisation, Campaign, CampaignPrisoner, Campaign.organisations.through,
    SolidarityAction, SolidarityAction.organisers.through, Embassy, Accreditation, Petition,
]


@pytest.fixture(autouse=True)
def english():
    """The test client leaves the last request's language active in the thread, and lookups on
    translated fields (`name__in=...`) use the active language: start every test in English."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def demo():
    return load_demo()


def snapshot():
    """Every column of every demo row, updated_at included."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in DEMO_MODELS}


def row_counts():
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models(include_auto_created=True)
    }


def charges(case_slug, name):
    link = Defendant.objects.get(case__slug=case_slug, prisoner__name=name)
    return {str(article) for article in link.charges.all()}


# --- What the demo contains ----------------------------------------------------------------------


def test_every_prisoner_named_in_the_appeal_exists_with_a_cyrillic_name_and_own_slug(demo):
    prisoners = Prisoner.objects.filter(name__in=EVERY_PRISONER)
    assert sorted(prisoners.values_list("name", flat=True)) == sorted(EVERY_PRISONER)
    for prisoner in prisoners:
        assert re.fullmatch(r"[А-Яа-яЁё]+ [А-Яа-яЁё]+", prisoner.name_original), prisoner
    assert len({prisoner.slug for prisoner in prisoners}) == len(EVERY_PRISONER)
    assert Prisoner.objects.get(slug="darya-polyudova").name_original == "Дарья Полюдова"


def test_kuznetsov_is_a_tomsk_trade_unionist_in_pretrial_detention_at_moscow_sizo5(demo):
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    assert kuznetsov.name_original == "Игорь Кузнецов"
    assert kuznetsov.birth_year is None  # 57 in December 2021: 1963 or 1964
    assert "57" in kuznetsov.biography
    assert kuznetsov.city == "Tomsk"
    assert kuznetsov.status == Prisoner.Status.PRETRIAL_DETENTION
    assert kuznetsov.facility.name_original == "ФКУ СИЗО-5 УФСИН России по г. Москве"
    for fact in ("Tomsk Medical College", "Siberian Confederation of Labour", "RusNews"):
        assert fact in kuznetsov.biography


def test_polyudova_is_imprisoned_after_her_2021_conviction(demo):
    polyudova = Prisoner.objects.get(slug="darya-polyudova")
    assert polyudova.status == Prisoner.Status.IMPRISONED
    assert polyudova.is_held
    assert "2017" in polyudova.biography and "2021" in polyudova.biography


def test_codefendants_arrested_on_16_september_are_in_pretrial_detention_as_of_the_appeal(demo):
    statuses = set(
        Prisoner.objects.filter(name__in=RIOT_CODEFENDANTS).values_list("status", flat=True)
    )
    assert statuses == {Prisoner.Status.PRETRIAL_DETENTION}
    arrested = CaseEvent.objects.filter(
        case__slug=RIOT_CASE, kind=CaseEvent.Kind.ARREST, date="2021-09-16"
    ).values_list("prisoner__name", flat=True)
    assert sorted(arrested) == sorted(["Igor Kuznetsov", *RIOT_CODEFENDANTS])


def test_the_left_resistance_codefendants_are_not_shown_as_detained_for_the_appeal_does_not_say(demo):
    statuses = set(
        Prisoner.objects.filter(slug__in=["sergey-kirsanov", "kirill-kotov", "alena-krylova", "andrey-romanov"])
        .values_list("status", flat=True)
    )
    assert statuses == {Prisoner.Status.ACCUSED}


def test_sizo5_has_its_postal_address_in_moscow(demo):
    sizo5 = DetentionFacility.objects.get(name_original="ФКУ СИЗО-5 УФСИН России по г. Москве")
    assert sizo5.city == "Moscow"
    assert sizo5.region == "Moscow"
    assert sizo5.postal_address == "ул. Вучетича, д. 15, Москва, 127206"
    assert "facility's own" in sizo5.notes
    assert list(sizo5.prisoners.values_list("slug", flat=True)) == ["igor-kuznetsov"]


def test_the_three_code_articles_are_separate_rows_by_part(demo):
    rows = CodeArticle.objects.filter(code=CodeArticle.Code.CRIMINAL)
    assert set(rows.values_list("article", "part")) == {
        ("212", "1.1"), ("282.1", "1"), ("282.1", "2")
    }
    assert all(article.title for article in rows)


def test_riot_case_charges_kuznetsov_and_eight_codefendants_under_212_part_1_1(demo):
    case = CriminalCase.objects.get(slug=RIOT_CASE)
    assert sorted(case.defendants.values_list("name", flat=True)) == sorted(
        ["Igor Kuznetsov", *RIOT_CODEFENDANTS]
    )
    for name in ["Igor Kuznetsov", *RIOT_CODEFENDANTS]:
        assert charges(RIOT_CASE, name) == {"Art. 212 part 1.1 CC RF"}
    assert [str(article) for article in case.articles] == ["Art. 212 part 1.1 CC RF"]


def test_left_resistance_case_charges_polyudova_with_part_1_and_the_others_with_part_2(demo):
    case = CriminalCase.objects.get(slug=LEFT_RESISTANCE_CASE)
    assert case.investigating_body.startswith("FSB")
    assert sorted(case.defendants.values_list("name", flat=True)) == sorted(
        ["Darya Polyudova", "Igor Kuznetsov", *LEFT_RESISTANCE_MEMBERS]
    )
    assert charges(LEFT_RESISTANCE_CASE, "Darya Polyudova") == {"Art. 282.1 part 1 CC RF"}
    for name in ["Igor Kuznetsov", *LEFT_RESISTANCE_MEMBERS]:
        assert charges(LEFT_RESISTANCE_CASE, name) == {"Art. 282.1 part 2 CC RF"}
    assert {str(article) for article in case.articles} == {
        "Art. 282.1 part 1 CC RF", "Art. 282.1 part 2 CC RF"
    }


def test_kuznetsov_is_a_defendant_in_both_cases(demo):
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    assert set(kuznetsov.cases.values_list("slug", flat=True)) == {RIOT_CASE, LEFT_RESISTANCE_CASE}


def test_timelines_hold_the_arrest_statement_transfer_and_the_fsb_case_citing_the_appeal(demo):
    kinds = set(CaseEvent.objects.values_list("case__slug", "kind", "prisoner__slug"))
    assert (RIOT_CASE, CaseEvent.Kind.ARREST, "igor-kuznetsov") in kinds
    assert (RIOT_CASE, CaseEvent.Kind.STATEMENT, "igor-kuznetsov") in kinds
    assert (RIOT_CASE, CaseEvent.Kind.TRANSFER, "igor-kuznetsov") in kinds
    assert (LEFT_RESISTANCE_CASE, CaseEvent.Kind.CHARGE, None) in kinds
    assert (LEFT_RESISTANCE_CASE, CaseEvent.Kind.CHARGE, "darya-polyudova") in kinds
    assert set(CaseEvent.objects.values_list("source_title", flat=True)) == {APPEAL}
    assert not CaseEvent.objects.filter(kind=CaseEvent.Kind.VERDICT).exists()


def test_events_the_appeal_does_not_date_say_so_and_show_only_the_year(demo):
    undated = CaseEvent.objects.exclude(date="2021-09-16")
    assert undated.count() == 4
    for event in undated:
        assert str(event.date) == "2021-12-09"  # by when they had happened: after the arrests in the timeline
        assert "does not give the exact date" in event.description
        assert (event.date_precision, event.date_shown) == (CaseEvent.DatePrecision.YEAR, "2021")
    arrests = CaseEvent.objects.filter(date="2021-09-16")
    assert {event.date_precision for event in arrests} == {CaseEvent.DatePrecision.DAY}


def test_organisations_of_the_protest_the_appeal_and_the_biography_exist(demo):
    kinds = dict(Organisation.objects.values_list("name", "kind"))
    assert kinds["Sotsialnyy Rukh (Social Movement)"] == Organisation.Kind.PARTY
    assert kinds["Against the Current"] == Organisation.Kind.GROUP
    assert kinds["Nihilist"] == Organisation.Kind.MEDIA
    assert "International Union of Workers" in kinds
    assert kinds["Independent Workers Party of France"] == Organisation.Kind.PARTY
    assert kinds["Siberian Confederation of Labour"] == Organisation.Kind.UNION
    assert kinds["Independent trade union “Zashchita”"] == Organisation.Kind.UNION
    assert kinds["RusNews"] == Organisation.Kind.MEDIA
    assert Organisation.objects.get(name="Left Resistance").name_original == "Левое сопротивление"
    assert Organisation.objects.get(name="Sotsialnyy Rukh (Social Movement)").country == "UA"
    assert Organisation.objects.get(name="Independent Workers Party of France").country == "FR"


def test_campaign_is_live_features_both_main_prisoners_and_lists_the_codefendants(demo):
    campaign = Campaign.objects.get(slug="freedom-for-igor-kuznetsov")
    assert campaign.status == Campaign.Status.LIVE
    assert campaign.summary and len(campaign.story) > 500
    links = list(campaign.prisoner_links.select_related("prisoner"))
    assert [link.prisoner.slug for link in links[:2]] == ["igor-kuznetsov", "darya-polyudova"]
    assert all(link.featured for link in links[:2])
    assert not any(link.featured for link in links[2:])
    assert sorted(link.prisoner.name for link in links) == sorted(EVERY_PRISONER)
    assert set(campaign.organisations.values_list("name", flat=True)) == KYIV_ORGANISERS


def test_kyiv_embassy_protest_lists_its_organisers_and_slogans(demo):
    action = SolidarityAction.objects.get(campaign__slug="freedom-for-igor-kuznetsov")
    assert action.kind == SolidarityAction.Kind.EMBASSY_PROTEST
    assert str(action.date) == "2021-12-15"
    assert (action.city, action.country.code) == ("Kyiv", "UA")
    assert "Andriy Zdorov" in action.description
    assert set(action.organisers.values_list("name", flat=True)) == KYIV_ORGANISERS
    assert action.slogan_list == [
        "Putin is war! Putin is the Gulag!",
        "Freedom for all political prisoners",
        "Freedom to Igor Kuznetsov",
        "Freedom for Daria Polyudova",
    ]


def test_petition_is_open_with_demands_a_test_recipient_and_the_mfa_as_fallback(demo):
    petition = Petition.objects.get(slug="free-igor-kuznetsov-and-comrades")
    assert petition.campaign.slug == "freedom-for-igor-kuznetsov"
    assert petition.status == Petition.Status.OPEN
    assert petition.is_open_for_signing()
    assert petition.addressee == "To the Ambassador of the Russian Federation"
    assert "Igor Kuznetsov" in petition.appeal and "Darya Polyudova" in petition.appeal
    assert petition.demand_list[0] == (
        "Release Igor Kuznetsov, Darya Polyudova and their co-defendants."
    )
    assert len(petition.demand_list) >= 3
    assert any("torture" in demand for demand in petition.demand_list)
    assert any("lawyers" in demand for demand in petition.demand_list)
    assert petition.goal == 10000
    assert petition.delivery_cadence == Petition.Cadence.DAILY
    assert petition.test_recipient == "organiser@example.org"
    assert petition.live_delivery is False
    assert not petition.delivers_live
    assert petition.fallback_embassy.name == MFA_NAME


def test_mfa_is_a_delivery_target_in_moscow_without_country_or_qid(demo):
    mfa = Embassy.objects.get(name=MFA_NAME)
    assert mfa.mission_type == Embassy.MissionType.MINISTRY
    assert not mfa.country
    assert mfa.city == "Moscow"
    assert mfa.address == "Smolenskaya-Sennaya Square 32/34, Moscow 119200"
    assert mfa.wikidata_id == ""
    assert mfa.is_delivery_target


def test_at_least_twelve_embassies_with_wikidata_ids_including_kyiv(demo):
    embassies = Embassy.objects.filter(mission_type=Embassy.MissionType.EMBASSY)
    assert embassies.count() >= 12
    assert all(re.fullmatch(r"Q[0-9]+", embassy.wikidata_id) for embassy in embassies)
    assert all(embassy.is_delivery_target for embassy in embassies)
    kyiv = embassies.get(country="UA")
    assert (kyiv.city, kyiv.wikidata_id) == ("Kyiv", "Q2063895")
    assert kyiv.email == "rusemb@kv.ukrtel.net"
    assert {"FR", "GB", "DE", "PL", "US", "CA", "IT", "ES", "SE", "KZ"} <= set(
        embassies.values_list("country", flat=True)
    )


def test_an_embassy_accredited_to_another_country_has_an_accreditation(demo):
    bern = Embassy.objects.get(wikidata_id="Q16687409")
    assert bern.country == "CH"
    assert list(bern.accreditations.values_list("country", flat=True)) == ["LI"]
    assert Accreditation.objects.filter(embassy__country="FR", country="MC").exists()


def test_demo_creates_no_users_signatures_or_deliveries(demo):
    assert get_user_model().objects.count() == 0
    assert Signature.objects.count() == 0
    assert Delivery.objects.count() == 0


# --- Idempotence ---------------------------------------------------------------------------------


def test_second_run_writes_nothing_and_leaves_every_row_as_it_was(demo):
    assert demo.created > 100
    before, counts_before = snapshot(), row_counts()

    with CaptureQueriesContext(connection) as queries:
        again = load_demo()

    writes = [
        query["sql"] for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert again.created == 0
    assert again.unchanged == demo.created
    assert snapshot() == before
    assert row_counts() == counts_before


def test_edits_made_in_admin_survive_a_second_run(demo):
    Prisoner.objects.filter(slug="igor-kuznetsov").update(status=Prisoner.Status.RELEASED)
    Petition.objects.update(status=Petition.Status.CLOSED)
    Embassy.objects.filter(wikidata_id="Q2063895").update(
        email="consul@example.org", is_delivery_target=False
    )
    Embassy.objects.filter(name=MFA_NAME).update(email="mfa@example.org")
    before = snapshot()

    again = load_demo()

    assert again.created == 0
    assert Prisoner.objects.get(slug="igor-kuznetsov").status == Prisoner.Status.RELEASED
    assert Petition.objects.get().status == Petition.Status.CLOSED
    kyiv = Embassy.objects.get(wikidata_id="Q2063895")
    assert (kyiv.email, kyiv.is_delivery_target) == ("consul@example.org", False)
    assert Embassy.objects.get(name=MFA_NAME).email == "mfa@example.org"
    assert snapshot() == before


def test_links_removed_by_hand_are_restored_and_nothing_else_is_touched(demo):
    CriminalCase.objects.get(slug=LEFT_RESISTANCE_CASE).defendant_links.get(
        prisoner__slug="darya-polyudova"
    ).charges.clear()

    again = load_demo()

    assert again.counts["Defendant charges"]["created"] == 1
    assert again.created == 1
    assert charges(LEFT_RESISTANCE_CASE, "Darya Polyudova") == {"Art. 282.1 part 1 CC RF"}


def test_load_demo_command_prints_what_it_created_then_that_nothing_changed():
    first, second = StringIO(), StringIO()
    call_command("load_demo", stdout=first)
    call_command("load_demo", stdout=second)
    assert "Prisoner: 14 created, 0 unchanged" in first.getvalue()
    assert "nothing changed" in second.getvalue()
    assert "Total: 0 created" in second.getvalue()


# --- With the embassy importer -------------------------------------------------------------------


@pytest.mark.skipif(
    not IMPORTER.exists() or not SHARED_FILE.exists(),
    reason="needs petitions' import_embassies command and the shared Wikidata export",
)
def test_import_embassies_after_load_demo_updates_nothing_and_duplicates_no_demo_embassy(demo):
    demo_embassies = {
        embassy.wikidata_id: (embassy.pk, embassy.updated_at)
        for embassy in Embassy.objects.exclude(wikidata_id="")
    }
    assert set(demo_embassies) == {row[0] for row in EMBASSIES}
    accreditations = set(Accreditation.objects.values_list("embassy__wikidata_id", "country"))

    call_command("import_embassies", str(SHARED_FILE), stdout=StringIO())

    for qid, (pk, updated_at) in demo_embassies.items():
        # Same row, and untouched: the demo copied the export's values exactly.
        assert list(
            Embassy.objects.filter(wikidata_id=qid).values_list("pk", "updated_at")
        ) == [(pk, updated_at)], qid
    in_ukraine = Embassy.objects.filter(country="UA", mission_type=Embassy.MissionType.EMBASSY)
    assert in_ukraine.count() == 1
    assert accreditations <= set(
        Accreditation.objects.values_list("embassy__wikidata_id", "country")
    )
    assert Accreditation.objects.filter(embassy__wikidata_id="Q16687409").count() == 1
    assert Embassy.objects.filter(wikidata_id="").count() == 1  # the MFA, untouched
    assert Petition.objects.get().fallback_embassy.name == MFA_NAME
    missions_in_file = len(SHARED_FILE.read_text(encoding="utf-8").splitlines()) - 1  # header
    assert Embassy.objects.count() <= missions_in_file + 1  # each mission once, plus the MFA


# --- Translations --------------------------------------------------------------------------------

LANGUAGES = ["en", "uk", "ru", "fr"]
TRANSLATED_MODELS = [
    Campaign, Organisation, SolidarityAction, Petition, Prisoner, DetentionFacility, CodeArticle,
    CriminalCase, Defendant, CaseEvent,
]
CYRILLIC = re.compile(r"[А-Яа-яЁёІіЇїЄєҐґ]")
ONLY_UKRAINIAN = re.compile(r"[ІіЇїЄєҐґ]")
ONLY_RUSSIAN = re.compile(r"[ЫыЭэЁёЪъ]")
FRENCH_SPACE_BEFORE = re.compile(r" [:;!?»]|« ")


def translated_fields(model):
    return list(translator.get_options_for_model(model).fields)


def columns(model, language):
    return [f"{name}_{language}" for name in translated_fields(model)]


def in_language(language, get):
    with translation.override(language):
        return get()


def campaign_and_petition(language):
    with translation.override(language):
        return Campaign.objects.get().title, Petition.objects.get().appeal


def translated_rows(model):
    """Every translated column of the model's rows, English included, by name (`.values()` would
    give the active language's under the plain field name)."""
    return list(model.objects.order_by("pk").values(
        "pk", *(column for language in LANGUAGES for column in columns(model, language))
    ))


def translations_snapshot():
    return {model._meta.label: translated_rows(model) for model in TRANSLATED_MODELS}


def forget_translations():
    """The demo as a run from before the translations left it: English only."""
    for model in TRANSLATED_MODELS:
        model.objects.update(
            **{column: None for column in columns(model, "uk") + columns(model, "fr")},
            **{column: "" for column in columns(model, "ru")},
        )


def test_a_ukrainian_visitor_reads_the_campaign_and_the_appeal_in_ukrainian(demo):
    uk, ru, en = (campaign_and_petition(language) for language in ("uk", "ru", "en"))
    for ukrainian, russian, english in zip(uk, ru, en, strict=True):
        assert CYRILLIC.search(ukrainian)
        assert ukrainian not in (russian, english)
    title, appeal = uk
    assert "Ігорю Кузнєцову" in title
    assert ONLY_UKRAINIAN.search(appeal) and not ONLY_RUSSIAN.search(appeal)


def test_a_russian_visitor_reads_the_campaign_and_the_appeal_in_russian(demo):
    ru, uk, en = (campaign_and_petition(language) for language in ("ru", "uk", "en"))
    for russian, ukrainian, english in zip(ru, uk, en, strict=True):
        assert CYRILLIC.search(russian)
        assert russian not in (ukrainian, english)
    title, appeal = ru
    assert "Игорю Кузнецову" in title
    assert ONLY_RUSSIAN.search(appeal) and not ONLY_UKRAINIAN.search(appeal)


def test_a_french_visitor_reads_the_campaign_and_the_appeal_in_french(demo):
    fr, en = campaign_and_petition("fr"), campaign_and_petition("en")
    for french, english in zip(fr, en, strict=True):
        assert french != english
        assert not CYRILLIC.search(french)
    assert "Kouznetsov" in fr[0] and "Kouznetsov" in fr[1]


def test_the_letter_to_the_embassies_has_a_formal_russian_appeal_addressee_and_demands(demo):
    petition = Petition.objects.get()
    assert petition.appeal_ru and CYRILLIC.search(petition.appeal_ru)
    assert petition.appeal_ru.startswith("Ваше Превосходительство!")
    assert "ч. 1.1 ст. 212 УК РФ" in petition.appeal_ru
    assert petition.addressee_ru == "Послу Российской Федерации"
    assert petition.title_ru and CYRILLIC.search(petition.title_ru)
    assert all(CYRILLIC.search(demand) for demand in petition.demands_ru.splitlines())


def test_every_language_has_as_many_demands_as_english_one_per_line(demo):
    petition = Petition.objects.get()
    counts = {
        language: len([line for line in getattr(petition, f"demands_{language}").splitlines() if line.strip()])
        for language in LANGUAGES
    }
    assert counts == dict.fromkeys(LANGUAGES, len(petition.demand_list))
    assert len(petition.demand_list) == 5


def test_every_prisoner_has_a_name_in_all_four_languages(demo):
    for prisoner in Prisoner.objects.all():
        names = {language: getattr(prisoner, f"name_{language}") for language in LANGUAGES}
        assert all(names.values()), prisoner.slug
        assert names["ru"] == prisoner.name_original
        assert CYRILLIC.search(names["uk"]) and not CYRILLIC.search(names["fr"])
    kuznetsov, polyudova = (
        Prisoner.objects.get(slug=slug) for slug in ("igor-kuznetsov", "darya-polyudova")
    )
    assert (kuznetsov.name_uk, kuznetsov.name_fr) == ("Ігор Кузнєцов", "Igor Kouznetsov")
    assert (polyudova.name_uk, polyudova.name_fr) == ("Дар'я Полюдова", "Daria Polioudova")
    assert in_language("uk", lambda: str(Prisoner.objects.get(slug="alena-krylova").name)) == (
        "Альона Крилова"
    )


def test_every_translated_field_of_the_demo_is_filled_in_every_language(demo):
    for model in TRANSLATED_MODELS:
        for row in translated_rows(model):
            for name in translated_fields(model):
                if not row[f"{name}_en"]:
                    continue  # nothing to translate: no city, no note, no maximum sentence given
                for language in LANGUAGES:
                    assert (row[f"{name}_{language}"] or "").strip(), (model.__name__, row["pk"], name, language)
                for language in ("uk", "ru"):
                    assert CYRILLIC.search(row[f"{name}_{language}"]), (model.__name__, name, language)


def test_every_translation_fits_its_column_on_any_database(demo):
    for model in TRANSLATED_MODELS:
        for row in translated_rows(model):
            for name in translated_fields(model):
                for language in LANGUAGES:
                    column = model._meta.get_field(f"{name}_{language}")
                    if column.max_length:
                        assert len(row[column.name] or "") <= column.max_length, (model.__name__, column.name)


def test_undated_events_say_so_in_every_language(demo):
    for event in CaseEvent.objects.exclude(date="2021-09-16"):
        assert "точної дати" in event.description_uk
        assert "точная дата" in event.description_ru
        assert "date exacte" in event.description_fr


def test_french_text_has_no_break_spaces_before_double_punctuation_and_inside_guillemets(demo):
    campaign, petition = Campaign.objects.get(), Petition.objects.get()
    for text in (campaign.story_fr, petition.appeal_fr, petition.summary_fr, CriminalCase.objects.get(
        slug=RIOT_CASE
    ).title_fr):
        assert not FRENCH_SPACE_BEFORE.search(text), text
    assert "«\u00a0Que faire\u00a0!\u00a0»" in CriminalCase.objects.get(slug=RIOT_CASE).title_fr


def test_the_demo_is_loaded_in_english_columns_whatever_language_is_active():
    with translation.override("uk"):
        load_demo()
    campaign = Campaign.objects.get()
    assert campaign.title_en == "Freedom for Igor Kuznetsov, Darya Polyudova and their comrades"
    assert campaign.title_uk.startswith("Свободу Ігорю Кузнєцову")
    assert Prisoner.objects.get(slug="igor-kuznetsov").name_en == "Igor Kuznetsov"


def test_the_ukrainian_campaign_page_shows_the_ukrainian_title(demo, client):
    campaign = Campaign.objects.get()
    with translation.override("uk"):
        path = reverse("campaign:detail", args=[campaign.slug])
    assert path == f"/uk/campaigns/{campaign.slug}/"

    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "'" in campaign.title_uk  # Дар'ї: the page escapes the apostrophe
    assert escape(campaign.title_uk) in html
    assert escape(campaign.title_en) not in html


def test_an_english_only_demo_from_an_older_run_gets_its_translations_filled(demo):
    expected = translations_snapshot()
    forget_translations()
    # An organiser's edits since the older run: a status, the petition's state, an English rewrite.
    Prisoner.objects.filter(slug="igor-kuznetsov").update(
        status=Prisoner.Status.RELEASED, summary_en="Released in 2022."
    )
    Petition.objects.update(status=Petition.Status.CLOSED)
    english_before = {
        label: [{key: value for key, value in row.items() if key.endswith("_en")} for row in rows]
        for label, rows in translations_snapshot().items()
    }

    again = load_demo()

    assert again.counts["Prisoner translations"]["created"] == 14
    assert again.counts["Campaign translations"]["created"] == 1
    assert again.counts["Petition translations"]["created"] == 1
    assert again.counts["CaseEvent translations"]["created"] == CaseEvent.objects.count()
    assert again.counts["Prisoner"] == {"unchanged": 14}
    after = translations_snapshot()
    assert {
        label: [{key: value for key, value in row.items() if key.endswith("_en")} for row in rows]
        for label, rows in after.items()
    } == english_before
    kuznetsov = Prisoner.objects.get(slug="igor-kuznetsov")
    assert kuznetsov.status == Prisoner.Status.RELEASED
    assert Petition.objects.get().status == Petition.Status.CLOSED
    # His rewritten English summary is not contradicted by a translation of the old one.
    assert not any((kuznetsov.summary_uk, kuznetsov.summary_ru, kuznetsov.summary_fr))
    assert in_language("uk", lambda: Prisoner.objects.get(slug="igor-kuznetsov").summary) == "Released in 2022."
    # Everything else is exactly what a fresh load writes.
    for label, rows in expected.items():
        for row, now in zip(rows, after[label], strict=True):
            for column, value in row.items():
                if label == "prisoners.Prisoner" and now["pk"] == kuznetsov.pk and column.startswith("summary"):
                    continue
                # None or "": both are an empty column (forget_translations writes both), and one
                # whose English is empty (no note, no city) has nothing to fill.
                assert (now[column] or "") == (value or ""), (label, column)
    assert Petition.objects.get().appeal_ru.startswith("Ваше Превосходительство!")

    with CaptureQueriesContext(connection) as queries:
        third = load_demo()
    assert third.created == 0
    assert not [query for query in queries if query["sql"].lstrip().upper().startswith("UPDATE")]


def test_a_translation_an_organiser_edited_or_added_survives_a_second_run(demo):
    Campaign.objects.update(title_uk="Свободу політв'язням Кузнєцову й Полюдовій")
    Prisoner.objects.filter(slug="kirill-kotov").update(biography_fr="Biographie revue par l'équipe.")
    before = snapshot()

    again = load_demo()

    assert again.created == 0
    assert Campaign.objects.get().title_uk == "Свободу політв'язням Кузнєцову й Полюдовій"
    assert Prisoner.objects.get(slug="kirill-kotov").biography_fr == "Biographie revue par l'équipe."
    assert snapshot() == before


def test_only_the_missing_translations_of_a_row_are_filled(demo):
    Campaign.objects.update(title_uk="Власна назва організаторки", summary_uk=None, story_fr="")

    load_demo()

    campaign = Campaign.objects.get()
    assert campaign.title_uk == "Власна назва організаторки"
    assert campaign.summary_uk.startswith("У Росії за переконання переслідують")
    assert campaign.story_fr.startswith("Igor Kouznetsov, syndicaliste")


def test_a_second_run_makes_nothing_again_that_an_organiser_renamed_redated_or_deleted(demo):
    """It found its rows by slug, name and date, which organisers edit: a prisoner's new slug
    brought back a second Kuznetsov, in both cases and on the campaign page; the campaign's, a
    second live campaign; a corrected date, the same event twice; a deleted row came back."""
    Campaign.objects.update(slug="free-them")
    Prisoner.objects.filter(slug="igor-kuznetsov").update(slug="kuznetsov")
    event = CaseEvent.objects.filter(prisoner__isnull=True).order_by("pk").first()
    CaseEvent.objects.filter(pk=event.pk).update(date=event.date - timedelta(days=1))
    Embassy.objects.filter(name=MFA_NAME).update(name="МИД России")
    deleted = CaseEvent.objects.exclude(pk=event.pk).order_by("pk").last()
    deleted.delete()
    counts_before = row_counts()

    again = load_demo()

    assert again.created == 0
    assert row_counts() == counts_before
    assert Campaign.objects.get().slug == "free-them"
    assert Prisoner.objects.filter(name="Igor Kuznetsov").count() == 1
    assert not CaseEvent.objects.filter(case=event.case, kind=event.kind, date=event.date).exists()
    assert not CaseEvent.objects.filter(case=deleted.case, kind=deleted.kind, date=deleted.date).exists()
    # What it still finds gets its missing translations, as before.
    Prisoner.objects.filter(slug="darya-polyudova").update(summary_uk="")
    assert load_demo().counts["Prisoner translations"]["created"] == 1
