"""Pages: contributions, answers, versions, comments."""

urlpatterns: list = []
