from django.urls import path

from mhi.directory import views

app_name = "directory"

urlpatterns = [
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("organisations/<slug:slug>/history/", views.organisation_history, name="organisation_history"),
    path("people/", views.people, name="people"),
    path("people/<slug:slug>/", views.person, name="person"),
    path("people/<slug:slug>/edit/", views.person_edit, name="person_edit"),
    path("partnership/", views.partnership, name="partnership"),
    path("map/", views.map_view, name="map"),
]
