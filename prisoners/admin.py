from django.contrib import admin
from django.db.models import Count
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from campaign.admin import CampaignPrisonerInline
from campaign.permissions import CampaignScopedAdmin, CampaignScopedInline

from .models import CaseEvent, CodeArticle, CriminalCase, Defendant, DetentionFacility, Prisoner


@admin.register(DetentionFacility)
class DetentionFacilityAdmin(CampaignScopedAdmin):
    list_display = ["name", "city", "region", "prisoner_count"]
    search_fields = ["name", "name_original", "city", "region"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_prisoners=Count("prisoners"))

    @admin.display(description="prisoners held", ordering="_prisoners")
    def prisoner_count(self, obj):
        return obj._prisoners


@admin.register(CodeArticle)
class CodeArticleAdmin(CampaignScopedAdmin):
    list_display = ["__str__", "title", "code", "max_sentence"]
    list_filter = ["code"]
    search_fields = ["article", "part", "title"]


class DefendantInline(CampaignScopedInline, admin.TabularInline):
    model = Defendant
    extra = 0
    autocomplete_fields = ["prisoner", "charges"]
    fields = ["prisoner", "role", "charges", "notes", "position"]


class CaseEventInline(CampaignScopedInline, TranslationTabularInline):
    model = CaseEvent
    extra = 0
    autocomplete_fields = ["prisoner"]
    fields = ["date", "kind", "prisoner", "description", "source_url", "source_title"]


@admin.register(CriminalCase)
class CriminalCaseAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["title", "number", "opened_on", "investigating_body", "city", "defendant_count"]
    search_fields = ["title", "number", "summary", "defendants__name"]
    list_filter = ["investigating_body"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "opened_on"
    inlines = [DefendantInline, CaseEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_defendants=Count("defendant_links"))

    @admin.display(description="defendants", ordering="_defendants")
    def defendant_count(self, obj):
        return obj._defendants


class DefendantOfPrisonerInline(CampaignScopedInline, admin.TabularInline):
    model = Defendant
    extra = 0
    autocomplete_fields = ["case", "charges"]
    fields = ["case", "role", "charges", "notes"]
    verbose_name_plural = "cases"


class CampaignPrisonerOfPrisonerInline(CampaignPrisonerInline):
    autocomplete_fields = ["campaign"]
    verbose_name_plural = "campaigns"


@admin.register(Prisoner)
class PrisonerAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["name", "name_original", "status", "city", "facility", "birth_year"]
    list_filter = ["status"]
    list_select_related = ["facility"]
    search_fields = ["name", "name_original", "city"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["facility"]
    # Linking the prisoner to a campaign here is what makes a new prisoner visible to its organisers.
    inlines = [CampaignPrisonerOfPrisonerInline, DefendantOfPrisonerInline]


@admin.register(CaseEvent)
class CaseEventAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["date", "kind", "case", "prisoner", "short_description"]
    list_filter = ["kind"]
    list_select_related = ["case", "prisoner"]
    search_fields = ["description", "case__title", "prisoner__name"]
    autocomplete_fields = ["case", "prisoner"]
    date_hierarchy = "date"

    @admin.display(description="what happened")
    def short_description(self, obj):
        return obj.description if len(obj.description) <= 80 else obj.description[:79] + "…"
