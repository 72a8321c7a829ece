"""Bad input, tried systematically (hypothesis) on the sign form, the links in emails and the
public JSON: arbitrary unicode, huge values, wrong types, raw bodies, forged, expired and foreign
tokens, every method, repeated submits in any order.

The rules, whatever the input: never a 500; the count never moves without a confirmed signature;
no response shows anyone's personal data. docs/security.md lists what is tried and what the
site does.
"""

import json
import string
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.core import signing as django_signing
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from petitions import counting, signing
from petitions.models import Petition, Signature

from .checks import emails_in
from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

EXAMPLES = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
ALLOWED = {200, 302, 400, 404, 405, 409, 410, 413, 429}

# A confirmed signer whose data must never show: their name is hidden from the public list.
SECRET = {"first_name": "Zinaida", "last_name": "Secretova", "email": "zinaida.secret@example.org"}

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)  # anything a form can carry
huge_text = st.text(st.characters(exclude_categories=("Cs",)), min_size=2_000, max_size=20_000)
plausible = st.sampled_from(
    ["", "UA", "FR", "XX", "yes", "no", "on", "true", "full", "hidden", "initial", "a@b.co", "olena@example.org",
     "\x00", "\u202e", "0", "-1", "9" * 40, "<script>alert(1)</script>", "' OR 1=1 --", "%00", "../../etc/passwd",
     "RU", "BY", "ivan@yandex.ru", "oleg@почта.рф", "a@xn--zz.ru"]
)
value = st.one_of(any_text, plausible, st.integers().map(str), huge_text)
FIELDS = ["first_name", "last_name", "email", "country", "city", "organisation", "comment", "public_name",
          "name_in_letter", "wants_updates", "website", "named_despite_risk", "email_despite_risk"]
form_data = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), any_text), st.one_of(value, st.lists(value, max_size=3)), max_size=14
)
good_form = st.fixed_dictionaries({
    "first_name": st.text(min_size=1, max_size=100), "last_name": st.text(min_size=1, max_size=100),
    "email": st.emails(), "country": st.sampled_from(["UA", "FR", "DE", "PL", "RU"]),
    "public_name": st.sampled_from(["hidden", "initial", "full"]), "name_in_letter": st.sampled_from(["yes", "no"]),
})
header_text = st.text(st.sampled_from(string.printable.strip() + " "), max_size=80)


@pytest.fixture
def petition(settings):
    settings.SIGN_RATE_BURST = settings.SIGN_RATE_SUSTAINED = "100000/h"  # the limits have tests of their own
    petition = PetitionFactory(title="Free Igor Kuznetsov", comment_display=Petition.CommentDisplay.IMMEDIATE)
    SignatureFactory(petition=petition, **SECRET, public_name=Signature.PublicName.HIDDEN, comment="",
                     status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    counting.update_counts()
    return petition


def confirmed_count_holds(petition):
    counting.update_counts()
    shown = Petition.objects.get(pk=petition.pk).signature_count
    return shown == Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED).count()


def assert_safe(response, allowed=ALLOWED):
    assert response.status_code in allowed, (response.status_code, response.content[:500])
    body = response.content.decode(errors="replace")
    assert SECRET["email"] not in body and SECRET["last_name"] not in body
    assert "Traceback" not in body
    return body


def path(petition, name="detail", *args):
    parts = {"detail": "", "confirm": "confirm/", "withdraw": "withdraw/", "resend": "fresh-link/"}
    tail = "".join(f"{quote(arg, safe='')}/" for arg in args)
    return f"/en/petitions/{petition.slug}/{parts[name]}{tail}"


# --- The sign form ------------------------------------------------------------------------------

@EXAMPLES
@given(data=form_data)
def test_any_form_data_is_answered_without_error_and_signs_nobody_unconfirmed(petition, data):
    before = Signature.objects.filter(status=Signature.Status.CONFIRMED).count()
    body = assert_safe(Client().post(path(petition), data))
    # Whatever was sent, only the sender's own input can come back (a form refilled after an error).
    sent = " ".join(str(v) for v in data.values())
    assert all(address in sent for address in emails_in(body))
    assert Signature.objects.filter(status=Signature.Status.CONFIRMED).count() == before
    assert confirmed_count_holds(petition)


@EXAMPLES
@given(body=st.binary(max_size=5000), content_type=st.sampled_from([
    "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data",
    "application/json", "text/plain", "application/octet-stream", "", "x/\x7f",
]))
def test_raw_bodies_of_any_type_are_answered_without_error(petition, body, content_type):
    assert_safe(Client().generic("POST", path(petition), body, content_type=content_type))
    assert confirmed_count_holds(petition)


@EXAMPLES
@given(body=st.binary(max_size=5000), content_type=st.sampled_from([
    "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin-1", "application/x-www-form-urlencoded; charset=bogus",
    "multipart/form-data; boundary=xyz; charset=utf-16", "multipart/form-data", "text/plain; charset=utf-32",
]), where=st.sampled_from(["sign", "nowhere"]))
def test_raw_bodies_with_a_csrf_cookie_are_answered_without_error(petition, body, content_type, where):
    # As a browser or a script would send them: the CSRF check reads the body, and so does the error
    # page that answers a body it cannot read.
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    address = path(petition) if where == "sign" else "/en/no-such-page/"
    assert_safe(client.generic("POST", address, body, content_type=content_type), allowed={400, 403, 404, 413})
    assert confirmed_count_holds(petition)


@EXAMPLES
@given(data=good_form)
def test_valid_signatures_in_any_script_are_pending_until_confirmed(petition, data):
    # 400 for names with control characters (they have a message of their own).
    assert_safe(Client().post(path(petition), data), allowed={302, 400})
    assert confirmed_count_holds(petition)
    assert not Signature.objects.filter(status=Signature.Status.CONFIRMED).exclude(email=SECRET["email"]).exists()


def test_a_huge_body_is_refused_before_it_is_read(petition):
    response = Client().post(path(petition), {"comment": "x" * 200_000, "first_name": "Olena"})
    assert response.status_code == 413
    assert Signature.objects.count() == 1


# --- The links in emails ------------------------------------------------------------------------

payloads = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["s", "p", "e", "x"]), children),
    max_leaves=6,
)


@EXAMPLES
@given(token=st.one_of(any_text, huge_text), name=st.sampled_from(["confirm", "withdraw", "resend"]),
       method=st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]))
def test_any_token_gets_a_clear_answer_and_changes_nothing(petition, token, name, method):
    assume(token.strip("/"))
    response = Client().generic(method, path(petition, name, token))
    assert_safe(response)
    assert Signature.objects.get(email=SECRET["email"]).status == Signature.Status.CONFIRMED
    assert confirmed_count_holds(petition)


@EXAMPLES
@given(payload=payloads, key=st.sampled_from(["a-forgers-guess", "insecure-key-for-tests-only", ""]),
       salt=st.sampled_from(["petitions.confirm", "petitions.withdraw", "petitions.unsubscribe", "other"]),
       name=st.sampled_from(["confirm", "withdraw"]))
def test_forged_or_malformed_tokens_never_act(petition, payload, key, salt, name):
    pending = SignatureFactory(petition=petition)
    token = django_signing.TimestampSigner(key=key or None, salt=salt).sign_object(payload)
    for method in ("GET", "POST"):
        assert_safe(Client().generic(method, path(petition, name, token)))
    # Only a genuine token for this very signature could have changed it; none was made here.
    assert Signature.objects.get(pk=pending.pk).status == Signature.Status.PENDING
    assert Signature.objects.get(email=SECRET["email"]).status == Signature.Status.CONFIRMED
    assert confirmed_count_holds(petition)


@EXAMPLES
@given(age=st.integers(min_value=signing.CONFIRM_LINK_MAX_AGE + 1, max_value=20 * 365 * 24 * 3600))
def test_expired_confirmation_links_offer_a_fresh_one_and_confirm_nothing(petition, age):
    pending = SignatureFactory(petition=petition)
    with time_machine.travel(timezone.now() - timedelta(seconds=age)):
        token = signing.make_token(pending, signing.CONFIRM)
    response = Client().post(path(petition, "confirm", token))
    assert_safe(response, allowed={410})
    assert Signature.objects.get(pk=pending.pk).status == Signature.Status.PENDING


@EXAMPLES
@given(name=st.sampled_from(["confirm", "withdraw"]), status=st.sampled_from(list(Signature.Status)))
def test_another_petitions_token_never_works_here(petition, name, status):
    other = PetitionFactory()
    theirs = SignatureFactory(petition=other, status=status,
                              confirmed_at=timezone.now() if status == Signature.Status.CONFIRMED else None)
    token = signing.make_token(theirs, signing.CONFIRM if name == "confirm" else signing.WITHDRAW)
    body = assert_safe(Client().post(path(petition, name, token)), allowed={400})
    assert theirs.email not in body
    assert Signature.objects.get(pk=theirs.pk).status == status


# --- The public JSON ----------------------------------------------------------------------------

@EXAMPLES
@given(slug=any_text, query=any_text, language=header_text,
       method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"]))
def test_the_public_json_answers_anything_without_error_or_personal_data(petition, slug, query, language, method):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    for url in (f"/api/petitions/{quote(slug, safe='')}/", f"/api/petitions/{petition.slug}/",
                "/api/petitions/"):
        response = client.generic(method, f"{url}?{quote(query, safe='=&')}")
        body = assert_safe(response, allowed={200, 204, 400, 404, 405})
        assert not emails_in(body)
        if response.status_code == 200 and method == "GET":
            data = json.loads(body)
            for item in data.get("petitions", [data]):
                assert set(item) >= {"signature_count", "goal", "counts_by_country", "deliveries"}
                assert sum(item["counts_by_country"].values()) == item["signature_count"]


# --- Repeated submits, in any order -------------------------------------------------------------

class SigningInAnyOrder(RuleBasedStateMachine):
    """Signers sign, sign again, confirm, confirm again and withdraw, in any order and any case of
    their address. The count always equals the confirmed signatures, one per person."""

    signers = Bundle("signers")

    def __init__(self):
        super().__init__()
        self.petition = PetitionFactory()
        self.client = Client()

    @rule(target=signers, local=st.sampled_from(["olena", "jean", "kofi"]), upper=st.booleans(), pad=st.booleans())
    def sign(self, local, upper, pad):
        email = f"{local}@example.org"
        sent = (email.upper() if upper else email).join(["  ", " "] if pad else ["", ""])
        response = self.client.post(path(self.petition), {
            "first_name": local, "last_name": "Signer", "email": sent, "country": "UA",
            "public_name": "full", "name_in_letter": "yes",
        })
        assert response.status_code == 302
        return email

    @rule(email=signers, twice=st.booleans())
    def confirm(self, email, twice):
        signature = Signature.objects.filter(petition=self.petition, email_normalised=email).first()
        if signature is None:
            return  # withdrawn meanwhile
        target = path(self.petition, "confirm", signing.make_token(signature, signing.CONFIRM))
        for _ in range(2 if twice else 1):
            assert self.client.post(target).status_code in {302, 400}

    @rule(email=signers)
    def withdraw(self, email):
        signature = Signature.objects.filter(petition=self.petition, email_normalised=email).first()
        if signature is None:
            return
        target = path(self.petition, "withdraw", signing.make_token(signature, signing.WITHDRAW))
        assert self.client.post(target).status_code == 200
        assert self.client.post(target).status_code == 400  # the link dies with the erased data

    @invariant()
    def one_signature_per_person_and_an_exact_count(self):
        live = Signature.objects.filter(petition=self.petition).exclude(email="")
        assert live.count() == live.values("email_normalised").distinct().count()
        assert confirmed_count_holds(self.petition)


def test_repeated_submits_in_any_order_keep_one_signature_per_person_and_an_exact_count(settings):
    settings.SIGN_RATE_BURST = settings.SIGN_RATE_SUSTAINED = "100000/h"
    run_state_machine_as_test(SigningInAnyOrder, settings=hypothesis_settings(
        max_examples=40, stateful_step_count=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    ))
