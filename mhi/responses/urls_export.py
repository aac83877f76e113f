"""Pages: export and the library of past positions."""

urlpatterns: list = []
