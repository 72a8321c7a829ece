"""Signing at the HTTP level: every rule of the confirmed-signature flow."""

import re
import unicodedata
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from campaign import emails
from petitions import counting, outbox, retention, signing, views
from petitions.forms import MESSAGES
from petitions.models import Petition, Signature

from .checks import emails_in, third_party_loads
from .factories import PetitionFactory, SignatureFactory

# Real commits: emails and count updates are enqueued on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://127\.0\.0\.1:8000(/\w\w/petitions/[\w-]+/(confirm|withdraw)/[^/\s\"<]+/)")


@pytest.fixture
def petition():
    return PetitionFactory(title="Free Igor Kuznetsov", goal=100)


def url(petition, name="detail", *args, lang="en"):
    with translation.override(lang):
        return reverse(f"petitions:{name}", args=[petition.slug, *args])


def form_data(**overrides):
    data = {
        "first_name": "Olena", "last_name": "Petrenko", "email": "olena@example.org", "country": "UA",
        "city": "Lviv", "organisation": "", "comment": "", "public_name": "full", "name_in_letter": "yes",
    }
    data.update(overrides)
    return data


def sign(client, petition, **overrides):
    return client.post(url(petition), form_data(**overrides))


def links(message, kind):
    return [path for path, found in LINK.findall(message.body) if found == kind]


def count_of(petition):
    counting.update_counts()
    return Petition.objects.get(pk=petition.pk).signature_count


# --- The happy path -----------------------------------------------------------------------------

def test_signing_records_a_pending_signature_and_emails_a_confirmation_link(client, petition, mailoutbox):
    response = sign(client, petition)

    assert response.status_code == 302
    assert response["Location"] == url(petition, "check-email")
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert (signature.first_name, signature.country.code, signature.language) == ("Olena", "UA", "en")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["olena@example.org"]
    assert "Free Igor Kuznetsov" in mailoutbox[0].subject
    assert len(links(mailoutbox[0], "confirm")) == 1
    assert len(links(mailoutbox[0], "withdraw")) == 1
    assert mailoutbox[0].alternatives[0][1] == "text/html"


def test_the_confirmation_email_repeats_no_name_typed_with_the_address(client, petition, mailoutbox):
    """Anyone can type anyone's address: a name of "www.scam.example" greeted its owner from our
    domain. The confirm page shows the details, to whoever holds the link."""
    sign(client, petition, first_name="Claim your prize at www.scam.example", last_name="Now")
    message = mailoutbox[0]
    assert message.body.startswith("Hello,\n")
    assert "scam" not in message.body and "scam" not in message.alternatives[0][0]
    assert "scam" not in message.subject
    assert "www.scam.example" in client.get(links(message, "confirm")[0]).text


def test_opening_the_link_does_not_confirm_but_pressing_confirm_does(client, petition, mailoutbox):
    sign(client, petition)
    confirm_path = links(mailoutbox[0], "confirm")[0]

    page = client.get(confirm_path)
    assert page.status_code == 200
    assert "Confirm" in page.text
    assert Signature.objects.get().status == Signature.Status.PENDING  # a mail scanner's GET

    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response["Location"] == url(petition, "thanks")
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert count_of(petition) == 1


def test_confirming_twice_counts_once(client, petition, mailoutbox):
    sign(client, petition)
    confirm_path = links(mailoutbox[0], "confirm")[0]
    client.post(confirm_path)
    first_confirmed_at = Signature.objects.get().confirmed_at

    again = client.post(confirm_path)

    assert again.status_code == 302
    assert Signature.objects.get().confirmed_at == first_confirmed_at
    assert count_of(petition) == 1
    assert "already confirmed" in client.get(confirm_path).text


def test_confirming_updates_the_count_without_waiting_for_the_periodic_task(client, petition, mailoutbox):
    sign(client, petition)
    with pytest.MonkeyPatch.context() as patch:
        # Prove the confirmation itself schedules the update (eager Celery runs it at once).
        patch.setattr(counting, "COUNT_UPDATE_DELAY", 0)
        client.post(links(mailoutbox[0], "confirm")[0])
    assert Petition.objects.get(pk=petition.pk).signature_count == 1


def test_the_signing_insert_stores_what_model_save_would(petition):
    """petitions.signing inserts a signature with its own SQL (for speed): the row must be the one
    Model.save() writes."""
    data = {"first_name": "Olena", "last_name": "Petrenko", "email": " Olena@Example.org", "country": "UA",
            "city": "Lviv", "organisation": "", "comment": "Свобода!", "public_name": "full",
            "name_in_letter": True, "wants_updates": True}
    now = timezone.now()
    ours = signing.sign(petition, data, ip="198.51.100.7", language="uk", now=now, busy_network=True).signature
    django = Signature(petition=petition, language="uk", ip_hash=ours.ip_hash, created_at=now,
                       email_due=Signature.EmailDue.CONFIRM, flags=ours.flags, **{**data, "email": "x@example.org"})
    django.save(force_insert=True)
    rows = {row.pop("id"): row for row in Signature.objects.values()}
    mine, theirs = rows[ours.pk], rows[django.pk]
    assert ours.pk and not ours._state.adding
    assert mine.pop("email") == " Olena@Example.org" and mine.pop("email_normalised") == "olena@example.org"
    theirs.pop("email"), theirs.pop("email_normalised")
    # The owed email is sent at once here (eager tasks) and cleared, the next held back for a while;
    # the INSERT wrote it.
    assert ours.email_due == Signature.EmailDue.CONFIRM and mine.pop("email_due") == Signature.EmailDue.NONE
    assert mine.pop("email_not_before") > now
    theirs.pop("email_due"), theirs.pop("email_not_before")
    assert abs(mine.pop("updated_at") - theirs.pop("updated_at")) < timedelta(seconds=5)
    assert mine == theirs and mine["flags"] and mine["created_at"] == now


def test_the_confirmation_sql_stores_and_reads_as_the_orm_does(petition):
    """petitions.signing writes the link's read and the confirming UPDATE as SQL (for speed)."""
    signature = SignatureFactory(petition=petition, first_name="Olena")
    earlier = SignatureFactory(petition=petition, status=Signature.Status.CONFIRMED,
                               confirmed_at=timezone.now() - timedelta(minutes=1))
    found = signing._signature_for_link(signature.pk, petition.pk)
    assert (found.pk, found.email, found.status) == (signature.pk, signature.email, Signature.Status.PENDING)
    assert found.first_name == "Olena"  # the rest is deferred, loaded on use
    assert signing._signature_for_link(signature.pk, PetitionFactory().pk) is None
    now = timezone.now()
    assert signing.confirm(found, now=now) is True
    assert signing.confirm(found, now=now) is False
    assert Signature.objects.get(pk=signature.pk).confirmed_at == now
    newest = Signature.objects.filter(status=Signature.Status.CONFIRMED).order_by("-confirmed_at")
    assert list(newest.values_list("pk", flat=True)) == [signature.pk, earlier.pk]
    assert newest.filter(confirmed_at__gt=now - timedelta(seconds=1)).get().pk == signature.pk


def test_emails_go_out_in_the_signers_language(client, petition, mailoutbox):
    client.post(url(petition, lang="uk"), form_data())
    assert Signature.objects.get().language == "uk"
    assert links(mailoutbox[0], "confirm")[0].startswith("/uk/")


# --- Duplicates ---------------------------------------------------------------------------------

def test_signing_again_with_the_same_email_in_any_case_or_spacing_adds_nothing(client, petition, mailoutbox):
    first = sign(client, petition)
    second = sign(client, petition, email="  OLENA@Example.org ", first_name="Olena")

    assert (second.status_code, second["Location"]) == (first.status_code, first["Location"])
    assert Signature.objects.count() == 1
    assert Signature.objects.get().email == "olena@example.org"
    # Still pending: a fresh confirmation link to the address on record, once the pause after the
    # first is over.
    outbox.drain(timezone.now() + outbox.REPEAT_INTERVAL + timedelta(seconds=1))
    assert [m.to for m in mailoutbox] == [["olena@example.org"], ["olena@example.org"]]
    assert len(links(mailoutbox[1], "confirm")) == 1


def test_what_is_confirmed_is_the_latest_submission_and_the_confirm_page_shows_it(client, petition, mailoutbox):
    """Someone who knows a supporter's address signs with it first: their name, their comment, "full
    name, in the letter". The supporter signs after, choosing to be only counted, and confirms from
    the email. What they confirmed used to be the first submission; and nothing showed it."""
    sign(client, petition, first_name="Olena", last_name="Exposed", comment="I oppose the regime",
         public_name="full", name_in_letter="yes")
    sign(client, petition, first_name="Olena", last_name="Petrenko", comment="", public_name="hidden",
         name_in_letter="no")

    signature = Signature.objects.get()
    assert (signature.last_name, signature.comment) == ("Petrenko", "")
    assert (signature.public_name, signature.name_in_letter) == (Signature.PublicName.HIDDEN, False)

    # Either email's link confirms the one signature, and its page says what the button confirms.
    outbox.drain(timezone.now() + outbox.REPEAT_INTERVAL + timedelta(seconds=1))  # the second, after the pause
    page = client.get(links(mailoutbox[0], "confirm")[0])
    assert page["Cache-Control"].startswith("max-age=0") and "no-store" in page["Cache-Control"]
    html = page.text
    assert "Olena Petrenko" in html and "Exposed" not in html and "I oppose the regime" not in html
    assert "Do not show my name" in html and "No, only count my signature" in html
    client.post(links(mailoutbox[1], "confirm")[0])
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED and not signature.name_in_letter


def test_signing_again_after_a_review_asks_for_a_review_of_the_new_details(client, petition, mailoutbox):
    sign(client, petition)
    Signature.objects.update(reviewed=True, comment_approved=True)
    sign(client, petition, comment="Something else entirely")
    assert Signature.objects.filter(reviewed=False, comment_approved=False, comment="Something else entirely").exists()


def test_one_mailbox_is_one_signature_however_its_domain_is_spelt(client, petition, mailoutbox):
    for spelling in ("ivan@bücher.de", "ivan@BÜCHER.de", "ivan@ＢÜＣＨＥＲ.de", "ivan@xn--bcher-kva.de"):
        sign(client, petition, email=spelling)

    assert list(Signature.objects.values_list("email", flat=True)) == ["ivan@xn--bcher-kva.de"]
    assert {tuple(m.to) for m in mailoutbox} == {("ivan@xn--bcher-kva.de",)}


def test_signing_again_after_confirming_sends_already_signed_and_counts_once(client, petition, mailoutbox):
    sign(client, petition)
    client.post(links(mailoutbox[0], "confirm")[0])

    response = sign(client, petition, email="Olena@example.org")
    outbox.drain(timezone.now() + outbox.REPEAT_INTERVAL + timedelta(seconds=1))  # the pause after the first

    assert response["Location"] == url(petition, "check-email")
    assert "already signed" in mailoutbox[-1].subject
    assert links(mailoutbox[-1], "confirm") == []
    assert count_of(petition) == 1


@pytest.mark.parametrize("lang", ["en", "uk", "ru", "fr"])
def test_signing_again_to_change_ones_choices_is_told_they_did_not_change_and_how_to(client, petition, mailoutbox,
                                                                                      lang):
    """Someone who signed with their name in the letter, then read that people in Russia should only
    be counted and signed again so, was told "there is nothing you need to do" while the embassy
    would still get their name."""
    client.post(url(petition, lang=lang), form_data())  # the emails are in the language signed in
    client.post(links(mailoutbox[0], "confirm")[0])

    client.post(url(petition, lang=lang), form_data(public_name="hidden", name_in_letter="no"))
    outbox.drain(timezone.now() + outbox.REPEAT_INTERVAL + timedelta(seconds=1))  # once the pause is over

    signature = Signature.objects.get()
    assert (signature.public_name, signature.name_in_letter) == ("full", True)  # as first chosen
    message = mailoutbox[-1]
    html = message.alternatives[0][0]
    with translation.override(lang):
        told = translation.gettext(
            "What you chose when you first signed still holds, including whether your name is shown on the site "
            "and written in the letter to the embassy: signing again changed nothing. To change it, withdraw your "
            "signature with the link below, then sign again.")
    assert lang == "en" or "signing again changed nothing" not in told
    assert told in message.body and told in unescape(html)
    assert len(links(message, "withdraw")) == 1


def test_the_response_never_reveals_whether_an_address_has_signed(client, petition, mailoutbox):
    new = sign(client, petition, email="new@example.org")
    SignatureFactory(petition=petition, email="old@example.org", confirmed=True)
    old = sign(client, petition, email="old@example.org")
    assert (new.status_code, new["Location"]) == (old.status_code, old["Location"])
    def page(response):  # the same page but for the per-render CSRF token
        return re.sub(r'value="[^"]+"', "", client.get(response["Location"]).text)

    assert page(new) == page(old)


# --- Expiry and bad links -----------------------------------------------------------------------

def test_a_confirmation_link_expires_after_seven_days_and_a_fresh_one_can_be_had(client, petition, mailoutbox):
    sign(client, petition)
    old_link = links(mailoutbox[0], "confirm")[0]

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        page = client.get(old_link)
        assert page.status_code == 410
        assert "expired" in page.text
        assert client.post(old_link).status_code == 410
        assert Signature.objects.get().status == Signature.Status.PENDING

        fresh = client.post(old_link.replace("/confirm/", "/fresh-link/"))
        assert fresh["Location"] == url(petition, "check-email")
        new_link = links(mailoutbox[-1], "confirm")[0]
        assert client.post(new_link).status_code == 302

    assert Signature.objects.get().status == Signature.Status.CONFIRMED


def signed_an_hour_before_closing(client, mailoutbox):
    """A petition that closes in an hour, signed now: the petition and its confirmation link."""
    petition = PetitionFactory(closes_at=timezone.now() + timedelta(hours=1))
    sign(client, petition)
    return petition, links(mailoutbox[0], "confirm")[0]


def test_a_signature_made_before_closing_can_be_confirmed_until_a_day_after(client, mailoutbox):
    """The email may be read hours after the petition closed; as on the UK Parliament's site, a day."""
    petition, link = signed_an_hour_before_closing(client, mailoutbox)

    with time_machine.travel(petition.closes_at + timedelta(hours=23, minutes=59)):
        assert not petition.is_open_for_signing()
        assert client.post(link)["Location"] == url(petition, "thanks")
    assert Signature.objects.get().status == Signature.Status.CONFIRMED
    assert count_of(petition) == 1


def test_a_day_after_closing_a_pending_signature_is_not_counted_and_gets_no_fresh_link(client, mailoutbox):
    petition, link = signed_an_hour_before_closing(client, mailoutbox)

    for late in (timedelta(hours=24, minutes=1), timedelta(days=8)):  # the link still valid, then expired
        with time_machine.travel(petition.closes_at + late):
            page = client.get(link)
            assert page.status_code == 410
            assert "This petition has closed" in page.text
            assert "Send me a fresh link" not in page.text
            assert client.post(link).status_code == 410
            fresh = client.post(link.replace("/confirm/", "/fresh-link/"))
            assert fresh.status_code == 410
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert count_of(petition) == 0
    assert len(mailoutbox) == 1  # no fresh link was sent


def test_an_organisers_closing_starts_the_day_of_grace_too(client, petition, mailoutbox):
    sign(client, petition)
    link = links(mailoutbox[0], "confirm")[0]
    petition.status = Petition.Status.CLOSED
    petition.save()  # records the moment as closes_at
    views.local_cache.clear()  # the page's copy of the petition, as it is PUBLIC_SECONDS later

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert client.post(link).status_code == 410
    assert Signature.objects.get().status == Signature.Status.PENDING


def test_a_confirmed_signature_still_reads_as_confirmed_long_after_closing(client, mailoutbox):
    petition, link = signed_an_hour_before_closing(client, mailoutbox)
    client.post(link)

    with time_machine.travel(petition.closes_at + timedelta(days=3)):
        page = client.get(link)
    assert page.status_code == 200
    assert "already confirmed" in page.text


def old_confirm_token(signature):
    with time_machine.travel(timezone.now() - timedelta(days=7, minutes=1)):
        return signing.make_token(signature, signing.CONFIRM)


def test_an_expired_link_of_a_confirmed_signature_says_it_is_already_confirmed(client, petition):
    """The signer who confirmed long ago and clicks the link again must not be told to start over."""
    signature = SignatureFactory(petition=petition, confirmed=True)
    old_link = url(petition, "confirm", old_confirm_token(signature))

    page = client.get(old_link)
    assert page.status_code == 200
    assert "already confirmed" in page.text
    assert "expired" not in page.text
    again = client.post(old_link)
    assert again["Location"] == url(petition, "thanks")
    assert Signature.objects.get().confirmed_at == signature.confirmed_at


def test_a_fresh_link_is_promised_only_when_one_is_sent(client, petition, mailoutbox):
    """Telling a signer to check their email for a link that is not coming sends them to wait for nothing."""
    confirmed = SignatureFactory(petition=petition, confirmed=True)
    rejected = SignatureFactory(petition=petition, status=Signature.Status.REJECTED)

    already = client.post(url(petition, "resend", old_confirm_token(confirmed)))
    assert already.status_code == 200
    assert "already confirmed" in already.text
    refused = client.post(url(petition, "resend", old_confirm_token(rejected)))
    assert refused.status_code == 400
    assert "does not work" in refused.text
    assert mailoutbox == []


def test_a_link_within_seven_days_still_works(client, petition, mailoutbox):
    sign(client, petition)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        assert client.post(links(mailoutbox[0], "confirm")[0]).status_code == 302


def test_links_already_emailed_still_work_after_a_key_rotation_while_the_old_key_is_a_fallback(
    client, petition, mailoutbox, settings
):
    """A leaked SECRET_KEY must be replaced; every confirm, withdraw and unsubscribe link already in
    signers' mailboxes is signed with it. With the old key in SECRET_KEY_FALLBACKS they still work."""
    sign(client, petition)
    confirm, withdraw = links(mailoutbox[0], "confirm")[0], links(mailoutbox[0], "withdraw")[0]
    unsubscribe = signing.make_unsubscribe_token(Signature.objects.get())
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "n" * 50, []
    assert client.post(confirm).status_code in {400, 404}  # a new key alone breaks them

    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.post(confirm)["Location"] == url(petition, "thanks")
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.CONFIRMED
    assert signing.signature_from_unsubscribe_token(unsubscribe) == signature
    client.post(withdraw)
    assert not Signature.objects.filter(email="olena@example.org").exists()


@pytest.mark.parametrize("token", ["x", "abc:def:ghi", "eyJzIjoxfQ:1tX:forged", "%00", "a" * 500])
def test_forged_tokens_get_a_clear_page_not_an_error(client, petition, token):
    SignatureFactory(petition=petition)
    for name in ("confirm", "withdraw"):
        response = client.get(url(petition, name, token))
        assert response.status_code in {400, 404}
        assert client.post(url(petition, name, token)).status_code in {400, 404}
    assert not Signature.objects.filter(status=Signature.Status.CONFIRMED).exists()


def test_another_petitions_token_does_not_work_here(client, petition):
    other = PetitionFactory()
    signature = SignatureFactory(petition=other)
    token = signing.make_token(signature, signing.CONFIRM)

    assert client.post(url(petition, "confirm", token)).status_code == 400
    assert client.post(url(other, "confirm", token)).status_code == 302


def test_a_withdraw_token_cannot_confirm(client, petition):
    signature = SignatureFactory(petition=petition)
    token = signing.make_token(signature, signing.WITHDRAW)
    assert client.post(url(petition, "confirm", token)).status_code == 400
    assert Signature.objects.get().status == Signature.Status.PENDING


# --- Withdrawing --------------------------------------------------------------------------------

def test_withdrawing_erases_the_person_and_drops_the_count_at_once(client, petition, mailoutbox):
    sign(client, petition, organisation="Sotsialnyi Rukh", comment="Freedom!")
    client.post(links(mailoutbox[0], "confirm")[0])
    assert count_of(petition) == 1
    withdraw_path = links(mailoutbox[0], "withdraw")[0]

    page = client.get(withdraw_path)
    assert page.status_code == 200 and Signature.objects.get().status == Signature.Status.CONFIRMED

    response = client.post(withdraw_path)

    assert response.status_code == 200
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.WITHDRAWN
    assert (signature.first_name, signature.last_name, signature.email) == ("", "", "")
    assert (signature.city, signature.organisation, signature.comment, signature.ip_hash) == ("", "", "", "")
    assert Petition.objects.get(pk=petition.pk).signature_count == 0  # no periodic task needed
    # The old links are dead, and the address may sign again.
    assert client.post(withdraw_path).status_code == 400
    assert client.post(links(mailoutbox[0], "confirm")[0]).status_code == 400
    sign(client, petition)
    assert Signature.objects.filter(status=Signature.Status.PENDING).count() == 1


def test_no_cache_keeps_a_page_reached_through_a_signers_link(client, petition, mailoutbox):
    """Shared caches (a CDN, a workplace proxy) and a shared computer's browser kept the withdraw and
    unsubscribe pages -- which appeal someone signed, for the next person to find with "Back"."""
    sign(client, petition)
    confirm_path, withdraw_path = links(mailoutbox[0], "confirm")[0], links(mailoutbox[0], "withdraw")[0]
    unsubscribe_path = reverse("petitions:unsubscribe", args=[signing.make_unsubscribe_token(Signature.objects.get())])
    fresh_path = confirm_path.replace("/confirm/", "/fresh-link/")
    answers = {
        "confirm": client.get(confirm_path), "fresh link": client.post(fresh_path),
        "withdraw": client.get(withdraw_path), "unsubscribe": client.get(unsubscribe_path),
        "unsubscribed": client.post(unsubscribe_path), "withdrawn": client.post(withdraw_path),
        "dead withdraw link": client.get(withdraw_path), "dead confirm link": client.get(confirm_path),
        "dead unsubscribe link": client.get(unsubscribe_path),
        "forged withdraw link": client.get(url(petition, "withdraw", "forged")),
    }
    for name, response in answers.items():
        assert response.status_code in (200, 302, 400), name
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, name


@pytest.mark.parametrize("erase", ["withdrawn", "anonymised", "never confirmed, deleted"])
def test_a_link_of_an_erased_signature_says_its_data_is_already_erased(client, petition, mailoutbox, erase):
    """A signer at risk who comes back to their email to make sure was told the withdraw link "may have
    been copied incompletely": as if their data were still here and they could not erase it."""
    sign(client, petition)
    withdraw_path = links(mailoutbox[0], "withdraw")[0]
    if erase == "never confirmed, deleted":
        Signature.objects.update(updated_at=timezone.now() - timedelta(days=retention.UNCONFIRMED_DAYS + 1))
        assert retention.delete_unconfirmed() == 1
    else:
        client.post(links(mailoutbox[0], "confirm")[0])
    if erase == "withdrawn":
        client.post(withdraw_path)
    elif erase == "anonymised":
        retention.anonymise(petition)

    for path in (withdraw_path, links(mailoutbox[0], "confirm")[0]):
        page = client.get(path)
        assert page.status_code == 400, path
        assert "its personal data is already erased" in page.text, path
        assert "copied incompletely" not in page.text, path
    # A mangled link is still only a link that does not work.
    page = client.get(withdraw_path[:-5] + "xxxx/")
    assert "copied incompletely" in page.text and "already erased" not in page.text


@pytest.mark.parametrize("unpublished", ["petition", "campaign"])
def test_a_signer_can_withdraw_after_the_petition_is_unpublished(client, petition, mailoutbox, unpublished):
    sign(client, petition)
    withdraw_path = links(mailoutbox[0], "withdraw")[0]
    if unpublished == "petition":
        Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.DRAFT)
    else:
        type(petition.campaign).objects.filter(pk=petition.campaign_id).update(status="draft")
    assert client.get(url(petition)).status_code == 404

    assert client.get(withdraw_path).status_code == 200
    response = client.post(withdraw_path)

    assert response.status_code == 200 and Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert f'href="{petition.get_absolute_url()}"' not in response.text  # no link to a page not there
    again = client.post(withdraw_path)  # the link of an erased signature no longer works
    assert again.status_code == 400 and f'href="{petition.get_absolute_url()}"' not in again.text


@pytest.mark.parametrize("unpublished", ["petition", "campaign"])
def test_a_made_up_withdraw_link_does_not_tell_that_an_unpublished_petition_exists(
    client, petition, mailoutbox, unpublished
):
    """Drafts are not announced: a withdraw address with a token of anyone's making answers as for a
    slug no petition has, not "This link does not work", which told that this draft slug is taken.
    Another petition's genuine link is no key to this one either."""
    other = PetitionFactory()
    sign(client, other)
    others_token = links(mailoutbox[0], "withdraw")[0].rstrip("/").rsplit("/", 1)[1]
    if unpublished == "petition":
        Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.DRAFT)
    else:
        type(petition.campaign).objects.filter(pk=petition.campaign_id).update(status="draft")
    nobodys = PetitionFactory.build(slug="no-such-petition")

    for token in ("made-up", others_token):
        for method in (client.get, client.post):
            answer, nothing = method(url(petition, "withdraw", token)), method(url(nobodys, "withdraw", token))
            assert answer.status_code == nothing.status_code == 404
            assert answer.text.replace(petition.slug, nobodys.slug) == nothing.text  # the same page


def test_erasing_takes_the_names_out_of_the_admins_history_in_one_update(petition, django_user_model):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    organiser = django_user_model.objects.create_superuser("alice", "alice@example.org", "pw")
    olena, ivan, kept = (
        SignatureFactory(petition=petition, first_name=first, last_name=last, public_name="full", confirmed=True)
        for first, last in [("Olena", "Petrenko"), ("Ivan", "Franko"), ("Lesya", "Ukrainka")]
    )
    # What the admin writes when an organiser changes a signature: its str() and a change message.
    for signature in (olena, ivan, kept, petition):
        LogEntry.objects.log_actions(organiser.pk, [signature], CHANGE, '[{"changed": {"fields": ["City"]}}]',
                                     single_object=True)
    assert LogEntry.objects.filter(object_repr="Olena Petrenko (Confirmed)").exists()

    with CaptureQueriesContext(connection) as queries:
        assert signing.erase(Signature.objects.filter(pk__in=[olena.pk, ivan.pk])) == 2
    assert len([q for q in queries if "django_admin_log" in q["sql"]]) == 1

    history = dict(LogEntry.objects.values_list("object_repr", "change_message"))
    assert history == {
        f"Signature #{olena.pk}": "", f"Signature #{ivan.pk}": "",
        "Lesya Ukrainka (Confirmed)": '[{"changed": {"fields": ["City"]}}]',  # not erased: untouched
        str(petition): '[{"changed": {"fields": ["City"]}}]',  # another model's entry with the same id too
    }


# --- Bad input ----------------------------------------------------------------------------------

BAD_INPUT = [
    ("first_name", "", "This field is required."),
    ("last_name", "", "This field is required."),
    ("email", "", "This field is required."),
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "a@b", "Enter a valid email address."),
    # Valid to Django's validator, but no email can be sent to them: a label too long once in
    # IDNA form, and an address too long once its domain is.
    ("email", "a@" + "ü" * 60 + ".de", "Enter a valid email address."),
    ("email", "x" * 64 + "@" + ".".join(["ü" * 20] * 8) + ".de", "Enter a valid email address."),
    ("email", "a@[192.0.2.1]", "Enter a valid email address."),
    ("email", "a@[IPv6:2001:db8::1]", "Enter a valid email address."),
    ("first_name", "x" * 101, "Ensure this value has at most 100 characters"),
    ("city", "x" * 101, "Ensure this value has at most 100 characters"),
    ("organisation", "x" * 201, "Ensure this value has at most 200 characters"),
    ("comment", "x" * 1001, "Ensure this value has at most 1000 characters"),
    ("country", "XX", "Select a valid choice."),
    ("country", "", "This field is required."),
    ("public_name", "everyone", "Select a valid choice."),
    ("name_in_letter", "", "This field is required."),
    ("name_in_letter", "maybe", "Select a valid choice."),
    ("first_name", "Ol\x00ena", "Null characters are not allowed."),
    ("last_name", "Pe\x07trenko", "Please remove the invisible or control characters."),
    ("city", "Ky\u202eiv", "Please remove the invisible or control characters."),
    ("comment", "Hello\x1b[31m", "Please remove the invisible or control characters."),
    # Nothing to print in the letter (no font draws an emoji) and nothing to read on the list.
    ("first_name", "🙂", "Please write your name in letters."),
    ("last_name", "... 123", "Please write your name in letters."),
]


@pytest.mark.parametrize("field, value, message", BAD_INPUT, ids=[f"{f}:{m[:20]}" for f, _, m in BAD_INPUT])
def test_bad_input_gets_a_message_next_to_the_field_and_changes_nothing(
    client, petition, mailoutbox, field, value, message
):
    response = sign(client, petition, **{field: value})

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert f'id="id_{field}_error"' in response.text  # tied to the field for screen readers
    assert 'value="olena@example.org"' in response.text or field == "email"  # the form is refilled
    assert Signature.objects.count() == 0
    assert mailoutbox == []


GOOD_INPUT = [
    {}, {"organisation": "Memorial", "comment": "Free them all.\r\nNow."}, {"wants_updates": "on"},
    {"first_name": "  Zoë ", "last_name": "\tÑúñez-Müller ", "email": " Olena@Example.ORG "},
    {"first_name": "李", "last_name": "小龍", "city": "", "public_name": "hidden", "name_in_letter": "no"},
    {"first_name": "Zoë 🙂", "last_name": "O'Neil-2"},  # a letter among them is enough
    {"country": "fr", "website": ""}, {"website": "http://spam.example"},  # a bot: valid, and ignored
    {"comment": "x" * 1000, "first_name": "x" * 100, "unknown": "ignored"},
]


@pytest.mark.parametrize(
    "overrides",
    GOOD_INPUT + [{field: value} for field, value, _message in BAD_INPUT]
    + [{"first_name": None}, {"public_name": None, "name_in_letter": None}]  # None: the field is left out
    + [{"email": "ivan@yandex.ru"}, {"email": "ivan@yandex.ru", "email_despite_risk": "on"},
       {"email": "ivan@yandex.ru", "country": "RU", "name_in_letter": "yes", "named_despite_risk": "on"}],
)
def test_the_sign_posts_shortcut_decides_as_the_form_does(overrides):
    # The view asks SignatureForm.valid_data() first and builds a form only for a submission that
    # is wrong; the two must agree on every submission, to the cleaned values.
    from django.http import QueryDict

    from petitions.forms import SignatureForm

    data = QueryDict(mutable=True)
    for name, value in form_data(**overrides).items():
        if value is not None:
            data[name] = value
    form = SignatureForm(data)

    assert SignatureForm.valid_data(data) == (form.cleaned_data if form.is_valid() else None)


def test_the_sign_posts_shortcut_runs_every_check_the_form_has():
    # valid_data() runs each field's clean() and the form's clean(); a check Django's forms run
    # from elsewhere would be skipped by it, so there must be none.
    from django import forms as django_forms

    from petitions.forms import SignatureForm

    assert not [name for name in SignatureForm.base_fields if hasattr(SignatureForm, f"clean_{name}")]
    assert not [name for name, field in SignatureForm.base_fields.items()
                if field.disabled or isinstance(field, django_forms.FileField)]
    assert SignatureForm.full_clean is django_forms.Form.full_clean
    assert SignatureForm._clean_fields is django_forms.Form._clean_fields
    assert SignatureForm._post_clean is django_forms.Form._post_clean
    assert SignatureForm().prefix is None


def test_a_missing_csrf_token_is_refused(petition):
    client = Client(enforce_csrf_checks=True)
    response = sign(client, petition)
    assert response.status_code == 403
    assert Signature.objects.count() == 0


@pytest.mark.parametrize(
    "first, last",
    [("Олена", "Петренко"), ("Ґалина", "Їжакевич"), ("Αθηνά", "Παπαδοπούλου"), ("فاطمة", "الزهراء"),
     ("Zoë", "Ñúñez-Müller"), ("Siobhán", "O'Brien"), ("李", "小龍")],
)
def test_names_in_any_script_are_accepted_and_shown_as_written(client, petition, mailoutbox, first, last):
    sign(client, petition, first_name=first, last_name=last)
    client.post(links(mailoutbox[0], "confirm")[0])

    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name) == (first, last)
    page = client.get(url(petition, "signatories"))
    assert escape(f"{first} {last}") in page.text


def test_the_country_is_preselected_from_the_language_only(client, petition):
    assert client.get(url(petition, lang="uk")).context["form"]["country"].value() == "UA"
    assert client.get(url(petition, lang="fr")).context["form"]["country"].value() == "FR"
    assert client.get(url(petition, lang="ru")).context["form"]["country"].value() in (None, "")


# Each language's letters in its dictionary order; a name is placed by its first letter.
FIRST_LETTERS = {
    "uk": "АБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ",
    "ru": "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ",
    "fr": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}


@pytest.mark.parametrize(
    "lang, in_order",
    [
        # Jordan after Italy (Й after І), Germany among the Н, the United States among the С.
        ("uk", ["Італія", "Йорданія", "Нідерланди", "Німеччина", "Норвегія", "Словенія", "Сполучені Штати Америки"]),
        ("ru", ["Великобритания", "Венгрия", "Гватемала", "Германия", "Гондурас", "Соединенные Штаты", "Сомали"]),
        ("fr", ["Égypte", "Émirats arabes unis", "Équateur", "États-Unis", "Éthiopie"]),
    ],
)
def test_the_country_list_is_in_the_alphabetical_order_of_the_pages_language(client, petition, lang, in_order):
    """Without a collation library django-countries sorts names by their ASCII letters: none, in
    Cyrillic. The Ukrainian and Russian lists came out in the order of the English names."""
    select = re.search(r'<select name="country".*?</select>', client.get(url(petition, lang=lang)).text, re.S)
    names = [unescape(name) for name in re.findall(r'<option value="\w\w"[^>]*>([^<]+)</option>', select.group())]
    assert len(names) > 200
    letters = FIRST_LETTERS[lang]
    # É is filed under E in French; Й, Ї and Ё are letters of their own.
    places = [letters.index(n[0] if n[0] in letters else unicodedata.normalize("NFKD", n)[0]) for n in names]
    assert places == sorted(places)
    found = [name for name in names if any(name.startswith(wanted) for wanted in in_order)]
    assert [next(w for w in in_order if name.startswith(w)) for name in found] == in_order


def test_whether_the_name_goes_into_the_letter_is_the_signers_explicit_choice(client, petition):
    page = client.get(url(petition))
    assert page.context["form"]["name_in_letter"].value() is None
    radios = re.findall(r'<input[^>]*name="name_in_letter"[^>]*>', page.text)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)


def test_the_letter_choice_says_that_city_and_organisation_go_with_the_name(client, petition):
    """The letter prints a named signer's city and organisation (petitions/pdf.py); the form said only
    "include my name", and someone at risk who gave their small town learnt otherwise from no page."""
    page = client.get(url(petition))
    help_text = str(page.context["form"]["name_in_letter"].help_text)
    assert "city" in help_text and "organisation" in help_text
    assert escape(help_text) in page.text


def test_a_closed_petition_takes_no_signatures(client, petition, mailoutbox):
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.CLOSED)
    response = sign(client, petition)
    assert response.status_code == 409
    assert "not open for signatures" in response.text
    # At the top, where a signer whose POST arrived as it closed looks (a phone shows the page's top).
    assert response.text.index('role="alert">Your signature was not recorded') < response.text.index('id="sign"')
    assert Signature.objects.count() == 0


def test_a_draft_petition_is_not_found(client, petition):
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.DRAFT)
    assert client.get(url(petition)).status_code == 404
    assert sign(client, petition).status_code == 404


def test_the_check_email_page_is_in_the_language_signed_in(client, petition):
    # The address is remembered per language (views._check_email_url): a first English signer
    # must not send the signers after them, in other languages, to the English page.
    for number, lang in enumerate(["en", "uk", "ru", "en"]):
        response = client.post(url(petition, lang=lang), form_data(email=f"signer{number}@example.org"))
        assert response.status_code == 302
        assert response["Location"] == url(petition, "check-email", lang=lang)
    assert url(petition, "check-email", lang="uk").startswith("/uk/")


# --- Abuse --------------------------------------------------------------------------------------


def test_the_honeypot_pretends_success_and_records_nothing(client, petition, mailoutbox):
    response = sign(client, petition, website="http://spam.example")
    assert response.status_code == 302
    assert response["Location"] == url(petition, "check-email")
    assert Signature.objects.count() == 0
    assert mailoutbox == []


@pytest.mark.usefixtures("one_window")
def test_too_many_signatures_from_one_address_get_a_friendly_429(client, petition, settings):
    settings.SIGN_RATE_BURST = "3/m"
    statuses = [sign(client, petition, email=f"s{i}@example.org").status_code for i in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    page = sign(client, petition, email="s9@example.org")
    assert "Too many attempts" in page.text
    assert Signature.objects.count() == 3


@pytest.mark.usefixtures("one_window")
def test_a_signer_stopped_by_the_limit_sends_the_same_details_again_with_one_button(client, petition, settings):
    """The 429 page's only way on was a link back to an empty form: what they had typed was lost."""
    settings.SIGN_RATE_BURST = "1/m"
    assert sign(client, petition, email="first@example.org").status_code == 302
    limited = sign(client, petition, email="second@example.org", first_name="Zoë <b>", comment='Say "no"')
    assert limited.status_code == 429
    page = limited.content.decode()
    assert "<b>" not in page and "Zoë &lt;b&gt;" in page  # escaped, as every value a signer types
    form = HiddenInputs()
    form.feed(page)
    assert form.fields["email"] == "second@example.org" and form.fields["comment"] == 'Say "no"'

    settings.SIGN_RATE_BURST = "5/m"  # as if the minute had passed
    again = client.post(url(petition), form.fields)
    assert again.status_code == 302 and again["Location"] == url(petition, "check-email")
    signature = Signature.objects.get(email="second@example.org")
    assert (signature.first_name, signature.comment, signature.country) == ("Zoë <b>", 'Say "no"', "UA")
    assert signature.name_in_letter is True


class HiddenInputs(HTMLParser):
    """The hidden inputs of a page's forms, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields[attrs["name"]] = attrs.get("value", "")


@pytest.mark.usefixtures("one_window")
def test_the_limit_is_per_address_and_petition(client, petition, settings):
    settings.SIGN_RATE_BURST = "1/m"
    other = PetitionFactory()
    assert sign(client, petition, email="a@example.org").status_code == 302
    assert sign(client, other, email="a@example.org").status_code == 302
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert sign(elsewhere, petition, email="b@example.org").status_code == 302
    assert sign(client, petition, email="c@example.org").status_code == 429


@pytest.mark.usefixtures("one_window")
def test_the_limit_is_per_ipv6_network_not_per_address_in_it(petition, settings):
    # Whoever has one IPv6 address has the 2**64 of its /64 to send from.
    settings.SIGN_RATE_BURST = "2/m"
    statuses = [sign(Client(REMOTE_ADDR=f"2001:db8:1:2::{n:x}"), petition, email=f"s{n}@example.org").status_code
                for n in range(1, 5)]
    assert statuses == [302, 302, 429, 429]
    assert sign(Client(REMOTE_ADDR="2001:db8:1:3::1"), petition, email="t@example.org").status_code == 302
    assert Signature.objects.count() == 3
    # An IPv4 address written as IPv6 is that IPv4 address.
    assert sign(Client(REMOTE_ADDR="198.51.100.7"), petition, email="u@example.org").status_code == 302
    assert sign(Client(REMOTE_ADDR="::ffff:198.51.100.7"), petition, email="v@example.org").status_code == 302
    assert sign(Client(REMOTE_ADDR="::ffff:198.51.100.7"), petition, email="w@example.org").status_code == 429


@pytest.mark.usefixtures("one_window")
@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_a_forwarded_for_header_the_client_makes_up_does_not_escape_the_limit(petition, settings, proxies):
    """Whatever a client puts in X-Forwarded-For, only the entries our own proxies appended count
    (TRUSTED_PROXY_COUNT, from the right): a new made-up address each time is no fresh start."""
    settings.SIGN_RATE_BURST = "2/m"
    settings.TRUSTED_PROXY_COUNT = proxies
    # What our proxies append: the first the client's address, each next one the previous proxy's.
    proxy_chain = ["203.0.113.50", "10.0.0.1"][:proxies]
    statuses = []
    for n in range(4):
        made_up = f"198.51.100.{n}, 2001:db8::{n}"  # a fresh lie each time
        forwarded = ", ".join([made_up, *proxy_chain])
        client = Client(REMOTE_ADDR="10.0.0.2" if proxies else "203.0.113.50", HTTP_X_FORWARDED_FOR=forwarded)
        statuses.append(sign(client, petition, email=f"s{n}@example.org").status_code)
    assert statuses == [302, 302, 429, 429]


def test_a_proxy_the_settings_do_not_count_is_logged_once_without_the_address(petition, settings, caplog,
                                                                               monkeypatch):
    """Behind a proxy with TRUSTED_PROXY_COUNT left at 0, every visitor is the proxy: a few signatures or
    five wrong passwords from anyone lock everyone out. The operator is told, once."""
    monkeypatch.setattr(signing, "_proxy_warned", False)
    settings.TRUSTED_PROXY_COUNT = 0
    proxied = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    with caplog.at_level("WARNING", logger="petitions.signing"):
        sign(Client(REMOTE_ADDR="10.0.0.2"), petition, email="a@example.org")
        assert not caplog.records  # no proxy header: nothing to say
        for n in range(3):
            sign(proxied, petition, email=f"b{n}@example.org")
    warnings = [r.getMessage() for r in caplog.records if "TRUSTED_PROXY_COUNT" in r.getMessage()]
    assert len(warnings) == 1 and "203.0.113.9" not in warnings[0]


@pytest.mark.usefixtures("one_window")
def test_the_sustained_limit_applies_over_the_hour(client, petition, settings):
    settings.SIGN_RATE_BURST = "100/m"
    settings.SIGN_RATE_SUSTAINED = "4/h"
    statuses = [sign(client, petition, email=f"s{i}@example.org").status_code for i in range(6)]
    assert statuses == [302, 302, 302, 302, 429, 429]


@pytest.mark.skipif(not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"), reason="needs REDIS_URL")
def test_in_redis_each_counter_expires_with_its_window_and_keeps_no_address(client, petition, mailoutbox):
    from django.core.cache import cache

    from petitions import limits

    client.post(url(petition), form_data(), REMOTE_ADDR="198.51.100.24")
    redis = cache.redis_client()
    keys = {key.decode(): redis.ttl(key) for key in redis.scan_iter(match=cache.make_key(f"{limits.PREFIX}:*"))}
    mail = {key: ttl for key, ttl in keys.items() if f"{limits.PREFIX}:mail:" in key}  # the emails per address
    periods = {w.name: w.period for w in limits.windows()}
    assert {key.split(":")[-4] for key in keys if key not in mail} == set(periods)
    for key, ttl in keys.items():
        if key in mail:
            continue
        assert 0 < ttl <= periods[key.split(":")[-4]] + limits.FUDGE
        assert "198.51.100.24" not in key and signing.ip_hash("198.51.100.24") in key
    [(key, ttl)] = mail.items()  # the confirmation went out (eager tasks), counted under no address
    assert 0 < ttl <= 86400 + limits.FUDGE
    assert form_data()["email"] not in key and "olena" not in key


def test_the_raw_ip_address_is_never_stored(client, petition):
    Client(REMOTE_ADDR="198.51.100.23").post(url(petition), form_data())
    signature = Signature.objects.get()
    assert signature.ip_hash == signing.ip_hash("198.51.100.23") and len(signature.ip_hash) == 64
    values = " ".join(str(v) for v in Signature.objects.values().get().values())
    assert "198.51.100.23" not in values


def test_the_ip_hash_key_changes_every_day():
    today = timezone.now()
    assert signing.ip_hash("198.51.100.23", today) == signing.ip_hash("198.51.100.23", today)
    assert signing.ip_hash("198.51.100.23", today) != signing.ip_hash("198.51.100.23", today + timedelta(days=1))
    assert signing.ip_hash("198.51.100.23", today) != signing.ip_hash("198.51.100.24", today)


# --- What the public sees -----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_everything_a_signer_typed_is_escaped_where_it_is_shown(client, petition, mailoutbox):
    sign(client, petition, first_name=SCRIPT, last_name=SCRIPT, city=SCRIPT, organisation=SCRIPT, comment=SCRIPT)
    client.post(links(mailoutbox[0], "confirm")[0])
    counting.update_counts()

    for page in (url(petition), url(petition, "signatories"), url(petition, "widget")):
        html = client.get(page).text
        assert SCRIPT not in html
    assert escape(SCRIPT) in client.get(url(petition)).text  # the organisation is listed
    assert SCRIPT not in mailoutbox[0].alternatives[0][0]  # the HTML email escapes too


def test_an_emails_subject_is_plain_text_and_its_html_is_marked_with_its_language(client, petition, mailoutbox):
    """A title with an apostrophe (French has many) arrived in the subject as "l&#x27;ouvrier"."""
    title = "Libérez l'ouvrier & « Darya » <b>"
    Petition.objects.filter(pk=petition.pk).update(title=title, title_fr=title, title_en=title)
    client.post(url(petition, lang="fr"), form_data())
    email = mailoutbox[0]
    assert email.subject == f"Merci de confirmer votre signature\u00a0: {title}"
    html = email.alternatives[0][0]
    assert '<html lang="fr">' in html
    assert f"<title>{escape(email.subject)}</title>" in html
    assert "<b>" not in html


@pytest.mark.parametrize("name", ["signature-confirm", "signature-already-signed", "announcement", "delivery"])
def test_every_emails_subject_is_plain_text_and_its_html_title_is_escaped_once(name):
    title = "Free the workers' \"comrades\" & <b>"
    named = SimpleNamespace(title=title, campaign=SimpleNamespace(title=title))
    context = {"petition": named, "case": named, "signature": SimpleNamespace(first_name="Anna"),
               "delivery": SimpleNamespace(is_test=False, signature_count=3), "embassy": "an embassy"}
    rendered = emails.render(name, context, "uk")
    assert title in rendered.subject and "&" not in rendered.subject.replace(" & ", "")
    assert f"<title>{escape(rendered.subject)}</title>" in rendered.html
    assert '<html lang="uk">' in rendered.html


def test_only_names_the_signer_chose_to_show_appear_and_never_an_email(client, petition):
    SignatureFactory(petition=petition, first_name="Full", last_name="Shown", public_name="full", confirmed=True)
    SignatureFactory(petition=petition, first_name="Initial", last_name="Only", public_name="initial", confirmed=True)
    SignatureFactory(petition=petition, first_name="Hidden", last_name="Person", public_name="hidden", confirmed=True)
    SignatureFactory(petition=petition, first_name="Not", last_name="Confirmed", public_name="full")
    counting.update_counts()

    for page in (url(petition), url(petition, "signatories")):
        html = client.get(page).text
        assert "Full Shown" in html and "Initial O." in html
        assert "Initial Only" not in html and "Hidden" not in html and "Not Confirmed" not in html
        assert emails_in(html) == []


def test_petition_pages_load_nothing_from_another_origin(client, petition):
    SignatureFactory(petition=petition, public_name="full", confirmed=True)
    for name in ("detail", "signatories", "widget", "check-email", "thanks"):
        response = client.get(url(petition, name))
        assert response.status_code == 200
        assert third_party_loads(response.text) == [], name


@pytest.mark.parametrize("choices", [
    {"name_in_letter": "yes", "public_name": "hidden"},
    {"name_in_letter": "no", "public_name": "full"},
    {"name_in_letter": "yes", "public_name": "full"},
])
def test_a_signer_in_russia_who_chose_to_be_named_is_asked_once_more(client, petition, mailoutbox, choices):
    """The letter naming them goes to the Russian state itself, and the public list is read there too;
    the advice to be only counted was on the privacy page alone. Nothing is recorded until they
    confirm their choices or change them."""
    assert 'name="named_despite_risk"' not in client.get(url(petition)).text  # not asked of anyone else

    asked = sign(client, petition, country="RU", **choices)

    assert asked.status_code == 400
    assert not Signature.objects.exists() and mailoutbox == []
    assert 'name="named_despite_risk"' in asked.text
    assert "The Russian authorities can read the full names on the public list of signatories, and the letter " \
           "goes to them with the name, city and organisation of each signer named in it." in asked.text
    assert sign(client, petition, country="RU", named_despite_risk="on", **choices).status_code == 302
    signature = Signature.objects.get()
    assert (signature.name_in_letter, signature.public_name) == (choices["name_in_letter"] == "yes",
                                                                 choices["public_name"])


def test_a_signer_in_belarus_who_chose_to_be_named_is_asked_too(client, petition):
    """Their letter goes to the Russian embassy in Minsk, and Belarus's security services work closely
    with Russia's: the question went by "Russia" alone."""
    asked = sign(client, petition, country="BY", name_in_letter="yes")

    assert asked.status_code == 400 and not Signature.objects.exists()
    assert "Your country is Belarus. The Russian authorities can read" in asked.text
    assert sign(client, petition, country="BY", name_in_letter="yes", named_despite_risk="on").status_code == 302


@pytest.mark.parametrize("email", [
    "ivan@yandex.ru", "olga@mail.ru", "petr@bk.ru", "anna@rambler.ru", "ivan@YANDEX.COM", "ales@yandex.by",
    "oleg@почта.рф", "boris@staff.example.su", "kate@university.ru",
])
def test_a_signer_whose_address_is_with_a_mail_service_in_russia_is_asked_once_more(client, petition, mailoutbox,
                                                                                      email):
    """Mail services in Russia must give its security services access to their users' mail, and our
    emails name the campaign: whoever they are and wherever they live, nothing is recorded or sent
    until the signer has read why and ticked the box, or chosen another address."""
    asked = sign(client, petition, email=email)

    assert asked.status_code == 400
    assert not Signature.objects.exists() and mailoutbox == []
    assert 'name="email_despite_risk"' in asked.text
    assert "Mail services there must give the Russian authorities access to their users" in asked.text
    assert sign(client, petition, email=email, email_despite_risk="on").status_code == 302
    assert Signature.objects.count() == 1


@pytest.mark.parametrize("email", [
    "olena@gmail.com", "a@proton.me", "b@example.ru.com", "c@yandexmail.example", "d@guru.org", "e@ukr.net",
])
def test_no_other_address_is_asked_about(client, petition, email):
    response = sign(client, petition, email=email)
    assert response.status_code == 302
    assert 'name="email_despite_risk"' not in client.get(url(petition)).text


def test_the_mail_service_is_named_as_the_signer_typed_it(client, petition):
    assert "(почта.рф)" in sign(client, petition, email="oleg@почта.рф").text
    assert "(xn--zz.ru)" in sign(client, petition, email="oleg@xn--zz.ru").text  # no Punycode: as typed


def test_a_signer_at_risk_both_ways_is_asked_both_questions_at_once(client, petition):
    choices = {"country": "RU", "name_in_letter": "yes", "email": "ivan@yandex.ru"}
    asked = sign(client, petition, **choices)

    assert asked.status_code == 400
    assert 'name="email_despite_risk"' in asked.text and 'name="named_despite_risk"' in asked.text
    # Each box right after the choice it is about.
    assert asked.text.index('name="email"') < asked.text.index('name="email_despite_risk"') \
        < asked.text.index('name="country"')
    assert asked.text.index('name="name_in_letter"') < asked.text.index('name="named_despite_risk"')

    half = sign(client, petition, **choices, email_despite_risk="on")
    assert half.status_code == 400 and not Signature.objects.exists()
    assert 'name="email_despite_risk"' in half.text  # still shown, ticked, beside the question left
    assert sign(client, petition, **choices, email_despite_risk="on", named_despite_risk="on").status_code == 302


def test_the_countries_asked_about_are_the_deployments_choice(client, petition, settings):
    settings.NAMING_RISK_COUNTRIES = frozenset({"KZ"})

    assert sign(client, petition, country="KZ", public_name="full").status_code == 400
    assert sign(client, petition, country="RU", public_name="full").status_code == 302
    assert Signature.objects.get().country == "RU"


@pytest.mark.parametrize("choice", [
    {"country": "RU", "name_in_letter": "no", "public_name": "hidden"},
    {"country": "RU", "name_in_letter": "no", "public_name": "initial"},
    {"country": "UA"}, {"country": "PL"},
])
def test_no_one_else_is_asked_about_being_named(client, petition, choice):
    response = sign(client, petition, **choice)
    assert response.status_code == 302
    assert Signature.objects.get().country == choice["country"]


def test_the_question_is_asked_in_the_signers_language(client, petition):
    with translation.override("ru"):
        asked = translation.gettext(MESSAGES["named_at_risk"]) % {"country": "Россия"}
    response = client.post(url(petition, lang="ru"), form_data(country="RU"))
    assert response.status_code == 400
    assert escape(asked) in response.text and "Your country is Russia" not in response.text


def test_the_thank_you_page_says_where_the_signature_goes_and_how_to_withdraw_it(client, petition):
    """A supporter, some at risk, learns there what becomes of their signature -- which letter, with their
    name only if they chose so -- where to see the letters delivered, and that they can take it back."""
    html = client.get(url(petition, "thanks")).text
    assert "What happens next" in html
    assert "responsible for your country" in html and "Your name is in it only if you chose so." in html
    assert f'<a href="{url(petition, "deliveries")}">Every letter delivered is listed.</a>' in html
    assert "has a link to withdraw your signature and erase your data, at any time" in html


def test_the_petition_page_shows_the_count_goal_and_form(client, petition):
    SignatureFactory.create_batch(3, petition=petition, confirmed=True)
    counting.update_counts()
    html = client.get(url(petition)).text
    assert "3 signatures" in html
    assert 'max="100"' in html and 'value="3"' in html
    assert 'name="first_name"' in html
    # The bar's own text (read where a <progress> is not drawn) is the percentage, in the widget too.
    for page in (html, client.get(url(petition, "widget")).text):
        assert re.search(r'<progress[^>]*>3%</progress>', page)
    # What is made public is said next to the field, before anyone types it.
    assert "Shown publicly among the organisations that sign, once an organiser has checked it." in html
    assert "May be shown on the petition page" in html


def test_only_the_widget_may_be_framed(client, petition):
    assert client.get(url(petition, "widget")).get("X-Frame-Options") is None
    assert client.get(url(petition)).get("X-Frame-Options") == "DENY"
    widget_code = client.get(url(petition)).text
    assert '&lt;iframe src="http://testserver' + url(petition, "widget") + '"' in widget_code


def test_the_embed_code_copied_from_the_page_keeps_a_quoted_title_inside_its_attribute(client):
    """What a visitor copies from the embed box is the box's text: a quote in the title must
    arrive there as &quot;, or it ends the iframe's title on the other site (its accessible name cut
    short, and whatever follows the quote read as attributes of the other site's iframe)."""
    from html import unescape
    from html.parser import HTMLParser

    title = 'Free the "Left Resistance" defendants & Darya" onload="alert(1)'
    petition = PetitionFactory(title=title)
    html = client.get(url(petition)).text
    copied = unescape(re.search(r'<textarea id="embed-code"[^>]*>(.*?)</textarea>', html, re.S).group(1))

    class Iframe(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "iframe":
                self.attrs = dict(attrs)

    parser = Iframe()
    parser.feed(copied)
    assert parser.attrs["title"] == title
    assert "onload" not in parser.attrs


def test_signatories_are_paginated(client, petition):
    SignatureFactory.create_batch(55, petition=petition, public_name="full", confirmed=True)
    first = client.get(url(petition, "signatories"))
    second = client.get(url(petition, "signatories") + "?page=2")
    assert first.text.count("Anna Kowalska") == 50
    assert second.text.count("Anna Kowalska") == 5
    assert client.get(url(petition, "signatories") + "?page=x").status_code == 200


def test_a_petition_of_a_draft_campaign_is_not_public(client, petition):
    from campaign.models import Campaign

    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(url(petition)).status_code == 404
    assert sign(client, petition).status_code == 404
    assert client.get(f"/api/petitions/{petition.slug}/").status_code == 404


# --- What a surge costs the database -----------------------------------------------------------

def test_under_a_surge_a_signature_is_one_query_a_confirmation_two_and_the_page_none(
    client, petition, django_assert_num_queries
):
    """The hot paths stay this cheap (bench/surge.py measures what it buys): the petition, its page
    and the JSON come from each process's memory for a moment."""
    # The clock stands still: on a busy machine the steps below can take longer than the moment
    # (views.PUBLIC_SECONDS) that the petition stays in memory.
    with time_machine.travel(timezone.now(), tick=False):
        _the_hot_paths_are_cheap(client, petition, django_assert_num_queries)


def _the_hot_paths_are_cheap(client, petition, django_assert_num_queries):
    from django.core.cache import cache

    # Mid-surge the email and count jobs are already on their way: the requests only record.
    cache.set(outbox.KICK_KEY, 1)
    cache.set(counting.COUNT_UPDATE_KEY, 1)
    client.get(url(petition))  # a first visitor: the page and the petition are now in memory
    with django_assert_num_queries(0):
        assert client.get(url(petition)).status_code == 200
    with django_assert_num_queries(1):  # the INSERT, with the flags and the owed email in it
        assert sign(client, petition, email="surge@example.org").status_code == 302
    signature = Signature.objects.get(email="surge@example.org")
    assert signature.email_due == Signature.EmailDue.CONFIRM
    confirm = url(petition, "confirm", signing.make_token(signature, signing.CONFIRM))
    with django_assert_num_queries(2):  # read the link's signature, confirm it
        assert client.post(confirm).status_code == 302
    client.get(f"/api/petitions/{petition.slug}/")
    with django_assert_num_queries(0):
        assert client.get(f"/api/petitions/{petition.slug}/").status_code == 200


def test_visitors_see_a_change_within_seconds_and_organisers_at_once(client, petition, admin_client):
    client.get(url(petition))
    Petition.objects.filter(pk=petition.pk).update(title="Freedom for all political prisoners")
    assert "Freedom for all political prisoners" in admin_client.get(url(petition)).text
    assert "Freedom for all political prisoners" not in client.get(url(petition)).text
    with time_machine.travel(timezone.now() + timedelta(seconds=views.PUBLIC_SECONDS + 1)):
        assert "Freedom for all political prisoners" in client.get(url(petition)).text
