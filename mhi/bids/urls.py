"""Bid pages, mounted at /bids/. Internal selection rounds' pages are in selection_urls.py, under this
namespace too."""

from django.urls import include, path

from mhi.bids import views

app_name = "bids"

urlpatterns = [
    path("", views.bid_list, name="list"),
    path("board/", views.bid_board, name="board"),
    path("mine/", views.bid_mine, name="mine"),
    path("new/", views.bid_create, name="create"),
    path("export/", views.bid_export, name="export"),
    path("pipeline/", views.bid_pipeline, name="pipeline"),
    path("success-rates/", views.bid_success, name="success"),
    path("awarded/", views.bid_awarded, name="awarded"),
    path("opportunities/<int:opportunity_id>/caps/", views.bid_caps, name="caps"),
    path("<int:pk>/", views.bid_detail, name="detail"),
    path("<int:pk>/edit/", views.bid_edit, name="edit"),
    path("<int:pk>/stage/", views.bid_transition, name="transition"),
    path("<int:pk>/team/", views.bid_team, name="team"),
    path("<int:pk>/team/<int:member_id>/remove/", views.bid_member_remove, name="member_remove"),
    path("<int:pk>/partners/", views.bid_partners, name="partners"),
    path("<int:pk>/partners/<int:partner_id>/remove/", views.bid_partner_remove, name="partner_remove"),
    path("<int:pk>/documents/", views.bid_documents, name="documents"),
    path("<int:pk>/documents/<int:document_id>/", views.bid_document, name="document"),
    path("<int:pk>/documents/<int:document_id>/delete/", views.bid_document_delete, name="document_delete"),
    path("<int:pk>/comments/", views.bid_comments, name="comments"),
    path("<int:pk>/statement/", views.bid_statement, name="statement"),
    path("", include("mhi.bids.selection_urls")),
]
