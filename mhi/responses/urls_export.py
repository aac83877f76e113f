"""Pages: export and the library of past positions."""

from django.urls import path

from mhi.responses import views_export

urlpatterns = [
    path("<int:pk>/export.docx", views_export.export_docx, name="export_docx"),
    path("<int:pk>/export.pdf", views_export.export_pdf, name="export_pdf"),
    path("questions/<int:pk>/answer.<str:fmt>", views_export.answer_text, name="answer_text"),
    path("library/", views_export.library_page, name="library"),
    path("questions/<int:pk>/reuse/<int:version_id>/", views_export.reuse, name="reuse"),
]
