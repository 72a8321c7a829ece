"""Campaigns, the organisations behind them, the actions they hold, and who runs them."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from prisoners.models import Prisoner

from .former_slugs import KeepsFormerSlugs


class Organisation(models.Model):
    class Kind(models.TextChoices):
        PARTY = "party", _("Political organisation")
        UNION = "union", _("Trade union")
        GROUP = "group", _("Activist group")
        MEDIA = "media", _("Media")
        HUMAN_RIGHTS = "human_rights", _("Human rights organisation")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    name_original = models.CharField(_("name in original language"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.GROUP)
    country = CountryField(_("country"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Campaign(KeepsFormerSlugs, models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        ARCHIVED = "archived", _("Archived")

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True,
        help_text=_("Its web address: /campaigns/slug/. If you change it, the old address keeps working: it "
                    "redirects to the new one, unless another campaign is given the old slug."),
    )
    # Its earlier slugs: their addresses redirect here (campaign.former_slugs); deleted with it.
    former_slugs = GenericRelation("FormerSlug", verbose_name=_("former addresses"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("summary"), max_length=500, help_text=_("One or two sentences for the home page and sharing.")
    )
    story = models.TextField(_("story"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status, default=Status.DRAFT,
        help_text=_("Draft: only organisers see it, its prisoners included. Live: on the home page, its petitions "
                    "open to signing. Archived: off the home page, its page kept for the record; close its "
                    "petitions first."),
    )
    contact_email = models.EmailField(
        _("contact email"), blank=True,
        help_text=_("Where an embassy's reply to a letter goes (its Reply-To). The embassies see it: use the "
                    "campaign's address, not a personal one. Empty: replies go to the site's sending address."),
    )
    prisoners = models.ManyToManyField(
        Prisoner, through="CampaignPrisoner", related_name="campaigns", blank=True, verbose_name=_("prisoners")
    )
    organisations = models.ManyToManyField(
        Organisation, related_name="campaigns", blank=True, verbose_name=_("supporting organisations")
    )
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="organised_campaigns", blank=True,
        verbose_name=_("organisers"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="campaign_status")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaign:detail", args=[self.slug])

    def clean(self):
        super().clean()
        # Archived is over: its page stays for the record, but nothing of it takes signatures. A
        # petition still open (or still to open) would have gone on taking them, and delivering them.
        if self.status == self.Status.ARCHIVED and self.pk:
            still_open = [str(p) for p in self.petitions.taking_or_to_take_signatures()]
            if still_open:
                raise ValidationError({"status": _(
                    "Close its open petitions first, so that it takes no more signatures: %(petitions)s."
                ) % {"petitions": ", ".join(still_open)}})


class CampaignPrisoner(models.Model):
    """A prisoner the campaign is for; `featured` ones lead the page, co-defendants follow."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="prisoner_links",
                                 verbose_name=_("campaign"))
    prisoner = models.ForeignKey(Prisoner, on_delete=models.CASCADE, related_name="campaign_links",
                                 verbose_name=_("prisoner"))
    # Not featured is not "less important" alone: the campaign's page lists such a prisoner under
    # "Co-defendants", and the home page leaves them out.
    featured = models.BooleanField(
        _("featured"), default=False,
        help_text=_("Featured prisoners are named on the home page and lead the campaign's page, with their photo. "
                    "The others are listed there as co-defendants."),
    )
    position = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Lower numbers come first, among the featured and among the others."),
    )

    class Meta:
        verbose_name = _("campaign prisoner")
        verbose_name_plural = _("campaign prisoners")
        ordering = ["-featured", "position", "prisoner__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "prisoner"], name="campaignprisoner_unique"),
        ]

    def __str__(self):
        return f"{self.prisoner} in {self.campaign}"


class SolidarityAction(models.Model):
    """A picket, embassy protest or other public action held for the campaign."""

    class Kind(models.TextChoices):
        PICKET = "picket", _("Picket")
        EMBASSY_PROTEST = "embassy_protest", _("Protest at an embassy")
        RALLY = "rally", _("Rally")
        MEETING = "meeting", _("Public meeting")
        STATEMENT = "statement", _("Public statement")
        OTHER = "other", _("Other")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="actions",
                                 verbose_name=_("campaign"))
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.PICKET)
    date = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, help_text=_("e.g. Embassy of the Russian Federation"))
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    organisers = models.ManyToManyField(
        Organisation, related_name="actions", blank=True, verbose_name=_("organised by")
    )
    description = models.TextField(_("description"), blank=True)
    slogans = models.TextField(_("slogans"), blank=True, help_text=_("One slogan per line."))
    source_url = models.URLField(_("source"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("solidarity action")
        verbose_name_plural = _("solidarity actions")
        ordering = ["-date"]
        indexes = [models.Index(fields=["campaign", "date"], name="action_campaign_date")]

    def __str__(self):
        return f"{self.title} ({self.date:%Y-%m-%d})"

    @property
    def slogan_list(self):
        return [line.strip() for line in self.slogans.splitlines() if line.strip()]


class Membership(models.Model):
    """An organiser of a campaign. Admin permissions are checked against this, in one place."""

    class Role(models.TextChoices):
        EDITOR = "editor", _("Editor (content and moderation)")
        VIEWER = "viewer", _("Viewer (read-only)")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name=_("account"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="memberships",
                                 verbose_name=_("campaign"))
    role = models.CharField(_("role"), max_length=10, choices=Role, default=Role.VIEWER)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("organiser")
        verbose_name_plural = _("organisers")
        constraints = [
            models.UniqueConstraint(fields=["user", "campaign"], name="membership_unique_user_campaign"),
        ]

    def __str__(self):
        return f"{self.user} — {self.campaign} ({self.get_role_display()})"


class AuditEntry(models.Model):
    """Who did what, when, to which object, with before/after: moderation and delivery actions.

    Entries hold no personal data of signers: ids and counts, never names or emails.
    """

    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_entries",
        verbose_name=_("campaign"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("account"),
    )
    action = models.CharField(_("action"), max_length=100, help_text=_("A dotted code, e.g. signature.rejected"))
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="audit_campaign_created")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"


class FormerSlug(models.Model):
    """A slug a campaign, prisoner or criminal case had before an organiser changed it. Its address
    was shared, emailed and listed in sitemaps, so it answers with a permanent redirect to the
    object's current one (campaign.former_slugs). A slug is the current one of at most one object of
    a kind, or the former one of at most one: never both (KeepsFormerSlugs.save keeps it so)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("kind"))
    object_id = models.PositiveBigIntegerField(_("object id"))
    obj = GenericForeignKey("content_type", "object_id")
    # No index of its own: every lookup names the kind too, and the constraint's index covers that.
    slug = models.SlugField(_("slug"), max_length=100, db_index=False)
    created_at = models.DateTimeField(_("replaced at"), default=timezone.now)

    class Meta:
        verbose_name = _("former address")
        verbose_name_plural = _("former addresses")
        constraints = [
            models.UniqueConstraint(fields=["content_type", "slug"], name="formerslug_unique_kind_slug"),
        ]
        # What deleting a campaign, prisoner or case looks its former slugs up by (GenericRelation).
        indexes = [models.Index(fields=["content_type", "object_id"], name="formerslug_object")]

    def __str__(self):
        return self.slug
