"""Pages: sites, infrastructure directory, prevalence and reach."""

urlpatterns: list = []
