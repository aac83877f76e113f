from django.urls import path

from mhi.expertise import evidence_views, views

app_name = "expertise"

urlpatterns = [
    path("", views.find, name="find"),
    path("export.csv", views.export_csv, name="export"),
    path("people/<slug:slug>/", views.person, name="person"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("imports/", views.imports, name="imports"),
    path("imports/<int:job_id>/", views.import_job, name="import_job"),
    path("review/", views.review, name="review"),
    path("works/", evidence_views.works, name="works"),
    path("impact/", evidence_views.impact_cases, name="impact_cases"),
    path("impact/<int:pk>/", evidence_views.impact_case, name="impact_case"),
]
