"""Organisers' delivery tools in admin, and the public delivery log."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import caches
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from petitions import delivery
from petitions.models import Delivery, DeliveryItem, Embassy, Petition, Signature

from .checks import emails_in
from .factories import PetitionFactory, SignatureFactory
from .test_admin import resubmit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def petition():
    Embassy.objects.create(country="UA", city="Kyiv", email="embassy-ua@example.org")
    Embassy.objects.create(country="PL", city="Warsaw")
    petition = PetitionFactory(slug="free-them", test_recipient="organiser@example.org")
    SignatureFactory(petition=petition, first_name="Олена", last_name="Петренко", country="UA",
                     name_in_letter=True, confirmed=True)
    SignatureFactory(petition=petition, first_name="Anna", last_name="Nowak", country="PL",
                     name_in_letter=True, confirmed=True)
    SignatureFactory(petition=petition, first_name="Kofi", last_name="Mensah", country="GH", confirmed=True)
    return petition


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "pw"))
    return client


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_routing_table_shows_where_each_country_goes_and_what_has_no_route(admin_client, petition):
    response = admin_client.get(reverse("admin:petitions_petition_routing", args=[petition.pk]))
    assert response.status_code == 200
    rows = {row["country"].code: row for row in response.context["rows"]}
    assert rows["UA"]["embassy"].city == "Kyiv" and rows["UA"]["how"] == "embassy in the country"
    assert rows["GH"]["embassy"] is None and rows["GH"]["how"] == "no route"
    assert response.context["unrouted"] == 1
    assert "no route" in response.text


def test_the_routing_table_names_countries_without_a_route_before_anyone_there_signs(admin_client, petition):
    """A country no mission covers (as Slovakia in the real directory) is shown before launch, while a
    fallback target can still be chosen, not only once signatures from there wait undelivered."""
    response = admin_client.get(reverse("admin:petitions_petition_routing", args=[petition.pk]))

    no_route = response.context["no_route_yet"]
    assert "Slovakia (SK)" in no_route and "Ghana (GH)" not in no_route  # Ghana has its row above
    assert "Ukraine (UA)" not in no_route and "Poland (PL)" not in no_route
    assert "Slovakia (SK)" in response.text and "fallback target" in response.text

    mfa = Embassy.objects.create(name="MFA", mission_type=Embassy.MissionType.MINISTRY, city="Moscow")
    Petition.objects.filter(pk=petition.pk).update(fallback_embassy=mfa)
    response = admin_client.get(reverse("admin:petitions_petition_routing", args=[petition.pk]))
    assert response.context["no_route_yet"] == ""


def test_previewing_a_letter_renders_it_without_sending_or_claiming(admin_client, petition, mailoutbox):
    kyiv = Embassy.objects.get(city="Kyiv")
    response = admin_client.get(reverse("admin:petitions_petition_preview", args=[petition.pk, kyiv.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Олена Петренко" in text and "Anna Nowak" not in text and "TEST" in text
    assert "free-them · preview, not a delivery · TEST" in text and "None" not in text  # no "delivery None"
    assert Delivery.objects.count() == 0 and DeliveryItem.objects.count() == 0 and mailoutbox == []


def test_deliver_now_says_why_a_petition_without_a_test_recipient_delivers_nothing(admin_client, petition):
    Petition.objects.filter(pk=petition.pk).update(test_recipient="")
    response = admin_client.post(
        reverse("admin:petitions_petition_changelist"),
        {"action": "deliver_now", "_selected_action": [petition.pk]}, follow=True,
    )
    notices = [str(m) for m in response.context["messages"]]
    assert any("has no test recipient" in m for m in notices), notices
    assert Delivery.objects.count() == 0
    page = admin_client.get(reverse("admin:petitions_petition_change", args=[petition.pk])).text
    assert "has no test recipient" in page and "every letter goes to the test recipient" not in page



def test_deliver_now_says_why_a_draft_petition_delivers_nothing(admin_client, petition, mailoutbox):
    Petition.objects.filter(pk=petition.pk).update(status=Petition.Status.DRAFT)
    response = admin_client.post(
        reverse("admin:petitions_petition_changelist"),
        {"action": "deliver_now", "_selected_action": [petition.pk]}, follow=True,
    )
    notices = [str(m) for m in response.context["messages"]]
    assert any("the petition is a draft" in m for m in notices), notices
    assert Delivery.objects.count() == 0 and mailoutbox == []
    page = admin_client.get(reverse("admin:petitions_petition_change", args=[petition.pk])).text
    assert "While it is a draft, nothing is delivered. Once it is open: TEST: every letter goes" in page

def test_no_one_can_delete_a_delivery_record_and_so_send_its_signatures_again(admin_client, petition, mailoutbox):
    delivery.sweep(petition=petition)
    kyiv = Delivery.objects.get(embassy__city="Kyiv")
    sent = len(mailoutbox)
    assert kyiv.status == Delivery.Status.SENT

    delete = reverse("admin:petitions_delivery_delete", args=[kyiv.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:petitions_delivery_changelist"),
        {"action": "delete_selected", "_selected_action": [kyiv.pk], "post": "yes"},
    )
    assert Delivery.objects.filter(pk=kyiv.pk).exists() and kyiv.items.count() == 1
    assert "delete_selected" not in admin_client.get(reverse("admin:petitions_delivery_changelist")).text
    delivery.sweep(petition=petition)
    assert len(mailoutbox) == sent and response.status_code in (200, 302)


def test_deliver_now_sends_the_selected_petitions_letters(admin_client, petition, mailoutbox):
    Petition.objects.filter(pk=petition.pk).update(delivery_cadence=Petition.Cadence.MANUAL)
    response = admin_client.post(
        reverse("admin:petitions_petition_changelist"),
        {"action": "deliver_now", "_selected_action": [petition.pk]}, follow=True,
    )
    assert "2 deliveries queued" in response.text
    assert sorted(m.to[0] for m in mailoutbox) == ["organiser@example.org"] * 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_deliver_now_asks_before_it_sends_letters_to_the_embassies_themselves(admin_client, petition, mailoutbox,
                                                                            settings):
    """A letter emailed to an embassy cannot be called back: with live delivery on, the action says
    where the letters go and waits for a Yes. In test mode they go to the test recipient at once."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    changelist = reverse("admin:petitions_petition_changelist")
    chosen = {"action": "deliver_now", "_selected_action": [petition.pk]}

    response = admin_client.post(changelist, chosen)
    assert response.status_code == 200
    assert "to the embassies themselves" in response.text and str(petition) in response.text
    assert not Delivery.objects.exists() and not mailoutbox

    response = admin_client.post(changelist, chosen | {"post": "yes"}, follow=True)
    assert "deliveries queued" in response.text
    assert "embassy-ua@example.org" in [m.to[0] for m in mailoutbox]
    assert not Delivery.objects.filter(is_test=True).exists()


def test_the_stored_letter_downloads_only_through_the_admin(admin_client, client, petition):
    delivery.sweep(petition=petition)
    sent = Delivery.objects.get(embassy__city="Kyiv")
    url = reverse("admin:petitions_delivery_letter", args=[sent.pk])

    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Олена Петренко" in pdf_text(b"".join(response.streaming_content))
    assert str(settings.MEDIA_ROOT) not in sent.pdf.path  # never under the public media URL
    assert sent.pdf.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))  # where the setting says, when it is used
    sent.pdf.storage.delete(sent.pdf.name)
    assert admin_client.get(url).status_code == 404  # its file lost: not found, not an error
    admin_client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_recording_a_hand_delivery(admin_client, petition, settings):
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))
    warsaw = Delivery.objects.get(embassy__city="Warsaw")
    assert warsaw.status == Delivery.Status.AWAITING_HANDOVER

    response = admin_client.post(
        reverse("admin:petitions_delivery_change", args=[warsaw.pk]),
        {**handover_at(timezone.now()),
         "handover_note": "Handed to the duty officer at the gate during the picket"},
    )
    assert response.status_code == 302
    warsaw.refresh_from_db()
    assert warsaw.status == Delivery.Status.HANDED_OVER
    assert warsaw.handover_note.startswith("Handed to the duty officer")


def test_the_record_keeps_where_the_letter_was_addressed_when_the_directory_changes(admin_client, petition, settings):
    """A later import may move or rename a mission; a letter handed over kept no address at all."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))
    warsaw = Delivery.objects.get(embassy__city="Warsaw")
    assert warsaw.addressed_to.splitlines() == ["Embassy of the Russian Federation in Poland", "Warsaw", "Poland"]
    assert "Warsaw" in pdf_text(warsaw.pdf.read())

    Embassy.objects.filter(pk=warsaw.embassy_id).update(city="Kraków", name="Consular office in Kraków")

    page = admin_client.get(reverse("admin:petitions_delivery_change", args=[warsaw.pk])).text
    assert "Embassy of the Russian Federation in Poland" in page and "Warsaw" in page
    warsaw.refresh_from_db()
    assert "Kraków" not in warsaw.addressed_to


def test_the_public_delivery_log_names_the_mission_as_the_letter_was_addressed(client, petition, settings):
    """The log is the record of where each letter went: a later import renamed or moved the mission,
    and the log named the new one for a letter sent to the old."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))
    # Unchanged, the mission is named in the reader's language.
    assert "Ambassade de la Fédération de Russie (Ukraine)" in client.get("/fr/petitions/free-them/deliveries/").text

    Embassy.objects.filter(city="Kyiv").update(city="Lviv", name="Consulate general in Lviv")

    for language in ("en", "fr"):
        page = client.get(f"/{language}/petitions/free-them/deliveries/").text
        assert "Embassy of the Russian Federation in Ukraine" in page, language
        assert "Lviv" not in page, language

def handover_at(when):
    when = timezone.localtime(when)
    return {"handed_over_at_0": when.strftime("%Y-%m-%d"), "handed_over_at_1": when.strftime("%H:%M:%S")}


def test_a_hand_delivery_cannot_be_recorded_before_its_letter_was_made_or_in_the_future(admin_client, petition,
                                                                                    settings):
    """A mistyped year recorded a handover that had not happened: the public log and JSON then gave
    it as the latest delivery, dated in the future."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))
    warsaw = Delivery.objects.get(embassy__city="Warsaw")
    url = reverse("admin:petitions_delivery_change", args=[warsaw.pk])

    for when in (timezone.now() + timedelta(days=365), warsaw.created_at - timedelta(days=1)):
        response = admin_client.post(url, {**handover_at(when), "handover_note": "at the gate"})
        assert response.status_code == 200
        assert "It can only be handed over after the letter was made and not later than now." in response.text
        warsaw.refresh_from_db()
        assert warsaw.status == Delivery.Status.AWAITING_HANDOVER and warsaw.handed_over_at is None


def test_a_letter_to_hand_over_leaves_out_a_signer_who_withdrew_after_it_was_made(admin_client, petition, settings):
    from petitions import signing

    settings.DELIVERY_LIVE = True
    SignatureFactory(petition=petition, first_name="Jan", last_name="Kowalski", country="PL",
                     name_in_letter=True, confirmed=True)
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))
    warsaw = Delivery.objects.get(embassy__city="Warsaw")
    url = reverse("admin:petitions_delivery_letter", args=[warsaw.pk])
    assert "Anna Nowak" in pdf_text(b"".join(admin_client.get(url).streaming_content))

    warsaw.refresh_from_db()
    printed = warsaw.pdf.name

    signing.withdraw(Signature.objects.get(last_name="Nowak"))
    text = pdf_text(b"".join(admin_client.get(url).streaming_content))
    assert "Nowak" not in text and "Jan Kowalski" in text
    warsaw.refresh_from_db()
    assert warsaw.signature_count == 1 and warsaw.status == Delivery.Status.AWAITING_HANDOVER
    assert not warsaw.pdf.storage.exists(printed)  # the copy that named her is gone, not kept beside it

    # And with nobody left in it, there is nothing to print: the letter is failed, not "Total: 0".
    signing.withdraw(Signature.objects.get(last_name="Kowalski"))
    response = admin_client.get(url, follow=True)
    assert "there is nothing to hand over" in response.text
    warsaw.refresh_from_db()
    assert warsaw.status == Delivery.Status.FAILED and "withdrawn" in warsaw.last_error


def test_a_letter_sent_by_email_cannot_be_recorded_as_handed_over(admin_client, petition):
    """Its page does not offer the handover fields, and posting them anyway is refused."""
    delivery.sweep(petition=petition)
    sent = Delivery.objects.get(embassy__city="Kyiv")
    change = reverse("admin:petitions_delivery_change", args=[sent.pk])
    assert 'name="handover_note"' not in admin_client.get(change).text
    response = admin_client.post(
        change, {"handed_over_at_0": "2026-12-15", "handed_over_at_1": "12:00:00", "handover_note": "x"},
    )
    assert response.status_code == 200 and "Only a letter waiting to be handed over" in response.text
    sent.refresh_from_db()
    assert sent.status == Delivery.Status.SENT and sent.handed_over_at is None and sent.handover_note == ""


def test_a_handover_once_recorded_is_shown_and_not_changed_from_the_form(admin_client, petition, settings):
    go_live(petition, settings)
    warsaw = Delivery.objects.get(embassy__city="Warsaw", is_test=False)
    change = reverse("admin:petitions_delivery_change", args=[warsaw.pk])
    assert 'name="handover_note"' in admin_client.get(change).text
    delivery.record_handover(warsaw, "Handed to the duty officer at the gate")
    page = admin_client.get(change).text
    assert 'name="handover_note"' not in page and "Handed to the duty officer at the gate" in page
    admin_client.post(change, {**handover_at(timezone.now()), "handover_note": "rewritten"})
    warsaw.refresh_from_db()
    assert warsaw.handover_note == "Handed to the duty officer at the gate"


def test_retry_now_requeues_a_waiting_delivery(admin_client, petition, mailoutbox):
    first = delivery.plan(petition, enqueue=False)[0]
    Delivery.objects.filter(pk=first.pk).update(
        status=Delivery.Status.AWAITING_RETRY, status_changed_at=timezone.now() + timedelta(hours=1)
    )
    admin_client.post(
        reverse("admin:petitions_delivery_changelist"), {"action": "retry", "_selected_action": [first.pk]}
    )
    assert Delivery.objects.get(pk=first.pk).status == Delivery.Status.SENT
    assert len(mailoutbox) == 1


def test_retrying_a_failed_test_letter_of_a_petition_gone_live_says_the_letters_go_to_the_embassies(
    admin_client, petition, mailoutbox, settings
):
    settings.DELIVERY_LIVE = True
    failed = delivery.plan(petition, enqueue=False)[0]  # a test letter
    delivery.fail(failed, "550 mailbox unavailable")
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)  # since then: live

    response = admin_client.post(
        reverse("admin:petitions_delivery_changelist"), {"action": "retry", "_selected_action": [failed.pk]},
        follow=True,
    )

    live = Delivery.objects.filter(is_test=False).count()
    notices = [str(m) for m in response.context["messages"]]
    assert live and f"Live delivery: {live} letters go to the embassies themselves" in " ".join(notices), notices


def test_retrying_a_failed_letter_of_a_paused_petition_plans_nothing_and_says_why(admin_client, petition, mailoutbox,
                                                                                  settings):
    settings.DELIVERY_LIVE = True
    failed = delivery.plan(petition, enqueue=False)[0]  # a test letter
    delivery.fail(failed, "550 mailbox unavailable")
    # Since then: live, and paused by an organiser (the embassies' addresses are being checked, say).
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True, delivery_paused=True)

    response = admin_client.post(
        reverse("admin:petitions_delivery_changelist"), {"action": "retry", "_selected_action": [failed.pk]},
        follow=True,
    )

    assert not Delivery.objects.filter(is_test=False).exists() and mailoutbox == []
    notices = [str(m) for m in response.context["messages"]]
    assert any("deliveries are paused" in m for m in notices), notices


@pytest.mark.parametrize(("since", "reason"), [
    ({"test_recipient": ""}, "has no test recipient to send its letters to"),
    ({"status": Petition.Status.DRAFT}, "the petition is a draft"),
])
def test_retrying_a_failed_letter_that_would_plan_nothing_says_why(admin_client, petition, mailoutbox, since, reason):
    """As Deliver now does: "0 deliveries queued." alone left an organiser to guess."""
    failed = delivery.plan(petition, enqueue=False)[0]  # a test letter
    delivery.fail(failed, "550 mailbox unavailable")
    Petition.objects.filter(pk=petition.pk).update(**since)
    letters = Delivery.objects.filter(petition=petition).count()

    response = admin_client.post(
        reverse("admin:petitions_delivery_changelist"), {"action": "retry", "_selected_action": [failed.pk]},
        follow=True,
    )

    notices = " ".join(str(m) for m in response.context["messages"])
    assert f"{failed}: Nothing is delivered: " in notices and reason in notices, notices
    assert Delivery.objects.filter(petition=petition).count() == letters and mailoutbox == []


def test_an_organiser_is_told_of_live_letters_bound_for_contact_details_no_one_verified(admin_client, petition,
                                                                                          settings):
    """Addresses come from a Wikidata export that may be years old (the Kyiv embassy's, closed in
    2022, is in it), and a letter names people: before it goes, the petition's page and "Deliver
    now" say which embassies' details no organiser has checked."""
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    change = reverse("admin:petitions_petition_change", args=[petition.pk])
    warning = "whose contact details no organiser has verified: Embassy of the Russian Federation in Ukraine."

    assert warning in admin_client.get(change).text  # Warsaw has no email: its letter is handed over
    asked = admin_client.post(reverse("admin:petitions_petition_changelist"),
                              {"action": "deliver_now", "_selected_action": [petition.pk]})
    assert "Emailed to contact details no organiser has verified: Embassy of the Russian Federation in Ukraine" \
        in asked.text
    assert not Delivery.objects.exists()

    Embassy.objects.filter(country="UA").update(contact_verified_on=timezone.now().date())
    assert "no organiser has verified" not in admin_client.get(change).text
    settings.DELIVERY_LIVE = False  # test letters only: they go to the organiser
    Embassy.objects.filter(country="UA").update(contact_verified_on=None)
    assert "no organiser has verified" not in admin_client.get(change).text


def test_the_public_delivery_log_lists_live_deliveries_without_personal_data(client, petition, settings):
    delivery.sweep(petition=petition)  # test deliveries: never public
    assert "No letters have been delivered yet" in client.get("/en/petitions/free-them/deliveries/").text
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))

    page = client.get("/en/petitions/free-them/deliveries/").text
    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    assert kyiv.pdf_sha256 in page
    assert "Олена" not in page and "Петренко" not in page and emails_in(page) == []
    detail = client.get("/en/petitions/free-them/").text
    assert "1 appeal has been delivered so far" in detail and "Embassies reached: 1." in detail
    data = client.get("/api/petitions/free-them/").json()
    assert data["deliveries"]["appeals_delivered"] == 1
    # Ghana has no embassy and this petition no fallback: that signature waits in the pool.
    assert Signature.objects.filter(delivery_items__is_test=False).count() == 2


@pytest.fixture
def organiser_client(client, petition, django_user_model):
    """An editor of the petition's campaign (a staff account, not a superuser)."""
    from campaign.models import Membership

    user = django_user_model.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    Membership.objects.create(user=user, campaign=petition.campaign, role=Membership.Role.EDITOR)
    client.force_login(user)
    return client


def deliver_now(client, petition):
    response = client.post(reverse("admin:petitions_petition_changelist"),
                           {"action": "deliver_now", "_selected_action": [petition.pk]}, follow=True)
    return [str(m) for m in response.context["messages"]]


def test_deliver_now_says_how_many_signatures_have_no_embassy_to_go_to(organiser_client, petition, mailoutbox):
    """The signer in Ghana (no embassy in the directory, no fallback target) is in no letter: "2
    deliveries queued." alone let the organiser believe every confirmed signature had gone."""
    notices = deliver_now(organiser_client, petition)

    assert "2 deliveries queued." in notices
    assert any("1 confirmed signature is in no letter" in m and "routing table" in m for m in notices), notices
    assert len(mailoutbox) == 2

    Petition.objects.filter(pk=petition.pk).update(fallback_embassy=Embassy.objects.get(city="Kyiv"))
    notices = deliver_now(organiser_client, petition)
    assert "1 delivery queued." in notices
    assert not any("is in no letter" in m or "are in no letter" in m for m in notices), notices


def test_deliver_now_on_a_new_site_without_embassies_says_why_nothing_went(organiser_client, petition, mailoutbox):
    Embassy.objects.update(is_delivery_target=False)  # as good as an empty directory: none receives letters

    notices = deliver_now(organiser_client, petition)

    assert "0 deliveries queued." in notices
    assert any("3 confirmed signatures are in no letter" in m for m in notices), notices
    assert Delivery.objects.count() == 0 and mailoutbox == []


def test_the_public_delivery_log_lists_the_latest_letter_first_whether_emailed_or_handed_over(client, petition):
    """A letter handed over has no sent_at: sorted by it, Postgres put every such letter first (NULLs
    come first in a descending order), however old, above the letters emailed since."""
    now = timezone.now()
    kyiv, warsaw = Embassy.objects.get(city="Kyiv"), Embassy.objects.get(city="Warsaw")
    for embassy, when, channel, checksum in [
        (warsaw, now - timedelta(days=30), Delivery.Channel.HAND, "a" * 64),
        (kyiv, now - timedelta(days=1), Delivery.Channel.EMAIL, "b" * 64),
        (warsaw, now - timedelta(days=60), Delivery.Channel.EMAIL, "c" * 64),
    ]:
        hand = channel == Delivery.Channel.HAND
        Delivery.objects.create(
            petition=petition, embassy=embassy, is_test=False, channel=channel, signature_count=1, pdf_sha256=checksum,
            status=Delivery.Status.HANDED_OVER if hand else Delivery.Status.SENT,
            sent_at=None if hand else when, handed_over_at=when if hand else None,
        )
    page = client.get("/en/petitions/free-them/deliveries/").text
    newest_first = ["b" * 64, "a" * 64, "c" * 64]
    assert sorted(newest_first, key=page.index) == newest_first



def test_a_signatures_page_names_its_letters_and_keeps_the_country_a_live_letter_went_by(
    admin_client, petition, settings, mailoutbox
):
    """An organiser asked "has my signature reached the embassy?" finds the answer on the signature's
    page. Once a live letter named or counted it, its country -- which chose the embassy -- stays: the
    signature is delivered once, and a letter sent again listed the signer under the new country."""
    signer = Signature.objects.get(last_name="Петренко")
    page = reverse("admin:petitions_signature_change", args=[signer.pk])
    assert "In no letter yet." in admin_client.get(page).text

    delivery.sweep(petition=petition)  # a test letter, to the organiser
    test_letter = Delivery.objects.get(embassy__country="UA", is_test=True)
    text = admin_client.get(page).text
    assert f'href="{reverse("admin:petitions_delivery_change", args=[test_letter.pk])}"' in text
    assert "a test, to the petition&#x27;s test recipient" in text
    # Before going live the country can still be corrected: the live letter goes by the new one.
    resubmit(admin_client, page, country="PL")
    assert Signature.objects.get(pk=signer.pk).country == "PL"
    resubmit(admin_client, page, country="UA")

    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=petition)
    live = Delivery.objects.get(embassy__country="UA", is_test=False)
    assert live.status == Delivery.Status.SENT

    response = admin_client.get(page)
    assert f'href="{reverse("admin:petitions_delivery_change", args=[live.pk])}"' in response.text
    assert "Its country stays as its letter was addressed" in response.text
    assert "country" not in response.context["adminform"].form.fields
    response = resubmit(admin_client, page, country="PL", city="Lviv")
    assert response.status_code == 302
    saved = Signature.objects.get(pk=signer.pk)
    assert (saved.country, saved.city) == ("UA", "Lviv")  # the rest can still be corrected


def test_a_signatures_letters_are_escaped(admin_client, petition):
    Embassy.objects.filter(country="UA").update(name="<b>Embassy</b>")
    delivery.sweep(petition=petition)
    signer = Signature.objects.get(last_name="Петренко")
    text = admin_client.get(reverse("admin:petitions_signature_change", args=[signer.pk])).text
    assert "&lt;b&gt;Embassy&lt;/b&gt;" in text and "<b>Embassy</b>" not in text


def go_live(petition, settings):
    settings.DELIVERY_LIVE = True
    Petition.objects.filter(pk=petition.pk).update(live_delivery=True)
    delivery.sweep(petition=Petition.objects.get(pk=petition.pk))


BOUNCE = "550 5.1.1 <embassy-ua@example.org>: Recipient address rejected: mailbox unavailable"


def test_a_letter_that_came_back_undelivered_stops_counting_as_delivered_and_its_signatures_go_again(
        admin_client, client, petition, settings, mailoutbox):
    """An embassy's server may accept a letter and bounce it later (a full or closed mailbox): the record,
    the public log and the totals went on saying it was delivered, and its signers were never sent again."""
    from campaign.models import AuditEntry

    go_live(petition, settings)
    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    assert kyiv.status == Delivery.Status.SENT and kyiv.recipient == "embassy-ua@example.org"
    assert kyiv.pdf_sha256 in client.get("/en/petitions/free-them/deliveries/").text
    assert client.get("/api/petitions/free-them/").json()["deliveries"]["appeals_delivered"] == 1
    change = reverse("admin:petitions_delivery_change", args=[kyiv.pk])
    returned = reverse("admin:petitions_delivery_returned", args=[kyiv.pk])
    assert returned in admin_client.get(change).text

    page = admin_client.get(returned)
    assert page.status_code == 200 and "Embassy of the Russian Federation in Ukraine" in page.text
    empty = admin_client.post(returned, {"what_came_back": "   "})
    assert empty.status_code == 200 and "This field is required." in empty.text
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.SENT and kyiv.items.count() == 1

    response = admin_client.post(returned, {"what_came_back": BOUNCE}, follow=True)
    assert response.redirect_chain[-1][0] == change
    assert ("The letter is recorded as returned undelivered. Its 1 signature goes in the petition's next letter to "
            "Embassy of the Russian Federation in Ukraine. If its email address is wrong, correct it in the embassy "
            "directory before then.") in [str(m) for m in response.context["messages"]]
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.FAILED and kyiv.last_error == f"returned undelivered: {BOUNCE}"
    assert kyiv.items.count() == 0 and not kyiv.pdf and kyiv.sent_at is not None  # when it went stays recorded
    entry = AuditEntry.objects.get(action="delivery.returned")
    assert entry.object_id == str(kyiv.pk) and entry.data == {"note": BOUNCE, "signatures": 1}
    assert kyiv.pdf_sha256 not in client.get("/en/petitions/free-them/deliveries/").text
    caches["local"].clear()  # the process's copy of the JSON, as it is two seconds later
    assert client.get("/api/petitions/free-them/").json()["deliveries"]["appeals_delivered"] == 0

    # Recorded twice (a colleague, a second tab): nothing more happens.
    again = admin_client.post(returned, {"what_came_back": BOUNCE}, follow=True)
    assert ("Only a letter that was sent or handed over can be recorded as returned undelivered."
            in [str(m) for m in again.context["messages"]])
    assert AuditEntry.objects.filter(action="delivery.returned").count() == 1

    # The next letter to the embassy carries the signature again, once.
    sent = len(mailoutbox)
    delivery.sweep(petition=petition)
    resent = Delivery.objects.get(embassy__city="Kyiv", is_test=False, status=Delivery.Status.SENT)
    assert resent.pk != kyiv.pk and resent.signature_count == 1
    assert [m.to for m in mailoutbox[sent:]] == [["embassy-ua@example.org"]]
    assert "Петренко" in pdf_text(mailoutbox[-1].attachments[0][1])


def test_a_posted_letter_sent_back_can_be_recorded_but_not_one_still_to_hand_over(admin_client, petition, settings):
    go_live(petition, settings)
    warsaw = Delivery.objects.get(embassy__city="Warsaw", is_test=False)
    assert warsaw.status == Delivery.Status.AWAITING_HANDOVER
    returned = reverse("admin:petitions_delivery_returned", args=[warsaw.pk])
    assert returned not in admin_client.get(reverse("admin:petitions_delivery_change", args=[warsaw.pk])).text
    for response in (admin_client.get(returned, follow=True),
                     admin_client.post(returned, {"what_came_back": "came back"}, follow=True)):
        assert ("Only a letter that was sent or handed over can be recorded as returned undelivered."
                in [str(m) for m in response.context["messages"]])
    warsaw.refresh_from_db()
    assert warsaw.status == Delivery.Status.AWAITING_HANDOVER and warsaw.items.count() == 1

    delivery.record_handover(warsaw, "Posted, recorded delivery")
    response = admin_client.post(returned, {"what_came_back": "Returned by the post office: refused"}, follow=True)
    assert "Its 1 signature goes in the petition's next letter to" in str(list(response.context["messages"])[0])
    warsaw.refresh_from_db()
    assert warsaw.status == Delivery.Status.FAILED and warsaw.items.count() == 0


def test_only_an_editor_of_its_campaign_can_record_a_letter_as_returned(client, petition, settings,
                                                                      django_user_model):
    from campaign.models import Membership

    go_live(petition, settings)
    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    returned = reverse("admin:petitions_delivery_returned", args=[kyiv.pk])
    viewer = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=viewer, campaign=petition.campaign, role=Membership.Role.VIEWER)
    outsider = django_user_model.objects.create_user("charlie", "charlie@example.org", "pw", is_staff=True)
    Membership.objects.create(user=outsider, campaign=PetitionFactory().campaign, role=Membership.Role.EDITOR)

    client.force_login(viewer)
    assert client.get(returned).status_code == 403
    assert client.post(returned, {"what_came_back": BOUNCE}).status_code == 403
    assert returned not in client.get(reverse("admin:petitions_delivery_change", args=[kyiv.pk])).text
    client.force_login(outsider)
    assert client.post(returned, {"what_came_back": BOUNCE}).status_code == 404
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.SENT and kyiv.items.count() == 1

    editor = django_user_model.objects.create_user("alice", "alice@example.org", "pw", is_staff=True)
    Membership.objects.create(user=editor, campaign=petition.campaign, role=Membership.Role.EDITOR)
    client.force_login(editor)
    response = client.post(returned, {"what_came_back": BOUNCE}, follow=True)
    assert ("If its email address is wrong, ask an administrator to correct it in the embassy directory before then."
            in str(list(response.context["messages"])[0]))
    kyiv.refresh_from_db()
    assert kyiv.status == Delivery.Status.FAILED


REPLY = "The consul says the appeal was forwarded to the Foreign Ministry in Moscow."


def test_an_embassys_reply_is_recorded_and_the_public_log_shows_its_date_not_what_it_said(
        admin_client, client, petition, settings):
    from campaign.models import AuditEntry

    go_live(petition, settings)
    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    change = reverse("admin:petitions_delivery_change", args=[kyiv.pk])
    assert 'name="reply_received_on"' in admin_client.get(change).text
    assert "none yet" in client.get("/en/petitions/free-them/deliveries/").text

    today = timezone.localdate()
    assert admin_client.post(change, {"reply_received_on": today.isoformat(), "reply": REPLY}).status_code == 302
    kyiv.refresh_from_db()
    assert kyiv.reply_received_on == today and kyiv.reply == REPLY and kyiv.status == Delivery.Status.SENT
    entry = AuditEntry.objects.get(action="delivery.reply_recorded")
    assert entry.object_id == str(kyiv.pk) and entry.data == {"received_on": today.isoformat()}

    page = client.get("/en/petitions/free-them/deliveries/").text
    assert "Embassies that replied: 1." in page and REPLY not in page and "Foreign Ministry" not in page
    assert page.count(f"<td>{date_filter(today, 'DATE_FORMAT')}</td>") == 2  # sent, and answered, today
    caches["local"].clear()
    assert client.get("/api/petitions/free-them/").json()["deliveries"]["embassies_replied"] == 1

    # A reply recorded by mistake is taken back by emptying both fields.
    admin_client.post(change, {"reply_received_on": "", "reply": ""})
    kyiv.refresh_from_db()
    assert kyiv.reply_received_on is None and kyiv.reply == ""
    assert "Embassies that replied" not in client.get("/en/petitions/free-them/deliveries/").text


@pytest.mark.parametrize("days, date, reply, error", [
    (None, "", REPLY, "When did the reply arrive?"),
    (0, None, "  ", "What did the embassy reply? A few words will do."),
    (-1, None, REPLY, "A reply can only be received after the letter went, and not later than today."),
    (1, None, REPLY, "A reply can only be received after the letter went, and not later than today."),
    (None, "2026-13-01", REPLY, "Enter a valid date."),
])
def test_a_reply_needs_a_date_from_the_letters_own_to_today_and_a_few_words(
        admin_client, petition, settings, days, date, reply, error):
    go_live(petition, settings)
    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    if days is not None:
        date = (timezone.localdate(kyiv.sent_at) + timedelta(days=days)).isoformat()
    response = admin_client.post(reverse("admin:petitions_delivery_change", args=[kyiv.pk]),
                                 {"reply_received_on": date, "reply": reply})
    assert response.status_code == 200 and error in response.text
    assert "When did the reply arrive?" not in response.text or error == "When did the reply arrive?"
    kyiv.refresh_from_db()
    assert kyiv.reply_received_on is None and kyiv.reply == ""


def test_a_reply_is_offered_only_on_a_live_letter_that_reached_its_embassy(admin_client, petition, settings):
    delivery.sweep(petition=petition)  # test letters: the embassy never saw them
    test_letter = Delivery.objects.get(embassy__city="Kyiv", is_test=True)
    change = reverse("admin:petitions_delivery_change", args=[test_letter.pk])
    assert 'name="reply_received_on"' not in admin_client.get(change).text
    admin_client.post(change, {"reply_received_on": timezone.localdate().isoformat(), "reply": REPLY})
    test_letter.refresh_from_db()
    assert test_letter.reply_received_on is None and test_letter.reply == ""

    go_live(petition, settings)
    warsaw = Delivery.objects.get(embassy__city="Warsaw", is_test=False)
    change = reverse("admin:petitions_delivery_change", args=[warsaw.pk])
    assert 'name="reply_received_on"' not in admin_client.get(change).text  # not handed over yet
    delivery.record_handover(warsaw, "At the gate")
    assert 'name="reply_received_on"' in admin_client.get(change).text
    with pytest.raises(ValueError):
        delivery.record_reply(test_letter, timezone.localdate(), REPLY)


def test_a_handover_or_reply_sent_from_a_page_loaded_before_the_letter_changed_is_refused_not_dropped_unsaid(
        admin_client, petition, settings):
    """The organiser handed the letter over, or the embassy answered, while a worker or a colleague
    changed the letter: "changed successfully", with nothing recorded, let them believe it was."""
    go_live(petition, settings)
    warsaw = Delivery.objects.get(embassy__city="Warsaw", is_test=False)
    change = reverse("admin:petitions_delivery_change", args=[warsaw.pk])
    assert 'name="handover_note"' in admin_client.get(change).text
    delivery.fail(warsaw, "nothing to send: every signature in it was withdrawn or rejected")  # meanwhile
    response = admin_client.post(change, {**handover_at(timezone.now()), "handover_note": "At the gate"})
    assert response.status_code == 200
    assert "Only a letter waiting to be handed over can be recorded as handed over." in response.text
    warsaw.refresh_from_db()
    assert warsaw.status == Delivery.Status.FAILED and warsaw.handover_note == ""

    kyiv = Delivery.objects.get(embassy__city="Kyiv", is_test=False)
    change = reverse("admin:petitions_delivery_change", args=[kyiv.pk])
    assert 'name="reply_received_on"' in admin_client.get(change).text
    delivery.record_return(kyiv, BOUNCE)  # a colleague, meanwhile
    response = admin_client.post(change, {"reply_received_on": timezone.localdate().isoformat(), "reply": REPLY})
    assert response.status_code == 200
    assert "Only a letter delivered to its embassy can have a reply recorded." in response.text
    kyiv.refresh_from_db()
    assert kyiv.reply_received_on is None and kyiv.reply == ""
