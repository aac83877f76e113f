"""API: drafting a joint response: a question with its consolidated answer, its versions and their diffs, the
partners' contributions and the threaded comments.

Everything needs signing in (401 otherwise). A question of a response you may not see does not exist for you
(404). The consolidated answer is saved by the question's owner and the response's managers; contributions are
added by the contributors of a signatory institution (for their own institution; managers for any), and edited by
their author, their institution's contributors and managers; comments by anyone who sees the draft. Others who see
it get 403, as does everyone once the response is locked, published or withdrawn.

Saving names the version you started from (`base_version`). If someone else saved first, nothing is written and
the answer is 409: `error.fields` holds `current` (the text now), `submitted` (yours), `current_version`,
`submitted_version`, and the message under `text`. Save again with `base_version` = `current_version`. Saving the
text that is already there writes nothing (`created` false).
"""

import datetime

from django.http import Http404
from ninja import Field, Query, Schema
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError
from mhi.directory.models import Organisation
from mhi.responses import access, drafting
from mhi.responses.api_router import router
from mhi.responses.models import Comment, Contribution, Question

FROM_VERSION = Query(None, alias="from", description="Default: the version before `to`")
TO_VERSION = Query(None, alias="to", description="Default: the current version")


class VersionSummaryOut(Schema):
    number: int
    author: str | None = Field(description="The author's email address")
    created_at: datetime.datetime
    note: str
    words: int
    response_revision: int
    reused_from: int | None = Field(description="The id of the past answer version this text was taken from")


class VersionOut(VersionSummaryOut):
    question_id: int
    text: str
    created: bool = Field(True, description="False when a save changed nothing (the current version is returned)")


class ContributionOut(Schema):
    id: int
    question_id: int
    organisation: str = Field(description="The partner institution's slug")
    organisation_name: str
    kind: str = Field(description="evidence or draft")
    text: str
    version: int
    author: str | None = Field(description="The first author's email address")
    created_at: datetime.datetime
    updated_at: datetime.datetime
    may_edit: bool
    created: bool = Field(True, description="False when a save changed nothing")


class CommentOut(Schema):
    id: int
    parent: int | None
    depth: int = Field(description="0 for a comment, 1 for a reply, 2 for a reply to a reply...")
    author: str | None = Field(description="The author's email address")
    text: str
    created_at: datetime.datetime


class QuestionDraftOut(Schema):
    id: int
    response_id: int
    number: int
    text: str
    guidance: str
    word_limit: int | None
    owner: str | None = Field(description="The owner's email address")
    answer: str
    answer_version: int
    words: int = Field(description="Words in the consolidated answer, as a reader counts them")
    over_limit: bool
    may_edit: bool = Field(description="Whether you may save the consolidated answer")
    may_contribute: bool = Field(description="Whether you may add contributions and comments")
    versions: list[VersionSummaryOut] = Field(description="Newest first")
    contributions: list[ContributionOut] = Field(description="By partner institution, oldest first in each")
    comments: list[CommentOut] = Field(description="In reading order: each comment followed by its replies")


class DiffSegmentOut(Schema):
    op: str = Field(description="equal, delete or insert")
    text: str


class DiffOut(Schema):
    question_id: int
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    inserted_words: int
    removed_words: int
    segments: list[DiffSegmentOut]


class AnswerIn(Schema):
    text: str
    base_version: int = Field(description="The answer_version you started from (0 for a first answer)")
    note: str = Field("", description="A short note shown in the version list")


class ContributionIn(Schema):
    organisation: str = Field(description="Slug of the signatory institution you contribute for")
    kind: str = Field("draft", description="evidence or draft")
    text: str


class ContributionEditIn(Schema):
    text: str
    base_version: int = Field(description="The contribution's version you started from")


class CommentIn(Schema):
    text: str
    parent: int | None = Field(None, description="The comment this replies to (on the same question)")


# --- helpers ------------------------------------------------------------------------------------------------


def _email(user) -> str | None:
    return user.email if user is not None else None


def _question(request, question_id: int) -> tuple[Question, access.ResponsePermissions]:
    question = Question.objects.select_related("response", "owner").filter(pk=question_id).first()
    if question is None:
        raise Http404("No such question.")
    question.response = access.response_for(user=request.user, pk=question.response_id)
    return question, access.response_permissions(user=request.user, response=question.response)


def _contribution(request, contribution_id: int) -> tuple[Contribution, access.ResponsePermissions]:
    contribution = (
        Contribution.objects.select_related("question", "organisation", "author").filter(pk=contribution_id).first()
    )
    if contribution is None:
        raise Http404("No such contribution.")
    question, perms = _question(request, contribution.question_id)
    contribution.question = question
    return contribution, perms


def _version_summary(version) -> dict:
    return {
        "number": version.number,
        "author": _email(version.author),
        "created_at": version.created_at,
        "note": version.note,
        "words": drafting.word_count(version.text),
        "response_revision": version.response_revision,
        "reused_from": version.reused_from_id,
    }


def _version(version, *, created: bool = True) -> dict:
    return {**_version_summary(version), "question_id": version.question_id, "text": version.text, "created": created}


def _contribution_out(request, contribution, perms, *, created: bool = True) -> dict:
    return {
        "id": contribution.pk,
        "question_id": contribution.question_id,
        "organisation": contribution.organisation.slug,
        "organisation_name": contribution.organisation.name,
        "kind": contribution.kind,
        "text": contribution.text,
        "version": contribution.version,
        "author": _email(contribution.author),
        "created_at": contribution.created_at,
        "updated_at": contribution.updated_at,
        "may_edit": drafting.may_edit_contribution(user=request.user, contribution=contribution, perms=perms),
        "created": created,
    }


def _comment_out(comment, depth: int) -> dict:
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "depth": depth,
        "author": _email(comment.author),
        "text": comment.text,
        "created_at": comment.created_at,
    }


def _detail(request, question, perms) -> dict:
    count = drafting.count_against_limit(question.answer, question.word_limit)
    contributions = [
        _contribution_out(request, contribution, perms)
        for group in drafting.contributions_by_partner(question)
        for contribution in group.contributions
    ]
    return {
        "id": question.pk,
        "response_id": question.response_id,
        "number": question.number,
        "text": question.text,
        "guidance": question.guidance,
        "word_limit": question.word_limit,
        "owner": _email(question.owner),
        "answer": question.answer,
        "answer_version": question.answer_version,
        "words": count.words,
        "over_limit": count.over,
        "may_edit": question.pk in perms.edit_question_ids,
        "may_contribute": perms.contribute,
        "versions": [_version_summary(v) for v in drafting.versions_of(question)],
        "contributions": contributions,
        "comments": [_comment_out(item.comment, item.depth) for item in drafting.comment_thread(question)],
    }


def _conflict_body(conflict) -> dict:
    """As mhi.bids.api: the message under the field that differs, then both versions."""
    fields: dict = {"text": [conflict.message]}
    fields.update(
        {
            "current": {"text": conflict.current.text},
            "submitted": {"text": conflict.submitted},
            "current_version": conflict.current.number,
            "submitted_version": conflict.base_version,
        }
    )
    return error_body(409, "conflict", conflict.message, fields)


# --- operations ---------------------------------------------------------------------------------------------


@router.get(
    "/response-questions/{int:question_id}",
    response=QuestionDraftOut,
    auth=REQUIRED_AUTH,
    summary="A question of a response: its answer, versions, contributions and comments",
)
def question_detail(request, question_id: int):
    question, perms = _question(request, question_id)
    return _detail(request, question, perms)


@router.put(
    "/response-questions/{int:question_id}/answer",
    response={200: VersionOut, 409: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Save the consolidated answer (from the version you started from)",
    description=(
        "A `base_version` other than the question's current `answer_version` means someone else saved the answer "
        "since you read it: nothing is written, and the answer is 409 with `error.fields` holding `current` "
        "(`text` now), `submitted` (your `text`), `current_version` and `submitted_version`."
    ),
)
def answer_save_operation(request, question_id: int, payload: AnswerIn):
    question, _ = _question(request, question_id)
    try:
        version = drafting.answer_save(
            user=request.user,
            question=question,
            text=payload.text,
            base_version=payload.base_version,
            note=payload.note,
        )
    except drafting.AnswerConflict as conflict:
        return HttpStatus(409, _conflict_body(conflict))
    return _version(version, created=version.is_new) if version.pk else _empty_version(question)


def _empty_version(question) -> dict:
    """A save of an empty text on a question never answered: nothing was written."""
    return {
        "number": 0,
        "author": None,
        "created_at": datetime.datetime.now(tz=datetime.UTC),
        "note": "",
        "words": 0,
        "response_revision": question.response.revision,
        "reused_from": None,
        "question_id": question.pk,
        "text": "",
        "created": False,
    }


@router.get(
    "/response-questions/{int:question_id}/versions/{int:number}",
    response=VersionOut,
    auth=REQUIRED_AUTH,
    summary="One saved version of the consolidated answer",
)
def version_detail(request, question_id: int, number: int):
    question, _ = _question(request, question_id)
    if number < 1:
        raise Http404(f"Q{question.number} has no version {number}: versions are numbered from 1.")
    return _version(drafting.version_of(question, number))


@router.get(
    "/response-questions/{int:question_id}/diff",
    response=DiffOut,
    by_alias=True,
    auth=REQUIRED_AUTH,
    summary="The word diff between two versions of the answer (default: the previous and the current)",
    description="`from` and `to` are version numbers; 0 is the empty text before version 1.",
)
def answer_diff_operation(
    request, question_id: int, from_version: int | None = FROM_VERSION, to_version: int | None = TO_VERSION
):
    question, _ = _question(request, question_id)
    if question.answer_version == 0:
        raise Http404(f"Q{question.number} has no saved answer yet, so there is nothing to compare.")
    diff = drafting.answer_diff(question, from_version, to_version)
    summary = diff.summary
    return {
        "question_id": question.pk,
        "from": diff.old.number,
        "to": diff.new.number,
        "inserted_words": summary.inserted,
        "removed_words": summary.removed,
        "segments": [{"op": op, "text": text} for op, text in diff.segments],
    }


@router.post(
    "/response-questions/{int:question_id}/contributions",
    response={201: ContributionOut},
    auth=REQUIRED_AUTH,
    summary="Add your institution's evidence or draft text to a question",
)
def contribution_add_operation(request, question_id: int, payload: ContributionIn):
    question, perms = _question(request, question_id)
    organisation = Organisation.objects.filter(slug=payload.organisation).first()
    if organisation is None:
        raise DomainError(f"No institution has the slug “{payload.organisation}”.", field="organisation")
    contribution = drafting.contribution_add(
        user=request.user, question=question, organisation=organisation, kind=payload.kind, text=payload.text
    )
    contribution = Contribution.objects.select_related("organisation", "author").get(pk=contribution.pk)
    return HttpStatus(201, _contribution_out(request, contribution, perms))


@router.put(
    "/response-contributions/{int:contribution_id}",
    response={200: ContributionOut, 409: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Change a contribution's text (from the version you started from)",
    description=(
        "As the answer: a stale `base_version` is refused with 409, `error.fields` holding `current`, `submitted`, "
        "`current_version` and `submitted_version`."
    ),
)
def contribution_edit_operation(request, contribution_id: int, payload: ContributionEditIn):
    contribution, perms = _contribution(request, contribution_id)
    try:
        version = drafting.contribution_edit(
            user=request.user, contribution=contribution, text=payload.text, base_version=payload.base_version
        )
    except drafting.ContributionConflict as conflict:
        return HttpStatus(409, _conflict_body(conflict))
    contribution = Contribution.objects.select_related("organisation", "author").get(pk=contribution.pk)
    return _contribution_out(request, contribution, perms, created=version.is_new)


@router.post(
    "/response-questions/{int:question_id}/comments",
    response={201: CommentOut},
    auth=REQUIRED_AUTH,
    summary="Comment on a question, or reply to one of its comments",
)
def comment_add_operation(request, question_id: int, payload: CommentIn):
    question, _ = _question(request, question_id)
    parent = None
    if payload.parent is not None:
        parent = Comment.objects.select_related("author").filter(question=question, pk=payload.parent).first()
        if parent is None:
            raise DomainError("The comment you reply to is not on this question.", field="parent")
    comment = drafting.comment_add(user=request.user, question=question, text=payload.text, parent=parent)
    depth = 0
    ancestor = parent
    while ancestor is not None:
        depth += 1
        ancestor = ancestor.parent
    return HttpStatus(201, _comment_out(comment, depth))
