"""The admin's lists say which public texts are still English only, and filter by language."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaign.models import Campaign, Membership, SolidarityAction
from petitions.models import Petition
from prisoners.models import CaseEvent, CriminalCase, Prisoner

pytestmark = pytest.mark.django_db

TRANSLATED = [Campaign, SolidarityAction, Petition, Prisoner, CriminalCase, CaseEvent]


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    return Campaign.objects.get()


@pytest.fixture
def organiser_client(client, demo, django_user_model):
    user = django_user_model.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    Membership.objects.create(user=user, campaign=demo, role=Membership.Role.EDITOR)
    client.force_login(user)
    return client


def changelist(client, model, **query):
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), query)
    assert response.status_code == 200
    return response


def shown(response):
    """{object: what the "missing translations" column says} for the rows of a list."""
    changelist = response.context["cl"]
    return {obj: changelist.model_admin.untranslated(obj) for obj in changelist.result_list}


def test_the_demo_is_translated_throughout(organiser_client):
    for model in TRANSLATED:
        response = changelist(organiser_client, model)
        assert "missing translations" in response.text.lower()
        assert set(shown(response).values()) == {"—"}, model
        assert not changelist(organiser_client, model, untranslated="uk").context["cl"].result_list, model


def test_a_petition_with_an_untranslated_text_is_listed_under_each_language_it_lacks(organiser_client, demo):
    petition = Petition.objects.get()
    Petition.objects.filter(pk=petition.pk).update(appeal_uk="", demands_fr=None)

    assert shown(changelist(organiser_client, Petition)) == {petition: "uk, fr"}
    assert "uk, fr" in changelist(organiser_client, Petition).text
    for language, listed in [("uk", [petition]), ("ru", []), ("fr", [petition])]:
        assert list(changelist(organiser_client, Petition, untranslated=language).context["cl"].result_list) == listed


def test_a_text_empty_in_english_or_left_at_its_default_needs_no_translation(organiser_client, demo):
    """The standard addressee is printed in each language by the letter itself; a summary no one wrote
    is shown in no language."""
    petition = Petition.objects.get()
    default = Petition._meta.get_field("addressee").default
    Petition.objects.filter(pk=petition.pk).update(
        addressee_en=default, addressee_uk="", addressee_ru=None, summary_en="", summary_fr="")

    assert shown(changelist(organiser_client, Petition)) == {petition: "—"}
    assert not changelist(organiser_client, Petition, untranslated="ru").context["cl"].result_list


def test_a_case_event_untranslated_in_russian_is_found_among_many(organiser_client, demo):
    event = CaseEvent.objects.order_by("pk").last()
    CaseEvent.objects.filter(pk=event.pk).update(description_ru="")

    listed = changelist(organiser_client, CaseEvent, untranslated="ru").context["cl"].result_list
    assert list(listed) == [event]
    assert shown(changelist(organiser_client, CaseEvent))[event] == "ru"


def test_an_unknown_language_in_the_filter_lists_everything_rather_than_failing(organiser_client, demo):
    everything = changelist(organiser_client, Prisoner).context["cl"].result_count
    for value in ("en", "de", "<script>", ""):
        assert changelist(organiser_client, Prisoner, untranslated=value).context["cl"].result_count == everything
