"""route_to_embassy: the embassy in the signer's country, else one accredited there, else the fallback."""

import pytest

from petitions.models import Embassy
from petitions.routing import Router, route_to_embassy

from .factories import PetitionFactory

pytestmark = pytest.mark.django_db

T = Embassy.MissionType


@pytest.fixture
def world():
    switzerland = Embassy.objects.create(country="CH", city="Bern")
    switzerland.accreditations.create(country="LI")
    return {
        "ukraine": Embassy.objects.create(country="UA", city="Kyiv"),
        "switzerland": switzerland,
        "lyon": Embassy.objects.create(
            country="FR", city="Lyon", mission_type=T.CONSULATE_GENERAL, is_delivery_target=False
        ),
        "mfa": Embassy.objects.create(name="MFA", mission_type=T.MINISTRY, city="Moscow"),
    }


def test_a_signer_is_routed_to_the_embassy_in_their_country(world):
    assert route_to_embassy(PetitionFactory(), "UA") == world["ukraine"]


def test_without_an_embassy_the_embassy_accredited_to_the_country_receives_it(world):
    assert route_to_embassy(PetitionFactory(), "LI") == world["switzerland"]


def test_without_either_the_petitions_fallback_receives_it(world):
    petition = PetitionFactory(fallback_embassy=world["mfa"])
    assert route_to_embassy(petition, "GH") == world["mfa"]
    assert Router(petition).how("GH") == "fallback"


def test_without_a_fallback_a_country_has_no_route(world):
    assert route_to_embassy(PetitionFactory(), "GH") is None
    assert Router(PetitionFactory()).how("GH") == "none"


def test_consulates_are_not_targets_unless_an_organiser_marks_one(world):
    petition = PetitionFactory(fallback_embassy=world["mfa"])
    assert route_to_embassy(petition, "FR") == world["mfa"]
    Embassy.objects.filter(pk=world["lyon"].pk).update(is_delivery_target=True)
    assert route_to_embassy(petition, "FR") == world["lyon"]


def test_the_embassy_comes_before_a_consulate_marked_as_target(world):
    Embassy.objects.create(country="UA", city="Kharkiv", mission_type=T.CONSULATE_GENERAL)
    assert route_to_embassy(PetitionFactory(), "UA") == world["ukraine"]


def test_an_embassy_switched_off_is_skipped(world):
    Embassy.objects.filter(pk=world["ukraine"].pk).update(is_delivery_target=False)
    assert route_to_embassy(PetitionFactory(), "UA") is None


def test_the_resident_embassy_beats_an_accreditation(world):
    world["switzerland"].accreditations.create(country="UA")
    assert route_to_embassy(PetitionFactory(), "UA") == world["ukraine"]
