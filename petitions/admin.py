from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Value
from django.db.models.functions import Lower, Trim
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries as all_countries
from django_countries.fields import Country
from modeltranslation.admin import TranslationAdmin

from campaign import audit, jobs
from campaign.filters import CountryFilter
from campaign.models import Campaign
from campaign.permissions import CampaignScopedAdmin, CampaignScopedInline, can_change, can_change_any, scoped
from campaign.untranslated import ShowsUntranslated

from . import dashboard, delivery, export, moderation, outbox, publication, retention, signing
from .forms import SignerEmailField
from .models import Accreditation, Delivery, Embassy, Petition, Signature
from .routing import HOW, Router
from .tasks import send_delivery

NO_TEST_RECIPIENT = _(
    "Nothing is delivered: the petition is not live and has no test recipient to send its letters to. "
    "Give it a test recipient (an organiser's address)."
)
DRAFT_DELIVERS_NOTHING = _(
    "Nothing is delivered: the petition is a draft. Open it for signatures first; meanwhile its routing "
    "table previews its letters."
)


NOT_RETURNABLE = _("Only a letter that was sent or handed over can be recorded as returned undelivered.")


def nothing_delivered_because(petition):
    """Why planning (Deliver now, or a failed letter's retry) would plan no letter of the petition:
    delivery.sweep() leaves drafts out, and test letters need a recipient. None when it would."""
    if petition.status == Petition.Status.DRAFT:
        return DRAFT_DELIVERS_NOTHING
    if not petition.delivers_live and not petition.test_recipient:
        return NO_TEST_RECIPIENT
    return None


def report_queued(model_admin, request, ids):
    """How many letters an action queued, and how many of them go to the embassies themselves."""
    model_admin.message_user(request, ngettext(
        "%(n)s delivery queued.", "%(n)s deliveries queued.", len(ids)
    ) % {"n": len(ids)}, messages.SUCCESS)
    if live := Delivery.objects.filter(pk__in=ids, is_test=False).count():
        model_admin.message_user(request, ngettext(
            "Live delivery: %(live)s letter goes to its embassy itself, not to the test recipient.",
            "Live delivery: %(live)s letters go to the embassies themselves, not to the test recipient.", live,
        ) % {"live": live}, messages.WARNING)


class AccreditationInline(CampaignScopedInline, admin.TabularInline):
    model = Accreditation
    extra = 0
    fields = ["country", "from_import"]
    readonly_fields = ["from_import"]  # an organiser's own are kept by the next import

    def get_queryset(self, request):
        # Each row is shown under its name, which names the embassy: without this, a query a row.
        return super().get_queryset(request).select_related("embassy")


@admin.register(Embassy)
class EmbassyAdmin(CampaignScopedAdmin):
    list_display = [
        "__str__", "mission_type", "country", "city", "has_email", "is_delivery_target",
        "contact_verified_on",
    ]
    list_filter = ["mission_type", "is_delivery_target", "contact_verified_on"]
    search_fields = ["name", "city", "country", "email", "wikidata_id", "accreditations__country"]
    inlines = [AccreditationInline]

    @admin.display(description=_("email known"), boolean=True)
    def has_email(self, obj):
        return bool(obj.email)


@admin.register(Petition)
class PetitionAdmin(ShowsUntranslated, CampaignScopedAdmin, TranslationAdmin):
    list_display = [
        "title", "campaign", "status_now", "signature_count", "goal", "delivery_cadence",
        "delivery_paused", "live_delivery",
    ]
    list_filter = ["status", "delivery_cadence", "live_delivery", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["campaign", "fallback_embassy"]
    readonly_fields = ["signature_count", "delivery_tools"]
    actions = ["deliver_now"]
    fieldsets = [
        (None, {"fields": ["campaign", "title", "slug", "summary", "status", "opens_at", "closes_at", "goal"]}),
        (_("The letter"), {"fields": ["addressee", "appeal", "demands"]}),
        (
            _("Delivery"),
            {"fields": [
                "delivery_cadence", "delivery_paused", "test_recipient", "live_delivery", "fallback_embassy",
                "delivery_tools",
            ]},
        ),
        (_("Signers' comments"), {"fields": ["comment_display"]}),
        (_("Count"), {"fields": ["signature_count"]}),
    ]

    # Not the stored status alone: an open petition closes by its date, and opens by it.
    @admin.display(description=_("status"), ordering="status")
    def status_now(self, obj):
        return obj.get_public_status_display()

    def get_readonly_fields(self, request, obj=None):
        # The slug is in the address of every link emailed to its signers (confirm, fresh link,
        # withdraw) and of the page shared elsewhere: changed, each of them was a 404, and a
        # signer could no longer confirm or withdraw. Fixed once anyone could have it.
        if obj is not None and (obj.status != Petition.Status.DRAFT or obj.signatures.exists()):
            return [*self.readonly_fields, "slug"]
        return self.readonly_fields

    def get_prepopulated_fields(self, request, obj=None):
        if "slug" in self.get_readonly_fields(request, obj):
            return {}  # filled from the title only while it can still change
        return super().get_prepopulated_fields(request, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.status != Petition.Status.DRAFT and obj.campaign.status == Campaign.Status.DRAFT:
            # Petition.objects.public() leaves it out: opened here, it would take no signature.
            self.message_user(request, _(
                "No one else can see or sign this petition yet: its campaign “%(campaign)s” is a draft. "
                "Set the campaign to Live to publish it."
            ) % {"campaign": obj.campaign}, messages.WARNING)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/routing/", wrap(self.routing_view), name="petitions_petition_routing"),
            path("<int:pk>/signatures.csv", wrap(self.export_view), name="petitions_petition_export"),
            path("<int:pk>/dashboard/", wrap(self.dashboard_view), name="petitions_petition_dashboard"),
            path("<int:pk>/preview/<int:embassy_pk>/", wrap(self.preview_view), name="petitions_petition_preview"),
            *super().get_urls(),
        ]

    @admin.display(description=_("delivery tools"))
    def delivery_tools(self, obj):
        if not obj.pk:
            return "—"
        if obj.delivers_live:
            mode = _("LIVE: letters go to the embassies")
        elif obj.test_recipient:
            mode = _("TEST: every letter goes to the test recipient")
        else:
            mode = NO_TEST_RECIPIENT
        if obj.status == Petition.Status.DRAFT:  # what opening it will do, too: live, say
            mode = format_html("{} {}", _("While it is a draft, nothing is delivered. Once it is open:"), mode)
        outlook = retention.outlook(obj)
        return format_html(
            '<strong>{}</strong>{}{}<br><a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>'
            ' · <a href="{}">{}</a>',
            mode, render_to_string("admin/petitions/petition/outlook.html", {"outlook": outlook}) if outlook else "",
            self._unverified_warning(obj),
            reverse("admin:petitions_petition_dashboard", args=[obj.pk]), _("Dashboard"),
            reverse("admin:petitions_petition_routing", args=[obj.pk]), _("Routing table and letter previews"),
            reverse("admin:petitions_delivery_changelist") + f"?petition__id__exact={obj.pk}", _("Deliveries"),
            reverse("admin:petitions_petition_export", args=[obj.pk]), _("Export signatures (CSV)"),
        )

    def _unverified_warning(self, petition):
        embassies = delivery.unverified_recipients(petition)
        if not embassies:
            return ""
        names = ", ".join(str(embassy) for embassy in embassies)
        return format_html(
            '<ul class="messagelist"><li class="warning">{} <a href="{}">{}</a></li></ul>',
            ngettext(
                "Live letters of this petition would be emailed to an embassy whose contact details no organiser "
                "has verified: %(embassies)s. An address from the import may be years old, and a letter names "
                "people: check it, and set “contact details verified on”.",
                "Live letters of this petition would be emailed to %(n)s embassies whose contact details no "
                "organiser has verified: %(embassies)s. An address from the import may be years old, and a letter "
                "names people: check them, and set “contact details verified on”.", len(embassies),
            ) % {"n": len(embassies), "embassies": names},
            reverse("admin:petitions_embassy_changelist") + "?contact_verified_on__isnull=True", _("Embassies"),
        )

    def dashboard_view(self, request, pk):
        petition = self._petition_or_404(request, pk)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "petition": petition,
            "title": _("Dashboard of %(petition)s") % {"petition": petition}, **dashboard.facts(petition),
            "outlook": retention.outlook(petition),
        }
        return TemplateResponse(request, "admin/petitions/petition/dashboard.html", context)

    def export_view(self, request, pk):
        """All signatures of the petition as CSV, streamed (100,000 rows never sit in memory)."""
        petition = self._petition_or_404(request, pk)
        if not self.has_change_permission(request, petition):
            # Every signer's name and address at once: for the campaign's editors, not its viewers.
            self.message_user(request, _("Only the campaign's editors can export its signatures."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:petitions_petition_change", args=[petition.pk]))
        audit.record("signatures.exported", user=request.user, campaign_id=petition.campaign_id, obj=petition)
        response = StreamingHttpResponse(export.rows(petition), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="signatures-{petition.slug}.csv"'
        return response

    def _petition_or_404(self, request, pk):
        petition = self.get_queryset(request).filter(pk=pk).first()
        if petition is None or not self.has_view_permission(request, petition):
            raise Http404
        return petition

    def routing_view(self, request, pk):
        """Which countries route where, how many signatures each, and which have no route."""
        petition = self._petition_or_404(request, pk)
        router = Router(petition)
        confirmed = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
        pending_test = delivery.undelivered(petition, is_test=True).values("country").annotate(n=Count("pk"))
        pending_live = dict(
            delivery.undelivered(petition, is_test=False).values_list("country").annotate(n=Count("pk"))
        )
        test_pending = {row["country"]: row["n"] for row in pending_test}
        rows = []
        for row in confirmed.values("country").annotate(n=Count("pk")).order_by("-n", "country"):
            code = row["country"]
            rows.append({
                "country": Country(code), "count": row["n"], "embassy": router.route(code),
                "how": HOW[router.how(code)],
                "not_live_delivered": pending_live.get(code, 0), "not_test_delivered": test_pending.get(code, 0),
            })
        signed_from = {row["country"].code for row in rows}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "petition": petition,
            "rows": rows,
            "unrouted": sum(r["count"] for r in rows if r["embassy"] is None),
            # Every country a signer can choose, not only those signed from so far: before launch is
            # when an organiser can still pick a fallback target for them.
            "no_route_yet": ", ".join(
                f"{name} ({code})" for code, name in all_countries
                if code not in signed_from and router.route(code) is None
            ),
            "title": _("Routing of %(petition)s") % {"petition": petition},
        }
        return TemplateResponse(request, "admin/petitions/petition/routing.html", context)

    def preview_view(self, request, pk, embassy_pk):
        """The letter this embassy would get now, rendered without sending or recording anything."""
        petition = self._petition_or_404(request, pk)
        embassy = Embassy.objects.filter(pk=embassy_pk).first()
        if embassy is None:
            raise Http404
        router = Router(petition)
        is_test = not petition.delivers_live
        countries = [
            code for code in delivery.undelivered(petition, is_test).values_list("country", flat=True).distinct()
            if router.route(code) == embassy
        ]
        signatures = (
            delivery.undelivered(petition, is_test).filter(country__in=countries)
            .order_by(*delivery.LETTER_ORDER)
        )
        draft = Delivery(
            petition=petition, embassy=embassy, is_test=is_test,
            channel=Delivery.Channel.EMAIL if embassy.email else Delivery.Channel.HAND,
        )
        from .pdf import render_letter  # reportlab (25 MB) only in the web process that previews a letter

        pdf, _manifest, _count = render_letter(draft, signatures.iterator(chunk_size=2000))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="preview-{petition.slug}-{embassy.pk}.pdf"'
        return response

    @admin.action(permissions=["change"], description=_("Deliver now (new signatures of the selected petitions)"))
    def deliver_now(self, request, queryset):
        live = [p for p in queryset if p.delivers_live and p.status != Petition.Status.DRAFT]
        if live and request.POST.get("post") != "yes":
            # A letter emailed to an embassy cannot be called back: say so, and wait for a Yes (as
            # "Delete selected" does). In test mode the letters go to an organiser: no need to ask.
            return TemplateResponse(request, "admin/petitions/petition/deliver_now_confirmation.html", {
                **self.admin_site.each_context(request), "opts": self.model._meta,
                "live": [(petition, delivery.unverified_recipients(petition)) for petition in live],
                "queryset": queryset, "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "title": _("Send letters to the embassies?"),
            })
        planned = []
        for petition in queryset:
            if reason := nothing_delivered_because(petition):
                self.message_user(request, f"{petition}: {reason}", messages.WARNING)
            elif self.has_change_permission(request, petition):
                ids = delivery.sweep(petition=petition)
                audit.record("delivery.deliver_now", user=request.user, campaign_id=petition.campaign_id,
                             obj=petition, deliveries=ids)
                planned += ids
                if stranded := delivery.unrouted(petition):
                    # A new site's directory is empty until an administrator imports it: "0 deliveries
                    # queued." alone read as "nothing new to send".
                    self.message_user(request, ngettext(
                        "%(petition)s: %(n)s confirmed signature is in no letter: no embassy in the directory "
                        "covers its country and the petition has no fallback target (see its routing table).",
                        "%(petition)s: %(n)s confirmed signatures are in no letter: no embassy in the directory "
                        "covers their countries and the petition has no fallback target (see its routing table).",
                        stranded,
                    ) % {"petition": petition, "n": stranded}, messages.WARNING)
        report_queued(self, request, planned)


class EraseForm(forms.Form):
    email = forms.EmailField(label=_("the person's email address"))


class NeedsReviewFilter(admin.SimpleListFilter):
    title = _("moderation")
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("queue", _("Flagged, not yet reviewed")), ("flagged", _("Flagged (all)")),
                ("organisations", _("Naming an organisation, not yet approved"))]

    def queryset(self, request, queryset):
        if self.value() == "organisations":
            return queryset.filter(status=Signature.Status.CONFIRMED, reviewed=False).exclude(organisation="")
        if self.value() == "queue":
            return queryset.filter(reviewed=False).exclude(flags=[])
        if self.value() == "flagged":
            return queryset.exclude(flags=[])
        return queryset


class SignatureAdminForm(forms.ModelForm):
    """A signature typed in (from a paper list, say) or corrected: its address is checked as the sign
    form checks it, and against the petition's other signatures -- a form error, not a database one."""

    # No Meta: the admin gives the model and fields. Labels capitalised as the admin does the model's
    # own (a declared field's label is shown as given: "email", "language" among "First name"...).
    email = SignerEmailField(label=capfirst(_("email")), max_length=254)
    # One of the site's: the signer's emails are written in it, and their links (unsubscribe,
    # withdraw) carry it in their path. In any other ("pl", "German") those links were a 404.
    language = forms.ChoiceField(label=capfirst(_("language")), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None and "status" in self.fields:
            # Typed in, a signature is either to be confirmed by its signer or confirmed already.
            status = self.fields["status"]
            status.choices = [(s.value, s.label) for s in (Signature.Status.PENDING, Signature.Status.CONFIRMED)]
            status.help_text = _(
                "Pending: we email the signer a link to confirm, as when signing on the site; counted once they "
                "do. Confirmed: counted at once, for a signature given in person (a paper list, say)."
            )

    def clean(self):
        cleaned = super().clean()
        petition = cleaned.get("petition") or getattr(self.instance, "petition", None)
        email = cleaned.get("email")
        if petition and email:
            others = Signature.objects.filter(petition=petition).exclude(pk=self.instance.pk)
            if others.filter(email_normalised=Lower(Trim(Value(email)))).exists():
                self.add_error("email", _("This address has already signed this petition."))
        return cleaned


@admin.register(Signature)
class SignatureAdmin(CampaignScopedAdmin):
    form = SignatureAdminForm
    list_display = [
        "__str__", "petition", "status", "country", "city", "public_name", "name_in_letter", "organisation",
        "short_comment", "created_at", "flag_reasons",
    ]
    list_filter = [
        NeedsReviewFilter, "status", "public_name", "name_in_letter", "wants_updates", ("country", CountryFilter),
        ("petition", admin.RelatedOnlyFieldListFilter),
    ]
    actions = ["approve", "reject_as_spam", "restore", "hide_name", "hide_comment"]
    list_select_related = ["petition"]
    search_fields = ["email_normalised", "last_name", "first_name", "organisation"]
    autocomplete_fields = ["petition"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "email_normalised", "ip_hash", "created_at", "confirmed_at", "updated_at", "counted", "flag_reasons",
    ]
    # The petition's list can hold hundreds of thousands of rows: skip the second COUNT(*).
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        # A signature's status changes through the moderation actions (and the signer's links), which
        # keep the count, the deliveries and the audit log right; and it stays on the petition it signed.
        fields = [*self.readonly_fields, "letters", "petition", "status"]
        if obj.delivery_items.filter(is_test=False).exists():
            # Its country chose the embassy its letter went to, and it is delivered once: changed
            # now, it went to no other embassy, and a letter sent again (a retry) listed the signer
            # under a country that was not the embassy's.
            fields.append("country")
        return fields

    @admin.display(description=_("letters"))
    def letters(self, obj):
        """Which letters name or count this signature: how an organiser answers "has my signature
        reached the embassy?"."""
        items = obj.delivery_items.select_related("delivery__embassy").order_by("delivery__created_at", "pk")
        rows = []
        for item in items:
            row = format_html(
                '<a href="{}">{}</a>: {}', reverse("admin:petitions_delivery_change", args=[item.delivery_id]),
                item.delivery.embassy, item.delivery.get_status_display(),
            )
            rows.append(format_html("{} ({})", row, _("a test, to the petition's test recipient")) if item.is_test
                        else row)
        if not rows:
            return _("In no letter yet.")
        if any(not item.is_test for item in items):
            rows.append(escape(_("Its country stays as its letter was addressed: a signature is delivered once.")))
        return format_html_join(mark_safe("<br>"), "{}", ((row,) for row in rows))

    def save_model(self, request, obj, form, change):
        if change:
            # Only what the organiser changed: the rest of the row, as read when the form was
            # posted, may have changed since (the signer confirmed, or withdrew and was erased).
            if form.changed_data:
                obj.save(update_fields=[*form.changed_data, "updated_at"])
            # A pending signature's address corrected (mistyped from a paper list, say): its link
            # went to the old address, if anywhere, and it waited unconfirmed until deleted a month
            # later. The new address gets one -- if still pending as read now, not as the form read it.
            if "email" in form.changed_data and obj.petition.takes_confirmations() and Signature.objects.filter(
                    pk=obj.pk, status=Signature.Status.PENDING).update(
                    email_due=Signature.EmailDue.CONFIRM, updated_at=timezone.now()):
                outbox.schedule()
            return
        if obj.status == Signature.Status.CONFIRMED and obj.confirmed_at is None:
            obj.confirmed_at = timezone.now()  # typed in as confirmed: from a paper list, say
        if obj.status == Signature.Status.PENDING:
            # Typed in as pending: the signer confirms through the link we email them, as if they had
            # signed on the site. Without it nothing ever sent one, and the signature waited forever.
            obj.email_due = Signature.EmailDue.CONFIRM
        super().save_model(request, obj, form, change)
        if obj.email_due:
            outbox.schedule()

    def has_delete_permission(self, request, obj=None):
        # A signature leaves through "reject as spam", "erase a person's data" or the signer's own
        # withdraw link, which keep the count, the letters being sent and the audit log right.
        # Deleted, it stayed in the count, and the record of a letter already sent lost its row.
        return False

    def get_urls(self):
        return [
            path("erase/", self.admin_site.admin_view(self.erase_view), name="petitions_signature_erase"),
            *super().get_urls(),
        ]

    def erase_view(self, request):
        """Erase a person on request: every signature with this address, in the campaigns this
        organiser edits (all campaigns for a superuser). The audit log records that it happened,
        and how many signatures, never the address."""
        if not can_change_any(request.user, Signature):
            raise PermissionDenied
        form = EraseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            mine = scoped(Signature.objects.all(), request.user, editor=True).exclude(email="")
            targets = mine.filter(email_normalised=Lower(Trim(Value(form.cleaned_data["email"]))))
            by_campaign = {}
            for campaign_id in targets.values_list("petition__campaign", flat=True):
                by_campaign[campaign_id] = by_campaign.get(campaign_id, 0) + 1
            erased = signing.erase(targets)
            for campaign_id, count in by_campaign.items():
                audit.record("person.erased", user=request.user, campaign_id=campaign_id, signatures=count)
            self.message_user(
                request, ngettext("%(n)s signature erased.", "%(n)s signatures erased.", erased) % {"n": erased},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:petitions_signature_changelist"))
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": _("Erase a person's data"),
        }
        return TemplateResponse(request, "admin/petitions/signature/erase.html", context)

    # What an organiser approves or hides (the organisation a signer named, their comment): on the
    # list, the moderation queue can be worked through without opening each signature.
    @admin.display(description=_("comment"))
    def short_comment(self, obj):
        return obj.comment if len(obj.comment) <= 80 else obj.comment[:79] + "…"

    @admin.display(description=_("flagged because"))
    def flag_reasons(self, obj):
        return moderation.describe(obj.flags) or "—"

    def _moderate(self, request, queryset, action, label):
        # Only signatures of campaigns this user edits (the changelist is already scoped to what
        # they may see; a viewer may see but not change).
        chosen = scoped(queryset, request.user, editor=True)
        by_campaign = {}
        for pk, campaign_id in chosen.values_list("pk", "petition__campaign"):
            by_campaign.setdefault(campaign_id, []).append(pk)
        changed = action(chosen)
        for campaign_id, ids in by_campaign.items():
            audit.record(f"signature.{label}", user=request.user, campaign_id=campaign_id, signature_ids=ids)
        self.message_user(request, ngettext(
            "%(n)s signature changed.", "%(n)s signatures changed.", changed
        ) % {"n": changed}, messages.SUCCESS)

    @admin.action(permissions=["change"], description=_("Approve (and show the comment where comments need approval)"))
    def approve(self, request, queryset):
        self._moderate(request, queryset, moderation.approve, "approved")
        if queryset.filter(status=Signature.Status.REJECTED).exists():
            self.message_user(request, _(
                "Signatures rejected as spam stay rejected: approving them does not bring them back. "
                "To bring them back, use “Undo a rejection as spam”."
            ), messages.WARNING)

    @admin.action(permissions=["change"], description=_("Reject as spam (out of the count and of deliveries)"))
    def reject_as_spam(self, request, queryset):
        self._moderate(request, queryset, moderation.reject_as_spam, "rejected")

    @admin.action(permissions=["change"],
                  description=_("Undo a rejection as spam (back into the count and deliveries)"))
    def restore(self, request, queryset):
        self._moderate(request, queryset, moderation.restore, "restored")

    @admin.action(permissions=["change"], description=_("Hide the public name"))
    def hide_name(self, request, queryset):
        self._moderate(request, queryset, moderation.hide_name, "name_hidden")
        self._report_still_in_queue(request, queryset)

    @admin.action(permissions=["change"], description=_("Hide the comment"))
    def hide_comment(self, request, queryset):
        self._moderate(request, queryset, moderation.hide_comment, "comment_hidden")
        self._report_still_in_queue(request, queryset)

    def _report_still_in_queue(self, request, queryset):
        # Hiding is no approval (petitions.moderation): say so, or the queue not emptying looks like a fault.
        if waiting := scoped(queryset, request.user, editor=True).filter(publication.AWAITING_REVIEW).count():
            self.message_user(request, ngettext(
                "%(n)s signature is flagged and still waiting for review: nothing else it says is shown until "
                "you approve it.",
                "%(n)s signatures are flagged and still waiting for review: nothing else they say is shown until "
                "you approve them.", waiting,
            ) % {"n": waiting}, messages.INFO)


HANDOVER_FIELDS = ["handed_over_at", "handover_note"]
REPLY_FIELDS = ["reply_received_on", "reply"]


class DeliveryForm(forms.ModelForm):
    """What an organiser records on a letter: when and how it was handed over, while it waits to be;
    the embassy's reply, once it was delivered. The page offers each only then (get_fieldsets);
    these checks hold for a page loaded before a worker changed the letter."""

    class Meta:
        model = Delivery
        fields = [*HANDOVER_FIELDS, *REPLY_FIELDS]

    def clean(self):
        cleaned = super().clean()
        changed = set(self.changed_data)
        if changed & set(HANDOVER_FIELDS):
            self._clean_handover(cleaned)
        if changed & set(REPLY_FIELDS):
            self._clean_reply(cleaned)
        return cleaned

    def _clean_handover(self, cleaned):
        if self.instance.status != Delivery.Status.AWAITING_HANDOVER:
            raise forms.ValidationError(_("Only a letter waiting to be handed over can be recorded as handed over."))
        when = cleaned.get("handed_over_at")
        # A mistyped year would record a handover that has not happened, which the public log and
        # JSON then give as the latest delivery. Some grace: a time typed is to the minute, and the
        # admin's "Now" is the browser's clock.
        made = self.instance.created_at.replace(second=0, microsecond=0)
        if not when:
            self.add_error("handed_over_at", _("When was it handed over?"))
        elif not made <= when <= timezone.now() + timedelta(minutes=5):
            self.add_error("handed_over_at", _(
                "It can only be handed over after the letter was made and not later than now."))

    def _clean_reply(self, cleaned):
        if self.instance.status not in delivery.RETURNABLE or self.instance.is_test:
            raise forms.ValidationError(_("Only a letter delivered to its embassy can have a reply recorded."))
        when, text = cleaned.get("reply_received_on"), cleaned.get("reply", "").strip()
        if "reply_received_on" in self.errors or (when is None and not text):
            return  # a date that is no date is said already; both emptied is a reply recorded by mistake
        if when is None:
            self.add_error("reply_received_on", _("When did the reply arrive?"))
        else:
            went = timezone.localdate(self.instance.sent_at or self.instance.handed_over_at)
            if not went <= when <= timezone.localdate():
                self.add_error("reply_received_on", _(
                    "A reply can only be received after the letter went, and not later than today."))
        if not text:
            self.add_error("reply", _("What did the embassy reply? A few words will do."))


def _posted(request, names):
    """Those of these fields a form sent (a date and time comes as name_0 and name_1). A page loaded
    before a worker or a colleague changed the letter offered them: left out of the form now, they
    were dropped unsaid under "changed successfully". Kept in, DeliveryForm says why they cannot be
    recorded."""
    if request.method != "POST":
        return set()
    return {name for name in names if name in request.POST or f"{name}_0" in request.POST}


class ReturnForm(forms.Form):
    """Recording a letter that came back undelivered."""

    what_came_back = forms.CharField(
        label=_("What came back"), max_length=2000, strip=True, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The reason the returning mail server gave (such as “550 5.1.1 mailbox unavailable”), "
                    "or how the posted letter came back. It is kept on the delivery's record."),
    )


@admin.register(Delivery)
class DeliveryAdmin(CampaignScopedAdmin):
    form = DeliveryForm
    list_display = [
        "__str__", "status", "channel", "is_test", "signature_count", "attempts", "created_at", "sent_at",
        "letter_link",
    ]
    list_filter = ["status", "channel", "is_test", ("petition", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["petition", "embassy"]
    search_fields = ["embassy__name", "embassy__city", "message_id", "pdf_sha256", "manifest_sha256"]
    readonly_fields = [
        "petition", "embassy", "status", "channel", "is_test", "recipient", "signature_count", "letter_link",
        "addressed_to", "pdf_sha256", "manifest_sha256", "message_id", "attempts", "last_error", "created_at",
        "sent_at", "item_count", "came_back",
    ]
    fieldsets = [
        (None, {"fields": ["petition", "embassy", "status", "channel", "is_test", "recipient", "signature_count",
                           "came_back"]}),
        (_("The letter"), {"fields": ["letter_link", "addressed_to", "pdf_sha256", "manifest_sha256", "message_id"]}),
        (_("Sending"), {"fields": ["attempts", "last_error", "created_at", "sent_at", "item_count"]}),
        (_("Hand or postal delivery"), {"fields": HANDOVER_FIELDS}),
        (_("The embassy's reply"), {"fields": REPLY_FIELDS}),
    ]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False  # deliveries are planned by the system, never typed in

    def has_delete_permission(self, request, obj=None):
        # A delivery is the record of what was sent. Deleting it would also free its signatures
        # to be sent again, to the same embassy.
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/letter.pdf", wrap(self.letter_view), name="petitions_delivery_letter"),
            path("<int:pk>/returned/", wrap(self.returned_view), name="petitions_delivery_returned"),
            *super().get_urls(),
        ]

    def letter_view(self, request, pk):
        """The stored letter. Letters name people: only through the admin, never a public URL."""
        found = self.get_queryset(request).filter(pk=pk).first()
        if found is None or not found.pdf or not self.has_view_permission(request, found):
            raise Http404
        if found.status == Delivery.Status.AWAITING_HANDOVER:
            with delivery.letter_lock(found):  # a withdrawal meanwhile waits, or is seen here
                if delivery.outdated(found):
                    if not delivery.batch_signatures(found).exists():
                        # Nothing left to hand over: as a letter to be emailed would be, it is failed.
                        delivery.fail(found, "nothing to send: every signature in it was withdrawn or rejected")
                        self.message_user(request, _(
                            "Every signature in this letter was withdrawn or rejected since it was printed: "
                            "there is nothing to hand over."), messages.WARNING)
                        return HttpResponseRedirect(reverse("admin:petitions_delivery_change", args=[found.pk]))
                    delivery.render(found)  # to be printed: it must not name someone who has withdrawn since
        try:
            letter = found.pdf.open("rb")
        except FileNotFoundError:  # its storage lost it (a restored database, a moved PRIVATE_MEDIA_ROOT)
            raise Http404 from None
        response = FileResponse(letter, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="letter-{found.pk}.pdf"'
        return response

    def get_fieldsets(self, request, obj=None):
        """What the page offers is what can be done with this letter: the link to record it as
        returned on a letter sent or handed over, for those who may; the handover fields on a
        printed letter only; the embassy's reply on a letter delivered to it."""
        fieldsets = super().get_fieldsets(request, obj)
        leave_out = set()
        delivered = obj is not None and obj.status in delivery.RETURNABLE
        if not delivered or not self.has_change_permission(request, obj):
            leave_out.add("came_back")
        if obj is None or obj.status not in (Delivery.Status.AWAITING_HANDOVER, Delivery.Status.HANDED_OVER):
            leave_out.update(HANDOVER_FIELDS)
        if not delivered or obj.is_test:
            leave_out.update(REPLY_FIELDS)
        leave_out -= _posted(request, [*HANDOVER_FIELDS, *REPLY_FIELDS])
        trimmed = [(name, {**options, "fields": [f for f in options["fields"] if f not in leave_out]})
                   for name, options in fieldsets]
        return [(name, options) for name, options in trimmed if options["fields"]]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Delivery.Status.AWAITING_HANDOVER:
            posted = _posted(request, HANDOVER_FIELDS)  # the form says why they cannot be recorded
            return [*self.readonly_fields, *(f for f in HANDOVER_FIELDS if f not in posted)]  # recorded, or nothing
        return self.readonly_fields

    @admin.display(description=_("returned undelivered"))
    def came_back(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:petitions_delivery_returned", args=[obj.pk]),
                           _("Record that this letter came back undelivered"))

    def returned_view(self, request, pk):
        """An embassy's mail server bounced the letter after accepting it (the bounce comes to our
        sender, DEFAULT_FROM_EMAIL), or the post sent it back: the record, the public log and the
        totals must not go on saying it was delivered, and its signatures must go again."""
        found = self.get_queryset(request).select_related("petition", "embassy").filter(pk=pk).first()
        if found is None:
            raise Http404
        if not self.has_change_permission(request, found):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse("admin:petitions_delivery_change", args=[found.pk]))
        if found.status not in delivery.RETURNABLE:
            self.message_user(request, NOT_RETURNABLE, messages.ERROR)
            return back
        form = ReturnForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            note = form.cleaned_data["what_came_back"]
            try:
                freed = delivery.record_return(found, note)
            except ValueError:  # recorded meanwhile, by a colleague or in another tab
                self.message_user(request, NOT_RETURNABLE, messages.ERROR)
                return back
            audit.record("delivery.returned", user=request.user, campaign_id=found.petition.campaign_id, obj=found,
                         note=note, signatures=freed)
            self.message_user(request, self._returned_message(request, found, freed), messages.SUCCESS)
            return back
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": found, "form": form,
            "title": _("Record that a letter came back undelivered"),
        }
        return TemplateResponse(request, "admin/petitions/delivery/returned.html", context)

    @staticmethod
    def _returned_message(request, returned, freed):
        if not freed:
            return _("The letter is recorded as returned undelivered. None of its signatures is still confirmed: "
                     "there is nothing to send again.")
        message = ngettext(
            "The letter is recorded as returned undelivered. Its %(n)s signature goes in the petition's next "
            "letter to %(embassy)s.",
            "The letter is recorded as returned undelivered. Its %(n)s signatures go in the petition's next "
            "letter to %(embassy)s.", freed,
        ) % {"n": freed, "embassy": returned.embassy}
        if returned.channel == Delivery.Channel.EMAIL and not returned.is_test:
            # The next letter goes to the same address unless someone corrects it, which not every
            # organiser may (campaign.permissions: superusers only, today).
            message += " " + (
                _("If its email address is wrong, correct it in the embassy directory before then.")
                if can_change(request.user, returned.embassy) else
                _("If its email address is wrong, ask an administrator to correct it in the embassy directory "
                  "before then.")
            )
        return message

    @admin.display(description=_("letter (PDF)"))
    def letter_link(self, obj):
        if not obj.pdf:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:petitions_delivery_letter", args=[obj.pk]), _("PDF"))

    @admin.display(description=_("signatures linked"))
    def item_count(self, obj):
        return obj.items.count()

    def save_model(self, request, obj, form, change):
        # Nothing else is saved from this form: the whole row, as read when it was posted, would put
        # back a status a worker has changed since (a letter just sent, then taken for abandoned).
        changed = set(form.changed_data) if change else set()
        if changed & set(REPLY_FIELDS):
            try:
                delivery.record_reply(obj, obj.reply_received_on, obj.reply.strip())
            except ValueError:  # returned undelivered meanwhile
                self.message_user(request, _(
                    "Only a letter delivered to its embassy can have a reply recorded."), messages.ERROR)
                return
            audit.record("delivery.reply_recorded", user=request.user, campaign_id=obj.petition.campaign_id,
                         obj=obj, received_on=obj.reply_received_on.isoformat() if obj.reply_received_on else None)
        if changed & set(HANDOVER_FIELDS) and obj.status == Delivery.Status.AWAITING_HANDOVER:
            try:
                delivery.record_handover(obj, obj.handover_note, obj.handed_over_at)
            except ValueError:  # no longer waiting: failed meanwhile (everyone in it withdrew)
                self.message_user(request, _(
                    "Only a letter waiting to be handed over can be recorded as handed over."), messages.ERROR)
                return
            audit.record("delivery.handed_over", user=request.user, campaign_id=obj.petition.campaign_id, obj=obj,
                         before=Delivery.Status.AWAITING_HANDOVER, after=Delivery.Status.HANDED_OVER,
                         note=obj.handover_note)

    @admin.action(permissions=["change"], description=_("Retry now (waiting or failed deliveries)"))
    def retry(self, request, queryset):
        retried = []
        for item in queryset.filter(status__in=[Delivery.Status.AWAITING_RETRY, Delivery.Status.FAILED]):
            if not self.has_change_permission(request, item):
                continue
            if item.status == Delivery.Status.FAILED and item.petition.delivery_paused:
                # Planning afresh would plan every new letter of the petition (live ones too, if it
                # has gone live since), which its organisers paused.
                self.message_user(request, _(
                    "%(delivery)s: not retried, the petition's deliveries are paused. Its signatures wait "
                    "until they resume (or until Deliver now)."
                ) % {"delivery": item}, messages.WARNING)
                continue
            if item.status == Delivery.Status.FAILED and (reason := nothing_delivered_because(item.petition)):
                # It would plan nothing, and "0 deliveries queued." said nothing of why.
                self.message_user(request, f"{item}: {reason}", messages.WARNING)
                continue
            audit.record("delivery.retried", user=request.user, campaign_id=item.petition.campaign_id, obj=item,
                         status=item.status)
            if item.status == Delivery.Status.FAILED:
                # Its signatures went back to the pool: plan them afresh for this petition (live
                # letters, if it has gone live since: report_queued says so).
                retried += delivery.sweep(petition=item.petition)
            else:
                Delivery.objects.filter(pk=item.pk).update(status_changed_at=timezone.now())
                jobs.enqueue_on_commit(send_delivery, item.pk)
                retried.append(item.pk)
        report_queued(self, request, retried)
