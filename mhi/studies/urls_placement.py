"""Pages: site placement."""

urlpatterns: list = []
