"""Internal selection round operations of the API: list and read rounds, open one, assign reviewers, submit a
review, declare a conflict, read the ranked results and record the decision.

A round exists only for its managers (coordinators, admins of the round's institution) and its assigned reviewers:
anyone else gets 404; a reviewer asking for a manager's operation, or a manager for a reviewer's, gets 403;
anonymous callers get 401. A reviewer sees only the entries they have no conflict of interest with.
"""

import datetime

from django.contrib.auth import get_user_model
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.bids import selection
from mhi.bids.models import RoundEntry, RoundReviewer, SelectionRound
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.models import Organisation
from mhi.directory.selectors import organisation_id_for_slug
from mhi.opportunities.models import Opportunity

router = Router(tags=["selection rounds"], auth=REQUIRED_AUTH)


class CriterionIn(Schema):
    name: str
    weight: float = Field(description="Greater than 0")
    max_score: int = Field(description="A whole number, at least 1")
    description: str = ""


class CriterionOut(Schema):
    name: str
    weight: float
    max_score: int
    description: str = ""


class RoundOpenIn(Schema):
    opportunity: int = Field(description="Id of a capped opportunity")
    title: str
    organisation: str | None = Field(None, description="Slug of the institution whose bids enter; null: all")
    criteria: list[CriterionIn] | None = Field(None, description="Default: quality, fit, team, each 0–5, weight 1")
    reviews_due: datetime.datetime | None = None
    coauthorship_years: int = Field(3, description="Co-authorship with the team in this many years is a conflict")


class EntryOut(Schema):
    id: int
    bid: int
    bid_title: str
    lead_organisation: str = Field(description="Slug")
    decision: str
    rank: int | None
    score: float | None = Field(description="0–100, recorded at the decision")
    feedback: str


class RoundOut(Schema):
    id: int
    title: str
    opportunity: int
    organisation: str | None = Field(description="Slug; null for a partnership-wide round")
    status: str
    criteria: list[CriterionOut]
    reviews_due: datetime.datetime | None
    coauthorship_years: int
    opened_at: datetime.datetime
    decided_at: datetime.datetime | None
    url: str


class RoundDetailOut(RoundOut):
    rationale: str = Field(description="Managers only; empty for reviewers")
    can_manage: bool
    is_reviewer: bool
    entries: list[EntryOut] = Field(description="Managers: every entry; a reviewer: those without a conflict")


class ConflictOut(Schema):
    entry: int
    bid: int
    source: str
    detail: str


class ReviewerIn(Schema):
    email: str


class ReviewerOut(Schema):
    id: int
    user: str = Field(description="Email address")
    conflicts: list[ConflictOut]


class ReviewIn(Schema):
    scores: dict[str, int] = Field(description="{criterion name: whole number from 0 to its max_score}")
    comment: str = ""


class ReviewOut(Schema):
    entry: int
    scores: dict[str, int]
    comment: str
    submitted_at: datetime.datetime


class ConflictIn(Schema):
    detail: str


class CriterionMeanOut(Schema):
    name: str
    max_score: int
    weight: float
    mean: float | None


class ResultOut(Schema):
    entry: int
    bid: int
    bid_title: str
    rank: int | None = Field(description="Null while unreviewed")
    score: float | None = Field(description="Mean weighted score, 0–100")
    reviews: int
    criteria: list[CriterionMeanOut]
    tie_note: str
    decision: str


class ResultsOut(Schema):
    tie_rule: str
    results: list[ResultOut]


class DecideIn(Schema):
    selected: list[int] = Field(description="Ids of the entries (not bids) that pass")
    rationale: str
    feedback: dict[int, str] = Field({}, description="{entry id: what the applicants are told}")


def _round_out(round: SelectionRound) -> dict:
    return {
        "id": round.pk,
        "title": round.title,
        "opportunity": round.opportunity_id,
        "organisation": round.organisation.slug if round.organisation_id else None,
        "status": round.status,
        "criteria": round.criteria,
        "reviews_due": round.reviews_due,
        "coauthorship_years": round.coauthorship_years,
        "opened_at": round.opened_at,
        "decided_at": round.decided_at,
        "url": round.get_absolute_url(),
    }


def _entry_out(entry: RoundEntry) -> dict:
    return {
        "id": entry.pk,
        "bid": entry.bid_id,
        "bid_title": entry.bid.title,
        "lead_organisation": entry.bid.lead_organisation.slug,
        "decision": entry.decision,
        "rank": entry.rank,
        "score": entry.score,
        "feedback": entry.feedback,
    }


def _reviewer_out(reviewer: RoundReviewer) -> dict:
    return {
        "id": reviewer.pk,
        "user": reviewer.user.email,
        "conflicts": [
            {"entry": c.entry_id, "bid": c.entry.bid_id, "source": c.source, "detail": c.detail}
            for c in reviewer.conflicts.select_related("entry").order_by("entry_id", "source")
        ],
    }


def _round(request, round_id: int) -> SelectionRound:
    return selection.round_for(user=request.user, pk=round_id)  # Http404 unless a manager or reviewer


def _managed(request, round_id: int) -> SelectionRound:
    round = _round(request, round_id)
    if not selection.round_manageable_by(user=request.user, round=round):
        raise PermissionDenied("Only coordinators, and admins of the round's institution, manage a selection round.")
    return round


@router.get("/selection-rounds", response=list[RoundOut], summary="Selection rounds you manage or review for")
def rounds_list(request):
    return [_round_out(r) for r in selection.rounds_visible_to(user=request.user)]


@router.get("/selection-rounds/{round_id}", response=RoundDetailOut, summary="One selection round")
def round_detail(request, round_id: int):
    round = _round(request, round_id)
    permissions = selection.round_permissions(user=request.user, round=round)
    return {
        **_round_out(round),
        "rationale": round.rationale if permissions.can_manage else "",
        "can_manage": permissions.can_manage,
        "is_reviewer": permissions.is_reviewer,
        "entries": [_entry_out(e) for e in selection.entries_visible_to(user=request.user, round=round)],
    }


@router.post(
    "/selection-rounds",
    response={201: RoundDetailOut},
    summary="Open a selection round for a capped opportunity (coordinators; institution admins for their own)",
)
def round_open(request, payload: RoundOpenIn):
    if not selection.user_may_open_rounds(request.user):
        raise PermissionDenied("Only coordinators and institution admins open selection rounds.")
    opportunity = Opportunity.objects.filter(pk=payload.opportunity).first()
    if opportunity is None:
        raise DomainError(f"No opportunity {payload.opportunity}.", field="opportunity")
    organisation_id = organisation_id_for_slug(payload.organisation, field="organisation")
    round = selection.round_open(
        actor=request.user,
        opportunity=opportunity,
        title=payload.title,
        organisation=Organisation.objects.get(pk=organisation_id) if organisation_id else None,
        criteria=[c.dict() for c in payload.criteria] if payload.criteria is not None else None,
        reviews_due=payload.reviews_due,
        coauthorship_years=payload.coauthorship_years,
    )
    return HttpStatus(201, round_detail(request, round.pk))


@router.post(
    "/selection-rounds/{round_id}/reviewers",
    response={201: ReviewerOut},
    summary="Assign a reviewer; conflicts of interest are found and recorded",
)
def reviewer_assign(request, round_id: int, payload: ReviewerIn):
    round = _managed(request, round_id)
    user = get_user_model().objects.filter(email__iexact=payload.email.strip(), is_active=True).first()
    if user is None:
        raise DomainError(f"No active user has the email address {payload.email}.", field="email")
    reviewer = selection.reviewer_assign(actor=request.user, round=round, user=user)
    return HttpStatus(201, _reviewer_out(reviewer))


@router.get("/selection-rounds/{round_id}/reviewers", response=list[ReviewerOut], summary="Reviewers and conflicts")
def reviewers_list(request, round_id: int):
    round = _managed(request, round_id)
    return [_reviewer_out(r) for r in selection.round_reviewers(round=round)]


def _entry(request, round: SelectionRound, entry_id: int) -> RoundEntry:
    return selection.entry_for_review(user=request.user, round=round, entry_id=entry_id)


@router.put(
    "/selection-rounds/{round_id}/entries/{entry_id}/review",
    response=ReviewOut,
    summary="Give or change your scores for an entry (reviewers, while the round is open)",
)
def review_submit(request, round_id: int, entry_id: int, payload: ReviewIn):
    round = _round(request, round_id)
    entry = _entry(request, round, entry_id)
    review = selection.review_submit(actor=request.user, entry=entry, scores=payload.scores, comment=payload.comment)
    return {"entry": entry.pk, "scores": review.scores, "comment": review.comment, "submitted_at": review.submitted_at}


@router.post(
    "/selection-rounds/{round_id}/entries/{entry_id}/conflict",
    response={201: ConflictOut},
    summary="Declare a conflict of interest with an entry (its review, if any, is withdrawn)",
)
def conflict_declare(request, round_id: int, entry_id: int, payload: ConflictIn):
    round = _round(request, round_id)
    entry = _entry(request, round, entry_id)
    conflict = selection.reviewer_declare_conflict(actor=request.user, entry=entry, detail=payload.detail)
    return HttpStatus(
        201, {"entry": entry.pk, "bid": entry.bid_id, "source": conflict.source, "detail": conflict.detail}
    )


def _results_out(round: SelectionRound) -> dict:
    return {
        "tie_rule": selection.TIE_RULE,
        "results": [
            {
                "entry": r.entry.pk,
                "bid": r.entry.bid_id,
                "bid_title": r.bid.title,
                "rank": r.rank,
                "score": r.score,
                "reviews": r.review_count,
                "criteria": [vars(c) for c in r.criteria],
                "tie_note": r.tie_note,
                "decision": r.entry.decision,
            }
            for r in selection.round_results(round=round)
        ],
    }


@router.get(
    "/selection-rounds/{round_id}/results", response=ResultsOut, summary="Entries ranked by mean weighted score"
)
def round_results(request, round_id: int):
    return _results_out(_managed(request, round_id))


@router.post(
    "/selection-rounds/{round_id}/decide",
    response=RoundDetailOut,
    summary="Record the decision: selected entries pass internal selection, the others become unsuccessful",
)
def round_decide(request, round_id: int, payload: DecideIn):
    round = _managed(request, round_id)
    selection.round_decide(
        actor=request.user,
        round=round,
        selected=payload.selected,
        rationale=payload.rationale,
        feedback=payload.feedback,
    )
    return round_detail(request, round.pk)
