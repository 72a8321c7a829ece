"""The admin site: Django's, with one guard for every model admin registered on it, ours and
third-party ones (users, django-axes, django-celery-beat) alike."""

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class SelectionCheck:
    """An action on a selection that is not row ids changes nothing and says so.

    Django filters the queryset by the selected ids as they come: a forged or mangled selection
    (a browser sends the checkboxes' values) was a 500.
    """

    def response_action(self, request, queryset):
        try:
            for value in request.POST.getlist(ACTION_CHECKBOX_NAME):
                self.model._meta.pk.to_python(value)
        except ValidationError:
            self.message_user(request, _("The selection was not understood. No items have been changed."),
                              messages.WARNING)
            return None
        return super().response_action(request, queryset)


class AdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, SelectionCheck):
            admin_class = type(admin_class.__name__, (SelectionCheck, admin_class),
                               {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)


class AdminConfig(DjangoAdminConfig):
    """`django.contrib.admin` in INSTALLED_APPS, with this site as `admin.site`."""

    default_site = "campaign.adminsite.AdminSite"
