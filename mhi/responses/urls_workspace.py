"""Pages: workspace, questions, import."""

from django.urls import path

from mhi.responses import views_workspace

urlpatterns = [
    path("", views_workspace.response_list, name="list"),
    path("new/", views_workspace.response_create, name="create"),
    path("<int:pk>/", views_workspace.response_detail, name="detail"),
    path("<int:pk>/edit/", views_workspace.response_edit, name="edit"),
    path("<int:pk>/questions/", views_workspace.response_questions, name="questions"),
]
