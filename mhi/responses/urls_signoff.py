"""Pages: sign-off, notifications, publishing."""

urlpatterns: list = []
