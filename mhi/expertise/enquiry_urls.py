"""Enquiry pages under /enquiries/: the public form and thank-you page, and the coordinators' triage."""

from django.urls import path

from mhi.expertise import enquiry_views as views

app_name = "enquiries"

urlpatterns = [
    path("", views.enquiry_list, name="list"),
    path("new/", views.enquiry_new, name="new"),
    path("thanks/<str:token>/", views.enquiry_thanks, name="thanks"),
    path("<int:enquiry_id>/", views.enquiry_detail, name="detail"),
    path("<int:enquiry_id>/route/", views.enquiry_route, name="route"),
    path("<int:enquiry_id>/status/", views.enquiry_status, name="status"),
]
