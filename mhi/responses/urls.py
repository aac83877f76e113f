"""URLs of mhi.responses: one module per area, one namespace."""

from mhi.responses import urls_drafting, urls_export, urls_signoff, urls_workspace

app_name = "responses"

urlpatterns = [
    *urls_workspace.urlpatterns,
    *urls_drafting.urlpatterns,
    *urls_signoff.urlpatterns,
    *urls_export.urlpatterns,
]
