"""URL configuration: pages per app, allauth under /accounts/, the API under /api/, admin for coordinators."""

from django.urls import include, path

from mhi.api.api import api
from mhi.core import views as core_views
from mhi.core.admin_site import admin_site

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("directory/", include("mhi.directory.urls")),
    path("expertise/", include("mhi.expertise.urls")),
    path("enquiries/", include("mhi.expertise.enquiry_urls")),
    path("opportunities/", include("mhi.opportunities.urls")),
    path("bids/", include("mhi.bids.urls")),
    path("resources/", include("mhi.resources.urls")),
    path("studies/", include("mhi.studies.urls")),
    path("responses/", include("mhi.responses.urls")),
    path("accounts/", include("mhi.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/", api.urls),
    path("admin/", admin_site.urls),
]

handler400 = "mhi.core.views.bad_request"
handler403 = "mhi.core.views.permission_denied"
handler404 = "mhi.core.views.page_not_found"
handler500 = "mhi.core.views.server_error"
