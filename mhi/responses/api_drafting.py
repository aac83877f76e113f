"""API: contributions, answers, versions, comments."""

from ninja import Router

router = Router(tags=["responses"])
