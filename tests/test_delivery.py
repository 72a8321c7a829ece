"""Deliveries end to end: claim, render, send through a real SMTP server, record; retries and failures."""

import datetime
import io
import re
import signal
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from petitions import delivery
from petitions.models import Delivery, DeliveryItem, Embassy, Petition, Signature
from petitions.pdf import manifest_sha256

from .checks import emails_in
from .conftest import needs_services, start_worker, wait_for
from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db(transaction=True)
T = Embassy.MissionType


@pytest.fixture
def petition():
    mfa = Embassy.objects.create(name="Ministry of Foreign Affairs", mission_type=T.MINISTRY, city="Moscow")
    Embassy.objects.create(country="UA", city="Kyiv", email="embassy-ua@example.org")
    Embassy.objects.create(country="FR", city="Paris", email="embassy-fr@example.org")
    switzerland = Embassy.objects.create(country="CH", city="Bern")  # no email: hand delivery
    switzerland.accreditations.create(country="LI")
    petition = PetitionFactory(
        slug="free-them", test_recipient="organiser@example.org", fallback_embassy=mfa,
        delivery_cadence=Petition.Cadence.DAILY,
    )
    petition.appeal_ru = "Просим освободить политзаключённых."
    petition.save()
    return petition


@pytest.fixture
def signatures(petition):
    def add(first, last, country, named=True, **extra):
        extra.setdefault("status", Signature.Status.CONFIRMED)
        if extra["status"] == Signature.Status.CONFIRMED:
            extra.setdefault("confirmed_at", timezone.now())
        return SignatureFactory(
            petition=petition, first_name=first, last_name=last, country=country, name_in_letter=named,
            city="Somewhere", **extra,
        )

    return {
        "olena": add("Олена", "Петренко", "UA"),
        "hidden": add("Таємна", "Особа", "UA", named=False),
        "jean": add("Jean", "Dupont", "FR", organisation="CGT"),
        "lise": add("Lise", "Büchel", "LI"),  # covered by the embassy in Bern
        "kofi": add("Kofi", "Mensah", "GH"),  # no embassy: the fallback
        "pending": add("Pending", "Person", "UA", status=Signature.Status.PENDING),
        "withdrawn": add("Gone", "Away", "UA", status=Signature.Status.WITHDRAWN),
    }


def pdf_text(message):
    attachment = next(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment.get_content())).pages)


def by_embassy_city(server):
    """{embassy city or name: (recipients, message)} from what the SMTP server received."""
    found = {}
    for recipients, message in server.messages:
        text = pdf_text(message)
        for key in ("Kyiv", "Paris", "Bern", "Ministry"):
            if key in text.split("Signatories")[0]:
                found[key] = (recipients, message, text)
    return found


def test_one_letter_per_embassy_with_exactly_the_right_names(smtp, petition, signatures):
    call_command("deliver", petition="free-them", stdout=io.StringIO())

    letters = by_embassy_city(smtp)
    assert set(letters) == {"Kyiv", "Paris", "Bern", "Ministry"}
    assert len(smtp.messages) == 4
    kyiv = letters["Kyiv"][2]
    assert "Олена Петренко" in kyiv
    assert "Таємна" not in kyiv and "Особа" not in kyiv and "name withheld" in kyiv
    assert "Pending" not in kyiv and "Gone" not in kyiv
    assert "Total: 2 signatures (1 named, 1 name withheld)" in kyiv
    assert "Jean Dupont" in letters["Paris"][2] and "CGT" in letters["Paris"][2]
    assert "Lise Büchel" in letters["Bern"][2] and "Liechtenstein" in letters["Bern"][2]
    assert "Kofi Mensah" in letters["Ministry"][2]
    assert "Просим освободить" in kyiv  # the appeal in Russian, then English
    for _recipients, _message, text in letters.values():
        assert emails_in(text) == []
        assert "TEST" in text


def test_a_signer_who_asked_only_to_be_counted_is_listed_by_country_alone(petition):
    """No name, city or organisation: people in Russia are advised to choose this."""
    from petitions.pdf import render_letter

    def signer(pk, first, last, named):
        return Signature(pk=pk, petition=petition, first_name=first, last_name=last, country="RU", city=f"{last}sk",
                         organisation=f"{last} Memorial Group", comment="private words", name_in_letter=named)

    letter = Delivery(petition=petition, embassy=Embassy.objects.get(name="Ministry of Foreign Affairs"), pk=1)
    pdf, _manifest, count = render_letter(letter, [signer(1, "Irina", "Secretova", False),
                                                   signer(2, "Pavel", "Openov", True)])
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert count == 2 and "name withheld" in text and "Russia" in text
    assert "Secretova" not in text and "Irina" not in text and "private words" not in text
    assert "Pavel Openov" in text and "Openovsk" in text and "Openov Memorial Group" in text
    assert "Total: 2 signatures (1 named, 1 name withheld)" in text


def test_the_letters_date_and_total_are_in_russian_too(petition):
    """The letter is bilingual: the Russian reader gets the date and the same count, split the same way."""
    from petitions.pdf import render_letter

    signers = [Signature(pk=pk, petition=petition, first_name="Jean", last_name=f"Dupont{pk}", country="FR",
                         name_in_letter=pk % 3 != 0) for pk in range(1, 1235)]
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    pdf, _manifest, _count = render_letter(letter, signers, now=datetime.datetime(2026, 12, 7, 12, tzinfo=datetime.UTC))
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "7 December 2026 / 7 декабря 2026 г." in text
    assert "Total: 1,234 signatures (823 named, 411 name withheld)" in text
    assert "Всего подписей: 1 234 (с именем: 823, имя не указано: 411)." in text


def test_the_russian_part_of_the_letter_is_addressed_in_russian(petition):
    """The admin starts every translation of "addressed to" as the English default; left so, the
    Russian appeal is still headed in Russian. One an organiser wrote is printed as written."""
    from petitions.pdf import render_letter

    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    signer = Signature(pk=1, petition=petition, first_name="Jean", last_name="Dupont", country="FR",
                       name_in_letter=True)

    def parts():
        pdf, _manifest, _count = render_letter(letter, [signer])
        text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
        russian, _appeal, english = text.partition(petition.appeal_ru)  # the Russian part comes first
        return russian.strip(), english

    assert petition.addressee_ru == "To the Ambassador of the Russian Federation"  # as the admin offers it
    russian, english = parts()
    assert russian.endswith("Послу Российской Федерации") and "To the Ambassador" not in russian
    assert "To the Ambassador of the Russian Federation" in english

    petition.addressee_ru = "Чрезвычайному и Полномочному Послу Российской Федерации"
    petition.save()
    russian, _english = parts()
    assert russian.endswith("Чрезвычайному и Полномочному Послу Российской Федерации")


def test_a_withheld_row_does_not_tell_where_its_signers_surname_falls_among_the_named(smtp, petition):
    for first, last, named in [("Anna", "Abramova", True), ("Irina", "Borisova", False), ("Pavel", "Petrov", True),
                               ("Zoya", "Zaitseva", False), ("Yana", "Yakovleva", True)]:
        SignatureFactory(petition=petition, first_name=first, last_name=last, country="RU", name_in_letter=named,
                         confirmed=True)
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    text = " ".join(by_embassy_city(smtp)["Ministry"][2].split())
    rows = [text.index(name) for name in ("Anna Abramova", "Pavel Petrov", "Yana Yakovleva")]
    withheld = [found.start() for found in re.finditer("name withheld / имя не указано", text)]
    assert len(withheld) == 2 and rows == sorted(rows) and rows[-1] < withheld[0]  # the named first, then the rest


def test_the_pdf_has_page_numbers_and_the_batch_manifest(smtp, petition, signatures):
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    kyiv = Delivery.objects.get(embassy__city="Kyiv")
    text = by_embassy_city(smtp)["Kyiv"][2]
    ids = sorted([signatures["olena"].pk, signatures["hidden"].pk])
    assert kyiv.manifest_sha256 == manifest_sha256(ids)
    assert kyiv.manifest_sha256 in text.replace("\n", "")
    assert "1 / 1" in " ".join(text.split())  # the total is drawn apart, once it is known


def text_runs(pdf):
    """(text, x) of every piece of text the PDF draws, x in points from the page's left edge."""
    runs = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            runs.append((text.strip(), tm[4] * cm[0] + tm[5] * cm[2] + cm[4]))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return runs


def test_a_long_word_wraps_inside_its_column(petition):
    from reportlab.pdfbase.pdfmetrics import stringWidth

    from petitions.pdf import FONT, render_letter

    petition_embassy = Embassy.objects.get(city="Kyiv")
    letter = Delivery(petition=petition, embassy=petition_embassy, pk=1)
    town, word = "Saint-Rémy-de-Provence-sur-les-Collines-du-Nord", "Солидарностьсполитзаключёнными" * 2
    signer = Signature(pk=1, petition=petition, first_name="Олена", last_name="Петренко", country="UA",
                       city=town, organisation=word, name_in_letter=True)
    pdf, _manifest, _count = render_letter(letter, [signer])

    runs = text_runs(pdf)
    starts = {text: x for text, x in runs if "/" in text}  # the table's header: where each column starts
    city_end = starts["Country / Страна"] - 6  # less the cell padding
    pieces = [(text, x) for text, x in runs if text.rstrip("-") in town and starts["City / Город"] <= x < city_end]
    assert "".join(text for text, _x in pieces) == town  # broken at its hyphens, nothing lost
    assert len(pieces) > 1 and all(x + stringWidth(text, FONT, 8) <= city_end for text, x in pieces)
    pieces = [(text, x) for text, x in runs if text in word and x >= starts["Organisation / Организация"]]
    assert "".join(text for text, _x in pieces) == word and len(pieces) > 1  # no hyphens: broken anywhere
    page_width = 210 * 72 / 25.4
    assert all(x + stringWidth(text, FONT, 8) <= page_width - 15 * 72 / 25.4 for text, x in pieces)


def test_names_in_any_script_are_printed_to_be_read(petition):
    """Hebrew and Arabic in their right-to-left order (Arabic's letters joined), Chinese, Japanese
    and Korean in fonts that have them -- not as empty boxes."""
    import unicodedata

    from petitions.pdf import render_letter

    def signer(pk, first, last, country, city, organisation=""):
        return Signature(pk=pk, petition=petition, first_name=first, last_name=last, country=country, city=city,
                         organisation=organisation, name_in_letter=True)

    committee = "اللجنة الدولية للتضامن مع السجناء السياسيين في روسيا وأوكرانيا"  # two lines in its column

    signers = [
        signer(1, "יוסי", "כהן", "IL", "חיפה"), signer(2, "محمد", "علي", "EG", "القاهرة", committee),
        signer(3, "张", "伟", "CN", "北京"), signer(4, "山田", "花子", "JP", "東京"),
        signer(5, "やまだ", "はなこ", "JP", "Lyon"), signer(6, "김", "민수", "KR", "서울"),
        signer(7, "<b>李</b>", "&amp;", "CN", "上海 Shanghai"),
    ]
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    pdf, _manifest, count = render_letter(letter, signers)

    fonts = {}

    def visit(text, _cm, _tm, font, _size):
        if text.strip():
            fonts.setdefault(text.strip(), []).append(font["/BaseFont"].lstrip("/").split("+")[-1])

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    assert count == 7
    drawn = list(fonts)
    # Drawn in visual order, a text extractor reads them back in the order they are written.
    assert "יוסי כהן" in drawn and "חיפה" in drawn
    arabic = [text for text in drawn if unicodedata.normalize("NFKC", text) == "محمد علي"]
    assert arabic and arabic[0] != "محمد علي"  # in the joined forms of its letters
    lines = [unicodedata.normalize("NFKC", text) for text in drawn if unicodedata.normalize("NFKC", text) in committee]
    assert len(lines) > 1 and " ".join(lines) == committee  # its first line first
    # Chinese characters alone in the font that has them all, Japanese ones too; kana and hangul in theirs.
    for text, font in [("张", "STSong-Light"), ("北京", "STSong-Light"), ("山田", "STSong-Light"),
                       ("東京", "STSong-Light"), ("やまだ", "HeiseiKakuGo-W5"), ("민수", "HYGothic-Medium"),
                       ("서울", "HYGothic-Medium"), ("上海", "STSong-Light")]:
        assert fonts.get(text) == [font], (text, fonts.get(text))
    assert fonts.get("Shanghai") == ["DejaVuSans"]
    assert fonts.get("<b>") == ["DejaVuSans"] and fonts.get("</b> &amp;") == ["DejaVuSans"]  # markup stays text


def test_names_in_scripts_the_font_lacks_are_printed_in_latin_letters_not_as_boxes(petition):
    """DejaVu has no Devanagari, Thai or Ethiopic: such a name was a row of empty boxes."""
    from petitions.pdf import render_letter

    signers = [
        Signature(pk=1, petition=petition, first_name="राहुल", last_name="शर्मा", country="IN", city="दिल्ली",
                  name_in_letter=True),
        Signature(pk=2, petition=petition, first_name="สมชาย", last_name="Smith", country="TH", city="กรุงเทพ",
                  name_in_letter=True),
        Signature(pk=3, petition=petition, first_name="አበበ", last_name="Олена", country="ET", city="Addis Ababa",
                  name_in_letter=True),
    ]
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(name="Ministry of Foreign Affairs"), pk=1)
    pdf, _manifest, count = render_letter(letter, signers)
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert count == 3
    assert "rahul srma" in text and "dilli" in text  # what the font can draw is kept as it is:
    assert "smchay Smith" in text and "krungethph" in text
    assert "'abebe Олена" in text and "Addis Ababa" in text


def test_a_word_the_font_can_draw_only_in_part_is_printed_wholly_in_latin_letters(petition):
    """Urdu's ہ and ے are not in DejaVu: "چوہدری" (Chaudhry) was printed as its Arabic letters with a
    Latin "h" among them, which the right-to-left layout then cut in two, its end first."""
    from petitions.pdf import render_letter

    signer = Signature(pk=1, petition=petition, first_name="ٹیپو", last_name="چوہدری", country="PK", city="لاہور",
                       name_in_letter=True)
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(name="Ministry of Foreign Affairs"), pk=1)
    pdf, _manifest, _count = render_letter(letter, [signer])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    words = text.split()
    assert "chwhdry" in words and "lhwr" in words
    assert not [word for word in words if re.search("[a-z]", word) and re.search("[\u0600-\u06ff\ufb50-\ufefc]", word)]


def test_a_name_typed_with_combining_accents_is_printed_in_its_composed_letters(petition):
    """Typed as e + circumflex + tilde, "Nguyễn" was drawn with both accents, each of no width, over
    each other above the e; and a search of the letter for "Nguyễn" did not find it."""
    from petitions.pdf import render_letter

    signer = Signature(pk=1, petition=petition, first_name="Thi\u0323", last_name="Nguye\u0302\u0303n", country="FR",
                       city="Ha\u0300 No\u0302\u0323i", name_in_letter=True)
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    pdf, _manifest, _count = render_letter(letter, [signer])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Thị Nguyễn" in text and "Hà Nội" in text


def test_a_signer_whose_every_character_the_font_lacks_cannot_stop_the_letter(petition):
    """Emoji are left out and transliterations kept short: spelt out in full, 200 of them made a
    row taller than a page, which reportlab cannot lay out (the whole letter failed)."""
    from petitions.pdf import render_letter

    signers = [Signature(pk=n, petition=petition, first_name="Jean", last_name=f"Signer {n}", country="FR",
                         organisation=organisation, name_in_letter=True)
               for n, organisation in enumerate(["\U0001faf0" * 200, "\ufdfa" * 200, "✊ Solidarity"], start=1)]
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    pdf, _manifest, count = render_letter(letter, signers)
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
    assert count == 3 and "Jean Signer 3 France Solidarity" in text and "fist" not in text


def test_a_long_letter_reads_its_signatures_as_its_pages_are_laid_out(petition, monkeypatch):
    """The rows are read and laid out a table at a time, not all before the first page (made up
    front, the tables of a 17,886-signature letter took 38 MB of the worker's memory)."""
    from petitions import pdf

    pages_shown = []
    show_page = pdf._NumberedCanvas.showPage
    monkeypatch.setattr(pdf._NumberedCanvas, "showPage", lambda canvas: pages_shown.append(1) or show_page(canvas))
    pages_when_read = []

    def signatures():
        for n in range(1, 1201):
            pages_when_read.append(len(pages_shown))
            yield Signature(pk=n, petition=petition, first_name="Jean", last_name=f"Signer {n}", country="FR",
                            city="Lyon", name_in_letter=True)

    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    _pdf, _manifest, count = pdf.render_letter(letter, signatures())
    assert count == 1200 and len(pages_shown) > 30
    assert pages_when_read[0] == 0 and pages_when_read[-1] > len(pages_shown) / 2  # the last, late in the letter


def test_each_page_of_a_letter_is_compressed_as_soon_as_it_is_shown(petition, monkeypatch):
    """reportlab keeps every page's drawing as text until the document is saved (~15 KB a page: 44 MB
    more for a 100,000-signature letter); ours compress each page when it is finished."""
    from petitions import pdf

    held_at_save = []
    save = pdf._NumberedCanvas.save

    def spy(canvas):
        held_at_save.extend((page.stream, getattr(page.Contents, "content", None)) for page in canvas._doc.Pages.pages)
        save(canvas)

    monkeypatch.setattr(pdf._NumberedCanvas, "save", spy)
    signers = (Signature(pk=n, petition=petition, first_name="Jean", last_name=f"Signer {n}", country="FR",
                         city="Lyon", name_in_letter=True) for n in range(1, 301))
    letter = Delivery(petition=petition, embassy=Embassy.objects.get(city="Paris"), pk=1)
    document, _manifest, count = pdf.render_letter(letter, signers)

    pages = PdfReader(io.BytesIO(document)).pages
    assert count == 300 and len(held_at_save) == len(pages) >= 4
    assert all(text is None and isinstance(data, bytes) for text, data in held_at_save)
    # Deflated, without reportlab's ASCII85 on top (a quarter bigger, for 7-bit channels; an email
    # attachment is base64 anyway), and still readable: the last signer is on the last page.
    assert all(page["/Contents"].get_object()["/Filter"] == ["/FlateDecode"] for page in pages)
    assert "Jean Signer 300" in pages[-1].extract_text()


def test_letters_are_written_with_reportlabs_c_helpers():
    """rl-accel, a dependency of ours: without it reportlab falls back to Python for the number
    formatting, escaping and encoding of every PDF operator (~10% more worker CPU per letter)."""
    from reportlab.lib import rl_accel

    for helper in (rl_accel.fp_str, rl_accel.escapePDF, rl_accel.asciiBase85Encode):
        assert helper.__module__ == "_rl_accel", helper


def test_every_page_of_a_long_letter_shows_its_number_and_the_total(smtp, petition, signatures):
    from petitions.pdf import render_letter

    call_command("deliver", petition="free-them", stdout=io.StringIO())
    delivery = Delivery.objects.get(embassy__city="Kyiv")
    many = [Signature(pk=n, petition=petition, first_name="Олена", last_name=f"Signer {n}", country="UA",
                      city="Kyiv", name_in_letter=True) for n in range(1, 301)]
    pdf, _manifest, count = render_letter(delivery, many)
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert count == 300 and len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert f"{number} / {len(pages)}" in text
    assert "Signer 300" in pages[-1]


def test_every_page_of_a_test_letter_says_it_was_not_sent(petition):
    """Printed, a test letter's second and later pages looked like a live letter's but for "TEST" in
    the small print of the footer: a page that strays into a pile to hand over must show it."""
    from petitions.pdf import render_letter

    many = [Signature(pk=n, petition=petition, first_name="Олена", last_name=f"Signer {n}", country="UA",
                      city="Kyiv", name_in_letter=True) for n in range(1, 301)]
    kyiv = Embassy.objects.get(city="Kyiv")
    pages = {}
    for is_test in (True, False):
        pdf, _manifest, _count = render_letter(Delivery(petition=petition, embassy=kyiv, pk=1, is_test=is_test), many)
        pages[is_test] = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages[True]) >= 4 and all("TEST — NOT SENT TO THE EMBASSY" in text for text in pages[True])
    assert not any("TEST" in text for text in pages[False])


def test_the_letter_email_counts_its_signatures_in_good_english_and_russian(smtp, petition, signatures):
    """An embassy with one signer (Paris) is not told of "1 signatures" or "1 подписей"."""
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    found = by_embassy_city(smtp)
    for city, english, russian in [("Paris", "1 signature", "1 подпись"), ("Kyiv", "2 signatures", "2 подписи")]:
        message = found[city][1]
        subject = " ".join(str(message["Subject"]).split())
        assert subject.endswith(f"— {english} / Обращение: {russian}"), subject
        for part in ("plain", "html"):
            body = " ".join(message.get_body(preferencelist=(part,)).get_content().split())
            assert f"with {english}." in body and "people" not in body and "людьми" not in body


def test_only_an_embassys_letter_greets_an_ambassador(smtp, petition, signatures):
    """The fallback (a ministry) and a consulate marked as a target have no ambassador to greet."""
    Embassy.objects.create(country="DE", city="Bonn", mission_type=T.CONSULATE_GENERAL,
                           email="consulate-de@example.org", is_delivery_target=True)
    SignatureFactory(petition=petition, country="DE", status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    bodies, letters = {}, {}
    for _recipients, message in smtp.messages:
        head = pdf_text(message).split("Signatories")[0]
        city = next(city for city in ("Bonn", "Paris", "Kyiv", "Bern", "Ministry") if city in head)
        letters[city] = " ".join(head.split())
        bodies[city] = [" ".join(message.get_body(preferencelist=(part,)).get_content().split())
                        for part in ("plain", "html")]
    for body in bodies["Bonn"] + bodies["Ministry"]:
        assert "Ambassador" not in body and "посол" not in body
        assert "Dear Sir or Madam," in body and "Уважаемые дамы и господа," in body
    # Nor does the letter itself address one, with the petition's default addressee.
    for city, text in letters.items():
        if city in ("Bonn", "Ministry"):
            assert "To the Ambassador" not in text and "Послу" not in text, city
        elif city == "Paris":
            assert "To the Ambassador of the Russian Federation" in text and "Послу Российской Федерации" in text
    assert all("Dear Ambassador," in body and "Уважаемый господин посол," in body for body in bodies["Paris"])


def test_an_embassys_reply_to_a_letter_goes_to_the_campaigns_contact_address(smtp, petition, signatures, settings):
    """Without it an embassy's answer went to the site's sending address, which nobody reads."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    petition.campaign.contact_email = "campaign@example.org"
    petition.campaign.save()
    call_command("deliver", petition="free-them", stdout=io.StringIO())

    assert smtp.messages and {m["Reply-To"] for _r, m in smtp.messages} == {"campaign@example.org"}


def test_without_a_contact_address_a_letter_has_no_reply_to(smtp, petition, signatures):
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert smtp.messages and {m["Reply-To"] for _r, m in smtp.messages} == {None}


def test_a_letter_asks_autoresponders_not_to_answer_the_sites_sending_address(smtp, petition, signatures):
    """Their replies go to the envelope's sender, which nobody reads; RFC 3834's header for most,
    Exchange's own for Exchange and Outlook."""
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert smtp.messages
    assert {(m["Auto-Submitted"], m["X-Auto-Response-Suppress"]) for _r, m in smtp.messages} == {
        ("auto-generated", "OOF, AutoReply")}


def test_not_live_everything_goes_to_the_test_recipient_marked_test(smtp, petition, signatures, settings):
    settings.DELIVERY_LIVE = True  # the deployment allows it, but the petition is not switched live
    call_command("deliver", petition="free-them", stdout=io.StringIO())

    assert {tuple(r) for r, _ in smtp.messages} == {("organiser@example.org",)}
    assert all(str(m["Subject"]).strip().startswith("[TEST]") for _, m in smtp.messages)
    assert set(Delivery.objects.values_list("is_test", flat=True)) == {True}
    # The hand-delivery embassy's letter is emailed to the organiser too, to see what would go out.
    assert Delivery.objects.get(embassy__city="Bern").status == Delivery.Status.SENT


def test_the_petitions_live_switch_alone_is_not_enough(smtp, petition, signatures, settings):
    settings.DELIVERY_LIVE = False
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert {tuple(r) for r, _ in smtp.messages} == {("organiser@example.org",)}


def test_live_deliveries_go_to_the_embassies_once_even_after_test_deliveries(smtp, petition, signatures, settings):
    call_command("deliver", petition="free-them", stdout=io.StringIO())  # test run first
    smtp.messages.clear()
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)

    call_command("deliver", petition="free-them", stdout=io.StringIO())

    recipients = sorted(r[0] for r, _ in smtp.messages)
    assert recipients == ["embassy-fr@example.org", "embassy-ua@example.org"]
    # Targets without an email address get a printed letter, for hand or postal delivery.
    for hand in (Delivery.objects.get(embassy__city="Bern", is_test=False),
                 Delivery.objects.get(embassy__name__startswith="Ministry", is_test=False)):
        assert hand.status == Delivery.Status.AWAITING_HANDOVER and hand.pdf_sha256
        assert hand.channel == Delivery.Channel.HAND
    # Every confirmed signature is in exactly one test and exactly one live delivery.
    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED).count()
    assert DeliveryItem.objects.filter(is_test=True).count() == confirmed
    assert DeliveryItem.objects.filter(is_test=False).count() == confirmed
    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    message = next(m for r, m in smtp.messages if r == ["embassy-ua@example.org"])
    assert message["Message-ID"] == kyiv.message_id
    assert not str(message["Subject"]).strip().startswith("[TEST]")


def test_a_live_letter_waiting_for_a_retry_is_not_sent_once_live_delivery_is_switched_off(
    smtp, petition, signatures, settings
):
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    kyiv, later = kyiv_awaiting_retry(smtp, Petition.objects.get(pk=petition.pk))
    assert not kyiv.is_test
    Petition.objects.filter(pk=petition.pk).update(live_delivery=False)  # the organisers pause it

    delivery.send(kyiv.pk, now=later)

    kyiv.refresh_from_db()
    assert smtp.messages == [] and kyiv.status == Delivery.Status.FAILED
    assert "live delivery was switched off" in kyiv.last_error
    # Its signatures wait for live delivery again, and then go once.
    assert not DeliveryItem.objects.filter(delivery=kyiv).exists()
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert sorted(r[0] for r, _ in smtp.messages).count("embassy-ua@example.org") == 1


def test_an_embassy_address_no_email_can_go_to_fails_that_letter_only(smtp, petition, signatures, settings):
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    Embassy.objects.filter(city="Kyiv").update(email="embassy@" + "ü" * 60 + ".ua")  # valid to Django's validator

    call_command("deliver", petition="free-them", stdout=io.StringIO())

    kyiv = Delivery.objects.get(embassy__city="Kyiv")
    assert kyiv.status == Delivery.Status.FAILED and "cannot be used" in kyiv.last_error
    assert [r for r, _ in smtp.messages] == [["embassy-fr@example.org"]]


def test_an_empty_petition_slug_is_refused_and_delivers_nothing(smtp, petition, signatures):
    """`deliver --petition "$SLUG"` with the variable unset must not deliver every petition due."""
    with pytest.raises(CommandError, match="No petition with the slug ''"):
        call_command("deliver", petition="", stdout=io.StringIO())
    assert smtp.messages == [] and not Delivery.objects.exists()


def test_deliver_names_a_draft_petition_as_a_draft_not_as_unknown(smtp, petition, signatures):
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.DRAFT)
    with pytest.raises(CommandError, match="'free-them' is a draft"):
        call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert smtp.messages == [] and not Delivery.objects.exists()


def test_a_second_run_sends_nothing_new(smtp, petition, signatures):
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert len(smtp.messages) == 4
    assert Delivery.objects.count() == 4


def test_new_signatures_go_out_in_the_next_batch(smtp, petition, signatures):
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    late = SignatureFactory(petition=petition, country="UA", confirmed=True, first_name="Late", name_in_letter=True)
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    assert len(smtp.messages) == 5
    assert Delivery.objects.get(items__signature=late).signature_count == 1


def test_a_temporary_refusal_is_retried_and_then_sent(smtp, petition, signatures):
    smtp.handler.replies.extend(["451 4.7.1 Greylisted, try again"] * 4)
    call_command("deliver", petition="free-them", stdout=io.StringIO())
    waiting = Delivery.objects.filter(status=Delivery.Status.AWAITING_RETRY)
    assert waiting.count() == 4 and "451" in waiting.first().last_error
    assert smtp.messages == []

    # From when the last refusal came (each letter's retry time counts from its own): on a loaded
    # machine rendering four letters takes more than a second.
    later = timezone.now() + timedelta(seconds=delivery.RETRY_DELAYS[0] + 1)
    ids = delivery.sweep(now=later, enqueue=False)
    for pk in ids:
        delivery.send(pk, now=later)

    assert len(smtp.messages) == 4
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.Status.SENT, 2)}


def kyiv_awaiting_retry(smtp, petition):
    """The letter to Kyiv, rendered and stored, refused once (greylisted); and when to retry it."""
    smtp.handler.replies.append("451 4.7.1 Greylisted, try again")
    now = timezone.now()
    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    delivery.send(kyiv.pk, now=now)
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.AWAITING_RETRY and kyiv.pdf and kyiv.signature_count == 2
    return kyiv, now + timedelta(seconds=delivery.RETRY_DELAYS[0] + 1)


def test_a_retry_whose_stored_letter_is_gone_renders_it_again(smtp, petition, signatures):
    kyiv, later = kyiv_awaiting_retry(smtp, petition)
    kyiv.pdf.storage.delete(kyiv.pdf.name)  # lost: a restored database, a moved PRIVATE_MEDIA_ROOT

    delivery.send(kyiv.pk, now=later)
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.SENT and kyiv.pdf.storage.exists(kyiv.pdf.name)
    assert "Олена Петренко" in by_embassy_city(smtp)["Kyiv"][2]


def test_a_signer_who_withdraws_while_their_letter_waits_for_a_retry_is_not_in_it(smtp, petition, signatures):
    from petitions import signing

    kyiv, later = kyiv_awaiting_retry(smtp, petition)
    signing.withdraw(Signature.objects.get(pk=signatures["olena"].pk))
    delivery.send(kyiv.pk, now=later)
    kyiv.refresh_from_db()
    text = by_embassy_city(smtp)["Kyiv"][2]
    assert kyiv.status == Delivery.Status.SENT and kyiv.signature_count == 1
    assert "Петренко" not in text and "Total: 1 signature (" in " ".join(text.split())
    assert kyiv.manifest_sha256 == manifest_sha256([signatures["hidden"].pk])


def test_a_signature_rejected_while_its_letter_waited_and_then_restored_goes_in_the_next_letter(
    smtp, petition, signatures
):
    """Rejected as spam by mistake while its letter waited, a signature is left out of that letter.
    Restored ("into the next delivery"), it must go in the next one: it stayed claimed by the letter
    it was not in, and was never delivered at all."""
    from petitions import moderation

    kyiv, later = kyiv_awaiting_retry(smtp, petition)
    olena = Signature.objects.filter(pk=signatures["olena"].pk)
    moderation.reject_as_spam(olena)
    delivery.send(kyiv.pk, now=later)
    assert "Петренко" not in by_embassy_city(smtp)["Kyiv"][2]

    moderation.restore(olena)
    smtp.messages.clear()
    call_command("deliver", petition="free-them", stdout=io.StringIO())

    assert "Олена Петренко" in by_embassy_city(smtp)["Kyiv"][2]
    # In exactly one letter that went, as every other confirmed signature.
    sent = DeliveryItem.objects.filter(delivery__status=Delivery.Status.SENT, is_test=True)
    assert sorted(sent.values_list("signature_id", flat=True)) == sorted(
        Signature.objects.filter(status=Signature.Status.CONFIRMED, country="UA").values_list("pk", flat=True)
    )


def letter_files():
    """{name: text} of every letter file stored."""
    root = django_settings.PRIVATE_MEDIA_ROOT
    return {
        path.relative_to(root).as_posix(): "\n".join(page.extract_text() for page in PdfReader(path).pages)
        for path in root.rglob("*.pdf")
    }


def test_a_letter_rendered_again_replaces_its_old_file_which_named_the_withdrawn_signer(smtp, petition, signatures):
    from petitions import signing

    kyiv, later = kyiv_awaiting_retry(smtp, petition)
    first = kyiv.pdf.name
    assert "Петренко" in letter_files()[first]
    signing.withdraw(Signature.objects.get(pk=signatures["olena"].pk))

    delivery.send(kyiv.pk, now=later)
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.SENT and kyiv.pdf.name != first
    stored = letter_files()
    assert first not in stored and kyiv.pdf.name in stored  # replaced, not kept beside it
    assert not any("Петренко" in text for text in stored.values())


def test_withdrawing_deletes_the_stored_copies_of_sent_letters_that_name_the_signer(smtp, petition, signatures):
    """Withdrawing "erases your personal data at once" (the privacy page): the server's copy of a
    letter already sent that prints the signer's name, city and organisation goes too. Its record
    stays, with the SHA-256 that lets a copy be verified; letters that do not name them stay."""
    from petitions import signing

    call_command("deliver", petition="free-them", stdout=io.StringIO())
    sent = {d.embassy.city or d.embassy.name: d for d in Delivery.objects.all()}
    assert all(d.status == Delivery.Status.SENT and d.pdf for d in sent.values())
    kyiv, paris = sent["Kyiv"], sent["Paris"]
    assert "Петренко" in letter_files()[kyiv.pdf.name]

    signing.withdraw(Signature.objects.get(pk=signatures["olena"].pk))
    # One who only asked to be counted is "name withheld" there: nothing of theirs to delete.
    signing.withdraw(Signature.objects.get(pk=signatures["lise"].pk))  # named, in Bern's letter
    Signature.objects.filter(pk=signatures["jean"].pk).update(name_in_letter=False)
    signing.withdraw(Signature.objects.get(pk=signatures["jean"].pk))

    stored = letter_files()
    assert not any("Петренко" in text or "Büchel" in text for text in stored.values())
    assert paris.pdf.name in stored  # Jean was not named in it (as the row says now)
    kyiv_after = Delivery.objects.get(pk=kyiv.pk)
    assert not kyiv_after.pdf and not kyiv.pdf.storage.exists(kyiv.pdf.name)
    assert (kyiv_after.status, kyiv_after.signature_count, kyiv_after.pdf_sha256, kyiv_after.manifest_sha256) == (
        Delivery.Status.SENT, 2, kyiv.pdf_sha256, kyiv.manifest_sha256)


def test_a_file_left_by_a_render_killed_before_recording_it_goes_with_the_next_render(smtp, petition, signatures):
    from petitions import signing

    kyiv, later = kyiv_awaiting_retry(smtp, petition)
    # What a worker killed between storing a letter's file and recording it leaves: a file no row names.
    with kyiv.pdf.open("rb") as letter:
        orphan = kyiv.pdf.storage.save(kyiv.pdf.name, letter)
    assert orphan != kyiv.pdf.name and "Петренко" in letter_files()[orphan]
    signing.withdraw(Signature.objects.get(pk=signatures["olena"].pk))

    delivery.send(kyiv.pk, now=later)
    kyiv.refresh_from_db()
    assert list(letter_files()) == [kyiv.pdf.name]


def test_a_letter_whose_every_signer_withdrew_is_not_sent(smtp, petition, signatures):
    from petitions import signing

    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    signing.erase(Signature.objects.filter(pk__in=[signatures["olena"].pk, signatures["hidden"].pk]))
    delivery.send(kyiv.pk)
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.FAILED and "withdrawn" in kyiv.last_error
    assert smtp.messages == [] and not kyiv.pdf


def test_each_plan_claims_only_what_is_not_yet_delivered_and_counts_it(petition, signatures):
    first = {d.embassy.city: d for d in delivery.plan(petition, enqueue=False)}
    assert {place: d.signature_count for place, d in first.items()} == {
        "Kyiv": 2, "Paris": 1, "Bern": 1, "Moscow": 1,  # Ghana: no embassy, the fallback
    }
    assert set(first["Bern"].items.values_list("signature_id", flat=True)) == {signatures["lise"].pk}
    # Test deliveries claim nothing for the live ones.
    assert delivery.undelivered(petition, is_test=False).count() == 5
    assert delivery.plan(petition, enqueue=False) == []  # nothing new: no delivery at all

    newcomer = SignatureFactory(
        petition=petition, country="UA", status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    Signature.objects.filter(pk=signatures["pending"].pk).update(
        status=Signature.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    (second,) = delivery.plan(petition, enqueue=False)
    assert second.embassy == first["Kyiv"].embassy and second.signature_count == 2
    assert set(second.items.values_list("signature_id", flat=True)) == {newcomer.pk, signatures["pending"].pk}
    assert Delivery.objects.get(pk=second.pk).signature_count == 2
    assert DeliveryItem.objects.count() == 7


def test_a_retry_is_not_sent_before_its_time(smtp, petition, signatures):
    smtp.handler.replies.append("451 4.7.1 Greylisted")
    now = timezone.now()
    first = delivery.plan(petition, now, enqueue=False)[0]
    delivery.send(first.pk, now=now)
    assert delivery.send(first.pk, now=now + timedelta(seconds=5)) is None
    assert Delivery.objects.get(pk=first.pk).attempts == 1


def test_a_permanent_refusal_fails_with_the_reply_and_returns_the_signatures(smtp, petition, signatures):
    smtp.handler.replies.append("550 5.1.1 Mailbox unavailable")
    first = delivery.plan(petition, enqueue=False)[0]
    claimed = set(first.items.values_list("signature_id", flat=True))

    delivery.send(first.pk)

    failed = Delivery.objects.get(pk=first.pk)
    assert failed.status == Delivery.Status.FAILED
    assert "550" in failed.last_error and "Mailbox unavailable" in failed.last_error
    assert failed.items.count() == 0 and failed.signature_count == len(claimed)
    again = delivery.plan(petition, enqueue=False)
    assert claimed <= set(DeliveryItem.objects.filter(delivery__in=again).values_list("signature_id", flat=True))


def test_a_failed_letter_keeps_no_copy_that_names_people(smtp, petition, signatures):
    """A letter that failed for good went nowhere, and its signatures go into the next one: its
    stored copy only kept their names, cities and organisations -- where a signer who withdraws
    later could no longer be found (the failure frees its signatures from it)."""
    from petitions import signing

    smtp.handler.replies.append("550 5.1.1 Mailbox unavailable")
    kyiv = next(d for d in delivery.plan(petition, enqueue=False) if d.embassy.city == "Kyiv")
    delivery.send(kyiv.pk)

    failed = Delivery.objects.get(pk=kyiv.pk)
    assert failed.status == Delivery.Status.FAILED and "550" in failed.last_error
    assert not failed.pdf and not any("Петренко" in text for text in letter_files().values())
    signing.withdraw(Signature.objects.get(pk=signatures["olena"].pk))
    assert not any("Петренко" in text for text in letter_files().values())


def test_running_out_of_retries_is_a_recorded_failure(smtp, petition, signatures):
    smtp.handler.replies.extend(["421 4.3.2 Service not available"] * 20)
    first = delivery.plan(petition, enqueue=False)[0]
    when = timezone.now()
    for _ in range(len(delivery.RETRY_DELAYS) + 1):
        when += timedelta(hours=7)
        delivery.send(first.pk, now=when)
    failed = Delivery.objects.get(pk=first.pk)
    assert failed.status == Delivery.Status.FAILED
    assert "gave up after 7 attempts" in failed.last_error
    assert failed.items.count() == 0


def test_an_unreachable_server_is_a_temporary_failure(petition, signatures, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    first = delivery.plan(petition, enqueue=False)[0]
    delivery.send(first.pk)
    assert Delivery.objects.get(pk=first.pk).status == Delivery.Status.AWAITING_RETRY


def test_cadence_and_pause_decide_what_is_due(smtp, petition, signatures):
    now = timezone.now()
    assert delivery.is_due(petition, now)
    delivery.sweep(now=now, enqueue=False)
    assert not delivery.is_due(petition, now + timedelta(hours=23))
    assert delivery.is_due(petition, now + timedelta(hours=25))
    Petition.objects.filter(pk=petition.pk).update(delivery_paused=True)
    assert not delivery.is_due(Petition.objects.get(pk=petition.pk), now + timedelta(days=3))
    Petition.objects.filter(pk=petition.pk).update(delivery_paused=False, delivery_cadence=Petition.Cadence.MANUAL)
    assert not delivery.is_due(Petition.objects.get(pk=petition.pk), now + timedelta(days=30))


def test_without_a_test_recipient_nothing_leaves_and_deliver_says_why(smtp, petition, signatures):
    """Not "0 deliveries processed." in green, as if there were nothing new to deliver."""
    Petition.objects.filter(pk=petition.pk).update(test_recipient="")
    with pytest.raises(CommandError, match="no test recipient"):
        call_command("deliver", petition="free-them", stdout=io.StringIO())
    call_command("deliver", stdout=io.StringIO())  # the scheduled sweep skips it, as before
    assert smtp.messages == [] and Delivery.objects.count() == 0


def test_concurrent_planners_never_claim_a_signature_twice(petition, signatures):
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres row locks")
    barrier = threading.Barrier(4)

    def planner():
        barrier.wait()
        delivery.plan(Petition.objects.get(pk=petition.pk), enqueue=False)
        connection.close()

    threads = [threading.Thread(target=planner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    confirmed = Signature.objects.filter(status=Signature.Status.CONFIRMED).count()
    assert DeliveryItem.objects.count() == confirmed
    assert Delivery.objects.count() == 4


def test_the_deliver_command_rejects_an_unknown_petition():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No petition"):
        call_command("deliver", petition="nope")


# --- With the real worker and Redis ------------------------------------------------------------

@needs_services
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(smtp, petition, signatures, tmp_path):
    from campaign.celery import app

    app.conf.task_always_eager = False
    held = threading.Event()
    smtp.handler.hold = held  # the first letter hangs in SMTP until the worker is dead
    worker = start_worker(tmp_path / "worker.log", EMAIL_URL=smtp.url)
    try:
        planned = delivery.plan(petition)  # enqueues one task per embassy on commit
        assert len(planned) == 4
        # Kill the worker while the SMTP server holds its first letter's DATA.
        assert smtp.handler.holding.wait(timeout=60), (tmp_path / "worker.log").read_text()
        assert Delivery.objects.filter(status=Delivery.Status.INFLIGHT).count() == 1
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        held.set()

        worker = start_worker(tmp_path / "worker.log", EMAIL_URL=smtp.url)
        # Time passes: an in-flight delivery older than the task time limit counts as abandoned,
        # and the periodic sweep hands it to a worker again.
        Delivery.objects.filter(status=Delivery.Status.INFLIGHT).update(
            status_changed_at=timezone.now() - timedelta(seconds=django_settings.CELERY_TASK_TIME_LIMIT + 1)
        )
        delivery.sweep()
        done = wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.SENT).count() == 4, timeout=90)
        assert done, (list(Delivery.objects.values_list("status", "attempts")), (tmp_path / "worker.log").read_text())
    finally:
        worker.kill()
        worker.wait()

    confirmed = set(Signature.objects.filter(status=Signature.Status.CONFIRMED).values_list("pk", flat=True))
    sent = DeliveryItem.objects.filter(delivery__status=Delivery.Status.SENT)
    delivered = list(sent.values_list("signature_id", flat=True))
    assert sorted(delivered) == sorted(confirmed)  # each exactly once
    assert len(smtp.messages) == 4  # the held letter was refused, then sent once by the new worker


def test_a_busy_petition_row_does_not_make_a_worker_skip_its_delivery(smtp, petition, signatures):
    """Found by bench/deliveries.py: the claim must lock the delivery row only."""
    if connection.vendor != "postgresql":
        pytest.skip("needs Postgres row locks")
    first = delivery.plan(petition, enqueue=False)[0]
    holding, release = threading.Event(), threading.Event()

    def hold_petition_row():  # as an INSERT of a signature or the counting job would
        from django.db import transaction

        with transaction.atomic():
            Petition.objects.select_for_update(no_key=True).get(pk=petition.pk)
            holding.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_petition_row)
    holder.start()
    try:
        assert holding.wait(10)
        delivery.send(first.pk)
    finally:
        release.set()
        holder.join()
    assert Delivery.objects.get(pk=first.pk).status == Delivery.Status.SENT


def test_a_letter_abandoned_in_flight_again_and_again_is_failed_not_resent_forever(smtp, petition, signatures):
    first = delivery.plan(petition, enqueue=False)[0]
    long_ago = timezone.now() - timedelta(days=1)
    Delivery.objects.filter(pk=first.pk).update(
        status=Delivery.Status.INFLIGHT, status_changed_at=long_ago, attempts=len(delivery.RETRY_DELAYS) + 1
    )
    delivery.send(first.pk)
    failed = Delivery.objects.get(pk=first.pk)
    assert failed.status == Delivery.Status.FAILED and "left in flight" in failed.last_error
    assert failed.items.count() == 0 and smtp.messages == []
