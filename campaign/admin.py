from celery.schedules import ParseException
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule
from modeltranslation.admin import TranslationAdmin

from .filters import CountryFilter
from .models import AuditEntry, Campaign, CampaignPrisoner, Membership, Organisation, SolidarityAction
from .permissions import CampaignScopedAdmin, CampaignScopedInline


class MembershipForm(forms.ModelForm):
    """Organisers are added by the email of their (existing) staff account: editors cannot
    browse the list of all users."""

    user_email = forms.EmailField(label=_("organiser's email"))

    class Meta:
        model = Membership
        fields = ["user_email", "campaign", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["user_email"].initial = self.instance.user.email

    def clean_user_email(self):
        email = self.cleaned_data["user_email"]
        users = get_user_model().objects.filter(email__iexact=email, is_active=True, is_staff=True)
        if users.count() != 1:
            raise forms.ValidationError(
                _("No single active staff account has this email. Ask an administrator to create it first.")
            )
        self.instance.user = self.cleaned_data["user"] = users.get()
        # In cleaned_data too: the inline's check that no organiser is listed twice compares the
        # rows' cleaned `user`. Without it every row looked the same, and a campaign with two
        # organisers could not be saved ("Please correct the duplicate data for user").
        return email

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.instance.user_id is not None:
            # Set from user_email above: once a member is once (checked here, not a database error).
            exclude.discard("user")
        return exclude


class ShowsOrganiserEmail:
    """For a viewer, whose read-only page shows each field by name: `user_email` is the form's, not
    the model's, and without this it read "User email: None"."""

    @admin.display(description=_("organiser's email"))
    def user_email(self, obj):
        return obj.user.email


@admin.register(Organisation)
class OrganisationAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["name", "kind", "country", "website"]
    list_filter = ["kind", ("country", CountryFilter)]
    search_fields = ["name", "name_original", "description"]


class CampaignPrisonerInline(CampaignScopedInline, admin.TabularInline):
    model = CampaignPrisoner
    extra = 0
    autocomplete_fields = ["prisoner"]


class MembershipInline(ShowsOrganiserEmail, CampaignScopedInline, admin.TabularInline):
    model = Membership
    form = MembershipForm
    fields = ["user_email", "role"]
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["title", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organisations"]
    inlines = [CampaignPrisonerInline, MembershipInline]


@admin.register(SolidarityAction)
class SolidarityActionAdmin(CampaignScopedAdmin, TranslationAdmin):
    list_display = ["title", "date", "kind", "city", "country", "campaign"]
    list_filter = ["kind", ("country", CountryFilter), ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign"]
    search_fields = ["title", "place", "city", "description"]
    autocomplete_fields = ["campaign", "organisers"]
    date_hierarchy = "date"


@admin.register(Membership)
class MembershipAdmin(ShowsOrganiserEmail, CampaignScopedAdmin):
    form = MembershipForm
    list_display = ["user", "campaign", "role", "created_at"]
    list_filter = ["role", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "campaign"]
    search_fields = ["user__username", "user__email", "campaign__title"]


@admin.register(AuditEntry)
class AuditEntryAdmin(CampaignScopedAdmin):
    """The audit log: organisers read their campaigns' entries; nobody edits history."""

    list_display = ["created_at", "action", "user", "campaign", "object_type", "object_id"]
    list_filter = ["action", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "campaign"]
    search_fields = ["action", "object_id"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "action", "user", "campaign", "object_type", "object_id", "data"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CrontabScheduleAdmin(beat_admin.CrontabScheduleAdmin):
    """django-celery-beat's, but a crontab typed with a mistake (a minute of -1) gets its form back
    with the field's error: the schedule "in words" it shows above the fields could not be worked
    out from such a value and was a 500 (the model property lets celery's ParseException through)."""

    def human_readable(self, obj):
        try:
            return obj.human_readable
        except ParseException:
            return self.get_empty_value_display()


admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, CrontabScheduleAdmin)
