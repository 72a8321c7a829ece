"""The letter to one embassy: the appeal, the demands, and the table of its signatories (reportlab).

Never contains an email address or an IP hash: a signer who allowed their name is listed with it,
their city, country and organisation; one who asked only to be counted is "name withheld" and their
country, nothing more. The closing line carries the SHA-256 manifest of the
batch's signature ids, so a delivered batch can be verified against the database later.
"""

import functools
import gc
import hashlib
import io
import re
import threading
import unicodedata
from itertools import islice
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT, FONT_BOLD = "DejaVuSans", "DejaVuSans-Bold"
ROWS_PER_TABLE = 200  # table chunks: reportlab lays out each chunk, not one 100,000-row table
LETTER_LANGUAGES = ("ru", "en")  # the appeal is printed in Russian and in English
# Every translation of "addressed to" starts as the model's English default, which an organiser
# writing the Russian appeal easily leaves as it is: the Russian part then gets the Russian form.
ADDRESSEE = {"ru": "Послу Российской Федерации"}
COLUMN_WIDTHS = [12 * mm, 52 * mm, 32 * mm, 32 * mm, 52 * mm]
CELL_PADDING = 6  # reportlab's default left and right padding of a table cell
PAGE_TOTAL_X = 182 * mm  # the footer's "x / " ends here, the total starts here

# Signers write their names in their own script. DejaVu covers Latin, Greek, Cyrillic, Armenian,
# Georgian, Hebrew and Arabic letters; Hebrew and Arabic are put in visual order (and Arabic's
# letters joined) before they are drawn. Chinese, Japanese and Korean are drawn in reportlab's
# CID fonts: the standard Adobe fonts that PDF readers supply (not embedded; the text itself is
# in the PDF, so it can be searched and copied whatever the reader).
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
CJK = re.compile(
    "[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f"
    "\uff00-\uffef\U00020000-\U0003ffff]+"
)
# Latin letters at most for one character the font lacks: a name, city or organisation at its
# longest still fits on a page (each letter of Devanagari, Thai or Ethiopic takes 1 to 3).
TRANSLITERATION_LIMIT = 4
KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# Japanese where there is kana, Korean where there is hangul; otherwise Chinese: STSong's character
# collection (GB 18030) has every unified Han character, the Japanese and traditional ones too,
# where Japan's and Korea's fonts would leave some blank. (reportlab's traditional Chinese font,
# MSung, is written with the wrong encoding: readers cannot draw it.)
CJK_FONTS = {"ja": "HeiseiKakuGo-W5", "ko": "HYGothic-Medium", "zh": "STSong-Light"}


_FONTS_LOCK = threading.Lock()
_fonts_registered = False


def _register_fonts():
    # Under a lock, and "done" only once the family is registered too: with a threaded worker a
    # second render could otherwise start between registerFont and registerFontFamily
    # (found by bench/deliveries.py --pool threads).
    global _fonts_registered
    with _FONTS_LOCK:
        if not _fonts_registered:
            pdfmetrics.registerFont(TTFont(FONT, FONT_DIR / "DejaVuSans.ttf"))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, FONT_DIR / "DejaVuSans-Bold.ttf"))
            pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
            _fonts_registered = True


STYLES = {
    "body": ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14, spaceAfter=6),
    "small": ParagraphStyle("small", fontName=FONT, fontSize=8, leading=10),
    # A long word breaks at its hyphens where it has some (a town's name), else anywhere.
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=8, leading=10, embeddedHyphenation=1),
    "head": ParagraphStyle("head", fontName=FONT_BOLD, fontSize=11, leading=15, spaceAfter=4),
    "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=14, leading=18, spaceAfter=8),
    "right": ParagraphStyle("right", fontName=FONT, fontSize=10, leading=14, alignment=TA_RIGHT),
    "banner": ParagraphStyle(
        "banner", fontName=FONT_BOLD, fontSize=11, leading=15, textColor=colors.white,
        backColor=colors.HexColor("#b02a37"), borderPadding=4, spaceAfter=10,
    ),
}


def manifest_sha256(signature_ids):
    """SHA-256 of the batch's signature ids, sorted, one per line: reproducible from the database."""
    text = "\n".join(str(pk) for pk in sorted(signature_ids))
    return hashlib.sha256(text.encode()).hexdigest()


def _para(text, style="body"):
    return Paragraph(escape(text).replace("\n", "<br/>"), STYLES[style])


def _paragraphs(text, style="body"):
    return [_para(block.strip(), style) for block in text.split("\n\n") if block.strip()]


class _NumberedCanvas(canvas.Canvas):
    """Prints "x / y" on every page, with y drawn once the number of pages is known.

    y is a form XObject that every page refers to and that is defined when the document is saved,
    so each page is finished when it is shown. (The usual recipe keeps every page's drawing until
    the end to print the total: 14 MB for a 542-page letter.)
    """

    footer = ""
    test_mark = ""
    TOTAL = "total-pages"

    def showPage(self):  # noqa: N802 (reportlab's name)
        self.saveState()
        if self.test_mark:
            # On every page, not only in the first page's banner: printed, a test letter's later pages
            # looked like a live letter's, and one strayed among the pages to hand over is not seen.
            self.setFont(FONT_BOLD, 11)
            self.setFillColor(colors.HexColor("#b02a37"))
            self.drawCentredString(A4[0] / 2, A4[1] - 11 * mm, self.test_mark)
            self.setFillColor(colors.black)
        self.setFont(FONT, 8)
        self.drawString(20 * mm, 10 * mm, self.footer)
        self.drawRightString(PAGE_TOTAL_X, 10 * mm, f"{self._pageNumber} / ")
        self.doForm(self.TOTAL)
        self.restoreState()
        super().showPage()
        self._compress(self._doc.Pages[-1])

    @staticmethod
    def _compress(page):
        # reportlab keeps each page's drawing as text until the document is saved, then compresses
        # it (and encodes it in ASCII85, a quarter bigger, for 7-bit channels a PDF attachment never
        # meets). Compressed as soon as the page is shown, a page holds ~2 KB instead of ~15 KB.
        contents = pdfdoc.PDFStream(content=pdfdoc.PDFZCompress.encode(page.stream), filters=[])
        contents.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        page.Contents, page.stream = contents, None

    def save(self):
        self.beginForm(self.TOTAL)
        self.setFont(FONT, 8)
        self.drawString(PAGE_TOTAL_X, 10 * mm, str(self._pageNumber - 1))
        self.endForm()
        super().save()


class _Later(Flowable):
    """Stands in the story for flowables made only when the layout reaches it (see _Letter)."""

    def __init__(self, make):
        super().__init__()
        self.make = make  # () -> a list of flowables, maybe empty


class _Signatories:
    """The next table of signatories, and a _Later for the rest; or nothing once all are laid out."""

    def __init__(self, rows, header):
        self.rows, self.header, self.started = rows, header, False

    def __call__(self):
        chunk = list(islice(self.rows, ROWS_PER_TABLE))
        if not chunk and self.started:
            return []
        self.started = True
        if not chunk:
            return [_table(chunk, self.header)]  # no signatures: the header alone
        return [_table(chunk, self.header), _Later(self)]


class _Letter(SimpleDocTemplate):
    """Makes the _Later flowables when the layout reaches them.

    So the signatories' table is laid out ROWS_PER_TABLE rows at a time, with the rows read from
    the database as it goes, and a letter's memory does not grow with its signatures: made up
    front, the tables of a 17,886-signature letter took 38 MB (bench/README.md).
    """

    def filterFlowables(self, flowables):  # noqa: N802 (reportlab's name)
        while flowables and isinstance(flowables[0], _Later):
            flowables[0:1] = flowables[0].make()
        if not flowables:
            flowables.append(None)  # reportlab discards a None at the front


def _cell(text, width):
    # Plain strings are cheap; only text too wide for its column becomes a Paragraph, which wraps
    # it, a long word (a hyphenated town's name) too. (Plain, such a word ran into the next column.)
    # A plain string may use its own right padding: it still ends clear of the next column's text.
    room = width - CELL_PADDING
    if not text.isascii():
        # Composed: typed as a letter and its accents, each accent is drawn with no width of its own,
        # two of them over each other ("ễ" as e, ^ and ~), and a search of the letter misses the name.
        text = _drawable(unicodedata.normalize("NFC", text))
        if RIGHT_TO_LEFT.search(text):
            # Joined, broken into lines as it is read, and only then each line in visual order: put
            # in visual order first, a two-line text would be printed with its end on the first line.
            lines = _right_to_left_lines(text, room)
            if len(lines) > 1:
                return Paragraph("<br/>".join(escape(line) for line in lines), STYLES["cell"])
            text = lines[0] if lines else ""
        if CJK.search(text):
            return Paragraph(_in_cjk_font(text), STYLES["cell"])
    if pdfmetrics.stringWidth(text, FONT, 8) <= room:
        return text
    return Paragraph(escape(text), STYLES["cell"])


@functools.cache
def _drawn_by_font():
    """The characters the letter's font has a glyph for (reportlab draws any other as a box)."""
    return frozenset(map(chr, pdfmetrics.getFont(FONT).face.charToGlyph))


def _drawable(text):
    """The text with each word that has a letter (or digit) no font of the letter can draw in Latin letters.

    DejaVu has no Devanagari, Bengali, Tamil, Thai, Ethiopic, Sinhala or Myanmar letters: a name in
    them was printed as a row of empty boxes, which no one at the embassy could read. Transliterated
    ("राहुल" -> "rahul"), it can be read, and found by searching the letter. The whole word is, not
    just the letters the font lacks: Urdu's "چوہدری" has one (ہ), and with a Latin "h" among its
    Arabic letters the right-to-left layout cut the word in two. Any other character the font lacks
    (an emoji, mostly) is left out, and a transliteration cut at TRANSLITERATION_LIMIT: spelt out in
    full (":hand_with_index_finger_and_thumb_crossed:", the 29 letters of the Arabic ligature ﷺ),
    200 of them made a row taller than a page, and then no letter could be laid out.
    """
    if _drawn_by_font().issuperset(text):
        return text  # nearly always
    return "".join(_drawable_word(word) for word in re.split(r"(\s+)", text))


def _drawable_word(word):
    from anyascii import anyascii  # loaded by the first letter that needs it, as the RTL modules are

    drawn = _drawn_by_font()
    missing = [character for character in word if character not in drawn and not CJK.match(character)]
    if not missing:
        return word
    if not any(unicodedata.category(character)[0] in "LMN" for character in missing):
        return "".join(character for character in word if character in drawn or CJK.match(character))
    return "".join(
        anyascii(character)[:TRANSLITERATION_LIMIT] if unicodedata.category(character)[0] in "LMN" else ""
        for character in word
    )


def _right_to_left_lines(text, room):
    # Loaded by the first letter that needs them (1.7 MB of a worker's memory with the CJK fonts).
    import arabic_reshaper
    from bidi import get_display

    return [get_display(line) for line in simpleSplit(arabic_reshaper.reshape(text), FONT, 8, room)]


@functools.cache
def _cjk_font(script):
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONTS[script]))
    return CJK_FONTS[script]


def _in_cjk_font(text):
    """Paragraph markup drawing the text's Chinese, Japanese or Korean runs in a CID font."""
    font = _cjk_font("ja" if KANA.search(text) else "ko" if HANGUL.search(text) else "zh")
    markup, end = [], 0
    for run in CJK.finditer(text):
        markup += [escape(text[end:run.start()]), f'<font name="{font}">{escape(run.group())}</font>']
        end = run.end()
    return "".join(markup) + escape(text[end:])


def _signatory_rows(signatures, withheld):
    widths = COLUMN_WIDTHS
    for number, signature in enumerate(signatures, start=1):
        name = signature.letter_name
        # "Only count my signature" is what people in Russia are advised to choose: their row must
        # not identify them, and a city with an organisation can (a small town's only branch).
        # Only the country stays, as it does in the public counts.
        yield [
            str(number),
            _cell(name or withheld, widths[1]),
            _cell(signature.city if name else "", widths[2]),
            _cell(signature.country.name if signature.country else "", widths[3]),
            _cell(signature.organisation if name else "", widths[4]),
        ]


def _table(rows, header):
    table = Table([header, *rows], colWidths=COLUMN_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTNAME", (0, 0), (-1, 0), FONT_BOLD),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
    ]))
    return table


def render_letter(delivery, signatures, *, now=None):
    """The letter as PDF bytes. `signatures` is an iterable of the batch's Signature rows, in order.

    Returns (pdf_bytes, manifest_sha256, signature_count).
    """
    try:
        return _render_letter(delivery, signatures, now)
    finally:
        # reportlab's document is a graph of reference cycles (template, canvas, pages) that only the
        # garbage collector frees, some letters later: collected now, a worker's memory goes back
        # down after each letter (bench/README.md). Cheap where the process froze what it loaded at
        # start (the worker and the web processes do): only this letter's objects are walked.
        gc.collect()


def addressed_to(embassy):
    """Whom the letter is addressed to, as it prints it: the mission's name, address, city and
    country, in English. Kept with the delivery's record (Delivery.addressed_to)."""
    with translation.override("en"):
        lines = [str(embassy), embassy.address, embassy.city, embassy.country.name if embassy.country else ""]
    return "\n".join(line for line in lines if line)


def _render_letter(delivery, signatures, now):
    _register_fonts()
    petition, embassy = delivery.petition, delivery.embassy
    now = now or timezone.now()
    story = []
    with translation.override("en"):
        if delivery.is_test:
            story.append(_para(
                "TEST — this letter was NOT sent to the embassy. It shows an organiser what would be sent.",
                "banner",
            ))
        if delivery.channel == delivery.Channel.HAND:
            story.append(_para("For hand or postal delivery", "head"))
        story.append(_para(addressed_to(embassy), "body"))
        with translation.override("ru"):  # "7 декабря 2026 г.", as a letter dates itself: the month in the genitive
            russian_date = formats.date_format(now, "j E Y г.")
        story.append(_para(f"{formats.date_format(now, 'j F Y')} / {russian_date}", "right"))
        story.append(Spacer(1, 6 * mm))

        for language in LETTER_LANGUAGES:
            with translation.override(language):
                appeal = getattr(petition, f"appeal_{language}", "") or ""
                if not appeal:
                    continue
                story.append(_para(getattr(petition, f"title_{language}", "") or petition.title, "title"))
                addressee = getattr(petition, f"addressee_{language}", "") or petition.addressee
                if addressee == type(petition)._meta.get_field("addressee").default:
                    # "To the Ambassador", unless the mission has none (a consulate, the fallback
                    # ministry): then the address block above says to whom, and no line is wrong.
                    addressee = ADDRESSEE.get(language, addressee) if embassy.has_ambassador else ""
                if addressee:
                    story.append(_para(addressee, "head"))
                story.extend(_paragraphs(appeal))
                demands = [
                    d.strip() for d in (getattr(petition, f"demands_{language}", "") or "").splitlines() if d.strip()
                ]
                if demands:
                    story.append(_para("Требования:" if language == "ru" else "Demands:", "head"))
                    story.extend(_para(f"• {demand}") for demand in demands)
                story.append(Spacer(1, 6 * mm))

        story.append(_para("Signatories / Подписавшиеся", "title"))
        header = ["#", "Name / Имя", "City / Город", "Country / Страна", "Organisation / Организация"]
        ids, named = [], []
        rows = _signatory_rows(_tally(signatures, ids, named), "name withheld / имя не указано")
        summary = {}

        def totals():
            total, named_count = len(ids), len(named)
            summary.update(total=total, manifest=manifest_sha256(ids))
            return [
                Spacer(1, 4 * mm),
                _para(
                    f"Total: {total:,} signature{'' if total == 1 else 's'} "
                    f"({named_count:,} named, {total - named_count:,} name withheld). "
                    f"Всего подписей: {_ru(total)} (с именем: {_ru(named_count)}, "
                    f"имя не указано: {_ru(total - named_count)}).",
                    "head",
                ),
                _para(
                    f"Batch manifest (SHA-256 of the {total} signature ids, sorted, one per line): "
                    f"{summary['manifest']}", "small",
                ),
            ]

        story += [_Later(_Signatories(rows, header)), _Later(totals)]

        buffer = io.BytesIO()
        document = _Letter(
            buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
            title=f"{petition.title} — {embassy}", author=petition.campaign.title,
        )
        # An admin preview is rendered from a delivery that is not saved: no number to print.
        reference = f"{petition.slug} · " + (f"delivery {delivery.pk}" if delivery.pk else "preview, not a delivery")
        reference += " · TEST" if delivery.is_test else ""

        class Numbered(_NumberedCanvas):
            footer = reference
            test_mark = "TEST — NOT SENT TO THE EMBASSY" if delivery.is_test else ""

        # In the English context still: the rows (their country names) are made as layout reaches them.
        document.build(story, canvasmaker=Numbered)
    return buffer.getvalue(), summary["manifest"], summary["total"]


def _ru(number):
    """A number as Russian writes it: 12 345, the thousands set apart by a no-break space."""
    return f"{number:,}".replace(",", "\u00a0")


def _tally(signatures, ids, named):
    """Pass the signatures through, noting every id (for the manifest) and the named ones."""
    for signature in signatures:
        ids.append(signature.pk)
        if signature.letter_name:
            named.append(signature.pk)
        yield signature
