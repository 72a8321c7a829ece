from celery.schedules import ParseException
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from modeltranslation.admin import TranslationAdmin

from . import audit
from .filters import CountryFilter
from .models import AuditEntry, Campaign, CampaignPrisoner, Membership, Organisation, SolidarityAction
from .permissions import CampaignScopedAdmin, CampaignScopedFormSet, CampaignScopedInline
from .untranslated import ShowsUntranslated


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
                _("No single active account with Staff status has this email. An administrator creates it under "
                  "Users, with this email and Staff status ticked.")
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


# Without an editor only an administrator can change a campaign: its organisers could no longer
# moderate, deliver or close anything, in the middle of a campaign perhaps.
LAST_EDITOR = _("Keep at least one editor: without one, only an administrator could change this campaign.")


def leaves_a_campaign_without_an_editor(memberships):
    """Would deleting these organisers leave one of their campaigns with no editor?"""
    chosen = memberships.values("pk")
    campaigns = set(memberships.filter(role=Membership.Role.EDITOR).values_list("campaign_id", flat=True))
    return any(not Membership.objects.filter(campaign_id=campaign_id, role=Membership.Role.EDITOR)
               .exclude(pk__in=chosen).exists() for campaign_id in campaigns)


def delete_selected_keeping_an_editor(modeladmin, request, queryset):
    """Django's "Delete selected" for organisers, refused with the reason, before its confirmation
    page, when it would leave a campaign without an editor (once confirmed, it was a bare 403)."""
    if leaves_a_campaign_without_an_editor(queryset):
        modeladmin.message_user(request, LAST_EDITOR, messages.ERROR)
        return None
    return delete_selected(modeladmin, request, queryset)


def other_editors(membership):
    return Membership.objects.filter(campaign_id=membership.campaign_id, role=Membership.Role.EDITOR).exclude(
        pk=membership.pk)


class MembershipFormSet(CampaignScopedFormSet):
    """The campaign page's organisers: a campaign that has an editor keeps one."""

    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.pk:
            return
        if not Membership.objects.filter(campaign=self.instance, role=Membership.Role.EDITOR).exists():
            return  # none to lose (a new campaign, or one an administrator runs)
        kept = [form.cleaned_data for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not any(data.get("role") == Membership.Role.EDITOR for data in kept):
            raise forms.ValidationError(LAST_EDITOR)


class StandaloneMembershipForm(MembershipForm):
    """One organiser's row on its own page: it may not take the campaign's last editor away."""

    def clean(self):
        cleaned = super().clean()
        before = Membership.objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        if (before is not None and before.role == Membership.Role.EDITOR and not other_editors(before).exists()
                and (cleaned.get("role") != Membership.Role.EDITOR or cleaned.get("campaign") != before.campaign)):
            raise forms.ValidationError(LAST_EDITOR)
        return cleaned


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

    def get_queryset(self, request):
        # Each row is shown under its name (prisoner and campaign): without this, two queries a row.
        return super().get_queryset(request).select_related("prisoner", "campaign")


class MembershipInline(ShowsOrganiserEmail, CampaignScopedInline, admin.TabularInline):
    model = Membership
    form = MembershipForm
    formset = MembershipFormSet
    fields = ["user_email", "role"]
    extra = 0

    def get_queryset(self, request):
        # Each row shows its organiser's email, under its name (user and campaign): without this,
        # three queries a row.
        return super().get_queryset(request).select_related("user", "campaign")


@admin.register(Campaign)
class CampaignAdmin(ShowsUntranslated, CampaignScopedAdmin, TranslationAdmin):
    list_display = ["title", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["title", "summary", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["organisations"]
    inlines = [CampaignPrisonerInline, MembershipInline]


@admin.register(SolidarityAction)
class SolidarityActionAdmin(ShowsUntranslated, CampaignScopedAdmin, TranslationAdmin):
    list_display = ["title", "date", "kind", "city", "country", "campaign"]
    list_filter = ["kind", ("country", CountryFilter), ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign"]
    search_fields = ["title", "place", "city", "description"]
    autocomplete_fields = ["campaign", "organisers"]
    date_hierarchy = "date"


@admin.register(Membership)
class MembershipAdmin(ShowsOrganiserEmail, CampaignScopedAdmin):
    form = StandaloneMembershipForm
    list_display = ["user", "campaign", "role", "created_at"]
    list_filter = ["role", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user", "campaign"]
    search_fields = ["user__username", "user__email", "campaign__title"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.role == Membership.Role.EDITOR and not other_editors(obj).exists():
            return False  # LAST_EDITOR; on the campaign's page the organisers' list says why
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _django_s, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_keeping_an_editor, name, description)
        return actions

    def delete_queryset(self, request, queryset):
        # Checked again as it deletes: a colleague may have stepped down since the confirmation page.
        if leaves_a_campaign_without_an_editor(queryset):
            raise PermissionDenied(LAST_EDITOR)
        super().delete_queryset(request, queryset)


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


class AccountCreationForm(AdminUserCreationForm):
    """An account as an organiser needs it: the email their campaigns add them by, and staff status
    (every account here is an admin login; signers have none). Django's asked for a username and a
    password only, and the account could then not be added to a campaign."""

    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "email", "is_staff")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["is_staff"].initial = True

    def clean_email(self):
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            # MembershipForm finds the account by its email: two accounts with one could not be added.
            raise forms.ValidationError(_("Another account has this email. Each organiser needs their own."))
        return email


class AccountAdmin(UserAdmin):
    """Django's, with the account form above, and an account that has changed anything stays,
    deactivated rather than deleted: Django deletes a user's entries in the admin's history with
    them (a cascade it does not list as a loss), and the audit log forgets who did what. Who changed
    a campaign's content, moderated its signatures or sent its letters is the record organisers
    answer for."""

    add_form = AccountCreationForm
    add_fieldsets = [(None, {
        "classes": ["wide"],
        "fields": ["username", "email", "is_staff", "usable_password", "password1", "password2"],
        "description": _("Then give the organiser their campaign: on the campaign's page, under Organisers, "
                         "with this email and a role."),
    })]
    fieldsets = [
        *UserAdmin.fieldsets[:2],
        (UserAdmin.fieldsets[2][0], {**UserAdmin.fieldsets[2][1], "description": _(
            "An organiser needs only Staff status: their campaigns and their role in each (Organisers) decide "
            "what they see and change, not groups or permissions.")}),
        *UserAdmin.fieldsets[3:],
    ]

    list_display = [*UserAdmin.list_display, "has_authenticator"]
    actions = ["reset_authenticator"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            authenticator=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))

    @admin.display(boolean=True, description=_("authenticator app"), ordering="authenticator")
    def has_authenticator(self, obj):
        # Who has not set it up yet logs in with the password alone until they do (campaign.two_factor).
        return obj.authenticator

    @admin.action(permissions=["change"], description=_(
        "Reset the authenticator app (a lost phone: they set it up again at their next login)"))
    def reset_authenticator(self, request, queryset):
        users = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            TOTPDevice.objects.filter(user__in=users).delete()
            StaticDevice.objects.filter(user__in=users).delete()  # the backup codes go with the app
            for pk in users:
                audit.record("account.two_factor_reset", user=request.user, account=pk)
        self.message_user(request, ngettext(
            "%(n)s account's authenticator app reset: its owner sets it up again at their next login.",
            "%(n)s accounts' authenticator apps reset: each owner sets theirs up again at their next login.",
            len(users)) % {"n": len(users)}, messages.SUCCESS)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            changes = LogEntry.objects.filter(user=user).count() + AuditEntry.objects.filter(user=user).count()
            if changes:
                # Shown in the admin's "Cannot delete" page, which then refuses the deletion.
                protected.append(ngettext(
                    "%(user)s: %(n)s change in the admin's history and audit log would lose its author. "
                    "Untick “Active” instead: the account can no longer log in.",
                    "%(user)s: %(n)s changes in the admin's history and audit log would lose their author. "
                    "Untick “Active” instead: the account can no longer log in.", changes,
                ) % {"user": user, "n": changes})
        return deleted, counts, perms_needed, protected


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)
admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, CrontabScheduleAdmin)
