"""Content fields editable in every site language (django-modeltranslation), English as fallback."""

from modeltranslation.translator import TranslationOptions, register

from .models import Campaign, SolidarityAction


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("title", "summary", "story")


@register(SolidarityAction)
class SolidarityActionTranslation(TranslationOptions):
    fields = ("title", "description")
