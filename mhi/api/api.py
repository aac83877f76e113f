"""The NinjaAPI instance: /api/v1/..., OpenAPI at /api/openapi.json, interactive docs at /api/docs."""

from ninja import NinjaAPI

from mhi.api.errors import install_error_handlers

api = NinjaAPI(
    title="MHI Hub API",
    version="1.0.0",
    description=(
        "The MHI Hub directory and account operations. Authenticate with a personal token "
        "(`Authorization: Bearer mhi_...`, created at /accounts/tokens/) or a signed-in session. "
        'Every error has the shape `{"error": {"status", "code", "message", "fields"}}`.'
    ),
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api-1.0.0",
)
install_error_handlers(api)


def _mount_routers() -> None:
    from mhi.accounts.api import router as accounts_router
    from mhi.bids.api import router as bids_router
    from mhi.bids.selection_api import router as selection_router
    from mhi.directory.api import router as directory_router
    from mhi.expertise.api import router as expertise_router
    from mhi.expertise.enquiry_api import router as enquiries_router
    from mhi.opportunities.api import router as opportunities_router
    from mhi.opportunities.feeds_api import router as feeds_router
    from mhi.resources.api import router as resources_router
    from mhi.responses.api import router as responses_router
    from mhi.studies.api import router as studies_router

    api.add_router("/v1/", directory_router)
    api.add_router("/v1/", expertise_router)
    api.add_router("/v1/", enquiries_router)
    api.add_router("/v1/", opportunities_router)
    api.add_router("/v1/", feeds_router)
    api.add_router("/v1/", accounts_router)
    api.add_router("/v1/", resources_router)
    api.add_router("/v1/", bids_router)
    api.add_router("/v1/", selection_router)
    api.add_router("/v1/", studies_router)
    api.add_router("/v1/", responses_router)


_mount_routers()
