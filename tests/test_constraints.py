"""The invariants the code relies on are database constraints, not hopes."""

import pytest
from django.db import IntegrityError, transaction

from petitions.models import Delivery, DeliveryItem, Embassy, Signature

from .factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "first, second",
    [
        ("anna@example.org", "ANNA@Example.ORG"),
        ("anna@example.org", "  anna@example.org  "),
        ("  Anna@Example.org", "anna@EXAMPLE.org "),
    ],
)
def test_same_email_differing_in_case_or_spaces_is_rejected_by_the_database(first, second):
    petition = PetitionFactory()
    SignatureFactory(petition=petition, email=first)
    # bulk_create bypasses model validation and save(): only the database stands in the way.
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.bulk_create([SignatureFactory.build(petition=petition, email=second)])
    assert Signature.objects.filter(petition=petition).count() == 1


def test_the_database_computes_the_normalised_email():
    signature = SignatureFactory(email="  Olena.Petrenko@Example.UA ")
    signature.refresh_from_db()
    assert signature.email_normalised == "olena.petrenko@example.ua"


def test_the_same_email_may_sign_another_petition():
    SignatureFactory(email="anna@example.org")
    SignatureFactory(email="anna@example.org")
    assert Signature.objects.filter(email_normalised="anna@example.org").count() == 2


def test_erased_signatures_do_not_collide():
    petition = PetitionFactory()
    SignatureFactory.create_batch(2, petition=petition, email="", status=Signature.Status.WITHDRAWN)
    assert Signature.objects.filter(petition=petition, email="").count() == 2


def test_a_confirmed_signature_needs_its_confirmation_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        SignatureFactory(status=Signature.Status.CONFIRMED, confirmed_at=None)


def test_a_signature_is_in_at_most_one_live_and_one_test_delivery():
    signature = SignatureFactory(confirmed=True)
    embassy = Embassy.objects.create(country="PL", city="Warsaw")
    deliveries = {
        kind: Delivery.objects.create(petition=signature.petition, embassy=embassy, is_test=kind == "test")
        for kind in ("test", "test-again", "live", "live-again")
    }
    DeliveryItem.objects.create(delivery=deliveries["test"], signature=signature, is_test=True)
    DeliveryItem.objects.create(delivery=deliveries["live"], signature=signature, is_test=False)

    for kind, is_test in (("test-again", True), ("live-again", False)):
        with pytest.raises(IntegrityError), transaction.atomic():
            DeliveryItem.objects.create(delivery=deliveries[kind], signature=signature, is_test=is_test)
    assert signature.delivery_items.count() == 2


def test_an_embassy_is_imported_once_per_wikidata_id():
    Embassy.objects.create(country="FR", wikidata_id="Q123")
    Embassy.objects.create(country="DE")  # hand-made rows have no QID and do not collide
    Embassy.objects.create(country="IT")
    with pytest.raises(IntegrityError), transaction.atomic():
        Embassy.objects.create(country="FR", wikidata_id="Q123")


def test_a_petition_cannot_close_before_it_opens():
    petition = PetitionFactory()
    petition.closes_at = petition.opens_at
    with pytest.raises(IntegrityError), transaction.atomic():
        petition.save()
