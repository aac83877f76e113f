"""Pages: site placement."""

from django.urls import path

from mhi.studies import views_placement

urlpatterns: list = [
    path("<int:pk>/placement/", views_placement.placement_page, name="placement"),
    path("placement/<int:pk>/", views_placement.placement_run, name="placement_run"),
]
