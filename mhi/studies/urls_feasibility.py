"""Pages: feasibility loop (sending a request, the site's inbox and questionnaire, comparison, closing)."""

from django.urls import path

from mhi.studies import views_feasibility as views

urlpatterns: list = [
    path("<int:pk>/feasibility/new/", views.feasibility_create, name="feasibility_create"),
    path("feasibility/inbox/", views.invites, name="invites"),
    path("feasibility/invites/<int:pk>/", views.invite, name="invite"),
    path("feasibility/<int:pk>/", views.feasibility_detail, name="feasibility"),
    path("feasibility/<int:pk>/comparison.csv", views.feasibility_csv, name="feasibility_csv"),
    path("feasibility/<int:pk>/close/", views.feasibility_close, name="feasibility_close"),
]
