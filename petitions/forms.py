import unicodedata

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from .models import Signature

# Preselect the country from the page's language where that is a fair guess -- nothing else (no
# geolocation). Russian and English are spoken everywhere, so they preselect nothing.
COUNTRY_FOR_LANGUAGE = {"uk": "UA", "fr": "FR"}

LETTER_CHOICES = [
    ("yes", _("Yes, include my name in the letter to the embassy")),
    ("no", _("No, only count my signature")),
]


def has_control_characters(value, allow_newlines=False):
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    # Cc: control characters (NUL included); Cf: format characters such as bidi overrides,
    # which can disguise a name on the public list.
    return any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in allowed for ch in value)


COUNTRY_CODES = frozenset(code for code, _name in countries)


class SharedChoices:
    """Every form instance deep-copies its fields, choices included; these choices are the same
    for every instance (lazily translated when rendered), so they are shared instead (building a
    SignatureForm: 140 -> 116 us)."""

    def __deepcopy__(self, memo):
        result = forms.Field.__deepcopy__(self, memo)
        result._choices = self._choices
        return result


class SharedTypedChoiceField(SharedChoices, forms.TypedChoiceField):
    pass


class CountryChoiceField(SharedChoices, LazyTypedChoiceField):
    """django-countries' form field, validated by a set lookup: the stock check walks (and
    normalises) all ~250 choices on every submission -- a quarter of a signature's CPU time."""

    def valid_value(self, value):
        return str(value) in COUNTRY_CODES


def formfield_for(db_field, **kwargs):
    if db_field.name == "country":
        return db_field.formfield(choices_form_class=CountryChoiceField, **kwargs)
    if db_field.choices:
        return db_field.formfield(choices_form_class=SharedTypedChoiceField, **kwargs)
    return db_field.formfield(**kwargs)


class SignatureForm(forms.ModelForm):
    name_in_letter = SharedTypedChoiceField(
        label=_("In the letter to the embassy"),
        choices=LETTER_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text=_("Embassies receive a letter listing the signatories of their country."),
    )
    # A honeypot: hidden from people (and from screen readers), filled in by naive bots.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Signature
        formfield_callback = formfield_for
        fields = [
            "first_name", "last_name", "email", "country", "city", "organisation", "comment",
            "public_name", "name_in_letter", "wants_updates",
        ]
        widgets = {
            "public_name": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        }
        labels = {
            "public_name": _("On the public list of signatories"),
            "wants_updates": _("Email me news of this campaign (a few times a year at most)"),
            "organisation": _("Signing on behalf of an organisation (optional)"),
            "city": _("City (optional)"),
            "comment": _("Comment (optional)"),
        }
        help_texts = {
            "email": _("Only to confirm your signature. Never shown, never sent to the embassy."),
        }

    def __init__(self, *args, language=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and language in COUNTRY_FOR_LANGUAGE:
            self.initial.setdefault("country", COUNTRY_FOR_LANGUAGE[language])
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["name_in_letter"].initial = None  # an explicit choice, no default
        self.helper = FormHelper()
        self.helper.form_tag = False  # the template owns <form>, the token, the honeypot and the button
        self.helper.disable_csrf = True
        self.helper.layout = Layout(*(name for name in self.fields if name != "website"))

    def _post_clean(self):
        # No Model.full_clean(): the fields above already check everything it would (lengths,
        # choices, the email, what is required), and the one rule they cannot -- one signature per
        # address and petition -- is the database's: petitions.signing.sign() answers a repeat by
        # email, never with a form error that would tell whoever types an address that it signed.
        # Under a surge the model's second pass (choices walked again, constraints compiled into
        # queries) cost a third of a signature's CPU time.
        pass

    def clean(self):
        cleaned = super().clean()
        for name in ("first_name", "last_name", "email", "city", "organisation", "comment"):
            value = cleaned.get(name)
            if isinstance(value, str):
                value = value.strip()
                if has_control_characters(value, allow_newlines=name == "comment"):
                    self.add_error(name, _("Please remove the invisible or control characters."))
                    cleaned.pop(name, None)
                else:
                    cleaned[name] = value
        return cleaned

    @property
    def is_bot(self):
        return bool(self.cleaned_data.get("website"))

    def signature_data(self):
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return data


# The public-list choices in the form's own words (the model's labels are the admin's); set once
# here rather than for every form.
SignatureForm.base_fields["public_name"].choices = [
    (Signature.PublicName.HIDDEN, _("Do not show my name")),
    (Signature.PublicName.INITIAL, _("First name and initial of last name")),
    (Signature.PublicName.FULL, _("Full name")),
]
