"""Pages: workspace, questions, import."""

urlpatterns: list = []
