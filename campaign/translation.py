"""Content fields editable in every site language (django-modeltranslation), English as fallback."""

from modeltranslation.translator import TranslationOptions, register

from .models import Campaign, Organisation, SolidarityAction


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("title", "summary", "story")


@register(Organisation)
class OrganisationTranslation(TranslationOptions):
    # The description is prose. The name is not translated: it is the organisation's own, unique
    # (the demo and organisers find a row by it), and `name_original` is shown beside it.
    fields = ("description",)


@register(SolidarityAction)
class SolidarityActionTranslation(TranslationOptions):
    # Place and city too: "Embassy of the Russian Federation, Kyiv" is "Посольство Російської
    # Федерації, Київ" on a Ukrainian page. Slogans are not: they are quoted as the
    # report gives them.
    fields = ("title", "description", "place", "city")
