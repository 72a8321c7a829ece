"""The site's URLconf plus a view that fails, to see what visitors get when something breaks."""

from django.urls import path

from campaign.urls import handler500
from campaign.urls import urlpatterns as site_urlpatterns


def broken(request):
    return 1 / 0


urlpatterns = [path("broken/", broken), *site_urlpatterns]
__all__ = ["handler500", "urlpatterns"]
