"""Internal selection round pages, included by mhi/bids/urls.py under the `bids` namespace (so no app_name)."""

from django.urls import path

from mhi.bids import selection_views

urlpatterns = [
    path("rounds/", selection_views.round_list, name="rounds"),
    path("rounds/new/", selection_views.round_create, name="round_create"),
    path("rounds/<int:pk>/", selection_views.round_detail, name="round"),
    path("rounds/<int:pk>/reviewers/", selection_views.round_reviewers, name="round_reviewers"),
    path("rounds/<int:pk>/entries/<int:entry_id>/review/", selection_views.review, name="review"),
    path("rounds/<int:pk>/decide/", selection_views.round_decide, name="round_decide"),
]
