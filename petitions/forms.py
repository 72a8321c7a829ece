import contextlib
import unicodedata
from functools import cached_property

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.db.models import BLANK_CHOICE_DASH
from django.utils.encoding import punycode
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from campaign.collation import countries_by_name

from .models import Signature

# Preselect the country from the page's language where that is a fair guess -- nothing else (no
# geolocation). Russian and English are spoken everywhere, so they preselect nothing.
COUNTRY_FOR_LANGUAGE = {"uk": "UA", "fr": "FR"}

LETTER_CHOICES = [
    ("yes", _("Yes, include my name in the letter to the embassy")),
    ("no", _("No, only count my signature")),
]


def has_control_characters(value, allow_newlines=False):
    if value.isprintable():
        return False  # the common case, in C: no Cc or Cf character (nor a line break or tab) at all
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    # Cc: control characters (NUL included); Cf: format characters such as bidi overrides,
    # which can disguise a name on the public list.
    return any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in allowed for ch in value)


COUNTRY_CODES = frozenset(code for code, _name in countries)


class CountryChoiceField(LazyTypedChoiceField):
    """django-countries' form field, validated by a set lookup: the stock check walks (and
    normalises) all ~250 choices on every submission -- a quarter of a signature's CPU time."""

    def valid_value(self, value):
        return str(value) in COUNTRY_CODES


class SignerEmailField(forms.EmailField):
    """An address with its domain in the ASCII form mail goes to (IDNA), so that one mailbox is one
    signature however its domain is spelt -- bücher.de, BÜCHER.de, full-width letters, or
    xn--bcher-kva.de -- and so that no address is accepted that mail cannot be sent to: Django's
    validator lets through a domain with an over-long label, whose confirmation email could then
    never be sent (the outbox sets such an address aside too, as refused for good). Nor an IP
    address in brackets in place of a domain."""

    def clean(self, value):
        value = super().clean(value)
        if value.endswith("]"):
            # A domain literal, a@[192.0.2.1]: no signer's address, but a way to have our relay send
            # mail to any machine on the internet (or on our own network).
            raise forms.ValidationError(validate_email.message, code="invalid")
        if not value or value.isascii():
            return value
        local, _at, domain = value.rpartition("@")
        try:
            value = f"{local}@{punycode(domain)}"
        except UnicodeError:
            raise forms.ValidationError(validate_email.message, code="invalid") from None
        if self.max_length is not None and len(value) > self.max_length:
            raise forms.ValidationError(validate_email.message, code="invalid")
        return value


def formfield_for(db_field, **kwargs):
    if db_field.name == "country":
        return db_field.formfield(choices_form_class=CountryChoiceField, **kwargs)
    if db_field.name == "email":
        return db_field.formfield(form_class=SignerEmailField, **kwargs)
    return db_field.formfield(**kwargs)


class SignatureForm(forms.Form):
    """The signing form: the model's fields (their labels, lengths and choices), not a ModelForm.

    Signing never saves through the form: petitions.signing.sign() writes the row and answers a
    repeat signing by email, never with a form error that would tell whoever types an address that
    it signed. So there is nothing for a ModelForm's model instance and second validation pass
    (Model.full_clean: choices walked again, constraints compiled into queries) to do but cost a
    third of a signature's CPU under a surge; the fields below already check everything it would.
    """

    FIELDS = [
        "first_name", "last_name", "email", "country", "city", "organisation", "comment",
        "public_name", "name_in_letter", "wants_updates",
    ]
    # The questions about risks (see RISKS) right after the choice each is about.
    field_order = [
        *FIELDS[:FIELDS.index("email") + 1], "email_despite_risk",
        *FIELDS[FIELDS.index("email") + 1:FIELDS.index("name_in_letter") + 1], "named_despite_risk",
    ]

    name_in_letter = forms.TypedChoiceField(
        label=_("In the letter to the embassy"),
        choices=LETTER_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        # The letter prints a named signer's city and organisation too (petitions/pdf.py): a choice
        # about "my name" must not be the first a signer at risk hears of it.
        help_text=_(
            "Embassies receive a letter listing the signatories of their country. With your name, it "
            "gives your city and organisation, if you fill them in."
        ),
    )
    # Asked only of a signer of a country at risk who chose to be named (see _named_at_risk).
    named_despite_risk = forms.BooleanField(
        required=False, label=_("I understand, and I want my name given as I chose."),
    )
    # Asked only of a signer whose address is with a mail service in Russia (see _email_at_risk).
    email_despite_risk = forms.BooleanField(
        required=False, label=_("I understand, and I want to use this address."),
    )
    # A honeypot: hidden from people (and from screen readers), filled in by naive bots.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, language=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and language in COUNTRY_FOR_LANGUAGE:
            self.initial.setdefault("country", COUNTRY_FOR_LANGUAGE[language])

    @cached_property
    def helper(self):
        # Only a rendered form needs it (most sign POSTs are answered with a redirect).
        helper = FormHelper()
        helper.form_tag = False  # the template owns <form>, the token, the honeypot and the button
        helper.disable_csrf = True
        # A submission to correct opens on its first field in error (autofocus: focused and scrolled
        # to, with its message, by the browser): on a phone the form comes after the whole appeal,
        # and the page would open at its top, showing nothing of what went wrong.
        first_error = next((name for name in self.fields if name in self.errors), None) if self.is_bound else None
        # A question about a risk is shown once asked, and stays while its box is ticked (a signer
        # who ticked it and got another field wrong is not asked again).
        hidden = {"website"} | {name for name in RISKS if name not in self.errors and not self.data.get(name)}
        helper.layout = Layout(*(Field(name, autofocus="autofocus") if name == first_error else name
                                 for name in self.fields if name not in hidden))
        return helper

    def clean(self):
        cleaned = super().clean()
        for name, message in _tidy(cleaned):
            self.add_error(name, MESSAGES[message])
        for name, message in _unconfirmed_risks(cleaned):
            self.add_error(name, message)
        return cleaned

    @classmethod
    def valid_data(cls, data):
        """The cleaned data of a submission that is valid as it stands; None if anything is wrong.

        The form's own checks -- each field's clean() on what its widget reads from the POST, then
        clean() above -- as Form.full_clean() runs them, but without building a form: no copy of
        the fields and widgets, no BoundField per field. A sign POST's form work 165 -> 57 µs, 16%
        of its instructions (bench/README.md, sixth round); the tests compare the two on valid and
        invalid input. Only a submission that is wrong needs a form, to show what is wrong: for
        None, build one and ask it.
        """
        cleaned = {}
        for name, field in cls.base_fields.items():
            try:
                cleaned[name] = field.clean(field.widget.value_from_datadict(data, None, name))
            except forms.ValidationError:
                return None
        return None if _tidy(cleaned) or _unconfirmed_risks(cleaned) else cleaned


TEXT_FIELDS = ("first_name", "last_name", "email", "city", "organisation", "comment")
NAME_FIELDS = ("first_name", "last_name")
MESSAGES = {
    "control": _("Please remove the invisible or control characters."),
    # "🙂" or "..." as a name: the letter to the embassy would count a named signatory and print no
    # name (a font draws no emoji), and the public list would show nothing to read.
    "no_letter": _("Please write your name in letters."),
    "email_at_risk": _(
        "Your email address is with a mail service in Russia (%(domain)s). Mail services there must give the "
        "Russian authorities access to their users' mail, and our emails to you name this campaign. If that could "
        "put you at risk, use an address elsewhere. To use this one anyway, tick this box."
    ),
    "named_at_risk": _(
        "Your country is %(country)s. The Russian authorities can read the full names on the public list of "
        "signatories, and the letter goes to them with the name, city and organisation of each signer named in it. "
        "People there, or who may travel to Russia, usually choose “Do not show my name” and “No, only count my "
        "signature”. To keep your choices, tick this box."
    ),
}


# Mail services in Russia must give its security services access to their users' mail (SORM, and
# the 2016 "Yarovaya" laws), and our emails to a signer name the campaign: any address under a
# Russian top-level domain, and Yandex's under others. Mail.ru's, Rambler's and the rest are .ru.
RUSSIAN_MAIL_SUFFIXES = (".ru", ".su", ".xn--p1ai")  # .xn--p1ai: .рф, as SignerEmailField spells it
RUSSIAN_MAIL_DOMAINS = frozenset({
    "yandex.com", "yandex.by", "yandex.kz", "yandex.ua", "yandex.uz", "yandex.com.tr", "yandex.net",
})


def russian_mailbox(email):
    """The domain of a (cleaned) address with a mail service in Russia, else None."""
    domain = email.rpartition("@")[2].lower()
    return domain if domain.endswith(RUSSIAN_MAIL_SUFFIXES) or domain in RUSSIAN_MAIL_DOMAINS else None


def _named_at_risk(cleaned):
    """A signer of a country of NAMING_RISK_COUNTRIES who chose their full name on the public list, or
    their name in the letter, which goes to the Russian state (for Russia itself, its Ministry of
    Foreign Affairs, the fallback target for a country with no Russian embassy; for Belarus, its
    embassy in Minsk). A first name and initial on the list is not asked about."""
    named = cleaned.get("name_in_letter") or cleaned.get("public_name") == Signature.PublicName.FULL
    country = str(cleaned.get("country") or "")
    if named and country in settings.NAMING_RISK_COUNTRIES:
        return MESSAGES["named_at_risk"] % {"country": countries.name(country)}
    return None


def _email_at_risk(cleaned):
    domain = russian_mailbox(cleaned.get("email") or "")
    if not domain:
        return None
    # почта.рф as its signer typed it, not xn--80a1acny.xn--p1ai; typed as xn--... and not valid
    # Punycode, as typed.
    with contextlib.suppress(UnicodeError):
        domain = domain.encode().decode("idna")
    return MESSAGES["email_at_risk"] % {"domain": domain}


# Each question about a risk the form asks before it records anything: its box, and what asks it.
# The choice is the signer's, made knowingly: ticked, the box lets the submission through.
RISKS = {"email_despite_risk": _email_at_risk, "named_despite_risk": _named_at_risk}


def _unconfirmed_risks(cleaned):
    """[(box, message)] for each risk the submission runs and the signer has not ticked the box for."""
    risks = []
    for box, check in RISKS.items():
        if not cleaned.get(box):
            message = check(cleaned)
            if message:
                risks.append((box, message))
    return risks


def _tidy(cleaned):
    """Strips the text fields of cleaned data in place; [(field, key of MESSAGES)] for what is wrong."""
    wrong = []
    for name in TEXT_FIELDS:
        value = cleaned.get(name)
        if isinstance(value, str):
            value = value.strip()
            if has_control_characters(value, allow_newlines=name == "comment"):
                wrong.append((name, "control"))
            elif name in NAME_FIELDS and value and not any(character.isalpha() for character in value):
                wrong.append((name, "no_letter"))
            cleaned[name] = value
    return wrong


def is_bot(cleaned):
    return bool(cleaned.get("website"))


def signature_data(cleaned):
    return {name: cleaned[name] for name in SignatureForm.FIELDS}


# The model's form fields in FIELDS order, the ones declared above in their place (name_in_letter)
# or after them (the honeypot) -- as a ModelForm would have them.
SignatureForm.base_fields = {
    **forms.fields_for_model(
        Signature,
        fields=SignatureForm.FIELDS,
        formfield_callback=formfield_for,
        widgets={
            "public_name": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        },
        labels={
            "public_name": _("On the public list of signatories"),
            "wants_updates": _("Email me news of this campaign (a few times a year at most)"),
            "organisation": _("Signing on behalf of an organisation (optional)"),
            "city": _("City (optional)"),
            "comment": _("Comment (optional)"),
        },
        help_texts={
            "email": _("Only to confirm your signature. Never shown, never sent to the embassy."),
            "organisation": _("Shown publicly among the organisations that sign, once an organiser has checked it."),
            "comment": _("May be shown on the petition page, with your name only as you choose below."),
        },
    ),
    **SignatureForm.declared_fields,
}

# The public-list choices in the form's own words (the model's labels are the admin's), and the
# country's autofill hint: set once here rather than for every form.
SignatureForm.base_fields["public_name"].choices = [
    (Signature.PublicName.HIDDEN, _("Do not show my name")),
    (Signature.PublicName.INITIAL, _("First name and initial of last name")),
    (Signature.PublicName.FULL, _("Full name")),
]
SignatureForm.base_fields["country"].widget.attrs["autocomplete"] = "country"
# In the alphabetical order of the page's language, evaluated as each form is rendered.
SignatureForm.base_fields["country"].choices = lambda: [*BLANK_CHOICE_DASH, *countries_by_name()]
