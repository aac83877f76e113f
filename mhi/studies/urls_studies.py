"""Pages: studies and ClinicalTrials.gov import."""

from django.urls import path

from mhi.studies import views_studies as views

urlpatterns: list = [
    path("", views.study_list, name="list"),
    path("new/", views.study_create, name="create"),
    path("import/", views.study_import, name="import"),
    path("<int:pk>/", views.study_detail, name="detail"),
    path("<int:pk>/edit/", views.study_edit, name="edit"),
    path("<int:pk>/sites/", views.study_sites_manage, name="sites_manage"),
]
