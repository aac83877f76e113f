"""Pages: recruitment tracking."""

urlpatterns: list = []
