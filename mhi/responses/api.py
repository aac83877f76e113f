"""The /api/v1 operations of mhi.responses: one router per area, combined here."""

from ninja import Router

from mhi.responses import api_drafting, api_export, api_signoff, api_workspace

router = Router()
router.add_router("", api_workspace.router)
router.add_router("", api_drafting.router)
router.add_router("", api_signoff.router)
router.add_router("", api_export.router)
