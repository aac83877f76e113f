"""Pages: recruitment tracking."""

from django.urls import path

from mhi.studies import views_recruitment

urlpatterns: list = [
    path("<int:pk>/recruitment/", views_recruitment.recruitment_page, name="recruitment"),
    path("<int:pk>/recruitment/upload/", views_recruitment.recruitment_upload, name="recruitment_upload"),
    path("<int:pk>/recruitment.csv", views_recruitment.recruitment_csv, name="recruitment_csv"),
]
