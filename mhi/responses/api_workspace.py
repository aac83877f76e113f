"""API: the response workspace: responses, their signatories and their questions (add, import, edit, move,
delete).

Everything needs signing in (401 otherwise). A response is listed and read by those who take part in it
(coordinators, its coordinator, the contributors of its signatory institutions, the owners of its questions); for
anyone else it does not exist (404). Starting a response is for MHI coordinators; changing one is for its managers
(its coordinator and MHI coordinators): others who see it get 403. A locked, published or withdrawn response
refuses every change (422, with the reason). An import is all or nothing: a file with any problem is refused (422)
with every problem, by line, paragraph or row, in `fields.file`.
"""

import datetime

from django.http import Http404
from ninja import Field, File, Form, Query, Schema, UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError, ImportFailed
from mhi.opportunities.models import Opportunity
from mhi.responses import access, question_import, workspace
from mhi.responses.api_router import router
from mhi.responses.models import Question, Response

# Multipart parts that may be left out (made once: a call in an argument default would be made once anyway).
OPTIONAL_FILE = File(None, description="A .docx or .csv file")
OPTIONAL_TEXT = Form(None, description="The questions, one a line or numbered")


class SignatoryOut(Schema):
    organisation: str = Field(description="The institution's slug")
    name: str


class QuestionOut(Schema):
    id: int
    response_id: int
    number: int
    text: str
    word_limit: int | None
    guidance: str
    owner: str | None = Field(description="The owner's email address")
    answered: bool
    answer_version: int
    words: int = Field(description="Words in the current consolidated answer")
    over_limit: bool


class ResponseOut(Schema):
    id: int
    title: str
    kind: str
    status: str
    opportunity: int | None
    deadline: datetime.date | None
    coordinator: str | None = Field(description="The coordinator's email address")
    revision: int
    signatories: list[SignatoryOut]


class ResponseDetailOut(ResponseOut):
    introduction: str
    questions: list[QuestionOut]
    manage: bool = Field(description="Whether you may change the response")


class ResponseIn(Schema):
    title: str = Field("", description="Default for a consultation: “Response to” and its title")
    kind: str | None = Field(None, description="consultation or position; default: consultation with an opportunity")
    opportunity: int | None = Field(None, description="The consultation (an opportunity of kind consultation)")
    introduction: str = ""
    deadline: datetime.date | None = Field(None, description="Default: the consultation's closing date")
    coordinator: str | None = Field(None, description="Email address; default: you")
    signatories: list[str] = Field(default_factory=list, description="Slugs of partner institutions (universities)")


class ResponseUpdateIn(Schema):
    title: str | None = None
    introduction: str | None = None
    deadline: datetime.date | None = None
    coordinator: str | None = Field(None, description="Email address")
    signatories: list[str] | None = Field(None, description="Slugs; the list replaces the signatories")


class QuestionIn(Schema):
    text: str
    word_limit: int | None = Field(None, description="A whole number of at least 1, or null for no limit")
    guidance: str = ""
    owner: str | None = Field(None, description="Email address of a contributor")


class QuestionUpdateIn(Schema):
    text: str | None = None
    word_limit: int | None = None
    guidance: str | None = None
    owner: str | None = Field(None, description="Email address of a contributor; null for nobody")
    number: int | None = Field(None, description="Move the question to this position (1..n)")


class DeletedOut(Schema):
    id: int
    deleted: bool


class ResponseFiltersIn(Schema):
    status: str | None = Field(None, description="drafting, sign_off, locked, published or withdrawn")


def _question_out(row: workspace.QuestionRow) -> dict:
    q = row.question
    return {
        "id": q.pk,
        "response_id": q.response_id,
        "number": q.number,
        "text": q.text,
        "word_limit": q.word_limit,
        "guidance": q.guidance,
        "owner": q.owner.email if q.owner_id else None,
        "answered": row.answered,
        "answer_version": q.answer_version,
        "words": row.words,
        "over_limit": row.over_limit,
    }


def _response_out(response: Response) -> dict:
    return {
        "id": response.pk,
        "title": response.title,
        "kind": response.kind,
        "status": response.status,
        "opportunity": response.opportunity_id,
        "deadline": response.deadline,
        "coordinator": response.coordinator.email if response.coordinator_id else None,
        "revision": response.revision,
        "signatories": [
            {"organisation": s.organisation.slug, "name": s.organisation.name}
            for s in response.signatories.select_related("organisation")
        ],
    }


def _detail(request, response: Response) -> dict:
    response.refresh_from_db()
    return {
        **_response_out(response),
        "introduction": response.introduction,
        "questions": [_question_out(r) for r in workspace.question_rows(response)],
        "manage": access.response_permissions(user=request.user, response=response).manage,
    }


def _response(request, response_id: int) -> Response:
    return access.response_for(user=request.user, pk=response_id)


def _question(request, question_id: int) -> Question:
    question = Question.objects.filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question.")
    question.response = _response(request, question.response_id)
    return question


def _import_failed(failed: ImportFailed):
    return HttpStatus(422, error_body(422, "invalid", failed.message, {"file": [str(p) for p in failed.problems]}))


@router.get("/responses", response=list[ResponseOut], auth=REQUIRED_AUTH, summary="The responses you take part in")
@paginate(LimitOffsetPagination)
def responses_list(request, filters: Query[ResponseFiltersIn]):
    responses = access.responses_visible_to(user=request.user).prefetch_related("signatories__organisation")
    if filters.status:
        responses = responses.filter(status=filters.status)
    return [_response_out(r) for r in responses]


@router.post("/responses", response={201: ResponseDetailOut}, auth=REQUIRED_AUTH, summary="Start a joint response")
def response_create(request, payload: ResponseIn):
    """Coordinators only. From a consultation its title and closing date are the defaults."""
    opportunity = None
    if payload.opportunity is not None:
        opportunity = Opportunity.objects.filter(pk=payload.opportunity).first()
        if opportunity is None:
            raise DomainError(f"There is no opportunity {payload.opportunity}.", field="opportunity")
    response = workspace.response_create(
        user=request.user,
        title=payload.title,
        kind=payload.kind,
        opportunity=opportunity,
        introduction=payload.introduction,
        deadline=payload.deadline,
        coordinator=payload.coordinator,
        signatories=payload.signatories,
    )
    return HttpStatus(201, _detail(request, response))


@router.get("/responses/{int:response_id}", response=ResponseDetailOut, auth=REQUIRED_AUTH, summary="One response")
def response_read(request, response_id: int):
    return _detail(request, _response(request, response_id))


@router.put("/responses/{int:response_id}", response=ResponseDetailOut, auth=REQUIRED_AUTH, summary="Change a response")
def response_change(request, response_id: int, payload: ResponseUpdateIn):
    """Only the fields sent change; `signatories` replaces the list."""
    response = _response(request, response_id)
    fields = payload.dict(exclude_unset=True)
    if fields.get("signatories") is None:
        fields.pop("signatories", None)
    workspace.response_update(user=request.user, response=response, **fields)
    return _detail(request, response)


@router.get(
    "/responses/{int:response_id}/questions",
    response=list[QuestionOut],
    auth=REQUIRED_AUTH,
    summary="A response's questions, in order",
)
def questions_list(request, response_id: int):
    return [_question_out(r) for r in workspace.question_rows(_response(request, response_id))]


@router.post(
    "/responses/{int:response_id}/questions",
    response={201: QuestionOut},
    auth=REQUIRED_AUTH,
    summary="Add a question at the end",
)
def question_add(request, response_id: int, payload: QuestionIn):
    response = _response(request, response_id)
    question = workspace.question_add(
        user=request.user,
        response=response,
        text=payload.text,
        word_limit=payload.word_limit,
        guidance=payload.guidance,
        owner=payload.owner or None,
    )
    row = next(r for r in workspace.question_rows(response) if r.question.pk == question.pk)
    return HttpStatus(201, _question_out(row))


@router.post(
    "/responses/{int:response_id}/questions/import",
    response={201: list[QuestionOut], 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Add questions from a Word (.docx) or CSV file, or from pasted text",
)
def questions_import(
    request,
    response_id: int,
    file: UploadedFile | None = OPTIONAL_FILE,
    text: str | None = OPTIONAL_TEXT,
):
    """Multipart: `file` (.docx or .csv, up to 5 MB) or `text` (one question a line, or numbered). All or nothing; the questions are added after the existing ones."""
    response = _response(request, response_id)
    if file is None and not (text or "").strip():
        raise DomainError("Send a .docx or .csv `file`, or the questions as `text`.", field="file")
    try:
        if file is not None:
            if file.size and file.size > question_import.MAX_UPLOAD_BYTES:
                content = b"\0" * (question_import.MAX_UPLOAD_BYTES + 1)  # refused by size, without reading it
            else:
                content = file.read()
            created = workspace.questions_import(
                user=request.user, response=response, content=content, filename=file.name or "upload"
            )
        else:
            created = workspace.questions_import(user=request.user, response=response, text=text)
    except ImportFailed as failed:
        return _import_failed(failed)
    ids = {q.pk for q in created}
    return HttpStatus(201, [_question_out(r) for r in workspace.question_rows(response) if r.question.pk in ids])


@router.put(
    "/response-questions/{int:question_id}",
    response=QuestionOut,
    auth=REQUIRED_AUTH,
    summary="Change or move a question",
)
def question_change(request, question_id: int, payload: QuestionUpdateIn):
    """Only the fields sent change. `number` moves the question (the others keep their order)."""
    question = _question(request, question_id)
    fields = payload.dict(exclude_unset=True)
    number = fields.pop("number", None)
    if fields:
        workspace.question_update(user=request.user, question=question, **fields)
    if number is not None:
        workspace.question_move(user=request.user, question=question, to=number)
    rows = workspace.question_rows(question.response)
    return _question_out(next(r for r in rows if r.question.pk == question.pk))


@router.delete(
    "/response-questions/{int:question_id}",
    response=DeletedOut,
    auth=REQUIRED_AUTH,
    summary="Delete a question that has no answer",
)
def question_delete(request, question_id: int):
    question = _question(request, question_id)
    workspace.question_delete(user=request.user, question=question)
    return {"id": question_id, "deleted": True}
