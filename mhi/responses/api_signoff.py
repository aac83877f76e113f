"""API: sign-off, the trail and publishing of joint responses, and the published responses (public).

A response the caller may not see does not exist for them (404). Its viewers read the sign-off state and the
trail; its managers mark it final, reopen, publish, unpublish and unlock it (others who see it: 403); an
institution lead of a signatory decides for it, naming the revision they read: a decision on an older revision is
a 409 ("The draft changed since you opened it (r5 → r6); read it again"). Published responses are public.
"""

import datetime

from django.db.models import prefetch_related_objects
from ninja import Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import ErrorOut
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.models import Organisation
from mhi.responses import access, signoff
from mhi.responses.api_router import router
from mhi.responses.models import Approval, Response


class DecisionOut(Schema):
    id: int
    organisation: str
    organisation_name: str
    decision: str
    comment: str
    revision: int
    decided_by: str | None
    decided_at: datetime.datetime
    voided_at: datetime.datetime | None
    voided_by: str | None
    void_reason: str


class PartnerOut(Schema):
    organisation: str
    organisation_name: str
    state: str
    leads: int
    standing: DecisionOut | None
    voided: list[DecisionOut]


class SignoffOut(Schema):
    response_id: int
    status: str
    revision: int
    final_revision: int | None
    locked_at: datetime.datetime | None
    published_at: datetime.datetime | None
    partners: list[PartnerOut]
    may_decide_for: list[str]


class DecisionIn(Schema):
    organisation: str
    decision: str
    comment: str = ""
    revision: int


class UnlockIn(Schema):
    reason: str


class EventOut(Schema):
    id: int
    kind: str
    at: datetime.datetime
    actor: str | None
    summary: str
    detail: dict


class SignerOut(Schema):
    institution: str
    signed_by: str
    signed_on: datetime.date | None


class PublishedQuestionOut(Schema):
    number: int
    text: str
    word_limit: int | None
    answer: str


class PublishedSummaryOut(Schema):
    id: int
    title: str
    kind: str
    consultation: str
    published_at: datetime.datetime
    signatories: list[str]


class PublishedOut(Schema):
    id: int
    title: str
    kind: str
    consultation: str
    date: datetime.date
    published_at: datetime.datetime
    revision: int
    sha256: str
    introduction: str
    signers: list[SignerOut]
    questions: list[PublishedQuestionOut]


def _who(user) -> str | None:
    return signoff.person(user) if user is not None else None


def _decision(approval: Approval) -> dict:
    return {
        "id": approval.pk,
        "organisation": approval.organisation.slug,
        "organisation_name": approval.organisation.name,
        "decision": approval.decision,
        "comment": approval.comment,
        "revision": approval.revision,
        "decided_by": _who(approval.decided_by),
        "decided_at": approval.decided_at,
        "voided_at": approval.voided_at,
        "voided_by": _who(approval.voided_by),
        "void_reason": approval.void_reason,
    }


def _signoff(request, response: Response) -> dict:
    perms = access.response_permissions(user=request.user, response=response)
    states = signoff.signoff_state(response)
    return {
        "response_id": response.pk,
        "status": response.status,
        "revision": response.revision,
        "final_revision": response.final_revision,
        "locked_at": response.locked_at,
        "published_at": response.published_at,
        "partners": [
            {
                "organisation": s.organisation.slug,
                "organisation_name": s.organisation.name,
                "state": s.state,
                "leads": len(s.leads),
                "standing": _decision(s.standing) if s.standing else None,
                "voided": [_decision(a) for a in s.voided],
            }
            for s in states
        ],
        "may_decide_for": sorted(s.organisation.slug for s in states if s.organisation.pk in perms.sign_for),
    }


def _managed(request, response_id: int) -> Response:
    response = access.response_for(user=request.user, pk=response_id)
    if not access.response_permissions(user=request.user, response=response).manage:
        raise PermissionDenied("Only the response's coordinator may do this.")
    return response


@router.get(
    "/responses/{response_id}/signoff",
    response=SignoffOut,
    auth=REQUIRED_AUTH,
    summary="Each partner's sign-off state",
)
def signoff_get(request, response_id: int):
    """Each signatory institution: its standing decision (who, when, at which revision, comment) and its voided
    ones with the reason."""
    return _signoff(request, access.response_for(user=request.user, pk=response_id))


@router.post(
    "/responses/{response_id}/final",
    response={200: SignoffOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Mark the draft final and ask for sign-off",
)
def final_mark(request, response_id: int):
    """Refused (422) with the reasons while a question has no answer or is over its word limit, or when no
    partner institution is expected to sign."""
    response = _managed(request, response_id)
    signoff.mark_final(user=request.user, response=response)
    return _signoff(request, response)


@router.post(
    "/responses/{response_id}/decisions",
    response={201: DecisionOut, 409: ErrorOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Approve or request changes for a signatory institution",
)
def decision_create(request, response_id: int, payload: DecisionIn):
    """`organisation` is the signatory's slug, `decision` approved or changes_requested (a comment is required
    then), `revision` the response revision you read. The last approval needed locks the response."""
    response = access.response_for(user=request.user, pk=response_id)
    organisation = Organisation.objects.filter(slug=payload.organisation).first()
    if organisation is None:
        raise DomainError(f"No organisation “{payload.organisation}”.", field="organisation")
    approval = signoff.decide(
        user=request.user,
        response=response,
        organisation=organisation,
        decision=payload.decision,
        comment=payload.comment,
        revision=payload.revision,
    )
    prefetch_related_objects([approval], "organisation", "decided_by")
    return HttpStatus(201, _decision(approval))


@router.post(
    "/responses/{response_id}/reopen",
    response={200: SignoffOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Take a response in sign-off back to drafting",
)
def reopen(request, response_id: int):
    response = _managed(request, response_id)
    signoff.reopen(user=request.user, response=response)
    return _signoff(request, response)


@router.post(
    "/responses/{response_id}/publish",
    response={200: SignoffOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Publish a locked response",
)
def publish(request, response_id: int):
    response = _managed(request, response_id)
    signoff.publish(user=request.user, response=response)
    return _signoff(request, response)


@router.post(
    "/responses/{response_id}/unpublish",
    response={200: SignoffOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Take a published response off its public page",
)
def unpublish(request, response_id: int):
    response = _managed(request, response_id)
    signoff.unpublish(user=request.user, response=response)
    return _signoff(request, response)


@router.post(
    "/responses/{response_id}/unlock",
    response={200: SignoffOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Unlock a locked response, with a reason",
)
def unlock(request, response_id: int, payload: UnlockIn):
    """Voids every approval and takes the response back to drafting; the reason is kept in the trail."""
    response = _managed(request, response_id)
    signoff.unlock(user=request.user, response=response, reason=payload.reason)
    return _signoff(request, response)


@router.get(
    "/responses/{response_id}/trail", response=list[EventOut], auth=REQUIRED_AUTH, summary="The response's trail"
)
@paginate(LimitOffsetPagination)
def trail(request, response_id: int):
    response = access.response_for(user=request.user, pk=response_id)
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "at": e.at,
            "actor": _who(e.actor),
            "summary": e.summary,
            "detail": e.detail,
        }
        for e in response.events.select_related("actor").order_by("at", "id")
    ]


@router.get(
    "/responses/published",
    response=list[PublishedSummaryOut],
    auth=OPTIONAL_AUTH,
    summary="Published responses (public)",
)
@paginate(LimitOffsetPagination)
def published_list(request):
    responses = access.responses_published().select_related("opportunity").prefetch_related("signatories__organisation")
    return [
        {
            "id": r.pk,
            "title": r.title,
            "kind": r.kind,
            "consultation": r.opportunity.title if r.opportunity_id else "",
            "published_at": r.published_at,
            "signatories": [s.organisation.name for s in r.signatories.all()],
        }
        for r in responses
    ]


@router.get(
    "/responses/published/{response_id}",
    response=PublishedOut,
    auth=OPTIONAL_AUTH,
    summary="One published response (public)",
)
def published_get(request, response_id: int):
    from mhi.responses.export import export_data

    response = access.published_response(pk=response_id)
    data = export_data(response)
    return {
        "id": response.pk,
        "title": data.title,
        "kind": response.kind,
        "consultation": data.consultation,
        "date": data.date,
        "published_at": response.published_at,
        "revision": data.revision,
        "sha256": data.sha256,
        "introduction": data.introduction,
        "signers": [
            {"institution": s.institution, "signed_by": s.signed_by, "signed_on": s.signed_on} for s in data.signers
        ],
        "questions": [
            {"number": q.number, "text": q.text, "word_limit": q.word_limit, "answer": q.answer} for q in data.questions
        ],
    }
