"""API: exports of a response and the library of past positions.

Exports are for whoever may open the response's workspace, and for everyone once it is published. A DOCX or PDF
export states its revision and SHA-256 in the document and in the `X-MHI-Revision` and `X-MHI-SHA256` headers.
The library is for signed-in callers; reusing a past answer follows the rules of saving an answer (the
`base_version` you read, a 409 with `current` and `submitted` when someone saved first).
"""

from django.http import Http404
from ninja import Query, Schema
from ninja.responses import Status as HttpStatus

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import Conflict
from mhi.responses import access, export, library
from mhi.responses.api_router import router
from mhi.responses.models import Question
from mhi.responses.views_export import export_download


class AnswerTextOut(Schema):
    question_id: int
    number: int
    format: str
    text: str
    revision: int


class LibraryHitOut(Schema):
    version_id: int
    question_id: int
    question_number: int
    question: str
    text: str
    response_id: int
    response_title: str
    response_status: str
    similarity: float | None
    snippet: str


class ReuseIn(Schema):
    base_version: int


class ReusedOut(Schema):
    question_id: int
    number: int
    text: str
    note: str
    reused_from: int | None


@router.get("/responses/{response_id}/export", auth=OPTIONAL_AUTH, summary="Export a response as DOCX or PDF")
def response_export(request, response_id: int, format: str = Query("pdf", pattern="^(docx|pdf)$")):
    """The whole response with its cover page; DRAFT on every page until every partner has signed it off."""
    return export_download(request, access.exportable_response(user=request.user, pk=response_id), format)


@router.get(
    "/response-questions/{int:question_id}/answer",
    response=AnswerTextOut,
    auth=OPTIONAL_AUTH,
    summary="One answer as Markdown or plain text",
)
def answer_text(request, question_id: int, format: str = Query("md", pattern="^(md|txt)$")):
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question.")
    response = access.exportable_response(user=request.user, pk=question.response_id)
    text = export.answer_markdown(question) if format == "md" else export.answer_plain(question)
    return {
        "question_id": question.pk,
        "number": question.number,
        "format": format,
        "text": text,
        "revision": response.revision,
    }


@router.get("/responses/library", response=list[LibraryHitOut], auth=REQUIRED_AUTH, summary="Search past positions")
def library_search(request, q: str = Query("", max_length=500)):
    hits = library.library_search(user=request.user, q=q)
    return [
        {
            "version_id": h.version.pk,
            "question_id": h.version.question_id,
            "question_number": h.version.question.number,
            "question": h.version.question.text,
            "text": h.version.text,
            "response_id": h.response.pk,
            "response_title": h.response.title,
            "response_status": h.response.status,
            "similarity": h.similarity,
            "snippet": h.snippet,
        }
        for h in hits
    ]


@router.post(
    "/response-questions/{question_id}/reuse/{version_id}",
    response={201: ReusedOut, 409: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Reuse a past answer as this question's answer",
)
def answer_reuse(request, question_id: int, version_id: int, payload: ReuseIn):
    """`version_id` is a past answer from the library; `base_version` the question's answer version you read."""
    question = Question.objects.filter(pk=question_id).select_related("response").first()
    if question is None or not access.response_permissions(user=request.user, response=question.response).view:
        raise Http404("No such question.")
    try:
        version = library.answer_reuse(
            user=request.user, question=question, version_id=version_id, base_version=payload.base_version
        )
    except Conflict as conflict:
        current = getattr(conflict, "current", None)
        fields = {
            "current": {"number": current.number, "text": current.text} if current is not None else None,
            "submitted": getattr(conflict, "submitted", None),
        }
        return HttpStatus(409, error_body(409, "conflict", conflict.message, fields))
    return HttpStatus(
        201,
        {
            "question_id": question.pk,
            "number": version.number,
            "text": version.text,
            "note": version.note,
            "reused_from": version.reused_from_id,
        },
    )
