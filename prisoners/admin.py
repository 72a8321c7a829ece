from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from campaign import audit
from campaign.admin import CampaignPrisonerInline
from campaign.filters import AllValuesFilter
from campaign.permissions import CampaignScopedAdmin, CampaignScopedInline, campaign_ids, scoped
from campaign.untranslated import ShowsUntranslated
from petitions import announcements

from . import photos
from .models import CaseEvent, CodeArticle, CriminalCase, Defendant, DetentionFacility, Prisoner


@admin.register(DetentionFacility)
class DetentionFacilityAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["name", "city", "region", "prisoner_count"]
    search_fields = ["name", "name_original", "city", "region"]

    def get_queryset(self, request):
        # Only the prisoners this organiser may see: another campaign's (a draft's, say) are not
        # theirs to count either.
        visible = scoped(Prisoner.objects.all(), request.user).values("pk")
        return super().get_queryset(request).annotate(_prisoners=Count("prisoners", filter=Q(prisoners__in=visible)))

    @admin.display(description=_("prisoners"), ordering="_prisoners")
    def prisoner_count(self, obj):
        return obj._prisoners


@admin.register(CodeArticle)
class CodeArticleAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["__str__", "title", "code", "max_sentence"]
    list_filter = ["code"]
    search_fields = ["article", "part", "title"]

    def get_deleted_objects(self, objs, request):
        # The defendants charged under it, as the delete page's protected objects (the page then
        # refuses): deleted, it took each of their charges with it, listed only as nine lines of
        # "Defendant-codearticle relationship: Defendant_charges object (1)".
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        charged = Defendant.objects.filter(charges__in=objs).select_related("prisoner", "case").distinct()
        label = capfirst(Defendant._meta.verbose_name)
        return deleted, counts, perms_needed, [*protected, *(format_html("{}: {}", label, d) for d in charged)]


class DefendantInline(CampaignScopedInline, TranslationTabularInline):
    model = Defendant
    extra = 0
    required_row_message = _(
        "Add a defendant from your campaigns: without one, you could not see the case once saved."
    )
    autocomplete_fields = ["prisoner", "charges"]
    fields = ["prisoner", "role", "charges", "notes", "position"]

    def get_queryset(self, request):
        # Each row is shown under its name (prisoner and case), and its prisoner and charges by
        # name in their fields: without this, four queries a row.
        return super().get_queryset(request).select_related("prisoner", "case").prefetch_related("charges")


class CaseEventInline(CampaignScopedInline, TranslationTabularInline):
    model = CaseEvent
    extra = 0
    autocomplete_fields = ["prisoner"]
    fields = ["date", "date_precision", "kind", "prisoner", "description", "source_url", "source_title"]
    # A hearing's time and court, and announcing it, are on the event's own page: a link to it on
    # each row, as the table has no room for them.
    show_change_link = True

    def get_queryset(self, request):
        # Each row's name has the case's date, and its prisoner field shows the prisoner by name.
        return super().get_queryset(request).select_related("case", "prisoner")


@admin.register(CriminalCase)
class CriminalCaseAdmin(ShowsUntranslated, CampaignScopedAdmin, TranslationAdmin):
    list_display = ["title", "number", "opened_on", "investigating_body", "city", "defendant_count"]
    search_fields = ["title", "number", "summary", "defendants__name"]
    list_filter = [("investigating_body", AllValuesFilter)]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "opened_on"
    inlines = [DefendantInline, CaseEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_defendants=Count("defendant_links"))

    @admin.display(description=_("defendants"), ordering="_defendants")
    def defendant_count(self, obj):
        return obj._defendants


class DefendantOfPrisonerInline(CampaignScopedInline, TranslationTabularInline):
    model = Defendant
    extra = 0
    autocomplete_fields = ["case", "charges"]
    fields = ["case", "role", "charges", "notes"]
    verbose_name_plural = _("criminal cases")

    def get_queryset(self, request):
        # As DefendantInline's: each row's name, its case and its charges, read with the rows.
        return super().get_queryset(request).select_related("prisoner", "case").prefetch_related("charges")


class CampaignPrisonerOfPrisonerInline(CampaignPrisonerInline):
    autocomplete_fields = ["campaign"]
    required_row_message = _(
        "Link the prisoner to one of your campaigns: without one, you could not see it once saved."
    )
    verbose_name_plural = _("campaigns")


class PrisonerForm(forms.ModelForm):
    class Meta:
        model = Prisoner
        fields = "__all__"  # noqa: DJ007 -- the admin's fieldsets decide what is shown

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and hasattr(photo, "content_type"):
            return photos.cleaned(photo)  # a new upload: checked, then re-encoded without metadata
        return photo


@admin.register(Prisoner)
class PrisonerAdmin(ShowsUntranslated, CampaignScopedAdmin, TranslationAdmin):
    form = PrisonerForm
    list_display = ["name", "name_original", "status", "city", "facility", "birth_year"]
    list_filter = ["status"]
    list_select_related = ["facility"]
    search_fields = ["name", "name_original", "city"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["facility"]
    # Linking the prisoner to a campaign here is what makes a new prisoner visible to its organisers.
    inlines = [CampaignPrisonerOfPrisonerInline, DefendantOfPrisonerInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ShowsUntranslated, CampaignScopedAdmin, TranslationAdmin):
    list_display = ["when", "kind", "case", "prisoner", "short_description", "announced_to"]
    list_filter = ["kind", "announce"]
    list_select_related = ["case", "prisoner"]
    search_fields = ["description", "case__title", "prisoner__name"]
    autocomplete_fields = ["case", "prisoner"]
    date_hierarchy = "date"
    readonly_fields = ["announce", "announced_at", "announced_to"]

    def get_urls(self):
        return [
            path("<path:object_id>/announce/", self.admin_site.admin_view(self.announce_view),
                 name="prisoners_caseevent_announce"),
            *super().get_urls(),
        ]

    # "Save and announce…": the event saved as usual (Django's response first, for its "was added
    # successfully" message), then its confirmation page, where nothing is sent until the organiser
    # has seen the email and how many people it goes to.
    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        return self._announce_next(request, obj) or response

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        return self._announce_next(request, obj) or response

    def _announce_next(self, request, obj):
        if "_announce" in request.POST and IS_POPUP_VAR not in request.POST:
            return HttpResponseRedirect(reverse("admin:prisoners_caseevent_announce", args=[obj.pk]))
        return None

    def announce_view(self, request, object_id):
        """Announce the event to supporters, after showing how many and what they will read.

        Only the campaigns this organiser edits (every campaign, for a superuser), as announce()
        is told. Only a POST carrying the key of the page the organiser saw sends anything."""
        event = self.get_object(request, unquote(object_id))  # another campaign's: 404, as its change page
        if not self.has_change_permission(request, event):
            raise PermissionDenied  # a viewer: as its change page answers them a POST
        campaigns = None if request.user.is_superuser else campaign_ids(request.user, editor=True)
        change_url = reverse("admin:prisoners_caseevent_change", args=[event.pk])
        if request.method == "POST":
            return self._confirm_announcement(request, event, campaigns, change_url)
        plan = announcements.plan(event, campaigns)
        languages = dict(settings.LANGUAGES)
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "object": event, "plan": plan,
            "change_url": change_url, "progress": announcements.progress(event),
            "languages": [
                {"code": code, "name": languages.get(code, code), "people": people,
                 "preview": plan.previews[code]} for code, people in plan.by_language.items()
            ],
            "title": self._announce_question(event, plan.people),
        }
        return TemplateResponse(request, "admin/prisoners/caseevent/announce.html", context)

    def _announce_question(self, event, people):
        if not people:
            return _("No supporter to announce this event to")
        if event.announced_at:
            return ngettext(
                "Announce this event to %(n)s supporter not told yet?",
                "Announce this event to %(n)s supporters not told yet?", people,
            ) % {"n": people}
        return ngettext(
            "Announce this event to %(n)s supporter?", "Announce this event to %(n)s supporters?", people,
        ) % {"n": people}

    def _confirm_announcement(self, request, event, campaigns, change_url):
        with transaction.atomic():
            # The event locked while it is checked and announced: a colleague's edit, or their
            # announcement, waits for this one (announce() takes the same lock) or is seen by it.
            event = type(event).objects.select_for_update().filter(pk=event.pk).first()
            if event is None:  # deleted since the permission check
                raise Http404
            plan = announcements.plan(event, campaigns)
            if request.POST.get("key") != plan.key:
                self.message_user(request, _(
                    "Nothing was sent: the event, its announcement or its recipients' languages changed since "
                    "this page was opened (or the form was incomplete). Check the email again below."
                ), messages.ERROR)
                return HttpResponseRedirect(request.path)
            if not plan.people:
                self.message_user(request, _("Nothing was sent: there is no supporter left to tell."),
                                  messages.WARNING)
                return HttpResponseRedirect(change_url)
            people = announcements.announce(event, campaigns)
            audit.record("case_event.announced", user=request.user, obj=event, recipients=people,
                         campaigns=sorted(campaigns) if campaigns is not None else "all")
        self.message_user(request, ngettext(
            "%(n)s supporter will be told, once, in their language.",
            "%(n)s supporters will be told, each once, in their language.", people,
        ) % {"n": people}, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    @admin.display(description=_("date"), ordering="date")
    def when(self, obj):
        return obj.date_shown

    @admin.display(description=_("what happened"))
    def short_description(self, obj):
        return obj.description if len(obj.description) <= 80 else obj.description[:79] + "…"
