from django.urls import path

from mhi.opportunities import views

app_name = "opportunities"

urlpatterns = [
    path("", views.opportunity_list, name="list"),
    path("new/", views.opportunity_create, name="create"),
    path("import/", views.opportunity_import, name="import"),
    path("<int:pk>/", views.opportunity_detail, name="detail"),
    path("<int:pk>/edit/", views.opportunity_edit, name="edit"),
    path("<int:pk>/delete/", views.opportunity_delete, name="delete"),
    path("feeds/", views.feed_list, name="feeds"),
    path("feeds/new/", views.feed_create, name="feed_create"),
    path("feeds/<int:pk>/", views.feed_detail, name="feed"),
    path("feeds/<int:pk>/fetch/", views.feed_fetch_now, name="feed_fetch"),
    path("feeds/<int:pk>/delete/", views.feed_delete, name="feed_delete"),
]
