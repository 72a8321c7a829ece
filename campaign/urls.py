from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views

campaign_patterns = (
    [
        path("", views.home, name="home"),
        path("campaigns/<slug:slug>/", views.campaign_detail, name="detail"),
    ],
    "campaign",
)

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("", include(campaign_patterns)),
    path("", include("prisoners.urls")),
    path("", include("petitions.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
