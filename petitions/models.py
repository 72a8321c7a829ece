"""Appeals, their signatures, the embassies they are delivered to, and the record of deliveries."""

import os
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower, Trim
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from campaign.models import Campaign


class Embassy(models.Model):
    """A diplomatic mission of the Russian Federation (or another delivery target, such as the MFA).

    Imported from the Wikidata export by `import_embassies` (keyed on the QID) or added by hand.
    Only rows with `is_delivery_target` receive letters: embassies by default, consulates only when
    an organiser marks one so.
    """

    class MissionType(models.TextChoices):
        EMBASSY = "embassy", _("Embassy")
        CONSULATE_GENERAL = "consulate_general", _("Consulate general")
        CONSULATE = "consulate", _("Consulate")
        HONORARY_CONSULATE = "honorary_consulate", _("Honorary consulate")
        CONSULAR_OFFICE = "consular_office", _("Consular office")
        DE_FACTO_EMBASSY = "de_facto_embassy", _("De facto embassy")
        MINISTRY = "ministry", _("Ministry")

    #: Mission types that are delivery targets unless an organiser says otherwise.
    DEFAULT_TARGET_TYPES = {MissionType.EMBASSY, MissionType.DE_FACTO_EMBASSY}

    name = models.CharField(
        _("name"), max_length=200, blank=True,
        help_text=_("Leave empty to use e.g. 'Embassy of the Russian Federation in Ukraine'."),
    )
    mission_type = models.CharField(_("type"), max_length=20, choices=MissionType, default=MissionType.EMBASSY)
    country = CountryField(_("host country"), blank=True, help_text=_("Empty for a target in Russia itself."))
    city = models.CharField(_("city"), max_length=100, blank=True)
    address = models.TextField(_("postal address"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=100, blank=True)
    is_delivery_target = models.BooleanField(
        _("receives letters"), default=True,
        help_text=_("Embassies do by default; tick it for a consulate only on purpose."),
    )
    # Two embassies sit in Rome: to Italy, and to the Holy See. Both have Italy as their host country,
    # and the router picked between them by id -- Italy's signers' letters could go to the Vatican's.
    serves_host_country = models.BooleanField(
        _("serves its host country"), default=True,
        help_text=_("Untick for a mission to another state that only sits in this country, such as the "
                    "embassy to the Holy See in Rome: this country's signers then go to the one that serves "
                    "it. The import sets it from the mission's jurisdictions."),
    )
    contact_verified_on = models.DateField(
        _("contact details verified on"), null=True, blank=True,
        help_text=_("When an organiser last checked the address and email by hand."),
    )
    wikidata_id = models.CharField(_("Wikidata ID"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("embassy")
        verbose_name_plural = _("embassies")
        ordering = ["country", "mission_type", "city"]
        constraints = [
            models.UniqueConstraint(
                fields=["wikidata_id"], condition=~Q(wikidata_id=""), name="embassy_unique_wikidata_id"
            ),
        ]
        indexes = [models.Index(fields=["country", "mission_type"], name="embassy_country_type")]

    def __str__(self):
        if self.name:
            return self.name
        place = self.country.name if self.country else self.city
        if self.city and self.mission_type != self.MissionType.EMBASSY:
            place = f"{self.city}, {place}" if self.country else self.city
        return gettext("%(type)s of the Russian Federation in %(place)s") % {
            "type": self.get_mission_type_display(), "place": place
        }

    @property
    def has_ambassador(self):
        """Whether a letter to it greets an ambassador: a consulate, a de facto embassy or the
        ministry (a petition's fallback) has none."""
        return self.mission_type == self.MissionType.EMBASSY


class Accreditation(models.Model):
    """Another country an embassy is also accredited to (Wikidata's `jurisdictions`)."""

    embassy = models.ForeignKey(Embassy, on_delete=models.CASCADE, related_name="accreditations",
                                verbose_name=_("embassy"))
    country = CountryField(_("country"))
    # An organiser's own (added in the admin) outlives a new import that does not list it.
    from_import = models.BooleanField(
        _("from the imported directory"), default=False, editable=False,
        help_text=_("Accreditations added by hand are kept when a newer directory is imported."),
    )

    class Meta:
        verbose_name = _("accreditation")
        verbose_name_plural = _("also accredited to")
        constraints = [
            models.UniqueConstraint(fields=["embassy", "country"], name="accreditation_unique_embassy_country"),
        ]
        indexes = [models.Index(fields=["country"], name="accreditation_country")]

    def __str__(self):
        return f"{self.embassy} → {self.country.name}"


class PetitionQuerySet(models.QuerySet):
    def public(self):
        """Petitions anyone may see: neither the petition nor its campaign is a draft."""
        return self.exclude(status=Petition.Status.DRAFT).exclude(campaign__status=Campaign.Status.DRAFT)

    def taking_or_to_take_signatures(self, now=None):
        """Open petitions that have not passed their closing date: taking signatures, or to take them."""
        now = now or timezone.now()
        return self.filter(status=Petition.Status.OPEN).filter(Q(closes_at__isnull=True) | Q(closes_at__gt=now))

    def open_for_signing(self, now=None):
        """Petitions taking signatures now: Petition.is_open_for_signing() as a query. An open
        petition closes by its dates alone, with no change to its status."""
        now = now or timezone.now()
        return self.taking_or_to_take_signatures(now).filter(opens_at__lte=now)


class Petition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for signatures")
        CLOSED = "closed", _("Closed")

    class Cadence(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MANUAL = "manual", _("Only when an organiser says so")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="petitions",
                                 verbose_name=_("campaign"))
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True,
        help_text=_("Its web address: /petitions/slug/. It stays as it is once the petition is open or signed: "
                    "the links emailed to signers carry it."),
    )
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    addressee = models.CharField(
        _("addressed to"), max_length=200, default="To the Ambassador of the Russian Federation",
        help_text=_("The line above the appeal in the letter. Left as it is, the letter says it in each of its "
                    "languages, and leaves it out for a consulate or a ministry, which have no ambassador."),
    )
    appeal = models.TextField(_("appeal"), help_text=_("The text of the letter that is delivered."))
    demands = models.TextField(_("demands"), blank=True, help_text=_("One demand per line."))
    goal = models.PositiveIntegerField(
        _("goal"), default=1000,
        help_text=_("The number of signatures the pages show progress towards. 0: no goal, the count alone."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.DRAFT,
        help_text=_("Draft: only organisers see it. Open: it takes signatures from its opening date to its closing "
                    "date. Closed: it takes no more; the confirmed signatures not yet delivered still go out."),
    )
    opens_at = models.DateTimeField(
        _("opens at"), default=timezone.now,
        help_text=_("Signing starts then; until then the page says when it opens."),
    )
    closes_at = models.DateTimeField(
        _("closes at"), null=True, blank=True,
        help_text=_("Signing ends then. Leave empty to keep it open until you close it."),
    )

    delivery_cadence = models.CharField(
        _("delivery cadence"), max_length=10, choices=Cadence, default=Cadence.WEEKLY,
        help_text=_("How often the confirmed signatures not yet delivered go out: one letter to each embassy a "
                    "day or a week after the last, or only when an organiser uses “Deliver now”."),
    )
    delivery_paused = models.BooleanField(
        _("deliveries paused"), default=False,
        help_text=_("The schedule plans no new letters while this is ticked: signatures wait, nothing is lost, "
                    "and “Deliver now” still works. Letters already on their way are not stopped."),
    )
    test_recipient = models.EmailField(
        _("test recipient"), blank=True,
        help_text=_("Until live delivery is on, every letter goes to this organiser, marked TEST."),
    )
    live_delivery = models.BooleanField(
        _("live delivery"), default=False,
        help_text=_("Send to the real embassy addresses. Only effective where the deployment sets DELIVERY_LIVE."),
    )
    class CommentDisplay(models.TextChoices):
        OFF = "off", _("Not shown")
        APPROVED = "approved", _("Shown after an organiser approves them")
        IMMEDIATE = "immediate", _("Shown at once (unless hidden by an organiser)")

    comment_display = models.CharField(
        _("signers' comments on the petition page"), max_length=10, choices=CommentDisplay,
        default=CommentDisplay.OFF,
    )
    fallback_embassy = models.ForeignKey(
        Embassy, verbose_name=_("fallback target"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Receives signatures from countries no embassy covers, e.g. the MFA in Moscow."),
    )

    # Confirmed signatures, maintained in one UPDATE per interval by petitions.counting -- never
    # per signature (see the e-petitions lesson in STYLE.md).
    signature_count = models.PositiveIntegerField(_("confirmed signatures"), default=0, editable=False)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PetitionQuerySet.as_manager()

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="petition_closes_after_opening",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Closed by an organiser: when is recorded, so that the retention period runs from then
        # (petitions.retention), not from the petition's last edit.
        now = timezone.now()
        if self.status == self.Status.CLOSED and (self.closes_at is None or self.closes_at > now):
            self.closes_at = now
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "closes_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("petitions:detail", args=[self.slug])

    def clean(self):
        super().clean()
        now = timezone.now()
        would_take_signatures = self.status == self.Status.OPEN and (self.closes_at is None or self.closes_at > now)
        # save() records the moment it is closed as closes_at, which must come after opens_at (a
        # constraint): closing one still to open was a database error, a 500 in the admin.
        if self.status == self.Status.CLOSED and self.opens_at and self.opens_at > timezone.now():
            raise ValidationError({"status": _(
                "It has not opened yet, so it cannot be closed. To keep it from opening, set it back to Draft."
            )})
        # Closing recorded the moment as closes_at: reopened with it, the petition would say "open"
        # here and stay closed to everyone, its retention clock still running. Not so an open
        # petition already closed by its date: edited (deliveries paused, live delivery switched on,
        # a title mended), it stays closed and is not being reopened; refused as if it were, it
        # could not be edited at all.
        if (self.status == self.Status.OPEN and self.closes_at and self.closes_at <= now
                and not Petition.objects.filter(pk=self.pk, status=self.Status.OPEN, closes_at__lte=now).exists()):
            raise ValidationError({"closes_at": _(
                "This closing date has passed, so the petition would stay closed. To reopen it, clear the "
                "date or set a later one."
            )})
        # A closed petition's closing moment is the record the retention period runs from. A new date
        # typed in, with the status left at Closed, was overwritten by save() with "now": a later date
        # kept the signers' data a while longer than the privacy page says, and did not reopen it.
        # Seconds only: the admin's form drops the microseconds save() recorded.
        if self.status == self.Status.CLOSED and self.pk:
            recorded = Petition.objects.filter(pk=self.pk, status=self.Status.CLOSED).values_list(
                "closes_at", flat=True).first()
            if recorded and (self.closes_at is None
                             or self.closes_at.replace(microsecond=0) != recorded.replace(microsecond=0)):
                raise ValidationError({"closes_at": _(
                    "It is closed, and this is when it closed: the date stays as it is. To take signatures "
                    "again, set the status to Open with a later closing date, or none."
                )})
        # The constraint petition_closes_after_opening, said where it can be put right: the admin
        # showed it above the form as "Constraint “petition_closes_after_opening” is violated."
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _(
                "It would close before it opens. Set a closing date after it opens, or leave it empty."
            )})
        if would_take_signatures and self.campaign_id and self.campaign.status == Campaign.Status.ARCHIVED:
            raise ValidationError({"status": _(
                "Its campaign is archived, so it takes no signatures. To open it, make the campaign live again."
            )})
        # Anonymised signers have no email left (petitions.retention), so the one-signature-per-address
        # constraint no longer sees them: reopened, the petition would count them again if they signed.
        if (would_take_signatures and self.pk
                and Signature.objects.filter(petition=self, status=Signature.Status.CONFIRMED, email="").exists()):
            raise ValidationError({"status": _(
                "Its signers' personal data has been anonymised, so it can no longer tell who has signed: "
                "reopened, it would count anyone who signs again twice. Start a new petition instead."
            )})

    @property
    def demand_list(self):
        return [line.strip() for line in self.demands.splitlines() if line.strip()]

    #: How long after closing a signature made before it can still be confirmed: the email may be
    #: read hours later. The UK Parliament's petitions site allows the same day
    #: (`closed_for_signing?` in alphagov/e-petitions).
    CONFIRMATION_GRACE = timedelta(hours=24)

    def takes_confirmations(self, now=None):
        """Whether a pending signature may still be confirmed (or get a fresh link): until
        CONFIRMATION_GRACE after the petition closed, by its date or by an organiser."""
        now = now or timezone.now()
        # The grace comes off now rather than onto closes_at: a closing date late in 9999, which the
        # admin accepts, plus a day is past the last date Python has (OverflowError, a 500).
        return self.status != self.Status.DRAFT and (
            self.closes_at is None or now - self.CONFIRMATION_GRACE < self.closes_at
        )

    def is_open_for_signing(self, now=None):
        now = now or timezone.now()
        return (
            self.status == self.Status.OPEN
            and self.opens_at <= now
            and (self.closes_at is None or now < self.closes_at)
        )

    @property
    def opens_later(self):
        """Open, but its signing starts at a time still to come."""
        return self.public_status() == self.SCHEDULED

    # What the public sees of an open petition whose opens_at is still to come: not a stored status
    # (an organiser opens a petition and sets its date; the date alone makes it open later).
    SCHEDULED = "scheduled"

    def public_status(self, now=None):
        """The status the public sees: open only while signatures are taken; scheduled before
        opens_at, closed after closes_at or once closed by an organiser; draft as it is."""
        now = now or timezone.now()
        if self.status == self.Status.DRAFT:
            return self.Status.DRAFT
        if self.status == self.Status.OPEN and self.opens_at > now:
            return self.SCHEDULED
        return self.Status.OPEN if self.is_open_for_signing(now) else self.Status.CLOSED

    def get_public_status_display(self):
        status = self.public_status()
        return _("Not open yet") if status == self.SCHEDULED else self.Status(status).label

    @property
    def delivers_live(self):
        """Both switches: the deployment's DELIVERY_LIVE and this petition's own."""
        return settings.DELIVERY_LIVE and self.live_delivery


class Signature(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class PublicName(models.TextChoices):
        HIDDEN = "hidden", _("Do not show my name")
        INITIAL = "initial", _("First name and initial")
        FULL = "full", _("Full name")

    class EmailDue(models.TextChoices):
        NONE = "", _("Nothing")
        CONFIRM = "confirm", _("Confirmation link")
        ALREADY_SIGNED = "already_signed", _("Already signed")

    # No index of its own: those below that start with the petition serve its lookups. (Every
    # index is written for each signature, and again for most updates: bench/README.md, eighth round.)
    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="signatures", db_index=False,
                                 verbose_name=_("petition"))
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"), max_length=254)
    # Computed by the database, so the uniqueness below holds however a row is written.
    email_normalised = models.GeneratedField(
        expression=Lower(Trim("email")), output_field=models.CharField(max_length=254), db_persist=True,
        verbose_name=_("email, normalised"),
    )
    country = CountryField(_("country"))
    city = models.CharField(_("city"), max_length=100, blank=True)
    organisation = models.CharField(_("signing on behalf of"), max_length=200, blank=True)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    public_name = models.CharField(
        _("name shown publicly"), max_length=10, choices=PublicName, default=PublicName.HIDDEN
    )
    name_in_letter = models.BooleanField(
        _("name included in the letter to the embassy"), default=False,
        help_text=_("Otherwise the signature is only counted in the letter."),
    )
    wants_updates = models.BooleanField(_("wants campaign updates"), default=False)
    language = models.CharField(_("language"), max_length=10, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    # A keyed hash of the signer's IP address (for spotting bursts); the raw address is never stored.
    ip_hash = models.CharField(_("IP address hash"), max_length=64, blank=True, editable=False)
    # Moderation: the reasons a rule flagged it (petitions.moderation), and what an organiser did.
    flags = models.JSONField(_("flagged because"), default=list, blank=True, editable=False)
    reviewed = models.BooleanField(_("reviewed"), default=False)
    comment_approved = models.BooleanField(_("comment approved"), default=False)
    comment_hidden = models.BooleanField(_("comment hidden"), default=False)
    # The outbox (petitions.outbox): the email this signer is owed, kept on the row itself so that
    # it is written by the same INSERT or UPDATE as the signature and survives a broker outage.
    # `email_not_before` is when it may next be tried: a claim's lease, or a retry's backoff.
    email_due = models.CharField(
        _("email owed"), max_length=20, choices=EmailDue, default=EmailDue.NONE, blank=True, editable=False
    )
    email_not_before = models.DateTimeField(_("email not before"), null=True, blank=True, editable=False)
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0, editable=False)
    # Whether this signature is included in petition.signature_count; petitions.counting flips it
    # and adjusts the count in the same transaction, so the count is exact and never double-counts.
    counted = models.BooleanField(_("counted"), default=False, editable=False)
    created_at = models.DateTimeField(_("signed at"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["-created_at"]
        constraints = [
            # One signature per person and petition. Erased signatures (withdrawn, purged) have an
            # empty email and must not collide with each other.
            models.UniqueConstraint(
                fields=["petition", "email_normalised"],
                condition=~Q(email=""),
                name="signature_unique_email_per_petition",
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | Q(confirmed_at__isnull=False),
                name="signature_confirmed_has_timestamp",
            ),
        ]
        indexes = [
            models.Index(fields=["petition", "status", "-confirmed_at"], name="signature_petition_status"),
            # The moderation queue: flagged and not yet looked at.
            models.Index(
                fields=["petition", "created_at"], condition=Q(reviewed=False) & ~Q(flags=[]),
                name="signature_needs_review",
            ),
            # The outbox's work list: signatures owed an email.
            models.Index(fields=["id"], condition=~Q(email_due=""), name="signature_email_due"),
            # The counting job's work list: rows whose `counted` flag disagrees with their status.
            models.Index(
                fields=["petition"],
                condition=(Q(status="confirmed", counted=False) | (Q(counted=True) & ~Q(status="confirmed"))),
                name="signature_count_pending",
            ),
        ]

    def __str__(self):
        name = self.public_display_name or gettext("Name withheld")
        return f"{name} ({self.get_status_display()})"

    @property
    def public_display_name(self):
        """The name as the signer allowed it to be shown publicly, or '' when hidden."""
        if self.public_name == self.PublicName.FULL:
            return f"{self.first_name} {self.last_name}".strip()
        if self.public_name == self.PublicName.INITIAL:
            initial = self.last_name.strip()[:1]
            return f"{self.first_name} {initial}." if initial else self.first_name
        return ""

    @property
    def letter_name(self):
        """The name as it may appear in the letter to the embassy, or '' when only counted."""
        return f"{self.first_name} {self.last_name}".strip() if self.name_in_letter else ""


def private_storage():
    """Letters name people: they are kept outside MEDIA_ROOT and served only through the admin."""
    from django.core.files.storage import FileSystemStorage

    class PrivateStorage(FileSystemStorage):
        # PRIVATE_MEDIA_ROOT when used, not when the models load, as MEDIA_ROOT is for Django's
        # own storage: a changed setting (the tests' temporary directory) moves it too.
        @property
        def base_location(self):
            return settings.PRIVATE_MEDIA_ROOT

        @property
        def location(self):
            return os.path.abspath(self.base_location)

    return PrivateStorage()


class Delivery(models.Model):
    """One letter (a PDF with its signatories) to one embassy, and what became of it.

    Statuses follow pretix's OutgoingMail: a task takes the id, locks the row, skips it when it is
    in flight or final, retries on an explicit delay list, and records a final failure.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        INFLIGHT = "inflight", _("Being sent")
        AWAITING_RETRY = "awaiting_retry", _("Waiting to retry")
        SENT = "sent", _("Sent by email")
        AWAITING_HANDOVER = "awaiting_handover", _("Printed, to hand over")
        HANDED_OVER = "handed_over", _("Handed over")
        FAILED = "failed", _("Failed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        HAND = "hand", _("By hand or post")

    FINAL_STATUSES = {Status.SENT, Status.HANDED_OVER, Status.FAILED}

    petition = models.ForeignKey(Petition, on_delete=models.PROTECT, related_name="deliveries",
                                 verbose_name=_("petition"))
    embassy = models.ForeignKey(Embassy, on_delete=models.PROTECT, related_name="deliveries",
                                verbose_name=_("embassy"))
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.QUEUED)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel, default=Channel.EMAIL)
    is_test = models.BooleanField(
        _("test"), default=True, help_text=_("Sent to the petition's test recipient, not the embassy.")
    )
    recipient = models.EmailField(_("sent to"), blank=True)
    # The record of where a letter went must not change with the directory: a later import may move
    # the mission's city or country, or rename it; a letter handed over kept no address at all.
    addressed_to = models.TextField(
        _("addressed to"), blank=True, editable=False,
        help_text=_("The mission's name and address as the letter printed them."),
    )
    signature_count = models.PositiveIntegerField(_("signatures"), default=0)
    pdf = models.FileField(_("letter (PDF)"), upload_to="deliveries/%Y/%m/", blank=True, storage=private_storage)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    manifest_sha256 = models.CharField(
        _("manifest SHA-256"), max_length=64, blank=True,
        help_text=_("SHA-256 of the batch's signature ids, printed in the letter so it can be verified."),
    )
    message_id = models.CharField(_("email Message-ID"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the status last changed: an "inflight" delivery older than the task time limit was
    # abandoned by a dead worker and is picked up again by the periodic sweep.
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    handover_note = models.TextField(_("how it was handed over"), blank=True)
    # What came of a letter is part of the record a campaign keeps: the date goes in the public log,
    # what the embassy said stays with the organisers (it may name its staff, or need context).
    reply_received_on = models.DateField(
        _("reply received on"), null=True, blank=True,
        help_text=_("When the embassy answered this letter. The public delivery log shows the date."),
    )
    reply = models.TextField(
        _("the embassy's reply"), blank=True,
        help_text=_("What it said, in full or in short. Only organisers see it."),
    )
    signatures = models.ManyToManyField(Signature, through="DeliveryItem", related_name="deliveries",
                                        verbose_name=_("signatures"))

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["petition", "status"], name="delivery_petition_status"),
        ]

    def __str__(self):
        test = " [TEST]" if self.is_test else ""
        return f"{self.petition} → {self.embassy}{test}"

    def embassy_as_addressed(self):
        """The mission's name as the letter printed it, for the public log: in the reader's language
        while the directory still names the mission so; as printed (in English) once an import or an
        organiser has renamed or moved it, because the log is the record of where the letter went."""
        printed = self.addressed_to.partition("\n")[0]
        if printed:
            with translation.override("en"):
                renamed = str(self.embassy) != printed
            if renamed:
                return printed
        return str(self.embassy)


class DeliveryItem(models.Model):
    """Which signature went into which delivery.

    A signature is in at most one test delivery and at most one live delivery: `is_test` copies
    the delivery's flag so the database can enforce it. A permanently failed delivery deletes its
    items, which returns the signatures to the pool for the next attempt.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items", verbose_name=_("delivery"))
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="delivery_items",
                                  verbose_name=_("signature"))
    is_test = models.BooleanField(_("test"))

    class Meta:
        verbose_name = _("delivered signature")
        verbose_name_plural = _("delivered signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["signature", "is_test"], name="deliveryitem_once_per_signature_and_mode"
            ),
        ]

    def __str__(self):
        return f"#{self.signature_id} in delivery #{self.delivery_id}"


class Announcement(models.Model):
    """One supporter told about one case event: claimed before sending, so each person gets it once.

    Keyed on the signature that stands for the person (their latest confirmed signature that
    asked for updates); the email itself is not copied here.
    """

    event = models.ForeignKey("prisoners.CaseEvent", on_delete=models.CASCADE, related_name="announcements",
                              verbose_name=_("event"))
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="announcements",
                                  verbose_name=_("signature"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        constraints = [
            models.UniqueConstraint(fields=["event", "signature"], name="announcement_once_per_signature"),
        ]

    def __str__(self):
        return f"event {self.event_id} → signature {self.signature_id}"
