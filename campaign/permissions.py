"""Who may see and change what in the admin: the one place organiser permissions are decided.

Superusers see everything. An organiser (a Membership) sees the campaigns they belong to and
everything under them -- petitions, signatures, deliveries, actions, and the prisoners and cases
those campaigns feature -- and, as an *editor*, may change them; a *viewer* only reads. Shared
reference data (code articles, detention facilities, organisations, the embassy directory) is
readable by every organiser; embassies are changed by superusers only, because an embassy's email
decides where every campaign's letters go.

Prisoners and cases can be shared between campaigns. Changing one needs editor rights on one of its
campaigns, but deleting it needs them on every campaign it is linked to: it would disappear from
the others too. Shared reference data is used by every campaign, so editors may add to it and
change it but only superusers delete it; creating or deleting a whole campaign is for superusers.

Objects of another campaign are not merely forbidden but invisible: querysets are filtered, and a
request for one by id gets 404 (see CampaignScopedAdmin). So are other campaigns' organisers: the
history of a shared object shows an organiser only the changes made by themselves and by those who
share a campaign with them -- a change message can name what its author could see (another
campaign's draft, its prisoners), and its author's name says who works on which campaign. Changes
made by a superuser who is not a member are left out for the same reason. A colleague who also
organises a campaign this organiser does not (or is a superuser) could see more than they can: their
changes are listed, without their messages.
"""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, Q
from django.forms import BaseInlineFormSet, ModelChoiceField
from django.http import Http404
from django.utils.functional import cached_property

from .adminsite import AutocompleteGuard, ShowsCurrentChoices
from .models import Campaign, Membership

EDITOR, VIEWER = Membership.Role.EDITOR, Membership.Role.VIEWER

# How to get from each model to its campaign(s). "" is the campaign itself; None marks shared
# reference data. A model registered in admin must be listed here (a test checks it).
CAMPAIGN_PATHS = {
    "campaign.Campaign": "",
    "campaign.CampaignPrisoner": "campaign",
    "campaign.SolidarityAction": "campaign",
    "campaign.Membership": "campaign",
    "campaign.Organisation": None,
    "campaign.AuditEntry": "campaign",
    "petitions.Petition": "campaign",
    "petitions.Signature": "petition__campaign",
    "petitions.Delivery": "petition__campaign",
    "petitions.DeliveryItem": "delivery__petition__campaign",
    "petitions.Embassy": None,
    "petitions.Accreditation": None,
    "prisoners.Prisoner": "campaigns",
    "prisoners.CriminalCase": "defendants__campaigns",
    "prisoners.Defendant": "case__defendants__campaigns",
    "prisoners.CaseEvent": "case__defendants__campaigns",
    "prisoners.DetentionFacility": None,
    "prisoners.CodeArticle": None,
}
# Rows shown inline under a shared parent that belong to one side of the sharing: a campaign's
# link to a prisoner is that campaign's, a defendant row is its prisoner's campaigns'. Changing or
# deleting such a row needs editor rights on every campaign reached this way.
ROW_PATHS = {"campaign.CampaignPrisoner": "campaign", "prisoners.Defendant": "prisoner__campaigns"}
# Shared data that editors may add to and change (they need them to build a campaign).
EDITABLE_SHARED = {"campaign.Organisation", "prisoners.DetentionFacility", "prisoners.CodeArticle"}


def roles(user):
    """{campaign_id: role} for an organiser; cached on the user object for the request."""
    if not (user.is_active and user.is_staff):
        return {}
    if not hasattr(user, "_campaign_roles"):
        user._campaign_roles = dict(Membership.objects.filter(user=user).values_list("campaign_id", "role"))
    return user._campaign_roles


def campaign_ids(user, editor=False):
    return {pk for pk, role in roles(user).items() if role == EDITOR or not editor}


def scoped(queryset, user, editor=False):
    """The part of `queryset` this user may see (or, with editor=True, change)."""
    if user.is_active and user.is_superuser:
        return queryset
    path = CAMPAIGN_PATHS[queryset.model._meta.label]
    if path is None:
        return queryset if roles(user) else queryset.none()
    ids = campaign_ids(user, editor)
    lookup = Q(pk__in=ids) if path == "" else Q(**{f"{path}__in": ids})
    if _one_campaign_each(queryset.model, path):
        # Foreign keys all the way: no row is listed twice, so a plain filter does. The subquery
        # below joined the table to itself -- a signature list's every query read all 100,000
        # signatures twice, to show 100 of them.
        return queryset.filter(lookup)
    # A subquery rather than .distinct(): admin's delete action refuses distinct querysets.
    return queryset.filter(pk__in=queryset.model._default_manager.filter(lookup).values("pk"))


def _one_campaign_each(model, path):
    """Whether `path` leads each row to at most one campaign (a signature's petition's), not to
    several (a prisoner's campaigns)."""
    for name in filter(None, path.split("__")):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return False
        model = field.related_model
    return True


def colleagues(user):
    """The users who share a campaign with this organiser, themselves included."""
    return Membership.objects.filter(campaign__in=list(roles(user))).values("user")


def colleagues_seeing_more(user):
    """The ids of this organiser's colleagues who may see what they may not: members of another
    campaign too, and superusers."""
    together = colleagues(user)
    elsewhere = Membership.objects.filter(user__in=together).exclude(campaign__in=list(roles(user)))
    superusers = get_user_model().objects.filter(pk__in=together, is_superuser=True)
    return set(elsewhere.values_list("user", flat=True)) | set(superusers.values_list("pk", flat=True))


class HistoryPaginator(Paginator):
    """A history's pages, each entry's change message left out where its author could see more than
    the reader: "Added campaign prisoner 'Prisoner A in Campaign B'" names another campaign -- a
    draft's title perhaps -- and what it features."""

    def __init__(self, *args, hide_messages_of=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.hide_messages_of = hide_messages_of

    def page(self, number):
        page = super().page(number)
        page.object_list = list(page.object_list)
        for entry in page.object_list:
            if entry.user_id in self.hide_messages_of:
                entry.change_message = ""
        return page


def _per_request(user, key, answer):
    """answer(), computed once per user object -- a request's -- as roles() is. The admin asks the
    same question many times on one page (each inline's permissions for the parent, each row's
    campaigns for its change and its delete box): a change page with 14 rows made 88 queries."""
    cache = getattr(user, "_permission_answers", None)
    if cache is None:
        cache = user._permission_answers = {}
    if key not in cache:
        cache[key] = answer()
    return cache[key]


def can_view(user, obj):
    return _per_request(user, ("view", obj._meta.label, obj.pk), lambda: scoped(
        type(obj)._default_manager.filter(pk=obj.pk), user).exists())


def can_change(user, obj):
    if user.is_active and user.is_superuser:
        return True
    label = obj._meta.label
    if CAMPAIGN_PATHS[label] is None:
        return label in EDITABLE_SHARED and bool(campaign_ids(user, editor=True))
    return _per_request(user, ("change", label, obj.pk), lambda: scoped(
        type(obj)._default_manager.filter(pk=obj.pk), user, editor=True).exists())


def _linked_campaigns(obj, path, user):
    def linked():
        ids = type(obj)._default_manager.filter(pk=obj.pk).values_list(path or "pk", flat=True)
        return {pk for pk in ids if pk is not None}

    return _per_request(user, ("campaigns", obj._meta.label, obj.pk, path), linked)


def answer_for_rows(user, rows):
    """What can_change_row and can_delete_row will ask of each of these rows (an inline's), asked of
    them all at once: one or two queries, not two or three a row (a campaign with 40 organisers and
    40 prisoners made 120). The answers are those the questions asked one at a time would get."""
    if not rows or (user.is_active and user.is_superuser):
        return
    model, pks = type(rows[0]), [row.pk for row in rows]
    label, queryset = model._meta.label, model._default_manager.filter(pk__in=pks)
    path = ROW_PATHS.get(label, CAMPAIGN_PATHS[label])
    if not path:
        return  # nothing to ask of the row itself (shared data, or the campaign: can_delete says no)
    linked = {pk: set() for pk in pks}
    for pk, campaign_id in queryset.values_list("pk", path):
        if campaign_id is not None:
            linked[pk].add(campaign_id)
    for pk, campaigns in linked.items():
        _per_request(user, ("campaigns", label, pk, path), lambda campaigns=campaigns: campaigns)
    if label not in ROW_PATHS:  # can_delete_row is can_delete: may the row be changed at all
        changeable = set(scoped(queryset, user, editor=True).values_list("pk", flat=True))
        for pk in pks:
            _per_request(user, ("change", label, pk), lambda pk=pk: pk in changeable)


def can_delete(user, obj):
    if user.is_active and user.is_superuser:
        return True
    path = CAMPAIGN_PATHS[obj._meta.label]
    if not path:
        return False  # shared reference data, or a campaign itself: superusers only
    return can_change(user, obj) and _linked_campaigns(obj, path, user) <= campaign_ids(user, editor=True)


def can_change_row(user, row):
    """Whether an inline row may be changed, the parent's rules allowing (the inline checks them)."""
    if user.is_active and user.is_superuser:
        return True
    path = ROW_PATHS.get(row._meta.label)
    return path is None or _linked_campaigns(row, path, user) <= campaign_ids(user, editor=True)


def can_delete_row(user, row):
    if row._meta.label in ROW_PATHS:
        return can_change_row(user, row)
    return can_delete(user, row)


def can_delete_any(user, model):
    if user.is_active and user.is_superuser:
        return True
    return bool(CAMPAIGN_PATHS[model._meta.label]) and can_change_any(user, model)


def can_change_any(user, model):
    if user.is_active and user.is_superuser:
        return True
    label = model._meta.label
    if label == "campaign.Campaign":
        return False  # creating a campaign is for superusers; editors change their own
    if CAMPAIGN_PATHS[label] is None:
        return label in EDITABLE_SHARED and bool(campaign_ids(user, editor=True))
    return bool(campaign_ids(user, editor=True))


class CampaignScopedAdmin(admin.ModelAdmin):
    """Admin whose querysets, object pages, forms, actions and permissions follow the rules above.

    Django's model permissions are not used for organisers: membership alone decides.
    """

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def has_module_permission(self, request):
        return request.user.is_superuser or bool(roles(request.user))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if obj is None:
            return bool(roles(request.user))
        return can_view(request.user, obj)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return can_change_any(request.user, self.model)
        return can_change(request.user, obj)

    def has_add_permission(self, request):
        if self.model is Campaign:
            return request.user.is_superuser
        return can_change_any(request.user, self.model)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return can_delete_any(request.user, self.model)
        return can_delete(request.user, obj)

    def get_object(self, request, object_id, from_field=None):
        # Another campaign's object must look exactly like one that does not exist: 404 -- not
        # 403, and not the admin's "perhaps it was deleted?" redirect -- for every view and method.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None or request.user.is_superuser:
            return form

        class KeepsCurrentChoices(form):
            # As an inline row does (CampaignScopedFormSet): a case event about a co-defendant of
            # another campaign showed no prisoner, and saving it unchanged cleared the prisoner.
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                _keep_current_choices(self)

        KeepsCurrentChoices.__name__ = form.__name__
        return KeepsCurrentChoices

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # The history view has no hook of its own for its entries, but pages them through here.
        if queryset.model is LogEntry and not request.user.is_superuser:
            queryset = queryset.filter(Q(user=request.user) | Q(user__in=colleagues(request.user)))
            return HistoryPaginator(queryset, per_page, orphans, allow_empty_first_page,
                                    hide_messages_of=colleagues_seeing_more(request.user) - {request.user.pk})
        return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _limit_choices(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _limit_choices(field, db_field, request)


def _limit_choices(field, db_field, request):
    """Choices of campaign-scoped relations: only what the user may change (or see, if shared)."""
    if field is None or not hasattr(field, "queryset"):
        return field
    label = db_field.related_model._meta.label
    if label in CAMPAIGN_PATHS:
        field.queryset = scoped(field.queryset, request.user, editor=CAMPAIGN_PATHS[label] is not None)
    return field


class CampaignScopedFormSet(BaseInlineFormSet):
    """The rows of a shared parent, each under its own rules.

    A row the user may not change (another campaign's link to this prisoner, a co-defendant whose
    prisoner another campaign also features) is shown read-only: its fields are disabled, so the
    organiser sees at once what is not theirs, and Django ignores whatever a forged request sends
    for them -- nothing to reject after the fact, and no message that could name anything. A row
    that may be changed but not deleted (a case event of a case another campaign shares) keeps
    its fields and loses its delete box the same way.

    A row's current choices stay valid and shown even where the user could not pick them now (a
    co-defendant in another campaign or in none): the choices offered for a change, or in a new row,
    are still only what the user may change.
    """

    user = None  # set by CampaignScopedInline.get_formset for the request

    @cached_property
    def forms(self):
        if self.user is not None:
            answer_for_rows(self.user, list(self.get_queryset()))
        return super().forms

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk is None or self.user is None:
            return form
        _keep_current_choices(form)
        _show_current_choices(form)
        if not can_change_row(self.user, form.instance):
            # Not the row's id or its parent: a browser does not send a disabled field, and
            # without them the row could not be told apart from a new one.
            keys = {form.instance._meta.pk.name, self.fk.name}
            for name, field in form.fields.items():
                field.disabled = field.disabled or name not in keys
        elif "DELETE" in form.fields and not can_delete_row(self.user, form.instance):
            form.fields["DELETE"].disabled = True
        return form

    def clean(self):
        super().clean()
        # A row's constraints that involve the parent (a prisoner once per campaign, an organiser
        # once per campaign): Django leaves the parent out of an inline row's validation, and checks
        # such a constraint only among the rows posted together. A row already saved meanwhile (a
        # colleague's, a second tab's, or this page's own posted again as a new one) was a database
        # error, a 500; it is the row's error, as a duplicate within the page is.
        for form in self.forms:
            if (not form.has_changed() or not hasattr(form, "cleaned_data") or form.errors
                    or (self.can_delete and self._should_delete_form(form))):
                continue
            try:
                form.instance.validate_constraints(exclude=form._get_validation_exclusions() - {self.fk.name})
            except ValidationError as e:
                form._update_errors(e)


def _keep_current_choices(form):
    for name, field in form.fields.items():
        if not isinstance(field, ModelChoiceField) or name not in form.initial or name == form.instance._meta.pk.name:
            continue
        value = form.initial[name]
        current = [getattr(v, "pk", v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        current = [pk for pk in current if pk is not None]
        if current:
            field.queryset = field.queryset | field.queryset.model._default_manager.filter(pk__in=current)


def _show_current_choices(form):
    """A saved row's autocomplete fields are shown with the objects read with the row (the inline's
    select_related and prefetch_related; model_to_dict lists a many-to-many field's objects) rather
    than a query each (ShowsCurrentChoices)."""
    instance = form.instance
    for name, field in form.fields.items():
        widget = getattr(field.widget, "widget", field.widget)  # inside the admin's "add another" wrapper
        if not isinstance(widget, ShowsCurrentChoices) or name not in form.initial:
            continue
        model_field = instance._meta.get_field(name)
        if model_field.many_to_many:
            widget.current = [obj for obj in form.initial[name] if isinstance(obj, Model)]
        elif model_field.is_cached(instance) and getattr(instance, name) is not None:
            widget.current = [getattr(instance, name)]


class CampaignScopedInline(AutocompleteGuard):
    """Inline mixin: the parent object's rules apply to its rows, and each row's own on top
    (CampaignScopedFormSet)."""

    formset = CampaignScopedFormSet
    # On the inline whose rows make a new parent one of the organiser's (a prisoner's campaigns, a
    # case's defendants): the message shown when an organiser adds the parent with no row filled.
    # Without one, what they add would be invisible to them once saved (a 404 after "Save").
    required_row_message = None

    def get_min_num(self, request, obj=None, **kwargs):
        if self.required_row_message and obj is None and not request.user.is_superuser:
            return 1
        return super().get_min_num(request, obj, **kwargs)

    def get_formset(self, request, obj=None, **kwargs):
        if self.required_row_message:
            kwargs.setdefault("validate_min", True)
        formset = super().get_formset(request, obj, **kwargs)
        formset.user = request.user  # a class made for this request by inlineformset_factory
        if self.required_row_message:
            formset.default_error_messages = {"too_few_forms": self.required_row_message}
        return formset

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or (obj is None and bool(roles(request.user))) or (
            obj is not None and can_view(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return can_change_any(request.user, self.parent_model)
        return can_change(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return _limit_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return _limit_choices(super().formfield_for_manytomany(db_field, request, **kwargs), db_field, request)
