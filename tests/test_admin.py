"""Every admin screen answers for a superuser: lists, add forms and change forms, on demo data."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import empty
from django.utils.html import escape
from django_celery_beat.models import CrontabSchedule

from campaign import audit
from campaign.models import Membership
from petitions.models import Delivery, Embassy, Petition, Signature
from prisoners.models import CriminalCase

from .factories import SignatureFactory

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
SEARCHABLE = [m for m in MODELS if admin.site._registry[m].search_fields]
OUR_MODELS = [m for m in MODELS if m._meta.app_label in {"campaign", "prisoners", "petitions"}]


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def demo(db, django_user_model):
    call_command("load_demo", verbosity=0)
    petition = Petition.objects.first()
    organiser = django_user_model.objects.create_user("alice", "alice@example.org", "pw")
    Membership.objects.create(user=organiser, campaign=petition.campaign, role=Membership.Role.EDITOR)
    signature = SignatureFactory(petition=petition, first_name="Олена", last_name="Петренко", confirmed=True)
    delivery = Delivery.objects.create(petition=petition, embassy=Embassy.objects.first())
    delivery.items.create(signature=signature, is_test=True)
    audit.record("signature.rejected", campaign=petition.campaign, signature_ids=[signature.pk])


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_answers_200_with_rows(demo, superuser_client, model):
    response = superuser_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    if model.objects.exists():
        assert response.context["cl"].result_count > 0


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_add_page_answers_200_or_is_closed_on_purpose(demo, superuser_client, model, rf, django_user_model):
    request = rf.get("/")
    request.user = django_user_model.objects.get(username="root")
    expected = 200 if admin.site._registry[model].has_add_permission(request) else 403
    assert superuser_client.get(admin_url(model, "add")).status_code == expected


def test_deliveries_cannot_be_typed_in(demo, superuser_client):
    assert superuser_client.get(admin_url(Delivery, "add")).status_code == 403


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_change_page_answers_200(demo, superuser_client, model):
    obj = model.objects.order_by("pk").first()
    assert obj is not None, f"the demo data should include a {model._meta.verbose_name}"
    assert superuser_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", SEARCHABLE, ids=lambda m: m._meta.label)
def test_changelist_search_answers_200(demo, superuser_client, model):
    response = superuser_client.get(admin_url(model, "changelist"), {"q": "Kuznetsov"})
    assert response.status_code == 200


# Every admin on the site, third-party ones included (campaign.adminsite); the audit log is
# read-only: it has no actions.
@pytest.mark.parametrize("model", [m for m in MODELS if m._meta.label != "campaign.AuditEntry"],
                         ids=lambda m: m._meta.label)
def test_an_action_on_a_selection_that_is_not_ids_changes_nothing_and_says_so(demo, superuser_client, model, rf,
                                                                              django_user_model):
    request = rf.get("/")
    request.user = django_user_model.objects.get(username="root")
    actions = admin.site._registry[model].get_actions(request)
    assert actions
    rows = model.objects.count()
    first = str(model.objects.order_by("pk").values_list("pk", flat=True).first())
    for action in actions:
        for selection in (["abc"], [""], [first, "1x"], ["99999999999999999999"]):
            response = superuser_client.post(admin_url(model, "changelist"),
                                             {"action": action, "index": 0, "_selected_action": selection}, follow=True)
            assert response.status_code == 200, (action, selection)
            assert "The selection was not understood" in response.text, (action, selection)
    assert model.objects.count() == rows


DRILLABLE = [m for m in MODELS if admin.site._registry[m].date_hierarchy]


@pytest.mark.parametrize("model", DRILLABLE, ids=lambda m: m._meta.label)
def test_a_date_drill_down_that_is_no_date_gets_the_changelists_notice(demo, superuser_client, model):
    field = admin.site._registry[model].date_hierarchy
    url = admin_url(model, "changelist")
    for query in ({"year": "99999999999999999999"}, {"year": "9999"}, {"year": "9999", "month": "12"},
                  {"year": "2026", "month": "13"}, {"year": "2026", "month": "2", "day": "30"}, {"year": "x"}):
        response = superuser_client.get(url, {f"{field}__{part}": value for part, value in query.items()})
        assert (response.status_code, response.get("Location")) == (302, url + "?e=1"), query
    assert superuser_client.get(url, {f"{field}__year": "9998", f"{field}__month": "12"}).status_code == 200
    assert superuser_client.get(url + "?e=1").status_code == 200


WITH_AUTOCOMPLETE = [m for m in MODELS if admin.site._registry[m].autocomplete_fields
                     or any(inline.autocomplete_fields for inline in admin.site._registry[m].inlines)]


@pytest.mark.parametrize("model", WITH_AUTOCOMPLETE, ids=lambda m: m._meta.label)
def test_an_autocomplete_field_sent_with_a_value_that_is_not_an_id_gets_the_form_back(demo, superuser_client, model):
    """Every autocomplete field of the add page, inlines' included, as a browser would never send it."""
    url = admin_url(model, "add")
    page = superuser_client.get(url).text
    fields = {name.replace("__prefix__", "0")
              for name in re.findall(r'<select name="([^"]+)"[^>]*admin-autocomplete', page)}
    assert fields
    data = {"_save": "Save"}
    for prefix in re.findall(r'name="([^"]+)-TOTAL_FORMS"', page):
        data |= {f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0"}
    rows = model.objects.count()
    for value in ("abc", "1.5", "-"):
        response = superuser_client.post(url, data | dict.fromkeys(fields, value))
        assert response.status_code == 200, value
        assert "Please correct the error" in response.text or "Please correct the errors" in response.text
    assert model.objects.count() == rows


def test_a_filter_choice_for_a_blank_value_has_a_name(demo, superuser_client):
    """A case whose investigating body is not known yet made a filter link without words."""
    CriminalCase.objects.filter(pk=CriminalCase.objects.order_by("pk").first().pk).update(investigating_body="")
    response = superuser_client.get(admin_url(CriminalCase, "changelist"))
    links = re.findall(r'<a href="\?investigating_body=">([^<]*)</a>', response.text)
    assert [text.strip() for text in links] == ["-"]
    assert superuser_client.get(admin_url(CriminalCase, "changelist"), {"investigating_body": ""}).status_code == 200


def test_a_crontab_typed_with_a_mistake_gets_its_form_back(demo, superuser_client):
    """django-celery-beat's crontab admin, as organisers use it for the delivery schedule."""
    rows = CrontabSchedule.objects.count()
    form = {"hour": "*", "day_of_month": "*", "month_of_year": "*", "day_of_week": "*", "timezone": "UTC",
            "periodictask_set-TOTAL_FORMS": "0", "periodictask_set-INITIAL_FORMS": "0"}
    response = superuser_client.post(admin_url(CrontabSchedule, "add"), form | {"minute": "-1", "_save": "Save"})
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["minute"]
    assert CrontabSchedule.objects.count() == rows
    # A good one still shows its schedule in words.
    response = superuser_client.post(admin_url(CrontabSchedule, "add"),
                                     form | {"minute": "23", "hour": "5", "_continue": "Save"}, follow=True)
    assert response.status_code == 200
    assert CrontabSchedule.objects.count() == rows + 1
    assert "05:23" in response.text


def test_admin_is_closed_to_anonymous_visitors(client):
    response = client.get(admin_url(Petition, "changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_admin_notices_cross_the_redirect_and_public_pages_never_make_a_message_store(demo, superuser_client):
    """campaign.middleware.MessageMiddleware makes a request's message storage only when it is used."""
    response = superuser_client.post(reverse("admin:auth_group_add"), {"name": "Moderators", "_save": "Save"},
                                     follow=True)
    assert response.redirect_chain and response.status_code == 200
    assert "was added successfully" in response.content.decode()

    petition = Petition.objects.first()
    for url in (petition.get_absolute_url() + "?utm_source=test", petition.get_absolute_url()):
        response = superuser_client.get(url)
        assert response.status_code == 200
        assert response.wsgi_request._messages._wrapped is empty  # never made
        assert "messages" not in response.cookies


def resubmit(client, path, **changes):
    """Post a change form back as the browser would, its inlines' rows included, with `changes` typed in."""
    context = client.get(path).context
    data = {}
    forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data |= {management.add_prefix(name): management[name].value() for name in management.fields}
        forms += inline.formset.forms
    for form in forms:
        for name in form.fields:
            key, value = form.add_prefix(name), form[name].value()
            if value is not None and value is not False:  # 0 is a value
                data[key] = "on" if value is True else value
            widget = form.fields[name].widget
            if hasattr(widget, "decompress"):  # a date and a time: one input each
                for i, part in enumerate(widget.decompress(data.pop(key, None))):
                    data[f"{key}_{i}"] = "" if part is None else part
    return client.post(path, data | changes)


def test_an_administrator_makes_an_organiser_with_an_account_and_then_a_campaign(demo, superuser_client,
                                                                                django_user_model):
    """The account's form asks for what an organiser needs -- the email they are added by, and staff
    status, ticked -- and says what comes next. Django's asked for a username and password only, and
    adding the account to a campaign then said to "ask an administrator to create it first"."""
    from campaign.models import Campaign

    add = reverse("admin:auth_user_add")
    page = superuser_client.get(add)
    form = page.context["adminform"].form
    assert form.fields["email"].required and form["is_staff"].value() is True
    assert "under Organisers, with this email" in page.text  # what comes next
    account = {"username": "olga", "email": "Olga@Example.org", "is_staff": "on", "usable_password": "true",
               "password1": "a long pass phrase 7", "password2": "a long pass phrase 7"}

    taken = superuser_client.post(add, account | {"username": "olga2", "email": "ALICE@example.org"})
    assert taken.status_code == 200 and list(taken.context["adminform"].form.errors) == ["email"]
    assert superuser_client.post(add, account).status_code == 302
    olga = django_user_model.objects.get(username="olga")
    assert olga.is_staff and not olga.is_superuser

    campaign = Campaign.objects.get()
    response = superuser_client.post(admin_url(Membership, "add"), {
        "user_email": "olga@example.org", "campaign": campaign.pk, "role": "editor"})
    assert response.status_code == 302
    superuser_client.force_login(olga)
    assert superuser_client.get(admin_url(Petition, "changelist")).context["cl"].result_count == 1


def test_adding_an_account_without_staff_status_to_a_campaign_says_what_is_missing(demo, superuser_client):
    alice = Membership.objects.get(user__username="alice").user  # no staff status in `demo`
    response = superuser_client.post(admin_url(Membership, "add"), {
        "user_email": alice.email, "campaign": Membership.objects.get().campaign_id, "role": "viewer"})
    assert response.status_code == 200
    assert "Staff status" in response.context["adminform"].form.errors["user_email"][0]


def test_adding_someone_already_organising_the_campaign_gets_the_form_back(demo, superuser_client):
    alice = Membership.objects.get(user__username="alice")
    alice.user.is_staff = True
    alice.user.save()
    response = superuser_client.post(admin_url(Membership, "add"), {
        "user_email": "alice@example.org", "campaign": alice.campaign_id, "role": "viewer"})
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert Membership.objects.filter(user=alice.user).count() == 1


def test_a_signatures_address_is_checked_as_the_sign_form_does_and_once_per_petition(demo, superuser_client):
    petition = Petition.objects.first()
    first = SignatureFactory(petition=petition, email="olena@example.org")
    second = SignatureFactory(petition=petition, email="petro@example.org")
    path = admin_url(Signature, "change", second.pk)

    response = resubmit(superuser_client, path, email=" OLENA@example.org")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == ["This address has already signed this petition."]
    assert Signature.objects.get(pk=second.pk).email == "petro@example.org"

    assert resubmit(superuser_client, path, email="petro@bücher.de").status_code == 302
    assert Signature.objects.get(pk=second.pk).email == "petro@xn--bcher-kva.de"
    assert Signature.objects.get(pk=first.pk).email == "olena@example.org"


def test_a_signatures_status_changes_through_moderation_not_its_form(demo, superuser_client):
    petition = Petition.objects.first()
    pending = SignatureFactory(petition=petition, email="pending@example.org")
    path = admin_url(Signature, "change", pending.pk)

    response = resubmit(superuser_client, path, status="confirmed", petition=Petition.objects.last().pk)
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.status, pending.petition) == (Signature.Status.PENDING, petition)


@pytest.mark.parametrize("lang", ["en", "uk"])
def test_a_signatures_page_labels_every_field_as_the_admin_does(demo, superuser_client, lang):
    """The form's own fields were labelled "email:" and "мова:" among "First name:" and "Прізвище:"."""
    signature = Signature.objects.first()
    form = superuser_client.get(admin_url(Signature, "change", signature.pk), HTTP_ACCEPT_LANGUAGE=lang).context[
        "adminform"].form
    labels = {name: str(field.label) for name, field in form.fields.items()}
    assert labels["email"][0].isupper() and labels["language"][0].isupper(), labels
    assert all(label[0].isupper() for label in labels.values()), labels


def test_a_signature_typed_in_as_confirmed_is_confirmed_now(demo, superuser_client):
    petition = Petition.objects.first()
    response = superuser_client.post(admin_url(Signature, "add"), {
        "petition": petition.pk, "first_name": "Anna", "last_name": "Nowak", "email": "anna@example.org",
        "country": "PL", "public_name": "hidden", "language": "en", "status": "confirmed",
    })
    assert response.status_code == 302
    signature = Signature.objects.get(email="anna@example.org")
    assert signature.status == Signature.Status.CONFIRMED and signature.confirmed_at is not None


def test_a_signature_typed_in_as_pending_gets_its_confirmation_link_by_email(
    demo, superuser_client, smtp, django_capture_on_commit_callbacks
):
    """From a paper list whose signers are to confirm themselves: the link goes out as after signing on
    the site. Nothing used to send it, and the signature stayed pending, uncounted, for ever."""
    petition = Petition.objects.first()
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(admin_url(Signature, "add"), {
            "petition": petition.pk, "first_name": "Anna", "last_name": "Nowak", "email": "anna@example.org",
            "country": "PL", "public_name": "hidden", "language": "en", "status": "pending",
        })
    assert response.status_code == 302
    assert [rcpts for rcpts, _message in smtp.messages] == [["anna@example.org"]]
    assert "/confirm/" in smtp.messages[0][1].get_body(("plain",)).get_content()
    assert Signature.objects.get(email="anna@example.org").email_due == Signature.EmailDue.NONE
    # Typed in, a signature is to be confirmed or is confirmed: nothing else is offered.
    form = superuser_client.get(admin_url(Signature, "add")).context["adminform"].form
    assert [value for value, _label in form.fields["status"].choices] == ["pending", "confirmed"]


def test_a_pending_signatures_corrected_address_gets_the_confirmation_link(
    demo, superuser_client, smtp, django_capture_on_commit_callbacks
):
    """Its link went to the mistyped address, if anywhere: corrected, the signature waited, never
    confirmed, until deleted a month later. A confirmed one's correction sends nothing."""
    petition = Petition.objects.first()
    pending = SignatureFactory(petition=petition, email="anna@gmial.com")
    confirmed = SignatureFactory(petition=petition, email="olena@gmial.com", confirmed=True)

    with django_capture_on_commit_callbacks(execute=True):
        for signature, corrected in ((pending, "anna@gmail.com"), (confirmed, "olena@gmail.com")):
            response = resubmit(superuser_client, admin_url(Signature, "change", signature.pk), email=corrected)
            assert response.status_code == 302

    assert [rcpts for rcpts, _message in smtp.messages] == [["anna@gmail.com"]]
    body = smtp.messages[0][1].get_body(("plain",)).get_content()
    link = re.search(r"/en/petitions/\S+/confirm/\S+/", body)[0]
    assert superuser_client.post(link).status_code == 302
    assert Signature.objects.get(pk=pending.pk).status == Signature.Status.CONFIRMED


def test_signatures_cannot_be_deleted_in_the_admin_only_rejected_or_erased(demo, superuser_client):
    """Deleted, a counted signature stayed in the count, and a letter's record lost its row."""
    signature = SignatureFactory(petition=Petition.objects.first(), confirmed=True)
    assert superuser_client.get(admin_url(Signature, "delete", signature.pk)).status_code == 403
    response = superuser_client.post(admin_url(Signature, "changelist"), {
        "action": "delete_selected", "_selected_action": [signature.pk], "post": "yes",
    })
    assert Signature.objects.filter(pk=signature.pk).exists()
    assert "delete_selected" not in response.text
    changelist = superuser_client.get(admin_url(Signature, "changelist")).text
    assert 'value="delete_selected"' not in changelist and 'value="reject_as_spam"' in changelist


def test_a_campaign_is_archived_only_once_its_petitions_take_no_more_signatures(
    demo, superuser_client, django_user_model
):
    """Archived, a campaign leaves the home page; its open petition went on taking signatures."""
    from campaign.models import Campaign

    petition = Petition.objects.first()
    campaign_path = admin_url(Campaign, "change", petition.campaign_id)
    django_user_model.objects.filter(username="alice").update(is_staff=True)  # the form's organiser rows

    response = resubmit(superuser_client, campaign_path, status="archived")
    assert response.status_code == 200
    assert str(petition) in response.context["adminform"].form.errors["status"][0]
    assert Campaign.objects.get(pk=petition.campaign_id).status == Campaign.Status.LIVE

    assert resubmit(superuser_client, admin_url(Petition, "change", petition.pk), status="closed").status_code == 302
    response = resubmit(superuser_client, campaign_path, status="archived")
    assert response.status_code == 302
    assert Campaign.objects.get(pk=petition.campaign_id).status == Campaign.Status.ARCHIVED

    # Nor is a petition of an archived campaign opened again.
    petition_path = admin_url(Petition, "change", petition.pk)
    response = resubmit(superuser_client, petition_path, status="open", closes_at_0="", closes_at_1="")
    assert response.status_code == 200
    assert "archived" in response.context["adminform"].form.errors["status"][0]
    assert Petition.objects.get(pk=petition.pk).status == Petition.Status.CLOSED


def test_closing_a_petition_still_to_open_gets_the_form_back_not_a_500(demo, superuser_client):
    petition = Petition.objects.first()
    Petition.objects.filter(pk=petition.pk).update(opens_at=timezone.now() + timedelta(days=5))
    path = admin_url(Petition, "change", petition.pk)

    response = resubmit(superuser_client, path, status="closed")

    assert response.status_code == 200
    assert "Draft" in response.context["adminform"].form.errors["status"][0]
    assert Petition.objects.get(pk=petition.pk).status == Petition.Status.OPEN
    assert resubmit(superuser_client, path, status="draft").status_code == 302


def test_reopening_a_closed_petition_asks_for_a_closing_date_that_has_not_passed(demo, superuser_client):
    petition = Petition.objects.first()
    path = admin_url(Petition, "change", petition.pk)
    assert resubmit(superuser_client, path, status="closed").status_code == 302
    assert Petition.objects.get(pk=petition.pk).closes_at <= timezone.now()  # when it was closed

    response = resubmit(superuser_client, path, status="open")  # the date closing recorded, sent back

    assert response.status_code == 200
    assert "clear the date" in response.context["adminform"].form.errors["closes_at"][0]
    assert Petition.objects.get(pk=petition.pk).status == Petition.Status.CLOSED
    assert resubmit(superuser_client, path, status="open", closes_at_0="", closes_at_1="").status_code == 302
    assert Petition.objects.get(pk=petition.pk).is_open_for_signing()


@pytest.mark.parametrize("closes_at", [(+30, "12:00:00"), (-30, "12:00:00"), None])
def test_a_closed_petitions_closing_moment_stays_the_record_the_retention_period_runs_from(
        demo, superuser_client, closes_at):
    """A later date typed into a closed petition was replaced by "now" on saving: its signers' data
    was kept longer than promised, and the petition stayed closed all the same."""
    petition = Petition.objects.first()
    Petition.objects.filter(pk=petition.pk).update(opens_at=timezone.now() - timedelta(days=60))
    path = admin_url(Petition, "change", petition.pk)
    assert resubmit(superuser_client, path, status="closed").status_code == 302
    closed_at = Petition.objects.get(pk=petition.pk).closes_at
    typed = {"closes_at_0": "", "closes_at_1": ""}
    if closes_at is not None:
        days, time = closes_at
        typed = {"closes_at_0": (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%d"), "closes_at_1": time}

    response = resubmit(superuser_client, path, goal=5000, **typed)

    assert response.status_code == 200
    assert "Open" in response.context["adminform"].form.errors["closes_at"][0]
    saved = Petition.objects.get(pk=petition.pk)
    assert (saved.closes_at, saved.goal) == (closed_at, petition.goal)
    # Left as it is, the rest of a closed petition can still be edited.
    response = resubmit(superuser_client, path, goal=5000)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Petition.objects.get(pk=petition.pk).closes_at.replace(microsecond=0) == closed_at.replace(microsecond=0)


def test_a_petitions_slug_is_fixed_once_it_is_open_so_the_emailed_links_keep_working(demo, superuser_client, client):
    """The slug is in every link a signer was emailed: changed, confirming and withdrawing were a 404."""
    from petitions import signing

    petition = Petition.objects.first()
    signature = SignatureFactory(petition=petition)
    confirm = reverse("petitions:confirm", args=[petition.slug, signing.make_token(signature, signing.CONFIRM)])
    withdraw = reverse("petitions:withdraw", args=[petition.slug, signing.make_token(signature, signing.WITHDRAW)])
    path = admin_url(Petition, "change", petition.pk)

    assert resubmit(superuser_client, path, slug="a-better-slug", goal=5000).status_code == 302

    saved = Petition.objects.get(pk=petition.pk)
    assert (saved.slug, saved.goal) == (petition.slug, 5000)  # the rest of the form is saved
    assert client.get(confirm).status_code == 200
    assert client.get(withdraw).status_code == 200
    assert client.get(petition.get_absolute_url()).status_code == 200


def test_a_draft_no_one_has_signed_can_still_have_its_slug_changed(demo, superuser_client):
    from .factories import PetitionFactory

    petition = PetitionFactory(campaign=Petition.objects.get().campaign, status=Petition.Status.DRAFT)
    path = admin_url(Petition, "change", petition.pk)
    assert 'id="id_slug"' in superuser_client.get(path).text

    assert resubmit(superuser_client, path, slug="a-better-slug").status_code == 302
    assert Petition.objects.get(pk=petition.pk).slug == "a-better-slug"


def test_a_petition_whose_signers_were_anonymised_cannot_be_reopened(demo, superuser_client):
    """Anonymised, its signers have no address left for the one-signature-per-address rule to see:
    reopened, it would count each of them again who signed again."""
    from petitions import retention

    petition = Petition.objects.first()
    path = admin_url(Petition, "change", petition.pk)
    assert resubmit(superuser_client, path, status="closed").status_code == 302
    assert retention.anonymise(Petition.objects.get(pk=petition.pk)) >= 1

    response = resubmit(superuser_client, path, status="open", closes_at_0="", closes_at_1="")

    assert response.status_code == 200
    assert "new petition" in response.context["adminform"].form.errors["status"][0]
    assert Petition.objects.get(pk=petition.pk).status == Petition.Status.CLOSED


def test_a_petition_that_closed_on_its_date_can_still_be_edited_once_archived_and_anonymised(demo, superuser_client):
    """Closed by its date, a petition keeps the status "open": editing it (pausing its deliveries,
    mending its title) was refused as if it were being reopened, with "To open it, make the campaign
    live again" and "Start a new petition instead"."""
    from campaign.models import Campaign
    from petitions import retention

    petition = Petition.objects.first()
    Petition.objects.filter(pk=petition.pk).update(
        status=Petition.Status.OPEN, opens_at=timezone.now() - timedelta(days=200),
        closes_at=timezone.now() - timedelta(days=100),
    )
    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.ARCHIVED)
    assert retention.anonymise(Petition.objects.get(pk=petition.pk)) >= 1
    path = admin_url(Petition, "change", petition.pk)

    response = resubmit(superuser_client, path, delivery_paused="on", title_en="Free them all")

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Petition.objects.get(pk=petition.pk)
    assert saved.delivery_paused and saved.title_en == "Free them all" and not saved.is_open_for_signing()
    # Reopening it, by a later closing date, is refused still.
    later = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    response = resubmit(superuser_client, path, closes_at_0=later, closes_at_1="12:00:00")
    assert response.status_code == 200
    assert "archived" in response.context["adminform"].form.errors["status"][0]


def test_the_prisoner_and_case_screens_headings_are_in_the_organisers_language(demo, superuser_client):
    from prisoners.models import DetentionFacility, Prisoner

    pages = [admin_url(DetentionFacility, "changelist"), admin_url(CriminalCase, "changelist"),
             admin_url(Prisoner, "change", Prisoner.objects.first().pk)]
    text = " ".join(superuser_client.get(page, HTTP_ACCEPT_LANGUAGE="uk").text for page in pages)
    assert {"В&#x27;язні", "Фігуранти справи", "Кампанії", "Кримінальні справи"} <= set(re.findall(
        r">\s*([^<>]*?)\s*<", text))
    for english in ("Prisoners held", "Defendants", "Campaigns", "Cases"):
        assert f">{english}<" not in re.sub(r">\s+|\s+<", lambda m: m.group().strip(), text)


def test_opening_a_petition_of_a_draft_campaign_says_no_one_else_can_see_it_yet(demo, superuser_client):
    from campaign.models import Campaign

    petition = Petition.objects.first()
    path = admin_url(Petition, "change", petition.pk)
    notices = [str(m) for m in resubmit(superuser_client, path, status="open").wsgi_request._messages]
    assert not any("is a draft" in m for m in notices), notices  # a live campaign: it is public

    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.DRAFT)
    response = resubmit(superuser_client, path, status="open")
    assert response.status_code == 302
    notices = [str(m) for m in response.wsgi_request._messages]
    assert any("No one else can see or sign this petition yet" in m for m in notices), notices


def test_a_campaign_with_several_organisers_can_be_saved(demo, superuser_client, django_user_model):
    from campaign.models import Campaign

    campaign = Campaign.objects.get()
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=campaign, role=Membership.Role.VIEWER)
    path = admin_url(Campaign, "change", campaign.pk)

    django_user_model.objects.filter(username="alice").update(is_staff=True)
    response = resubmit(superuser_client, path, title_en="A new title")
    assert response.status_code == 302, [f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert Campaign.objects.get().title_en == "A new title"

    # The same organiser twice is still refused.
    response = resubmit(superuser_client, path, **{"memberships-1-user_email": "alice@example.org"})
    assert response.status_code == 200
    assert Membership.objects.filter(campaign=campaign).count() == 2


def test_the_petition_form_explains_its_status_dates_cadence_and_pause(demo, superuser_client):
    """An organiser sets these without a manual: each says what it does next to the field."""
    page = superuser_client.get(admin_url(Petition, "change", Petition.objects.get().pk)).text
    for field in ("status", "opens_at", "closes_at", "delivery_cadence", "delivery_paused"):
        help_text = str(Petition._meta.get_field(field).help_text)
        assert help_text and escape(help_text) in page, field


def test_the_petition_form_explains_its_goal_address_and_addressee(demo, superuser_client):
    """0 is no goal; the slug is the address in every signer's links; the addressee is translated,
    and left out for a mission without an ambassador, only as long as it is left as it is."""
    page = superuser_client.get(admin_url(Petition, "add")).text
    for field, words in (("goal", "0: no goal"), ("slug", "links emailed to signers"), ("addressee", "Left as it is")):
        help_text = str(Petition._meta.get_field(field).help_text)
        assert words in help_text and escape(help_text) in page, field


def test_the_prisoner_form_says_what_featuring_a_prisoner_in_a_campaign_does(organiser_client):
    """Not featured -- the default -- the campaign's own prisoner was listed as a co-defendant, and
    left off the home page, with nothing in the form to say so."""
    from campaign.models import CampaignPrisoner
    from prisoners.models import Prisoner

    page = organiser_client.get(admin_url(Prisoner, "add")).text
    for field, words in (("featured", "co-defendants"), ("position", "Lower numbers come first")):
        help_text = str(CampaignPrisoner._meta.get_field(field).help_text)
        assert words in help_text and escape(help_text) in page, field


def test_the_admin_says_whose_it_is_in_the_organisers_language(demo, superuser_client):
    page = superuser_client.get(reverse("admin:index")).text
    assert "Solidarity petitions" in page and "Django administration" not in page
    page = superuser_client.get(reverse("admin:index"), headers={"accept-language": "uk"}).text
    assert "Петиції солідарності" in page


@pytest.fixture
def organiser_client(client, django_user_model):
    """An organiser of a fresh campaign, no demo data: a staff account, editor of that campaign alone."""
    from campaign.models import Campaign

    from .factories import CampaignFactory

    campaign = CampaignFactory(status=Campaign.Status.LIVE)
    user = django_user_model.objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    Membership.objects.create(user=user, campaign=campaign, role=Membership.Role.EDITOR)
    client.force_login(user)
    client.campaign = campaign
    return client


def test_a_signature_typed_in_is_in_one_of_the_sites_languages(organiser_client):
    """Its emails' links (unsubscribe, withdraw) carry the language in their path: in a language the
    site has no pages in ("pl", "German") they were a 404, and the signer could not leave."""
    from .factories import PetitionFactory

    petition = PetitionFactory(campaign=organiser_client.campaign)
    typed = {"petition": petition.pk, "first_name": "Anna", "last_name": "Nowak", "email": "anna@example.org",
             "country": "PL", "public_name": "hidden", "status": "confirmed", "wants_updates": "on"}
    form = organiser_client.get(admin_url(Signature, "add")).context["adminform"].form
    assert [code for code, _name in form.fields["language"].choices] == ["en", "uk", "ru", "fr"]

    for language in ("pl", "German"):
        response = organiser_client.post(admin_url(Signature, "add"), {**typed, "language": language})
        assert response.status_code == 200
        assert "language" in response.context["adminform"].form.errors, language
    assert not Signature.objects.exists()

    assert organiser_client.post(admin_url(Signature, "add"), {**typed, "language": "uk"}).status_code == 302
    assert Signature.objects.get().language == "uk"


def petition_form(campaign, **changes):
    """The petition add form as an organiser fills it in (English only)."""
    return {
        "campaign": campaign.pk, "title_en": "Free Ivan", "slug": "free-ivan", "status": "draft",
        "opens_at_0": "2030-06-01", "opens_at_1": "10:00:00", "closes_at_0": "", "closes_at_1": "", "goal": "1000",
        "addressee_en": "To the Ambassador", "appeal_en": "Free him.", "delivery_cadence": "weekly",
        "test_recipient": "olga@example.org", "comment_display": "off", **changes,
    }


@pytest.mark.parametrize("status", ["draft", "open"])
def test_a_closing_date_before_the_opening_date_is_refused_in_words(organiser_client, status):
    """Not "Constraint “petition_closes_after_opening” is violated." above the form."""
    response = organiser_client.post(admin_url(Petition, "add"), petition_form(
        organiser_client.campaign, status=status, closes_at_0="2030-05-01", closes_at_1="10:00:00"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["closes_at"]
    assert "after it opens" in errors["closes_at"][0]
    assert "onstraint" not in response.text
    assert not Petition.objects.exists()
    assert organiser_client.post(admin_url(Petition, "add"), petition_form(
        organiser_client.campaign, status=status, closes_at_0="2030-07-01", closes_at_1="10:00:00")).status_code == 302


def test_a_closing_date_in_the_last_year_there_is_still_lets_signers_confirm(organiser_client, mailoutbox):
    """The form takes any date up to 9999-12-31 (a mistyped year, or "never"): a day of grace added
    to it was past the last date Python has, and every signer's Confirm button was a 500."""
    from petitions.signing import CONFIRM, make_token

    response = organiser_client.post(admin_url(Petition, "add"), petition_form(
        organiser_client.campaign, status="open", opens_at_0="2020-01-01", closes_at_0="9999-12-31",
        closes_at_1="23:59:59"))
    assert response.status_code == 302
    petition = Petition.objects.get()
    signature = SignatureFactory(petition=petition)

    confirm = reverse("petitions:confirm", args=[petition.slug, make_token(signature, CONFIRM)])
    assert organiser_client.get(confirm).status_code == 200
    assert organiser_client.post(confirm).status_code == 302
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED


def test_the_petition_list_says_whether_each_petition_takes_signatures_now(organiser_client):
    """An open petition past its closing date takes no signatures, and one before its opening date
    none yet: the list said "Open for signatures" of both."""
    from .factories import PetitionFactory

    now = timezone.now()
    PetitionFactory(campaign=organiser_client.campaign, title="Past", opens_at=now - timedelta(days=9),
                    closes_at=now - timedelta(days=1))
    PetitionFactory(campaign=organiser_client.campaign, title="Coming", opens_at=now + timedelta(days=1))
    PetitionFactory(campaign=organiser_client.campaign, title="Taking")

    page = organiser_client.get(admin_url(Petition, "changelist")).text
    row = r'<th class="field-title"><a [^>]*>([^<]+)</a></th>.*?<td class="field-status_now">([^<]+)</td>'
    rows = dict(re.findall(row, page, re.S))
    assert rows == {"Past": "Closed", "Coming": "Not open yet", "Taking": "Open for signatures"}


def test_an_implausible_year_of_birth_is_refused_next_to_the_field(organiser_client):
    from prisoners.models import Prisoner

    def add(year):
        return organiser_client.post(admin_url(Prisoner, "add"), {
            "name_en": "Ivan Petrov", "slug": "ivan-petrov", "status": "pretrial_detention", "birth_year": year,
            "campaign_links-TOTAL_FORMS": "1", "campaign_links-INITIAL_FORMS": "0",
            "campaign_links-0-campaign": organiser_client.campaign.pk, "campaign_links-0-position": "0",
            "defendant_links-TOTAL_FORMS": "0", "defendant_links-INITIAL_FORMS": "0",
        })

    for year in ("1800", "2090"):
        response = add(year)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert list(errors) == ["birth_year"], year
        assert "onstraint" not in response.text
    assert not Prisoner.objects.exists()
    assert add("1990").status_code == 302


def test_a_case_opened_or_an_arrest_dated_in_the_future_is_refused_next_to_the_date(organiser_client):
    """A mistyped year (2062 for 2026) would be published as a fact; only a hearing or an appeal can
    be known before its day."""
    from prisoners.models import CaseEvent, Prisoner

    prisoner = Prisoner.objects.create(name="Ivan Petrov", slug="ivan-petrov")
    organiser_client.campaign.prisoner_links.create(prisoner=prisoner)
    next_year = (timezone.now() + timedelta(days=366)).date().isoformat()
    today = timezone.now().date().isoformat()

    def add(opened_on, kind, date):
        return organiser_client.post(admin_url(CriminalCase, "add"), {
            "title_en": "The case", "slug": "the-case", "opened_on": opened_on,
            "defendant_links-TOTAL_FORMS": "1", "defendant_links-INITIAL_FORMS": "0",
            "defendant_links-0-prisoner": prisoner.pk, "defendant_links-0-role": "accused",
            "defendant_links-0-position": "0",
            "events-TOTAL_FORMS": "1", "events-INITIAL_FORMS": "0", "events-0-kind": kind, "events-0-date": date,
            "events-0-date_precision": "day", "events-0-description_en": "Searched and detained.",
        })

    response = add(next_year, "arrest", today)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["opened_on"]
    response = add(today, "arrest", next_year)
    assert response.status_code == 200
    assert list(response.context["inline_admin_formsets"][1].formset.errors[0]) == ["date"]
    assert "not come yet" in response.text
    assert not CriminalCase.objects.exists()

    assert add(today, "hearing", next_year).status_code == 302  # a hearing is set ahead of its day
    assert CaseEvent.objects.get().kind == "hearing"


def queries_of(client, path):
    """The SQL of the queries a page makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return [query["sql"] for query in queries]


def test_the_rows_of_a_campaign_and_a_case_are_read_with_their_names_not_one_query_each(organiser_client,
                                                                                          django_user_model):
    """Each organiser, prisoner and defendant row is shown under its name (its user or prisoner, its
    campaign or case): read one row at a time, a campaign with 20 of each took 80 more queries."""
    from prisoners.models import CaseEvent, Defendant, Prisoner

    campaign = organiser_client.campaign
    case = CriminalCase.objects.create(title="The case", slug="the-case")

    def add_rows(upto):
        for i in range(Prisoner.objects.count(), upto):
            prisoner = Prisoner.objects.create(name=f"Prisoner {i}", slug=f"prisoner-{i}")
            campaign.prisoner_links.create(prisoner=prisoner)
            Defendant.objects.create(case=case, prisoner=prisoner)
            CaseEvent.objects.create(case=case, kind="arrest", date=timezone.now().date(), description="Arrested")
            user = django_user_model.objects.create_user(f"u{i}", f"u{i}@example.org", "pw", is_staff=True)
            Membership.objects.create(user=user, campaign=campaign, role=Membership.Role.VIEWER)

    def rows_read(path):
        tables = ('FROM "auth_user"', 'FROM "campaign_campaign" WHERE', 'FROM "prisoners_criminalcase" WHERE')
        return sum(1 for q in queries_of(organiser_client, path)
                   if q.startswith("SELECT") and any(t in q for t in tables)
                   and '"id" IN (SELECT' not in q)  # not the permission checks: they ask for no row

    pages = [admin_url(type(campaign), "change", campaign.pk), admin_url(CriminalCase, "change", case.pk)]
    add_rows(2)
    with_2 = [rows_read(path) for path in pages]
    add_rows(20)
    assert [rows_read(path) for path in pages] == with_2


def test_each_event_on_a_case_page_links_to_its_own_page_where_its_time_and_court_are_set(organiser_client):
    """The case page's table of events has no room for a hearing's time and court, nor for announcing
    it: each row links to the event's own page, which has them."""
    from prisoners.models import CaseEvent, Defendant, Prisoner

    case = CriminalCase.objects.create(title="The case", slug="the-case")
    prisoner = Prisoner.objects.create(name="Igor Kuznetsov", slug="igor-kuznetsov")
    organiser_client.campaign.prisoner_links.create(prisoner=prisoner)
    Defendant.objects.create(case=case, prisoner=prisoner)
    hearing = CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.HEARING, date=timezone.now().date())

    page = organiser_client.get(admin_url(CriminalCase, "change", case.pk)).text
    event_page = admin_url(CaseEvent, "change", hearing.pk)
    assert f'href="{event_page}" class="inlinechangelink"' in page
    response = organiser_client.get(event_page)
    assert response.status_code == 200
    assert {"time", "place_en", "place_uk"} <= set(response.context["adminform"].form.fields)


def test_a_change_page_asks_each_permission_question_once_however_many_rows_it_shows(organiser_client):
    """Each inline asked again whether the organiser may see and change the parent, and each row which
    campaigns it belongs to, once for its fields and once for its delete box: the demo campaign's page
    made 88 queries, 46 of them permission checks. The answers hold for the request."""
    from prisoners.models import Defendant, Prisoner

    campaign = organiser_client.campaign
    case = CriminalCase.objects.create(title="The case", slug="the-case")

    def add_rows(upto):
        for i in range(Prisoner.objects.count(), upto):
            prisoner = Prisoner.objects.create(name=f"Prisoner {i}", slug=f"prisoner-{i}")
            campaign.prisoner_links.create(prisoner=prisoner)
            Defendant.objects.create(case=case, prisoner=prisoner)

    def permission_checks(path):
        sql = queries_of(organiser_client, path)
        # can_view / can_change: does the object fall in the organiser's campaigns; a row's campaigns.
        return (sum(1 for q in sql if q.startswith("SELECT 1 AS")),
                sum(1 for q in sql if q.startswith('SELECT "campaign_campaignprisoner"."campaign_id"')))

    pages = [admin_url(type(campaign), "change", campaign.pk), admin_url(CriminalCase, "change", case.pk)]
    add_rows(2)
    with_2 = [permission_checks(path) for path in pages]
    add_rows(12)
    with_12 = [permission_checks(path) for path in pages]
    # The parent's few checks, asked once each (35 and 29 times before); the rows' campaigns read for
    # all rows at once (once a row, and twice before that; tests/test_admin_scale.py counts them).
    assert [checks for checks, _rows in with_12] == [checks for checks, _rows in with_2]
    assert all(checks <= 3 for checks, _rows in with_12), with_12
    assert [rows - before for (_c, rows), (_c2, before) in zip(with_12, with_2, strict=True)] == [0, 0]


def test_a_campaign_keeps_at_least_one_editor(demo, client, django_user_model):
    """Without an editor only an administrator could change the campaign: its organisers could no
    longer moderate, deliver or close anything."""
    from campaign.models import Campaign

    campaign = Campaign.objects.get()
    alice = django_user_model.objects.get(username="alice")
    django_user_model.objects.filter(pk=alice.pk).update(is_staff=True)
    client.force_login(alice)
    mine = Membership.objects.get(user=alice, campaign=campaign)
    path = admin_url(Campaign, "change", campaign.pk)

    # On the campaign's page: demoting or removing the only editor is refused, and changes nothing.
    for change in ({"memberships-0-role": "viewer"}, {"memberships-0-DELETE": "on"}):
        response = resubmit(client, path, **change)
        assert response.status_code == 200, change
        assert "Keep at least one editor" in response.text
        assert Membership.objects.get(pk=mine.pk).role == Membership.Role.EDITOR
    # On its own page too; nor may it be deleted there.
    response = resubmit(client, admin_url(Membership, "change", mine.pk), role="viewer")
    assert response.status_code == 200 and "Keep at least one editor" in response.text
    assert client.post(admin_url(Membership, "delete", mine.pk), {"post": "yes"}).status_code == 403
    # "Delete selected" says why, before its confirmation page (it was a bare 403 once confirmed).
    changelist = admin_url(Membership, "changelist")
    for confirmed in ({}, {"post": "yes"}):
        bulk = client.post(changelist, {"action": "delete_selected", "_selected_action": [mine.pk], **confirmed},
                           follow=True)
        assert bulk.redirect_chain == [(changelist, 302)]
        assert "Keep at least one editor" in bulk.text
    # And again as it deletes, should a colleague step down after the confirmation page.
    with pytest.raises(PermissionDenied):
        admin.site._registry[Membership].delete_queryset(None, Membership.objects.filter(pk=mine.pk))
    assert Membership.objects.filter(pk=mine.pk, role=Membership.Role.EDITOR).exists()

    # With a second editor, stepping down is fine.
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    bobs = Membership.objects.create(user=bob, campaign=campaign, role=Membership.Role.EDITOR)
    both = client.post(changelist,  # each has another editor, but not together
                       {"action": "delete_selected", "_selected_action": [mine.pk, bobs.pk], "post": "yes"})
    assert both.status_code == 302 and Membership.objects.filter(campaign=campaign).count() == 2
    response = resubmit(client, admin_url(Membership, "change", mine.pk), role="viewer")
    assert response.status_code == 302
    assert Membership.objects.get(pk=mine.pk).role == Membership.Role.VIEWER


def test_an_organiser_who_changed_anything_is_deactivated_not_deleted_with_the_admins_history(
    demo, superuser_client, django_user_model
):
    """Django deletes a user's entries in the admin's history with the user, and the audit log
    loses their name: who changed what would be gone."""
    from django.contrib.admin.models import LogEntry
    from django.test import Client

    from campaign.models import AuditEntry

    alice = django_user_model.objects.get(username="alice")
    alice.is_staff = True
    alice.save()
    bob = django_user_model.objects.create_user("bob", "bob@example.org", "pw", is_staff=True)
    Membership.objects.create(user=bob, campaign=Petition.objects.get().campaign, role=Membership.Role.EDITOR)
    as_alice = Client()
    as_alice.force_login(alice)
    petition = Petition.objects.get()
    assert resubmit(as_alice, admin_url(Petition, "change", petition.pk), goal=5000).status_code == 302
    audit.record("signature.rejected", user=alice, campaign=petition.campaign, signature_ids=[1])
    history = LogEntry.objects.filter(user=alice).count()
    assert history >= 1

    page = superuser_client.get(admin_url(django_user_model, "delete", alice.pk))
    assert page.status_code == 200 and "Untick “Active” instead" in page.text
    refused = superuser_client.post(admin_url(django_user_model, "delete", alice.pk), {"post": "yes"})
    assert refused.status_code == 200 and "Untick “Active” instead" in refused.text
    selected = superuser_client.post(admin_url(django_user_model, "changelist"), {
        "action": "delete_selected", "_selected_action": [alice.pk, bob.pk], "post": "yes"})
    assert selected.status_code == 200 and "Untick “Active” instead" in selected.text

    assert django_user_model.objects.filter(pk=alice.pk).exists()
    assert LogEntry.objects.filter(user=alice).count() == history
    assert AuditEntry.objects.filter(user=alice).exists()
    # One who has changed nothing (an account made by mistake) is deleted as before.
    assert superuser_client.post(admin_url(django_user_model, "delete", bob.pk), {"post": "yes"}).status_code == 302
    assert not django_user_model.objects.filter(pk=bob.pk).exists()


def test_a_detention_facility_in_use_is_not_deleted_from_under_its_prisoners(demo, superuser_client):
    """It was, and each prisoner held there silently lost where they are held and written to."""
    from prisoners.models import DetentionFacility, Prisoner

    facility = DetentionFacility.objects.filter(prisoners__isnull=False).distinct().first()
    held = set(facility.prisoners.values_list("pk", flat=True))
    path = admin_url(DetentionFacility, "delete", facility.pk)

    page = superuser_client.get(path)
    assert page.status_code == 200 and "Cannot delete detention facility" in page.text
    assert str(Prisoner.objects.get(pk=min(held))) in page.text  # says which prisoners are held there
    assert superuser_client.post(path, {"post": "yes"}).status_code == 200
    assert set(Prisoner.objects.filter(facility=facility).values_list("pk", flat=True)) == held
    # Once no one is held there any more, it goes.
    Prisoner.objects.filter(facility=facility).update(facility=None)
    assert superuser_client.post(path, {"post": "yes"}).status_code == 302
    assert not DetentionFacility.objects.filter(pk=facility.pk).exists()


def test_a_prisoner_whose_timeline_names_them_is_not_deleted_from_under_their_events(demo, superuser_client):
    """Deleted, their arrest or verdict silently became an event of the whole case, its
    description still naming them."""
    from prisoners.models import CaseEvent, Prisoner

    prisoner = Prisoner.objects.filter(events__isnull=False).distinct().first()
    events = set(prisoner.events.values_list("pk", flat=True))
    path = admin_url(Prisoner, "delete", prisoner.pk)

    page = superuser_client.get(path)
    assert page.status_code == 200 and "Cannot delete prisoner" in page.text
    assert superuser_client.post(path, {"post": "yes"}).status_code == 200
    assert set(CaseEvent.objects.filter(prisoner=prisoner).values_list("pk", flat=True)) == events
    # Their events deleted (or given to the case) first, the prisoner goes, with their place in the cases.
    CaseEvent.objects.filter(pk__in=events).delete()
    assert superuser_client.post(path, {"post": "yes"}).status_code == 302
    assert not Prisoner.objects.filter(pk=prisoner.pk).exists()


def test_a_code_article_someone_is_charged_under_is_not_deleted_from_under_their_charges(demo, superuser_client):
    """Deleted, it took each defendant's charge with it, listed only as "Defendant_charges object (1)"."""
    from prisoners.models import CodeArticle, Defendant

    article = CodeArticle.objects.filter(defendants__isnull=False).first()
    charged = set(Defendant.objects.filter(charges=article).values_list("pk", flat=True))
    path = admin_url(CodeArticle, "delete", article.pk)

    page = superuser_client.get(path)
    assert page.status_code == 200 and "Cannot delete code article" in page.text
    assert escape(str(Defendant.objects.get(pk=min(charged)))) in page.text  # names who is charged under it
    assert superuser_client.post(path, {"post": "yes"}).status_code == 200
    selected = superuser_client.post(admin_url(CodeArticle, "changelist"), {
        "action": "delete_selected", "_selected_action": [article.pk], "post": "yes"})
    assert selected.status_code == 200
    assert set(Defendant.objects.filter(charges=article).values_list("pk", flat=True)) == charged
    # An article no one is charged under goes.
    spare = CodeArticle.objects.create(article="280", part="2", title="Calls to extremism")
    assert superuser_client.post(admin_url(CodeArticle, "delete", spare.pk), {"post": "yes"}).status_code == 302
    assert not CodeArticle.objects.filter(pk=spare.pk).exists()
