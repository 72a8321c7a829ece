"""Personal data is anonymised a fixed time after a petition closes and its deliveries are done."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from petitions import counting, retention, signing
from petitions.models import Delivery, Embassy, Petition, Signature

from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_petition(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    petition = PetitionFactory(opens_at=timezone.now() - timedelta(days=200))
    Petition.objects.filter(pk=petition.pk).update(closes_at=timezone.now() - timedelta(days=31))
    return Petition.objects.get(pk=petition.pk)


def test_names_become_initials_or_nothing_and_contacts_are_erased(closed_petition):
    full = SignatureFactory(petition=closed_petition, first_name="Олена", last_name="Петренко",
                            public_name="full", city="Lviv", organisation="Union", ip_hash="a" * 64,
                            confirmed=True)
    hidden = SignatureFactory(petition=closed_petition, first_name="Secret", last_name="Person",
                              public_name="hidden", comment="hello", confirmed=True)
    counting.update_counts()

    call_command("purge_personal_data")

    full.refresh_from_db()
    hidden.refresh_from_db()
    assert (full.first_name, full.last_name) == ("О.", "П.")
    assert (hidden.first_name, hidden.last_name) == ("", "")
    for signature in (full, hidden):
        assert (signature.email, signature.ip_hash, signature.city, signature.organisation, signature.comment) == (
            "", "", "", "", ""
        )
        assert signature.status == Signature.Status.CONFIRMED and signature.country.code == "PL"
    counting.recount()
    assert Petition.objects.get(pk=closed_petition.pk).signature_count == 2  # counts survive


def test_an_open_petition_or_one_closed_recently_keeps_its_data(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    open_one = SignatureFactory(confirmed=True)
    recent = PetitionFactory(opens_at=timezone.now() - timedelta(days=60))
    Petition.objects.filter(pk=recent.pk).update(closes_at=timezone.now() - timedelta(days=29))
    recent_signature = SignatureFactory(petition=recent, confirmed=True)

    assert retention.purge() == {}
    for signature in (open_one, recent_signature):
        signature.refresh_from_db()
        assert signature.email


def test_data_stays_while_a_letter_is_still_to_be_delivered(closed_petition):
    signature = SignatureFactory(petition=closed_petition, confirmed=True)
    Delivery.objects.create(petition=closed_petition, embassy=Embassy.objects.create(country="PL"),
                            status=Delivery.Status.AWAITING_HANDOVER)
    assert retention.purge() == {}
    signature.refresh_from_db()
    assert signature.email


def test_a_signer_no_embassy_covers_does_not_keep_a_live_petitions_data_forever(closed_petition, smtp, settings):
    """No embassy, no accreditation and no fallback for Hong Kong: that signature has no letter to
    wait for, and the others' data must not wait for it either."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=closed_petition.pk).update(live_delivery=True)
    Embassy.objects.create(country="PL", email="embassy-pl@example.org")
    SignatureFactory(petition=closed_petition, confirmed=True)
    SignatureFactory(petition=closed_petition, country="HK", confirmed=True)
    call_command("deliver", petition=closed_petition.slug, stdout=StringIO())
    assert Delivery.objects.get().status == Delivery.Status.SENT

    assert retention.purge() == {closed_petition.pk: 2}
    assert not Signature.objects.exclude(email="").exists()


def test_data_stays_while_a_live_letter_is_still_to_be_planned(closed_petition, settings):
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=closed_petition.pk).update(live_delivery=True)
    Embassy.objects.create(country="PL", email="embassy-pl@example.org")
    SignatureFactory(petition=closed_petition, confirmed=True)

    assert retention.purge() == {}


def test_running_it_again_changes_nothing(closed_petition):
    SignatureFactory(petition=closed_petition, confirmed=True)
    assert list(retention.purge().values()) == [1]
    assert list(retention.purge().values()) == [0]


def test_the_stored_letters_go_and_the_delivery_records_stay(closed_petition):
    SignatureFactory(petition=closed_petition, first_name="Олена", confirmed=True)
    sent = Delivery.objects.create(petition=closed_petition, embassy=Embassy.objects.create(country="PL"),
                                   status=Delivery.Status.SENT, signature_count=1, pdf_sha256="f" * 64)
    sent.pdf.save("letter.pdf", ContentFile(b"%PDF-1.4 ... Olena ..."))
    stored = sent.pdf.name

    assert list(retention.purge().values()) == [1]
    sent.refresh_from_db()
    assert not sent.pdf and not sent.pdf.storage.exists(stored)
    assert (sent.status, sent.signature_count, sent.pdf_sha256) == (Delivery.Status.SENT, 1, "f" * 64)


def test_a_letter_file_no_delivery_names_any_more_goes_too(closed_petition):
    """A render killed between storing a letter and recording it leaves such a file."""
    embassy = Embassy.objects.create(country="PL")
    sent = Delivery.objects.create(petition=closed_petition, embassy=embassy, status=Delivery.Status.SENT)
    other = Delivery.objects.create(petition=PetitionFactory(), embassy=embassy, status=Delivery.Status.SENT)
    storage = sent.pdf.storage
    orphans = [storage.save(f"deliveries/2024/01/letter-{sent.pk}.pdf", ContentFile(b"%PDF Olena")),
               storage.save(f"deliveries/2024/02/letter-{sent.pk}.pdf", ContentFile(b"%PDF Olena"))]
    kept = storage.save(f"deliveries/2024/01/letter-{other.pk}.pdf", ContentFile(b"%PDF another petition's"))
    SignatureFactory(petition=closed_petition, confirmed=True)

    retention.purge()

    assert not any(storage.exists(name) for name in orphans) and storage.exists(kept)


def test_the_admins_history_forgets_the_names_it_anonymises(closed_petition, django_user_model, monkeypatch):
    from django.contrib.admin.models import CHANGE, LogEntry

    organiser = django_user_model.objects.create_superuser("alice", "alice@example.org", "pw")
    signatures = [SignatureFactory(petition=closed_petition, first_name="Olena", last_name=f"Petrenko{n}",
                                   public_name="full", confirmed=True) for n in range(5)]
    for signature in signatures:
        LogEntry.objects.log_actions(organiser.pk, [signature], CHANGE, '[{"changed": {"fields": ["City"]}}]',
                                     single_object=True)
    updates = []
    monkeypatch.setattr(retention, "forget_in_admin_history", lambda batch: updates.append(batch.count()) or
                        signing.forget_in_admin_history(batch))
    monkeypatch.setattr(retention, "BATCH", 2)

    assert list(retention.purge().values()) == [5]

    assert updates == [2, 2, 1]  # one UPDATE of the history per batch of signatures, not one per row
    assert sorted(LogEntry.objects.values_list("object_repr", "change_message")) == sorted(
        (f"Signature #{signature.pk}", "") for signature in signatures
    )


def test_the_migration_forgets_the_names_of_signers_erased_before_the_history_was_kept_in_step(django_user_model):
    import importlib

    from django.apps import apps
    from django.contrib.admin.models import CHANGE, LogEntry

    migration = importlib.import_module("petitions.migrations.0011_forget_erased_signers_in_admin_history")
    organiser = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    erased, kept = (
        SignatureFactory(first_name=first, last_name="Petrenko", public_name="full") for first in ("Olena", "Ivan")
    )
    for signature in (erased, kept):
        LogEntry.objects.log_actions(organiser.pk, [signature], CHANGE, "[]", single_object=True)
    Signature.objects.filter(pk=erased.pk).update(first_name="", last_name="", email="")  # erased, as it was

    migration.forget(apps, None)

    reprs = set(LogEntry.objects.values_list("object_repr", flat=True))
    assert f"Signature #{erased.pk}" in reprs and not any("Olena" in r for r in reprs)
    assert any(r.startswith("Ivan") for r in reprs)


def test_the_retention_period_runs_from_when_an_organiser_closed_the_petition_not_from_its_last_edit(settings):
    import time_machine

    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    petition = PetitionFactory(opens_at=timezone.now() - timedelta(days=200))
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        petition.status = Petition.Status.CLOSED
        petition.save()
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        petition.title = "A typo put right"
        petition.save()  # the last edit, long after it closed

    assert petition in retention.due_for_anonymising()
    assert Petition.objects.get(pk=petition.pk).closes_at < timezone.now() - timedelta(days=39)


# --- Letters only an organiser can start are not waited for ------------------------------------

@pytest.fixture
def live_closed_petition(closed_petition, settings):
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=closed_petition.pk).update(live_delivery=True)
    Embassy.objects.create(country="PL", email="embassy-pl@example.org")
    SignatureFactory(petition=closed_petition, first_name="Олена", confirmed=True)
    return Petition.objects.get(pk=closed_petition.pk)


@pytest.mark.parametrize("held", [{"delivery_cadence": Petition.Cadence.MANUAL}, {"delivery_paused": True}])
def test_a_letter_only_an_organiser_can_start_does_not_keep_the_data_for_ever(live_closed_petition, held):
    """Closed on the manual cadence, or paused, no letter goes unless an organiser acts: waiting for
    it kept every signer's data for as long as no one did."""
    Petition.objects.filter(pk=live_closed_petition.pk).update(**held)

    assert retention.purge() == {live_closed_petition.pk: 1}
    assert not Signature.objects.exclude(email="").exists()


def test_the_dashboard_warns_from_closing_that_undelivered_signers_will_be_anonymised(live_closed_petition, client,
                                                                                       django_user_model):
    Petition.objects.filter(pk=live_closed_petition.pk).update(delivery_cadence=Petition.Cadence.MANUAL)
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    anonymise_on = live_closed_petition.closes_at + timedelta(days=30)

    for page in ("dashboard", "change"):
        text = client.get(reverse(f"admin:petitions_petition_{page}", args=[live_closed_petition.pk])).text
        assert "1 confirmed signature is in no letter to an embassy, and none will be sent by itself" in text
        assert "only when an organiser uses “Deliver now”" in text
        assert date_format(anonymise_on, "DATE_FORMAT") in text


def test_the_dashboard_says_scheduled_letters_are_waited_for(live_closed_petition, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    text = client.get(reverse("admin:petitions_petition_dashboard", args=[live_closed_petition.pk])).text
    assert "1 confirmed signature goes in the next scheduled letters" in text
    assert "none will be sent by itself" not in text
    assert retention.purge() == {}  # and it does wait


def test_an_open_petition_has_no_outlook_and_an_anonymised_one_none_left(closed_petition):
    assert retention.outlook(PetitionFactory()) is None
    SignatureFactory(petition=closed_petition, confirmed=True)
    outlook = retention.outlook(closed_petition)
    assert outlook["not_delivered"] == 1 and not outlook["coming"]
    assert outlook["held_by"] == retention.HELD_BY["not_live"]  # a test-only petition never reached an embassy
    retention.purge()
    assert retention.outlook(closed_petition) is None


# --- Signatures never confirmed ------------------------------------------------------------------

def _aged(signature, days):
    Signature.objects.filter(pk=signature.pk).update(updated_at=timezone.now() - timedelta(days=days))
    return signature


def test_a_signature_never_confirmed_is_deleted_a_month_after_its_last_confirmation_email():
    """It may hold an address someone else typed, with a name and a comment: kept until the petition
    closed and its retention ran out, that was years for a petition left open."""
    open_petition = PetitionFactory()
    stale = _aged(SignatureFactory(petition=open_petition, first_name="Typed", last_name="By Someone"), 31)
    recent = _aged(SignatureFactory(petition=open_petition), 29)
    confirmed = _aged(SignatureFactory(petition=open_petition, confirmed=True), 400)
    owed = _aged(SignatureFactory(petition=open_petition, email_due=Signature.EmailDue.CONFIRM), 31)

    out = StringIO()
    call_command("purge_personal_data", stdout=out)

    assert "1 signatures never confirmed deleted" in out.getvalue()
    assert set(Signature.objects.values_list("pk", flat=True)) == {recent.pk, confirmed.pk, owed.pk}
    assert not Signature.objects.filter(pk=stale.pk).exists()
    assert retention.delete_unconfirmed() == 0  # nothing more to do


def test_a_new_link_keeps_an_unconfirmed_signature_another_month(client, settings):
    """Signing again, or asking for a fresh link, sends a new link: the month runs from it."""
    from petitions import outbox

    petition = PetitionFactory(slug="free-them")
    form = {"first_name": "Olena", "last_name": "Petrenko", "email": "olena@example.org", "country": "UA",
            "public_name": "full", "name_in_letter": "yes"}
    assert client.post(petition.get_absolute_url(), form).status_code == 302
    signature = _aged(Signature.objects.get(), 40)
    Signature.objects.update(email_due="")
    client.post(petition.get_absolute_url(), form)  # signing again
    Signature.objects.update(email_due="")  # sent
    assert retention.delete_unconfirmed() == 0

    _aged(signature, 40)
    Signature.objects.update(email_due="")
    outbox.owe(signature.pk, Signature.EmailDue.CONFIRM)  # what "send me a fresh link" does
    Signature.objects.update(email_due="")
    assert retention.delete_unconfirmed() == 0
    _aged(signature, 31)
    assert retention.delete_unconfirmed() == 1


def test_retention_switched_off_in_the_admin_is_reported_until_it_is_on_again(client, django_user_model):
    """Disabling or deleting the periodic task stopped every deletion the privacy page promises,
    silently: each petition's dashboard still gave a date for it."""
    import json

    from django_celery_beat.models import PeriodicTask

    def probe():
        response = client.get("/healthz/jobs")
        return response.status_code, json.loads(response.content)["retention"]

    assert probe() == (200, "ok")  # installed by the migrations
    PeriodicTask.objects.filter(task="petitions.tasks.purge_personal_data").update(enabled=False)
    assert probe() == (503, "off")
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    assert "Signers' data is not being deleted as the privacy page promises" in client.get("/admin/").text

    PeriodicTask.objects.filter(task="petitions.tasks.purge_personal_data").update(enabled=True)
    assert probe() == (200, "ok")
    assert "is not being deleted" not in client.get("/admin/").text
