from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, re_path

from petitions import api
from prisoners import views as prisoner_views

from . import health, sitemaps, views
from .news import CampaignNews

campaign_patterns = (
    [
        path("", views.home, name="home"),
        path("campaigns/<slug:slug>/", views.campaign_detail, name="detail"),
        path("campaigns/<slug:slug>/news.atom", CampaignNews(), name="news"),
        path("privacy/", views.privacy, name="privacy"),
    ],
    "campaign",
)

# Public pages: /en/..., /uk/..., /ru/..., /fr/...; "/" redirects by the browser's language.
# First, and the petitions first among them: Django tries the patterns in order for every request,
# and the sign and confirm POSTs of a surge are petition pages. No two of these patterns overlap
# (each of these starts with a language code, none of those below does), so the order changes
# nothing else.
urlpatterns = i18n_patterns(
    path("", include("petitions.urls")),
    path("", include("prisoners.urls")),
    path("", include(campaign_patterns)),
)

# Outside the language prefixes: the public JSON (read all through a surge), robots.txt and the
# sitemap, health checks, the admin and the language switch.
urlpatterns += [
    # Uploaded photos, served by the view that knows who may see them (DEBUG or not).
    path(f"{settings.MEDIA_URL.strip('/')}/prisoners/<str:name>", prisoner_views.photo, name="prisoner-photo"),
    path("api/petitions/", api.petition_list, name="api-petitions"),
    path("api/petitions/<slug:slug>/", api.petition_detail, name="api-petition"),
    # The same without the trailing slash, and anything else where the slug goes, answered by the
    # JSON views (a 404 "No such petition" with the CORS header): neither the slash redirect nor the
    # site's HTML 404 carries that header, and a campaign site's fetch() of them fails with nothing
    # but a CORS error.
    re_path(r"^api/petitions$", api.petition_list),
    re_path(r"^api/petitions/(?P<slug>[^/]+)/?$", api.petition_detail),
    path("robots.txt", sitemaps.robots_txt, name="robots-txt"),
    path("sitemap.xml", sitemaps.sitemap, name="sitemap"),
    path("healthz", health.live, name="health-live"),
    path("readyz", health.ready, name="health-ready"),
    path("healthz/jobs", health.jobs, name="health-jobs"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "campaign.errors.bad_request"
handler404 = "campaign.errors.page_not_found"
# Never touches the database: a 503 "back in a moment" while Postgres is down, else a plain 500.
handler500 = "campaign.errors.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
