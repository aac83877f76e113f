"""Pages: sign-off, the trail, publishing, and the public pages of published responses."""

from django.urls import path

from mhi.responses import views_signoff

urlpatterns = [
    path("<int:pk>/sign-off/", views_signoff.signoff_page, name="signoff"),
    path("<int:pk>/final/", views_signoff.mark_final, name="mark_final"),
    path("<int:pk>/reopen/", views_signoff.reopen, name="reopen"),
    path("<int:pk>/publish/", views_signoff.publish, name="publish"),
    path("<int:pk>/unpublish/", views_signoff.unpublish, name="unpublish"),
    path("<int:pk>/unlock/", views_signoff.unlock, name="unlock"),
    path("<int:pk>/trail/", views_signoff.trail_page, name="trail"),
    path("published/", views_signoff.published_list, name="published"),
    path("published/<int:pk>/", views_signoff.public_page, name="public"),
]
