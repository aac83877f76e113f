"""The /api/v1 operations of mhi.studies: one router per area, combined here."""

from ninja import Router

from mhi.studies import api_feasibility, api_placement, api_recruitment, api_sites, api_studies

router = Router()
router.add_router("", api_sites.router)
router.add_router("", api_studies.router)
router.add_router("", api_feasibility.router)
router.add_router("", api_placement.router)
router.add_router("", api_recruitment.router)
