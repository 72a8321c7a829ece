"""Political prisoners, where they are held, and the criminal cases brought against them."""

import re
from datetime import timedelta

from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaign.former_slugs import KeepsFormerSlugs


def latest_past_date():
    """The last date that may have come for someone somewhere: tomorrow in UTC (all admin dates
    are UTC, and east of it the day has already changed)."""
    return timezone.now().date() + timedelta(days=1)


class DetentionFacility(models.Model):
    """A pre-trial detention centre, colony or prison: where a prisoner is held and written to."""

    name = models.CharField(_("name"), max_length=200)
    name_original = models.CharField(
        _("name in the original language"), max_length=200, blank=True,
        help_text=_("As it must be written on an envelope, e.g. ФКУ СИЗО-5 УФСИН России по г. Москве."),
    )
    region = models.CharField(_("region"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_address = models.TextField(
        _("postal address for letters"), blank=True,
        help_text=_("The address supporters write on letters to prisoners held here."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("detention facility")
        verbose_name_plural = _("detention facilities")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "city"], name="detentionfacility_unique_name_city"),
        ]

    def __str__(self):
        return f"{self.name} ({self.city})" if self.city else self.name


def article_sort_key(article, part):
    """"30" before "105", "205.2" after "205", part 1.1 after part 1 and before part 2: up to four numbers
    of the article, then four of the part, each zero-padded to six digits. Digits alone, so that every
    database collation orders the keys alike (some ignore punctuation)."""

    def numbers(text):
        parts = [re.sub(r"\D", "", piece) or "0" for piece in re.split(r"[.\s]+", text.strip()) if piece][:4]
        return "".join(f"{int(piece) % 10**6:06d}" for piece in parts + ["0"] * (4 - len(parts)))

    return numbers(article) + numbers(part)


class CodeArticle(models.Model):
    """One article *and part* of a code: "212 part 1.1" and "282.1 part 2" are different rows."""

    class Code(models.TextChoices):
        CRIMINAL = "criminal", _("Criminal Code of the Russian Federation")
        ADMINISTRATIVE = "administrative", _("Code of Administrative Offences of the Russian Federation")

    code = models.CharField(_("code"), max_length=20, choices=Code, default=Code.CRIMINAL)
    article = models.CharField(_("article"), max_length=20, help_text=_("e.g. 282.1"))
    part = models.CharField(_("part"), max_length=20, blank=True, help_text=_("e.g. 1.1; empty for the whole article"))
    title = models.CharField(_("title"), max_length=300, help_text=_("What the article punishes, in plain words."))
    max_sentence = models.CharField(_("maximum sentence"), max_length=100, blank=True)
    # The order of the code itself: article 30 before 105, part 2 before 10 (as text, "105" < "30").
    sort_key = models.CharField(_("sort key"), max_length=100, editable=False, default="")

    class Meta:
        verbose_name = _("code article")
        verbose_name_plural = _("code articles")
        ordering = ["code", "sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "article", "part"], name="codearticle_unique_code_article_part"
            ),
        ]

    def __str__(self):
        # Translators: abbreviations of the Criminal Code / Code of Administrative Offences of the RF.
        short = gettext("CC RF") if self.code == self.Code.CRIMINAL else gettext("CAO RF")
        if self.part:
            return gettext("Art. %(article)s part %(part)s %(code)s") % {
                "article": self.article, "part": self.part, "code": short
            }
        return gettext("Art. %(article)s %(code)s") % {"article": self.article, "code": short}

    def save(self, *args, **kwargs):
        self.sort_key = article_sort_key(self.article, self.part)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sort_key"}
        super().save(*args, **kwargs)


class Prisoner(KeepsFormerSlugs, models.Model):
    class Status(models.TextChoices):
        # What a source says when it names someone as accused and says nothing of their custody:
        # nothing more may be shown as fact.
        ACCUSED = "accused", _("Accused (custody not known)")
        CHARGED_FREE = "charged_free", _("Charged, at liberty")
        HOUSE_ARREST = "house_arrest", _("Under house arrest")
        PRETRIAL_DETENTION = "pretrial_detention", _("In pre-trial detention")
        IMPRISONED = "imprisoned", _("Convicted and imprisoned")
        CONVICTED_FREE = "convicted_free", _("Convicted, not imprisoned")
        RELEASED = "released", _("Released")

    name = models.CharField(_("name"), max_length=200)
    name_original = models.CharField(
        _("name in original script"), max_length=200, blank=True, help_text=_("e.g. Игорь Кузнецов")
    )
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True,
        help_text=_("Its web address: /prisoners/slug/. If you change it (to correct a transliteration, say), the "
                    "old address keeps working: it redirects to the new one, unless another prisoner is given the "
                    "old slug."),
    )
    # Its earlier slugs: their addresses redirect here (campaign.former_slugs); deleted with it.
    former_slugs = GenericRelation("campaign.FormerSlug", verbose_name=_("former addresses"))
    # The validators are the constraint below, said next to the field (not "Constraint … is violated").
    birth_year = models.PositiveSmallIntegerField(
        _("year of birth"), null=True, blank=True, validators=[MinValueValidator(1900), MaxValueValidator(2030)]
    )
    city = models.CharField(_("home city"), max_length=100, blank=True)
    photo = models.ImageField(_("photo"), upload_to="prisoners/", blank=True)
    photo_credit = models.CharField(_("photo credit"), max_length=200, blank=True)
    summary = models.CharField(
        _("one-line summary"), max_length=300, blank=True,
        help_text=_("Shown under the name in lists, e.g. 'Trade unionist and journalist from Tomsk'."),
    )
    biography = models.TextField(_("biography"), blank=True)
    status = models.CharField(_("status"), max_length=30, choices=Status, default=Status.PRETRIAL_DETENTION)
    # PROTECT, not SET_NULL: a facility deleted in the admin took with it, unlisted, where each of
    # its prisoners is held and written to. The delete page now names them.
    facility = models.ForeignKey(
        DetentionFacility, verbose_name=_("held at"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="prisoners",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("prisoner")
        verbose_name_plural = _("prisoners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__gte=1900, birth_year__lte=2030),
                name="prisoner_birth_year_plausible",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("prisoners:prisoner", args=[self.slug])

    @property
    def is_held(self):
        return self.status in {self.Status.PRETRIAL_DETENTION, self.Status.IMPRISONED}


class CriminalCase(KeepsFormerSlugs, models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True,
        help_text=_("Its web address: /cases/slug/. If you change it, the old address keeps working: it redirects "
                    "to the new one, unless another case is given the old slug."),
    )
    # Its earlier slugs: their addresses redirect here (campaign.former_slugs); deleted with it.
    former_slugs = GenericRelation("campaign.FormerSlug", verbose_name=_("former addresses"))
    number = models.CharField(_("case number"), max_length=100, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    investigating_body = models.CharField(
        _("investigating body"), max_length=200, blank=True, help_text=_("e.g. FSB, Investigative Committee")
    )
    city = models.CharField(_("city"), max_length=100, blank=True, help_text=_("Where it is investigated or tried."))
    summary = models.TextField(_("summary"), blank=True)
    defendants = models.ManyToManyField(
        Prisoner, through="Defendant", related_name="cases", verbose_name=_("defendants")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("criminal case")
        verbose_name_plural = _("criminal cases")
        ordering = ["opened_on", "title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("prisoners:case", args=[self.slug])

    def clean(self):
        super().clean()
        # A mistyped year (2062 for 2026) would be published as the day the case was opened.
        if self.opened_on and self.opened_on > latest_past_date():
            raise ValidationError({"opened_on": _("This date has not come yet. Check the year.")})

    @property
    def articles(self):
        """Every article charged in this case: the union of the defendants' charges.

        Charges are recorded per defendant because co-defendants are not always charged alike (in
        the "Left Resistance" case one defendant is accused of founding the group, part 1, the others
        of taking part in it, part 2), so the case's articles are derived, never stored twice.
        """
        return CodeArticle.objects.filter(defendants__case=self).distinct()


class Defendant(models.Model):
    """A prisoner's place in a criminal case: the co-defendant link, with what they are charged with."""

    class Role(models.TextChoices):
        ACCUSED = "accused", _("Accused")
        SUSPECT = "suspect", _("Suspect")
        CONVICTED = "convicted", _("Convicted")
        ACQUITTED = "acquitted", _("Acquitted")
        CHARGES_DROPPED = "charges_dropped", _("Charges dropped")

    case = models.ForeignKey(CriminalCase, on_delete=models.CASCADE, related_name="defendant_links",
                             verbose_name=_("criminal case"))
    prisoner = models.ForeignKey(Prisoner, on_delete=models.CASCADE, related_name="defendant_links",
                                 verbose_name=_("prisoner"))
    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.ACCUSED)
    charges = models.ManyToManyField(
        CodeArticle, blank=True, related_name="defendants", verbose_name=_("charged under")
    )
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("defendant")
        verbose_name_plural = _("defendants")
        ordering = ["position", "prisoner__name"]
        constraints = [
            models.UniqueConstraint(fields=["case", "prisoner"], name="defendant_unique_prisoner_per_case"),
        ]

    def __str__(self):
        return f"{self.prisoner} — {self.case}"


class CaseEvent(models.Model):
    """One dated fact in a case's timeline, with the source it comes from."""

    class Kind(models.TextChoices):
        ARREST = "arrest", _("Arrest")
        SEARCH = "search", _("Search")
        CHARGE = "charge", _("Charges brought")
        CUSTODY = "custody", _("Custody ordered or extended")
        TRANSFER = "transfer", _("Transfer")
        HEARING = "hearing", _("Hearing")
        VERDICT = "verdict", _("Verdict")
        APPEAL = "appeal", _("Appeal")
        RELEASE = "release", _("Release")
        STATEMENT = "statement", _("Statement")
        OTHER = "other", _("Other")

    case = models.ForeignKey(CriminalCase, on_delete=models.CASCADE, related_name="events",
                             verbose_name=_("criminal case"))
    # PROTECT, not SET_NULL: a deleted prisoner's arrest or verdict became, unlisted, an event of
    # the whole case, its description still naming them. The delete page now lists these events.
    prisoner = models.ForeignKey(
        Prisoner, null=True, blank=True, on_delete=models.PROTECT, related_name="events", verbose_name=_("prisoner"),
        help_text=_("Leave empty when the event concerns the whole case."),
    )
    class DatePrecision(models.TextChoices):
        DAY = "day", _("The exact day")
        MONTH = "month", _("The month only")
        YEAR = "year", _("The year only")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    date = models.DateField(_("date"))
    # Sources often give only "in September 2021" or "in 2019": a made-up day would be published as
    # a fact. The date entered still orders the timeline (a transfer known only as "2021" after the
    # arrest of 16 September), so it is kept as entered.
    date_precision = models.CharField(
        _("date known to"), max_length=5, choices=DatePrecision, default=DatePrecision.DAY,
        help_text=_("When the source gives only the month or the year, the pages show only that, and the day "
                    "entered only places the event in the timeline."),
    )
    # What a supporter needs to attend a hearing, or picket outside: shown under "Coming up" on the
    # campaign page, in the feed and in the timelines.
    time = models.TimeField(
        _("time"), null=True, blank=True,
        help_text=_("When it starts, in the court's local time, if known: for a hearing or an appeal."),
    )
    place = models.CharField(
        _("place"), max_length=200, blank=True,
        help_text=_("Where, if known: the court and its city, e.g. “Moscow City Court, Moscow”."),
    )
    description = models.TextField(_("what happened"))
    source_url = models.URLField(_("source"), max_length=500, blank=True)
    source_title = models.CharField(_("source title"), max_length=200, blank=True)
    # The record that supporters were told, set by announcements.announce(): no longer a box on the
    # form, whose one click emailed thousands of people before anyone saw the email.
    announce = models.BooleanField(
        _("announce to supporters"), default=False, editable=False,
        help_text=_("Set when an organiser confirms the announcement on its confirmation page."),
    )
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True, editable=False)
    announced_to = models.PositiveIntegerField(_("announcement emails sent"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["case", "date"], name="caseevent_case_date")]

    # What can be known before its day: the date a hearing is set for. Everything else in a
    # timeline has happened, so a date still to come is a mistyped one, published as a fact.
    SCHEDULED_KINDS = {Kind.HEARING, Kind.APPEAL}

    def __str__(self):
        return f"{self.date_machine} {self.get_kind_display()}"

    def clean(self):
        super().clean()
        if self.time and self.date_precision != self.DatePrecision.DAY:
            raise ValidationError({"time": _(
                "A time needs the exact day: set “date known to” to the exact day, or leave the time empty."
            )})
        if self.date and self.kind not in self.SCHEDULED_KINDS and self.date > latest_past_date():
            raise ValidationError({"date": _(
                "This date has not come yet: only a hearing or an appeal can be entered ahead of its day. "
                "Check the year."
            )})

    @property
    def date_shown(self):
        """The date as far as it is known, in the active language: "16 September 2021",
        "September 2021" or "2021"."""
        return date_format(self.date, DATE_SHOWN[self.date_precision])

    @property
    def date_machine(self):
        """The same for <time datetime>: 2021-09-16, 2021-09 or 2021 (all valid there), with the
        time where one is known (2021-09-16T10:00: a local time, as the court's clock says it)."""
        date = self.date.isoformat()[:DATE_MACHINE_LENGTH[self.date_precision]]
        return f"{date}T{self.time:%H:%M}" if self.time and self.date_precision == self.DatePrecision.DAY else date


DATE_SHOWN = {"day": "DATE_FORMAT", "month": "YEAR_MONTH_FORMAT", "year": "Y"}
DATE_MACHINE_LENGTH = {"day": 10, "month": 7, "year": 4}
