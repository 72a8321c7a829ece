from modeltranslation.translator import TranslationOptions, register

from .models import CaseEvent, CriminalCase, Prisoner


@register(Prisoner)
class PrisonerTranslation(TranslationOptions):
    # Names too: "Igor Kuznetsov" is "Ігор Кузнєцов" in Ukrainian and "Игорь Кузнецов" in Russian.
    fields = ("name", "summary", "biography")


@register(CriminalCase)
class CriminalCaseTranslation(TranslationOptions):
    fields = ("title", "summary")


@register(CaseEvent)
class CaseEventTranslation(TranslationOptions):
    fields = ("description",)
