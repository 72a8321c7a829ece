"""Content fields editable in every site language (django-modeltranslation), English as fallback.

A field is translated when a visitor reads it as prose or as a name in their own language. What must
stay as written in Russia is not: a facility's `name_original` and `postal_address` go on envelopes
as they are, a case `number` is an identifier, a prisoner's `name_original` is the original script.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import CaseEvent, CodeArticle, CriminalCase, Defendant, DetentionFacility, Prisoner


@register(DetentionFacility)
class DetentionFacilityTranslation(TranslationOptions):
    # The name a visitor reads ("Pre-trial detention centre No. 5, Moscow" / "СІЗО-5, Москва").
    # The official Russian name a letter must carry is `name_original`, the same in every language,
    # and so are the address, region and city an organiser keeps for envelopes and the admin.
    fields = ("name",)


@register(CodeArticle)
class CodeArticleTranslation(TranslationOptions):
    # What the article punishes, shown next to "ч. 1.1 ст. 212 КК РФ"; the number and part are not
    # words, and `__str__` already translates the code's abbreviation.
    fields = ("title", "max_sentence")


@register(Prisoner)
class PrisonerTranslation(TranslationOptions):
    # Names too: "Igor Kuznetsov" is "Ігор Кузнєцов" in Ukrainian and "Игорь Кузнецов" in Russian;
    # and cities: "Tomsk" is "Томськ" and "Томск".
    fields = ("name", "summary", "biography", "city")


@register(CriminalCase)
class CriminalCaseTranslation(TranslationOptions):
    # "FSB" is "ФСБ"; the case number is an identifier and stays as it is.
    fields = ("title", "summary", "investigating_body", "city")


@register(Defendant)
class DefendantTranslation(TranslationOptions):
    # The note on a co-defendant's place in the case, shown on the case and prisoner pages.
    fields = ("notes",)


@register(CaseEvent)
class CaseEventTranslation(TranslationOptions):
    # The source's title is shown after "Source:"; its address is the same in every language. The
    # place is a court's name: "Московский городской суд" on a Russian page.
    fields = ("description", "source_title", "place")
