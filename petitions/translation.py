from modeltranslation.translator import TranslationOptions, register

from .models import Petition


@register(Petition)
class PetitionTranslation(TranslationOptions):
    fields = ("title", "summary", "addressee", "appeal", "demands")
