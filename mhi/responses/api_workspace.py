"""API: workspace, questions, import."""

from ninja import Router

router = Router(tags=["responses"])
