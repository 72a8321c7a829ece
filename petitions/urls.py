from django.urls import path

from . import views

app_name = "petitions"

urlpatterns = [
    path("petitions/<slug:slug>/", views.petition_detail, name="detail"),
    path("petitions/<slug:slug>/check-your-email/", views.check_email, name="check-email"),
    path("petitions/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("petitions/<slug:slug>/fresh-link/<str:token>/", views.resend, name="resend"),
    path("petitions/<slug:slug>/thank-you/", views.thanks, name="thanks"),
    path("petitions/<slug:slug>/withdraw/<str:token>/", views.withdraw, name="withdraw"),
    path("petitions/<slug:slug>/signatories/", views.signatories, name="signatories"),
    path("petitions/<slug:slug>/widget/", views.widget, name="widget"),
    path("petitions/<slug:slug>/deliveries/", views.deliveries, name="deliveries"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
