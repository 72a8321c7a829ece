"""The language switcher: the page being read, in each of the site's languages, as plain links.

Links work without cookies and without JavaScript. The form it replaced posted to Django's
set_language view, which needs the CSRF cookie: a visitor whose browser refuses cookies (as some
careful people's do) got a 403 page instead of their language.
"""

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

register = template.Library()


@register.simple_tag(takes_context=True)
def language_links(context):
    request = context.get("request")
    path = request.get_full_path() if request is not None else "/"
    current = get_language()
    return [
        {
            "code": code, "name": get_language_info(code)["name_local"], "current": code == current,
            "url": _in_language(path, current, code),
        }
        for code, _name in settings.LANGUAGES
    ]


@register.simple_tag(takes_context=True)
def alternate_links(context):
    """For <link rel="alternate" hreflang>: this page's full address in each language (without the
    query string), so that a search engine shows a Ukrainian reader the Ukrainian page."""
    request = context.get("request")
    if request is None:
        return []
    current = get_language()
    links = [
        {"code": code, "url": request.build_absolute_uri(_in_language(request.path, current, code))}
        for code, _name in settings.LANGUAGES
    ]
    default = next(link for link in links if link["code"] == settings.LANGUAGE_CODE)
    return [*links, {"code": "x-default", "url": default["url"]}]


def _in_language(path, current, code):
    url = translate_url(path, code)
    if url == path and code != current and path.startswith(f"/{current}/"):
        # A path no view answers (the 404 page): the same path under the other language's prefix.
        url = f"/{code}/{path.removeprefix(f'/{current}/')}"
    # One slash in front, however many the address had: the 404 page of /%2F%2Fevil.example/ (a
    # link anyone can post) gave back its path, "///evil.example/", which a browser reads as the
    # address of another site -- our page's language links led there.
    return "/" + url.lstrip("/\\")
