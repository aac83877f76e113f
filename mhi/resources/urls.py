from django.urls import path

from mhi.resources import views

app_name = "resources"

urlpatterns = [
    # The public catalogue: search, a resource's page, the map, the calendar and its events, the open-data feed.
    path("", views.resource_list, name="list"),
    path("map/", views.resource_map, name="map"),
    path("<int:pk>/", views.resource_detail, name="detail"),
    path("<int:pk>/calendar/", views.resource_calendar, name="calendar"),
    path("<int:pk>/calendar/events/", views.calendar_events, name="events"),
    path("opendata/<slug:slug>.csv", views.opendata, name="opendata"),
    # Booking, the waitlist, iCal.
    path("<int:pk>/book/", views.booking_create, name="book"),
    path("<int:pk>/waitlist/", views.waitlist_join, name="waitlist_join"),
    path("waitlist/<int:entry_id>/withdraw/", views.waitlist_withdraw, name="waitlist_withdraw"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:booking_id>/booking.ics", views.booking_ics, name="booking_ics"),
    path("bookings/<int:booking_id>/approve/", views.booking_approve, name="booking_approve"),
    path("bookings/<int:booking_id>/decline/", views.booking_decline, name="booking_decline"),
    path("requests/", views.booking_requests, name="requests"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
    # Managing a resource.
    path("new/", views.resource_create, name="create"),
    path("<int:pk>/manage/", views.resource_manage, name="manage"),
    path("<int:pk>/manage/rules/", views.resource_rules, name="rules"),
    path("<int:pk>/manage/rates/", views.resource_rates, name="rates"),
    path("<int:pk>/manage/closures/", views.resource_closures, name="closures"),
    path("<int:pk>/manage/closures/<int:closure_id>/remove/", views.closure_remove, name="closure_remove"),
    # Import and export of a catalogue.
    path("import/", views.resource_import, name="import"),
    path("export/", views.resource_export, name="export"),
    # The induction passport and training.
    path("passport/", views.passport, name="passport"),
    path("<int:pk>/inductions/new/", views.induction_record, name="induction_record"),
    path("equivalences/", views.equivalences, name="equivalences"),
    path("<int:pk>/training/", views.training_request, name="training_request"),
    path("training-requests/", views.training_requests, name="training_requests"),
    path("training-requests/<int:request_id>/respond/", views.training_respond, name="training_respond"),
    # Reports.
    path("reports/", views.report_page, name="reports"),
    path("reports/<slug:report>.csv", views.report_csv, name="report_csv"),
]
