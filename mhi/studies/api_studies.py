"""API: studies and ClinicalTrials.gov import."""

from ninja import Router

router = Router(tags=["studies"])
