"""API: site placement.

A study's candidate sites (with where each figure came from) and its placement runs are for whoever may see the
study; running placement is for its managers (coordinators and the study's owner: 403 for others). A study, or
a run of a study, the caller may not see does not exist for them (404). Sign-in is required (401).

Months are counted from month 0, the first month of the study's planned start (or of the month the run was
made, when the study has none): `start_month` 0 is that month; `completion_index` is the month (0-based) in
which the chosen set reaches the target and `completion_date` the last day of that month. Money is in pounds.
"""

import datetime
from decimal import Decimal

from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.studies import access, placement
from mhi.studies.models import PlacementObjective, PlacementRun

router = Router(tags=["studies"], auth=REQUIRED_AUTH)


class CandidateOut(Schema):
    site_id: int
    slug: str
    name: str
    rate: int = Field(description="Estimated participants a month")
    monthly_cap: int | None = Field(description="Delivery capacity a month (caps the rate)")
    monthly: int = Field(description="What placement counts a month: the rate, capped")
    start_month: int = Field(description="The first month it recruits, 0 = the study's first month")
    total_cap: int | None = Field(description="At most this many in all (its reach estimate's eligible patients)")
    cost: Decimal | None = Field(description="Set-up cost (£); null: not known")
    rate_source: str
    start_source: str
    total_cap_source: str


class LeftOutOut(Schema):
    site_id: int
    name: str
    reason: str


class CandidatesOut(Schema):
    study_id: int
    target: int | None
    start: datetime.date = Field(description="Month 0's first day")
    start_basis: str
    feasibility_request_id: int | None
    candidates: list[CandidateOut]
    left_out: list[LeftOutOut]


class PlacementIn(Schema):
    objective: str = Field(PlacementObjective.SOONEST, description="soonest, budget or max_sites")
    max_sites: int | None = Field(None, description="At most this many sites (needed for max_sites)")
    budget: Decimal | None = Field(None, description="Set-up budget in £ (for budget: the study's when null)")
    horizon_months: int = Field(placement.DEFAULT_HORIZON, description=f"1 to {placement.MAX_HORIZON}")


class OptionOut(Schema):
    key: str = Field(description="optimal (the chosen set), all, by_rate or by_start")
    label: str
    site_ids: list[int]
    completion_index: int | None
    completion_date: datetime.date | None
    curve: list[int] = Field(description="Cumulative participants by the end of each month of the horizon")
    cost: Decimal
    unknown_costs: int
    within_limits: bool


class StageOut(Schema):
    stage: str
    status: str
    seconds: float


class RunOut(Schema):
    id: int
    study_id: int
    objective: str
    target: int
    max_sites: int | None
    budget: Decimal | None
    horizon_months: int
    status: str = Field(description="optimal (proven), feasible (time limit, not proven), infeasible or unknown")
    message: str
    start: datetime.date
    chosen: list[int] = Field(description="Site ids")
    completion_index: int | None
    completion_date: datetime.date | None
    best_total: int = Field(description="What the chosen set recruits by the end of the horizon")
    cost: Decimal
    tie_break: str
    solve_seconds: float
    total_seconds: float
    stages: list[StageOut]
    curve: list[int]
    alternatives: list[OptionOut] = Field(description="The chosen set first, then the alternatives")
    warnings: list[str]
    candidates: list[CandidateOut]
    created_at: datetime.datetime


def _run_out(run: PlacementRun) -> dict:
    r = run.result
    return {
        "id": run.pk,
        "study_id": run.study_id,
        "objective": run.objective,
        "target": run.target,
        "max_sites": run.max_sites,
        "budget": run.budget,
        "horizon_months": run.horizon_months,
        "status": r["status"],
        "message": r["message"],
        "start": r["start"],
        "chosen": r["chosen"],
        "completion_index": r["completion_index"],
        "completion_date": r["completion_date"],
        "best_total": r["best_total"],
        "cost": r["cost"],
        "tie_break": r["tie_break"],
        "solve_seconds": r["solve_seconds"],
        "total_seconds": r["total_seconds"],
        "stages": [{"stage": s["stage"], "status": s["status"], "seconds": s["seconds"]} for s in r["stages"]],
        "curve": r["curve"],
        "alternatives": r["alternatives"],
        "warnings": r["warnings"],
        "candidates": run.candidates,
        "created_at": run.created_at,
    }


@router.get(
    "/studies/{study_id}/placement/candidates",
    response=CandidatesOut,
    summary="A study's candidate sites for placement, with where each figure came from",
)
def placement_candidates(request, study_id: int):
    study = access.study_for(user=request.user, pk=study_id)
    found = placement.candidates_for(study)
    return {
        "study_id": study.pk,
        "target": study.target_recruitment,
        "start": found.start,
        "start_basis": found.start_basis,
        "feasibility_request_id": found.request_id,
        "candidates": [c.as_json() for c in found.candidates],
        "left_out": [{"site_id": lo.site_id, "name": lo.name, "reason": lo.reason} for lo in found.left_out],
    }


@router.post(
    "/studies/{study_id}/placement",
    response={201: RunOut},
    summary="Run site placement for a study (its managers) and keep the run",
)
def placement_create(request, study_id: int, payload: PlacementIn):
    """Solves and returns the run (201). Refusals (422) name the field: `objective`, `max_sites`, `budget`,
    `horizon_months`, `target` (the study has none) or `candidates` (the study has none)."""
    study = access.study_for(user=request.user, pk=study_id)
    run = placement.placement_run_create(
        user=request.user,
        study=study,
        objective=payload.objective,
        max_sites=payload.max_sites,
        budget=payload.budget,
        horizon_months=payload.horizon_months,
    )
    return HttpStatus(201, _run_out(run))


@router.get("/placement-runs/{run_id}", response=RunOut, summary="A placement run and its result")
def placement_run_get(request, run_id: int):
    return _run_out(placement.placement_run_for(user=request.user, pk=run_id))
