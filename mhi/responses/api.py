"""The /api/v1 operations of mhi.responses: every area registers on the one router of api_router (see there
why), imported here so that all of them are registered."""

from mhi.responses import api_drafting, api_export, api_signoff, api_workspace  # noqa: F401
from mhi.responses.api_router import router

__all__ = ["router"]
