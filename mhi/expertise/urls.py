from django.urls import path

from mhi.expertise import views

app_name = "expertise"

urlpatterns = [
    path("", views.find, name="find"),
    path("export.csv", views.export_csv, name="export"),
    path("people/<slug:slug>/", views.person, name="person"),
]
