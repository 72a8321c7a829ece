from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from .models import Campaign, CampaignPrisoner, Membership, Organisation, SolidarityAction


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "website"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "name_original", "description"]


class CampaignPrisonerInline(admin.TabularInline):
    model = CampaignPrisoner
    extra = 0
    autocomplete_fields = ["prisoner"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(TranslationAdmin):
    list_display = ["title", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organisations"]
    inlines = [CampaignPrisonerInline, MembershipInline]


@admin.register(SolidarityAction)
class SolidarityActionAdmin(TranslationAdmin):
    list_display = ["title", "date", "kind", "city", "country", "campaign"]
    list_filter = ["kind", "country", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title", "place", "city", "description"]
    autocomplete_fields = ["campaign", "organisers"]
    date_hierarchy = "date"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "campaign", "role", "created_at"]
    list_filter = ["role", "campaign"]
    list_select_related = ["user", "campaign"]
    search_fields = ["user__username", "campaign__title"]
    autocomplete_fields = ["user", "campaign"]
