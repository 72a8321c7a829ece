from django.urls import path

from . import views

app_name = "petitions"

urlpatterns = [
    path("petitions/<slug:slug>/", views.petition_detail, name="detail"),
]
