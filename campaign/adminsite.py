"""The admin site: Django's, with guards for every model admin registered on it, ours and
third-party ones (users, django-axes, django-celery-beat) alike.

Each guard answers a request that a browser using the admin never sends -- a forged or mangled
one -- with the admin's own clear message instead of a 500 (docs/security.md lists them).
"""

import datetime

from django.contrib import admin, messages
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import DataError, transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters


def _is_valid(field, value):
    """Whether a value sent for a row's id (or other key) can be one: Django looks it up as it
    comes, and a database refuses a number out of its column's range (SQLite: an OverflowError)."""
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


def _found(queryset, value):
    """The object of `queryset` whose id is `value` as sent, or None (also for a value no id can be)."""
    return queryset.filter(pk=value).first() if _is_valid(queryset.model._meta.pk, value) else None


def _only_valid(field, values):
    return [value for value in values if _is_valid(field.target_field, value)]


class ShowsCurrentChoices:
    """An autocomplete field shows its chosen object by name, which Django's widget reads with a
    query of its own: on a page of inline rows, one query a row and field (80 for the prisoners of
    a case's 40 defendants and 40 events). A saved row's own choices were read with the row
    (select_related, prefetch_related): CampaignScopedFormSet hands them to the widget, which shows
    them as read. Any other value (one sent in a form shown again) is still looked up in the
    field's choices."""

    current = ()  # a saved row's own choices: the objects

    def optgroups(self, name, value, attr=None):
        value = _only_valid(self.field, value)
        chosen = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        to_field = self.field.target_field.attname
        current = {str(getattr(obj, to_field)): obj for obj in self.current}
        if not chosen or not chosen <= current.keys():
            return super().optgroups(name, value, attr)
        # Django's optgroups, its query left out (it too marks each option it found as selected).
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        for v, obj in current.items():
            if v in chosen:
                options.append(self.create_option(
                    name, v, self.choices.field.label_from_instance(obj), chosen, len(options)))
        return [(None, options, 0)]


class _AutocompleteSelect(ShowsCurrentChoices, AutocompleteSelect):
    pass


class _AutocompleteSelectMultiple(ShowsCurrentChoices, AutocompleteSelectMultiple):
    pass


class AutocompleteGuard:
    """For model admins and inlines (an inline is not registered: ours include this)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # An autocomplete field's widget, shown again with a submitted value that is not an id,
        # looked that value up: a 500. This one shows only the values that can be ids (the form
        # itself says what is wrong).
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = _AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = _AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class CheckedLookups:
    """A changelist whose filters, as sent in its address, are refused with the changelist's "?e=1"
    notice when no query can be made of them.

    Django lets any lookup on a model's own fields through (`?status__regex=(`, `?created_at__year__gte=-1`,
    `?date__iso_year=99999999999`) and catches only the errors it meets while adding them to the
    queryset; the rest come when the query is written (a year out of the calendar's range) or run
    (Postgres refuses the value): a 500 either way.
    """

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            queryset.query.get_compiler(queryset.db).as_sql()
        except EmptyResultSet:
            pass  # a filter no row can pass (an id beyond the column's range): an empty list
        except (ValueError, OverflowError) as e:
            raise IncorrectLookupParameters(e) from e
        return queryset

    def get_results(self, request):
        try:
            # A savepoint: the failed query must not leave the request's transaction unusable.
            with transaction.atomic(using=self.queryset.db):
                super().get_results(request)
        except DataError as e:
            raise IncorrectLookupParameters(e) from e


_checked_changelists = {}


class Guards(AutocompleteGuard):
    """For every model admin: the site's `register` adds it."""

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        if base not in _checked_changelists:
            _checked_changelists[base] = type(base.__name__, (CheckedLookups, base), {})
        return _checked_changelists[base]

    def get_object(self, request, object_id, from_field=None):
        # `?_to_field=` sent empty: Django checks a field named in it, but then looks up a field
        # named "" (FieldDoesNotExist, a 500) on the change and delete pages. Empty is no field.
        return super().get_object(request, object_id, from_field or None)

    def response_action(self, request, queryset):
        # Django filters the queryset by the selected ids as they come (a browser sends the
        # checkboxes' values): any other selection was a 500. Nothing is changed.
        if not all(_is_valid(self.model._meta.pk, value) for value in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            self.message_user(request, _("The selection was not understood. No items have been changed."),
                              messages.WARNING)
            return None
        return super().response_action(request, queryset)

    def get_changelist_instance(self, request):
        # The date drill-down's year, month and day: Django turns a date it cannot build into the
        # changelist's "?e=1" notice, but not a year too large for a date (OverflowError) or the
        # last year there is (its end is the year after). IncorrectLookupParameters is that notice.
        if self.date_hierarchy and f"{self.date_hierarchy}__year" in request.GET:
            parts = (request.GET.get(f"{self.date_hierarchy}__{part}") or "1" for part in ("year", "month", "day"))
            try:
                day = datetime.date(*map(int, parts))
            except (ValueError, OverflowError) as e:
                raise IncorrectLookupParameters(e) from e
            if day.year >= datetime.MAXYEAR:
                raise IncorrectLookupParameters(day)
        return super().get_changelist_instance(request)


class AdminSite(admin.AdminSite):
    # The organisers' admin says whose it is (not "Django administration"), in their language.
    site_header = gettext_lazy("Solidarity petitions")
    site_title = gettext_lazy("Solidarity petitions")
    index_title = gettext_lazy("Campaigns, petitions and deliveries")

    def index(self, request, extra_context=None):
        # Stopped background jobs show nowhere else: signers get no confirmation email and the
        # counts stand still, while every page looks fine.
        from . import health

        return super().index(request, {"late_jobs": health.late_jobs(), **(extra_context or {})})

    def has_permission(self, request):
        from . import two_factor  # here: this module is loaded before the models are

        # A session logged in before the second factor was turned on is not enough once it is.
        return super().has_permission(request) and (
            not two_factor.enabled() or request.session.get(two_factor.PASSED, False))

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """Django's admin login; with ADMIN_TWO_FACTOR, the password's step only (campaign.two_factor)."""
        from . import two_factor

        if not two_factor.enabled():
            return super().login(request, extra_context)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        from django.contrib.admin.forms import AdminAuthenticationForm

        context = {
            **self.each_context(request), "title": _("Log in"), "subtitle": None,
            "app_path": request.get_full_path(), "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return two_factor.PasswordStep.as_view(
            extra_context=context, authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
        )(request)

    @method_decorator(never_cache)
    @method_decorator(sensitive_post_parameters("code"))
    def two_factor_view(self, request):
        from . import two_factor

        if not two_factor.enabled():
            raise Http404
        request.current_app = self.name
        return two_factor.second_step(request, self)

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, Guards):
            admin_class = type(admin_class.__name__, (Guards, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)

    def get_urls(self):
        # Django's "view on site" (r/<content type>/<id>/) redirects any staff user to any object's
        # page, whoever may see it: counting up the ids gave an organiser of one campaign the address
        # of every other campaign's drafts -- a campaign's, a petition's, a prisoner's (their name,
        # as a slug) -- which nothing else in the admin shows them. Replaced under the same name.
        urls = [path("two-factor/", self.two_factor_view, name="two_factor"), *super().get_urls()]
        for index, pattern in enumerate(urls):
            if getattr(pattern, "name", None) == "view_on_site":
                urls[index] = path(str(pattern.pattern), self.admin_view(self.view_on_site), name="view_on_site")
        return urls

    def view_on_site(self, request, content_type_id, object_id):
        """The object's page on the site, for whoever may see the object in this admin; else 404,
        as for an object that does not exist."""
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        content_type = _found(ContentType.objects.all(), content_type_id)
        model_admin = self._registry.get(content_type.model_class()) if content_type is not None else None
        obj = _found(model_admin.get_queryset(request), object_id) if model_admin else None
        if obj is None or not model_admin.has_view_permission(request, obj):
            raise Http404
        return shortcut(request, content_type_id, object_id)


class AdminConfig(DjangoAdminConfig):
    """`django.contrib.admin` in INSTALLED_APPS, with this site as `admin.site`."""

    default_site = "campaign.adminsite.AdminSite"
