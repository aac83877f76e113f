from django.urls import path

from mhi.opportunities import team_views, views

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
    # Matching: people for an opportunity, opportunities for you, saved searches, digests, expressions of interest.
    path("<int:pk>/people/", views.opportunity_people, name="people"),
    path("for-you/", views.opportunities_for_you, name="for_you"),
    path("searches/", views.saved_search_list, name="searches"),
    path("searches/new/", views.saved_search_create, name="search_create"),
    path("searches/<int:pk>/", views.saved_search_edit, name="search"),
    path("searches/<int:pk>/delete/", views.saved_search_delete, name="search_delete"),
    path("digest/", views.digest_settings, name="digest"),
    path("digest/unsubscribe/<str:token>/", views.digest_unsubscribe, name="unsubscribe"),
    path("<int:pk>/interest/", views.interest_express, name="interest"),
    path("<int:pk>/interest/withdraw/", views.interest_withdraw, name="interest_withdraw"),
    path("interests/", views.interest_list, name="interests"),
    # The team builder: for an opportunity or a call's pasted text; a kept team is where a bid starts.
    path("<int:pk>/team/", team_views.team_builder, name="team"),
    path("team/", team_views.team_builder_for_text, name="team_for_text"),
    path("team/keep/", team_views.team_keep, name="team_keep"),
    path("teams/<int:pk>/", team_views.team_proposal_detail, name="team_proposal"),
]
