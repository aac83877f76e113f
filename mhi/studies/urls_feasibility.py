"""Pages: feasibility loop."""

urlpatterns: list = []
