"""The language of a translated field as shown, for a `lang` attribute.

A content field without a translation in the page's language is shown in English (modeltranslation's
fallback): an organiser writes the English text first and the translations follow, if ever. The page
says lang="uk", so a screen reader would read that English with a Ukrainian voice. Used on the
element that holds the field:

    <h1{{ petition|fallback_lang:"title" }}>{{ petition.title }}</h1>

gives ` lang="en"` when the title shown is the English one on a page in another language, else
nothing. A field shown inside a sentence of the page's own language ("From Tomsk", "Source: …")
has no element of its own: `as_shown` gives it one, only where it is needed:

    {% blocktranslate with city=prisoner|as_shown:"city" %}From {{ city }}{% endblocktranslate %}

gives `From <span lang="en">Tomsk</span>` on a Ukrainian page whose city is not translated yet.
"""

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from modeltranslation.utils import build_localized_fieldname

register = template.Library()


@register.filter
def fallback_lang(obj, field):
    language = get_language()
    for fallback in settings.MODELTRANSLATION_FALLBACK_LANGUAGES:
        if language == fallback or getattr(obj, build_localized_fieldname(field, language), None):
            return ""  # shown in the page's language
        if getattr(obj, build_localized_fieldname(field, fallback), None):
            return mark_safe(f' lang="{fallback}"')  # noqa: S308 (a language code from settings)
    return ""


@register.filter
def as_shown(obj, field):
    """The field's value as shown, in a `<span lang="en">` when it is the English fallback."""
    value = getattr(obj, field)
    lang = fallback_lang(obj, field)
    return format_html("<span{}>{}</span>", lang, value) if lang else value
