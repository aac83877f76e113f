"""The response's trail and revision counter, shared by every area of mhi.responses."""

from django.db.models import F

from mhi.responses.models import Response, ResponseEvent


def event_record(*, response: Response, kind: str, actor, summary: str, **detail) -> ResponseEvent:
    """Add a line to the response's trail (kind: a short code such as "answer_saved", "approval_voided")."""
    return ResponseEvent.objects.create(response=response, kind=kind, actor=actor, summary=summary[:500], detail=detail)


def revision_bump(*, response: Response) -> int:
    """Raise the response's revision by one, in the database, and return the new value (call inside the
    transaction that makes the edit)."""
    Response.objects.filter(pk=response.pk).update(revision=F("revision") + 1)
    response.revision = Response.objects.values_list("revision", flat=True).get(pk=response.pk)
    return response.revision
