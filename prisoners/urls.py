from django.urls import path

from . import views

app_name = "prisoners"

urlpatterns = [
    path("prisoners/<slug:slug>/", views.prisoner_detail, name="prisoner"),
    path("cases/<slug:slug>/", views.case_detail, name="case"),
]
