"""API: the feasibility loop.

Everything needs signing in (401 otherwise). Sending a request, listing a study's requests, reading one with every
site's answers, closing it and the site suggestions are for those who manage the study (coordinators and its
owner): a study the caller cannot see is 404, one they see but do not manage 403. A site's users list their own
sites' invites and answer them; an invite of another site does not exist for them (404). Those who manage the
request read its invites but do not answer for a site (403).
"""

import datetime

from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.core.errors import PermissionDenied
from mhi.studies import access, feasibility
from mhi.studies.models import FeasibilityInvite, FeasibilityRequest

router = Router(tags=["studies"], auth=REQUIRED_AUTH)


# --- schemas ----------------------------------------------------------------------------------------------------


class ResponseOut(Schema):
    interest: str
    local_pi: str
    local_pi_email: str
    monthly_recruitment: int | None
    capacity: str
    capacity_note: str
    pharmacy: str
    imaging: str
    earliest_start: datetime.date | None
    comments: str
    answered_at: datetime.datetime
    updated_at: datetime.datetime


class InviteOut(Schema):
    id: int
    request: int
    study: int
    study_title: str
    site: int
    site_name: str
    site_ods_code: str | None
    status: str
    chosen: bool
    sent_at: datetime.datetime
    deadline: datetime.date
    request_status: str
    may_answer: bool = Field(description="Whether the caller may answer (or change the answers) now")
    reminders: list[int] = Field(description="Days before the deadline at which reminders were sent")
    response: ResponseOut | None


class RequestOut(Schema):
    id: int
    study: int
    deadline: datetime.date
    message: str
    status: str
    reminder_days: str
    created_at: datetime.datetime
    closed_at: datetime.datetime | None
    decision_note: str
    sites: int = Field(description="How many sites are invited")
    answered: int


class SiteReachOut(Schema):
    site: int
    eligible: int | None
    profile_capacity: int | None


class TotalsOut(Schema):
    answered: int
    interested: int
    possibly: int
    not_interested: int
    monthly_total: int = Field(description="Estimated monthly recruitment of the sites interested or possibly so")


class RequestDetailOut(RequestOut):
    invites: list[InviteOut]
    reach: list[SiteReachOut]
    totals: TotalsOut


class RequestCreateIn(Schema):
    site_ids: list[int]
    deadline: datetime.date
    message: str = ""
    reminder_days: str = Field("7,2", description="Whole days before the deadline, separated by commas")


class RequestCreatedOut(RequestDetailOut):
    unreachable: list[str] = Field(description="Sites with nobody to email (no site user, no R&D contact email)")


class CloseIn(Schema):
    site_ids: list[int] = Field(default_factory=list, description="Invited sites that answered yes or maybe")
    decision_note: str = ""


class ResponseIn(Schema):
    interest: str = Field(description="yes, maybe or no")
    local_pi: str = ""
    local_pi_email: str = ""
    monthly_recruitment: int | None = None
    capacity: str = Field("", description="yes, no, with_support, not_needed or empty")
    capacity_note: str = ""
    pharmacy: str = ""
    imaging: str = ""
    earliest_start: datetime.date | None = None
    comments: str = ""


class SuggestionOut(Schema):
    site: int
    site_name: str
    site_ods_code: str | None
    kind: str
    specialties: list[str]
    eligible: int | None
    capacity: int | None
    reasons: list[str]
    reason: str


# --- helpers ----------------------------------------------------------------------------------------------------


def _managed_study(request, study_id: int):
    study = access.study_for(user=request.user, pk=study_id)
    if not access.may_manage_study(request.user, study):
        raise PermissionDenied("Only coordinators and the study's owner manage its feasibility requests.")
    return study


def _managed_request(request, request_id: int) -> FeasibilityRequest:
    found = access.feasibility_request_for(user=request.user, pk=request_id)
    if not access.may_manage_study(request.user, found.study):
        raise PermissionDenied("Only coordinators and the study's owner manage its feasibility requests.")
    return found


def _invite(request, invite_id: int) -> FeasibilityInvite:
    found = access.invite_for(user=request.user, pk=invite_id)
    if not (
        access.may_answer_invite(request.user, found) or access.may_manage_study(request.user, found.request.study)
    ):
        raise Http404("No such feasibility invite.")
    return found


def _response_out(response) -> dict | None:
    if response is None:
        return None
    return {name: getattr(response, name) for name in ResponseOut.model_fields}


def _invite_out(invite: FeasibilityInvite, user) -> dict:
    request = invite.request
    return {
        "id": invite.pk,
        "request": request.pk,
        "study": request.study_id,
        "study_title": request.study.title,
        "site": invite.site_id,
        "site_name": invite.site.name,
        "site_ods_code": invite.site.ods_code,
        "status": invite.status,
        "chosen": invite.chosen,
        "sent_at": invite.sent_at,
        "deadline": request.deadline,
        "request_status": request.status,
        "may_answer": access.may_answer_invite(user, invite) and feasibility.answer_open(invite)[0],
        "reminders": sorted((r.days_before for r in invite.reminders.all()), reverse=True),
        "response": _response_out(feasibility.response_of(invite)),
    }


def _request_out(found: FeasibilityRequest) -> dict:
    invites = list(found.invites.all())
    return {
        "id": found.pk,
        "study": found.study_id,
        "deadline": found.deadline,
        "message": found.message,
        "status": found.status,
        "reminder_days": found.reminder_days,
        "created_at": found.created_at,
        "closed_at": found.closed_at,
        "decision_note": found.decision_note,
        "sites": len(invites),
        "answered": sum(1 for i in invites if i.status == "answered"),
    }


def _request_detail(found: FeasibilityRequest, user) -> dict:
    compared = feasibility.comparison(found)
    return {
        **_request_out(found),
        "invites": [_invite_out(row.invite, user) for row in compared.rows],
        "reach": [
            {"site": row.site.pk, "eligible": row.eligible, "profile_capacity": row.profile_capacity}
            for row in compared.rows
        ],
        "totals": {
            "answered": compared.answered,
            "interested": compared.interested,
            "possibly": compared.possibly,
            "not_interested": compared.not_interested,
            "monthly_total": compared.monthly_total,
        },
    }


# --- operations: the site's inbox (registered before /feasibility/{request_id}) ---------------------------------


@router.get(
    "/feasibility/invites", response=list[InviteOut], summary="The feasibility invites of the caller's own sites"
)
def invites_list(request):
    invites = feasibility.inbox_invites(user=request.user).prefetch_related("reminders")
    return [_invite_out(invite, request.user) for invite in invites]


@router.get("/feasibility/invites/{invite_id}", response=InviteOut, summary="One feasibility invite, with its answers")
def invite_get(request, invite_id: int):
    return _invite_out(_invite(request, invite_id), request.user)


@router.put(
    "/feasibility/invites/{invite_id}/response",
    response=InviteOut,
    summary="Answer (or change the answers to) a feasibility invite, as the invited site",
)
def invite_answer(request, invite_id: int, payload: ResponseIn):
    """Until the request is closed or its deadline has passed. A negative monthly recruitment is refused (422,
    naming `monthly_recruitment`), and nothing is saved."""
    found = _invite(request, invite_id)
    if not access.may_answer_invite(request.user, found):
        raise PermissionDenied(f"Only the users of {found.site.name} answer for it.")
    feasibility.feasibility_answer(user=request.user, invite=found, data=payload.model_dump(), source="api")
    return _invite_out(access.invite_for(user=request.user, pk=found.pk), request.user)


# --- operations: managing requests ------------------------------------------------------------------------------


@router.post(
    "/studies/{study_id}/feasibility",
    response={201: RequestCreatedOut},
    summary="Send a feasibility request for a study to sites",
)
def request_create(request, study_id: int, payload: RequestCreateIn):
    """One invite per site, in one transaction; each site's users (or its R&D contact) are emailed. The deadline
    must be in the future; at least one site; every site must be an NHS trust or research infrastructure."""
    study = _managed_study(request, study_id)
    result = feasibility.feasibility_request_create(
        user=request.user,
        study=study,
        site_ids=payload.site_ids,
        deadline=payload.deadline,
        message=payload.message,
        reminder_days=payload.reminder_days,
        source="api",
    )
    found = FeasibilityRequest.objects.select_related("study").get(pk=result.request.pk)
    return HttpStatus(
        201, {**_request_detail(found, request.user), "unreachable": [site.name for site in result.unreachable]}
    )


@router.get("/studies/{study_id}/feasibility", response=list[RequestOut], summary="A study's feasibility requests")
def requests_list(request, study_id: int):
    study = _managed_study(request, study_id)
    return [_request_out(found) for found in feasibility.requests_of(user=request.user, study=study)]


@router.get(
    "/studies/{study_id}/site-suggestions",
    response=list[SuggestionOut],
    summary="Sites suggested for a study: specialty match, reach, capacity; with the reasons",
)
def site_suggestions(request, study_id: int, limit: int = 20):
    study = _managed_study(request, study_id)
    return [
        {
            "site": s.site.pk,
            "site_name": s.site.name,
            "site_ods_code": s.site.ods_code,
            "kind": s.site.kind,
            "specialties": s.specialties,
            "eligible": s.eligible,
            "capacity": s.capacity,
            "reasons": s.reasons,
            "reason": s.reason,
        }
        for s in feasibility.suggest_sites(study=study, limit=max(1, min(limit, 200)))
    ]


@router.get(
    "/feasibility/{request_id}",
    response=RequestDetailOut,
    summary="A feasibility request with every invited site's answers, reach and totals",
)
def request_get(request, request_id: int):
    return _request_detail(_managed_request(request, request_id), request.user)


@router.post(
    "/feasibility/{request_id}/close",
    response=RequestDetailOut,
    summary="Close a feasibility request with the sites chosen (added to the study as selected sites)",
)
def request_close(request, request_id: int, payload: CloseIn):
    found = _managed_request(request, request_id)
    feasibility.feasibility_close(
        user=request.user, request=found, site_ids=payload.site_ids, decision_note=payload.decision_note, source="api"
    )
    return _request_detail(FeasibilityRequest.objects.select_related("study").get(pk=found.pk), request.user)
