"""Old addresses of campaigns, prisoners and criminal cases keep working after their slug changes.

Their pages (/<lang>/campaigns/<slug>/, /<lang>/prisoners/<slug>/, /<lang>/cases/<slug>/) are shared
on social media, linked from the emails already sent to supporters and listed in sitemaps, and an
organiser may change the slug at any time (to correct a prisoner's transliterated name, say). So:

- `KeepsFormerSlugs.save` remembers the slug it replaces as a `FormerSlug` of the object;
- the detail view, when no object it may show has the slug (and only then: a page found by its
  current slug never reads the table), calls `redirect_to_current`, which answers a former slug
  with a 301 to the object's current address, in the language of the request and with its query
  string, or raises the same Http404 as for any unknown slug.

A slug is the current slug of at most one object of a kind, or the former slug of at most one,
never both: an object given a slug another object (or it itself) once had takes the address over,
and the former slug is forgotten. Chains need no hops: every former slug names the object, not the
slug that followed it, so a -> b -> c sends both a and b to c's page.

Petitions are not here: a petition's slug cannot change once it is open or signed.
"""

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import router, transaction
from django.db.models import Exists
from django.http import Http404, HttpResponsePermanentRedirect
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.encoding import iri_to_uri

# How long a browser or a cache may keep a redirect. A 301 without it is kept by browsers for good,
# and the old slug may yet go to another object (which then takes the address over) or the object
# back to a draft: a day bounds how long anyone is still sent the old way.
REDIRECT_MAX_AGE = 24 * 60 * 60


class KeepsFormerSlugs:
    """For a model with a unique `slug` in its public address and a `former_slugs` GenericRelation
    to campaign.FormerSlug (which deletes them with the object).

    Why `save()` and not a pre_save receiver: both run for every `Model.save()` -- the admin's form,
    the shell, a management command, the demo loader -- and neither for `QuerySet.update(slug=...)`
    or `bulk_update()` (nothing here changes a slug so; if something did, the view still lets a
    current slug win over a former one). But only here do reading the stored slug (locked), writing
    the row and recording the slug it replaced happen in one transaction, in that order: a save that
    fails (another object has the new slug) records nothing, and of two organisers changing one
    slug at once the second records the slug the first saved, not the one both forms showed. A
    pre_save receiver records before the row is written, in the shell outside any transaction; and
    the class line says what the model does, where a receiver must be remembered and connected.
    """

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "slug" not in update_fields:
            return super().save(*args, **kwargs)  # e.g. the demo filling in translations: no query more
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            before = None
            if self.pk is not None:
                # Locked until the end of the transaction (Postgres; SQLite has one writer anyway).
                before = (type(self)._base_manager.using(using).select_for_update()
                          .filter(pk=self.pk).values_list("slug", flat=True).first())
            super().save(*args, **kwargs)
            if before != self.slug:
                _slug_changed(self, before, using)


def _slug_changed(obj, before, using):
    FormerSlug = apps.get_model("campaign", "FormerSlug")
    kind = ContentType.objects.db_manager(using).get_for_model(obj)
    # The new slug is now this object's address, whoever had it before (another object, or this one
    # before it was changed: b -> a gives a back, without a loop or a duplicate).
    FormerSlug.objects.using(using).filter(content_type=kind, slug=obj.slug).delete()
    if before:
        # update_or_create, not create: only a slug changed past save() (QuerySet.update) could
        # already be a former one; it is this object's now.
        FormerSlug.objects.using(using).update_or_create(
            content_type=kind, slug=before, defaults={"object_id": obj.pk, "created_at": timezone.now()}
        )


def redirect_to_current(request, visible, slug, may_see=None, address=None):
    """The 301 from a former `slug` to the current address of the object of `visible` (the detail
    view's queryset of what this request may see) that had it; Http404 where there is none.

    `may_see(obj)`: the view's own further check, if it makes one after the lookup. No object that
    the view would not show is redirected to, so an old address tells nothing its page would not;
    nor is one where any object of the kind, shown or not, has the slug as its current one.
    `address(obj)`: another of the object's addresses than its page (a campaign's feed).
    """
    model = visible.model
    target = (
        visible.filter(former_slugs__slug=slug)
        .filter(~Exists(model._base_manager.filter(slug=slug)))
        .order_by()
        .first()
    )
    if target is None or (may_see is not None and not may_see(target)):
        raise Http404
    # Reversed in the request's language: /uk/... stays /uk/...
    location = address(target) if address else target.get_absolute_url()
    query = request.META.get("QUERY_STRING", "")
    if query:
        location = f"{location}?{iri_to_uri(query)}"
    response = HttpResponsePermanentRedirect(location)
    patch_cache_control(response, max_age=REDIRECT_MAX_AGE)
    return response
