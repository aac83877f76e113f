"""Pages: sites, infrastructure directory, prevalence and reach."""

from django.urls import path

from mhi.studies import views_sites

urlpatterns: list = [
    path("sites/", views_sites.site_list, name="sites"),
    path("sites/<slug:slug>/", views_sites.site_detail, name="site"),
    path("sites/<slug:slug>/edit/", views_sites.site_edit, name="site_edit"),
    path("infrastructure/", views_sites.infrastructure, name="infrastructure"),
    path("prevalence/", views_sites.prevalence_table, name="prevalence"),
    path("prevalence/upload/", views_sites.prevalence_upload, name="prevalence_upload"),
    path("<int:pk>/reach/", views_sites.study_reach, name="reach"),
]
