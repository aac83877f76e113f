"""URLs of mhi.studies: one module per area, one namespace."""

from mhi.studies import urls_feasibility, urls_placement, urls_recruitment, urls_sites, urls_studies

app_name = "studies"

urlpatterns = [
    *urls_sites.urlpatterns,
    *urls_studies.urlpatterns,
    *urls_feasibility.urlpatterns,
    *urls_placement.urlpatterns,
    *urls_recruitment.urlpatterns,
]
