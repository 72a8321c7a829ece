"""Which public texts are still in English only, on the admin lists of what supporters read.

A page shows English where a text has no translation (marked lang="en" for screen readers), so a
petition shared in Ukraine with its appeal untranslated asks Ukrainian readers to sign an English
text. The change form shows each language's box, one object at a time; these lists say, for every
campaign, petition, prisoner, case, event and action, which languages still lack a text that has
one in English, and filter by language.
"""

from django.conf import settings
from django.contrib import admin
from django.db.models import NOT_PROVIDED, Q
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname

SOURCE = settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def languages():
    """The site's languages other than the one every text is written in first."""
    return [code for code, _name in settings.LANGUAGES if code != SOURCE]


def _texts(model):
    """(field, its default) for the model's translated fields. A text left at its default needs no
    translation: a petition's standard addressee is printed in each language by the letter itself."""
    for name in translator.get_options_for_model(model).local_fields:
        default = model._meta.get_field(name).default
        yield name, None if default is NOT_PROVIDED else default


def missing(obj):
    """The languages in which some text of `obj` that has an English version has none."""
    written = [(name, default) for name, default in _texts(type(obj))
               if getattr(obj, build_localized_fieldname(name, SOURCE)) not in ("", None, default)]
    return [language for language in languages()
            if any(not getattr(obj, build_localized_fieldname(name, language)) for name, _default in written)]


def missing_in(model, language):
    """missing() as a query: the rows lacking some text in `language`."""
    condition = Q(pk__in=[])
    for name, default in _texts(model):
        source, target = build_localized_fieldname(name, SOURCE), build_localized_fieldname(name, language)
        written = Q(**{f"{source}__gt": ""})
        if default is not None:
            written &= ~Q(**{source: default})
        condition |= written & (Q(**{f"{target}__isnull": True}) | Q(**{target: ""}))
    return condition


class UntranslatedFilter(admin.SimpleListFilter):
    title = _("missing translations")
    parameter_name = "untranslated"

    def lookups(self, request, model_admin):
        names = dict(settings.LANGUAGES)
        return [(code, names[code]) for code in languages()]

    def queryset(self, request, queryset):
        if self.value() in languages():
            return queryset.filter(missing_in(queryset.model, self.value()))
        return queryset  # no choice, or one that is not a language of the site: the whole list


class ShowsUntranslated:
    """For a model admin of translated content: a column and a filter on its list."""

    def get_list_display(self, request):
        return [*super().get_list_display(request), "untranslated"]

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), UntranslatedFilter]

    @admin.display(description=_("missing translations"))
    def untranslated(self, obj):
        return ", ".join(missing(obj)) or "—"
