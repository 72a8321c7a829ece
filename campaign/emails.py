"""The one way this project sends email: three templates per message, in the recipient's language.

templates/emails/{name}-subject.html, {name}-body-text.html and {name}-body-html.html.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def build(name, to, context, language, headers=None, attachments=()):
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.html", context).split())
        text = render_to_string(f"emails/{name}-body-text.html", context)
        html = render_to_string(f"emails/{name}-body-html.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to], headers=headers or {})
    message.attach_alternative(html, "text/html")
    for attachment in attachments:
        message.attach(*attachment)
    return message


def send(name, to, context, language, headers=None, attachments=()):
    build(name, to, context, language, headers=headers, attachments=attachments).send()
