"""Pages: contributions, answers, versions, comments."""

from django.urls import path

from mhi.responses import views_drafting

urlpatterns = [
    path("questions/<int:pk>/", views_drafting.question_page, name="question"),
    path("questions/<int:pk>/diff/", views_drafting.answer_diff, name="answer_diff"),
    path("contributions/<int:pk>/edit/", views_drafting.contribution_edit, name="contribution_edit"),
    path("contributions/<int:pk>/diff/", views_drafting.contribution_diff, name="contribution_diff"),
]
