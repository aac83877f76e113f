"""API: sign-off, notifications, publishing."""

from ninja import Router

router = Router(tags=["responses"])
