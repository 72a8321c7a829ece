"""Admin list filters shared by the apps."""

from django.contrib import admin
from django_countries.filters import CountryFilter as CountriesCountryFilter

from .collation import countries_by_name


class CountryFilter(CountriesCountryFilter):
    """The countries that occur in the rows this organiser may see, by name.

    Django's filter for a field with choices lists all 250 countries; django-countries' own
    filter lists those of the whole table, every campaign's, and so tells an organiser where
    another campaign's supporters sign from. This one reads the admin's own (campaign-scoped)
    queryset, and lists the names in the alphabetical order of the organiser's language.
    """

    def lookup_choices(self, changelist):
        codes = set(changelist.root_queryset.order_by().values_list(self.field_path, flat=True).distinct())
        return [(code, name) for code, name in countries_by_name() if code in codes]


class AllValuesFilter(admin.AllValuesFieldListFilter):
    """Django's filter by the values a text field holds, where the blank value is a link named
    like every empty value in the admin ("-"), not a link without words."""

    def choices(self, changelist):
        for choice in super().choices(changelist):
            yield {**choice, "display": choice["display"] or self.empty_value_display}
