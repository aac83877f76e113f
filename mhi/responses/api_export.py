"""API: export and the library of past positions."""

from ninja import Router

router = Router(tags=["responses"])
