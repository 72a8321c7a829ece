from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from .models import Accreditation, Delivery, Embassy, Petition, Signature


class AccreditationInline(admin.TabularInline):
    model = Accreditation
    extra = 0


@admin.register(Embassy)
class EmbassyAdmin(admin.ModelAdmin):
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
class PetitionAdmin(TranslationAdmin):
    list_display = [
        "title", "campaign", "status", "signature_count", "goal", "delivery_cadence",
        "delivery_paused", "live_delivery",
    ]
    list_filter = ["status", "delivery_cadence", "live_delivery", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title", "slug", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["campaign", "fallback_embassy"]
    readonly_fields = ["signature_count"]
    fieldsets = [
        (None, {"fields": ["campaign", "title", "slug", "summary", "status", "opens_at", "closes_at", "goal"]}),
        (_("The letter"), {"fields": ["addressee", "appeal", "demands"]}),
        (
            _("Delivery"),
            {"fields": ["delivery_cadence", "delivery_paused", "test_recipient", "live_delivery", "fallback_embassy"]},
        ),
        (_("Count"), {"fields": ["signature_count"]}),
    ]


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "petition", "status", "country", "city", "public_name", "name_in_letter", "created_at",
        "confirmed_at",
    ]
    list_filter = ["status", "public_name", "name_in_letter", "wants_updates", "country", "petition"]
    list_select_related = ["petition"]
    search_fields = ["email_normalised", "last_name", "first_name", "organisation"]
    autocomplete_fields = ["petition"]
    date_hierarchy = "created_at"
    readonly_fields = ["email_normalised", "ip_hash", "created_at", "confirmed_at", "updated_at", "counted"]
    # The petition's list can hold hundreds of thousands of rows: skip the second COUNT(*).
    show_full_result_count = False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "status", "channel", "is_test", "signature_count", "attempts", "created_at", "sent_at",
    ]
    list_filter = ["status", "channel", "is_test", "petition"]
    list_select_related = ["petition", "embassy"]
    search_fields = ["embassy__name", "embassy__city", "message_id", "pdf_sha256", "manifest_sha256"]
    autocomplete_fields = ["petition", "embassy"]
    readonly_fields = [
        "signature_count", "pdf", "pdf_sha256", "manifest_sha256", "message_id", "attempts", "last_error",
        "created_at", "sent_at", "recipient", "item_count",
    ]

    @admin.display(description=_("signatures linked"))
    def item_count(self, obj):
        return obj.items.count()
