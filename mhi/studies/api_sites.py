"""API: sites, infrastructure directory, prevalence and reach."""

from ninja import Router

router = Router(tags=["studies"])
