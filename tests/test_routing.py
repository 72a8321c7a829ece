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


def test_a_signer_in_a_territory_is_routed_to_the_embassy_of_the_state_it_belongs_to(world):
    """Réunion, Puerto Rico, Greenland, Hong Kong have codes of their own and no embassy: the embassy
    in Paris (Washington, Copenhagen, Beijing) is the one in the signer's country, not the fallback."""
    france = Embassy.objects.create(country="FR", city="Paris")
    petition = PetitionFactory(fallback_embassy=world["mfa"])
    router = Router(petition)
    assert [router.route(code) for code in ("RE", "MQ", "NC")] == [france] * 3
    assert router.how("RE") == "sovereign"
    assert router.route("PR") == world["mfa"]  # no embassy in the United States here: the fallback
    assert router.route("AQ") == world["mfa"]  # Antarctica belongs to no state


def test_a_territorys_own_mission_comes_before_its_states_embassy(world):
    """The consulate general in Hong Kong, once an organiser marks it as a target, gets Hong Kong's
    signatures; Beijing gets them otherwise."""
    beijing = Embassy.objects.create(country="CN", city="Beijing")
    hong_kong = Embassy.objects.create(country="CN", city="Hong Kong", mission_type=T.CONSULATE_GENERAL,
                                       is_delivery_target=False)
    hong_kong.accreditations.create(country="HK")
    assert route_to_embassy(PetitionFactory(), "HK") == beijing
    Embassy.objects.filter(pk=hong_kong.pk).update(is_delivery_target=True)
    assert route_to_embassy(PetitionFactory(), "HK") == hong_kong
    assert route_to_embassy(PetitionFactory(), "CN") == beijing


def test_every_territory_belongs_to_a_state_that_is_no_territory():
    from django_countries import countries

    from petitions.routing import SOVEREIGN

    assert set(SOVEREIGN) <= {code for code, _name in countries}
    assert not set(SOVEREIGN.values()) & set(SOVEREIGN)
