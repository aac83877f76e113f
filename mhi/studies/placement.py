"""Site placement: the set of candidate sites that reaches a study's recruitment target soonest, proven optimal
with OR-Tools CP-SAT, compared with the sets a person would pick by hand.

`placement_solve` is pure (no database): the bench calls it directly. `candidates_for(study)` builds its input
from the study's latest feasibility request, its planned sites, their research profiles and reach estimates;
`placement_run_create` solves and keeps the run (audited). docs/decisions/0008-site-placement.md records the
choices and the measured figures.

API
    PlacementCandidate(site_id, name, rate, start_month=0, monthly_cap=None, total_cap=None, cost=None, ...)
    placement_solve(candidates, *, target, objective, max_sites=None, budget=None, horizon_months=60,
                    time_limit=10.0, start=None, workers=2) -> PlacementResult
    candidates_for(study) -> CandidateSet
    placement_run_create(*, user, study, objective, max_sites=None, budget=None, horizon_months=60) -> PlacementRun
Anything a user can get wrong (no target, no candidates, max_sites < 1, a negative budget, a horizon out of
range, an objective without its limit) raises DomainError naming the field; programming errors in candidates
(repeated ids, negative rates) raise ValueError.

Rules
- Months t = 0 .. horizon-1 count from the first month of the study's planned start (or of today). A site
  recruits min(rate, monthly_cap) a month from its start month on, and at most total_cap in all (its eligible
  reach, when known). Its cumulative recruitment by the end of month t is therefore the constant
  c(s, t) = min(total_cap, monthly x (t - start + 1)), 0 before it starts.
- A set of sites *completes* in the first month whose cumulative total reaches the target.
- The limits apply whenever given: at most `max_sites` sites, a total set-up cost within `budget` (pounds; sites
  with no known cost are left out when a budget applies, and the result says which). The objective names the
  limit it needs (budget: a budget; max_sites: a number of sites) and the tie-break among the sets that
  complete soonest: "soonest" and "max_sites" take the fewest sites, then the lowest set-up cost; "budget" the
  lowest set-up cost, then the fewest sites. Unknown costs count as £0 in a tie-break.
- When no set within the limits reaches the target within the horizon, the status is "infeasible" and the
  result is the set that recruits the most by the end of the horizon (then fewest sites, then lowest cost),
  with that best total.

Model (CP-SAT)
x_s: site s is chosen. y_t: the target is reached by the end of month t, for t from a lower bound L (the first
month in which every site together, or the max_sites best of them, would reach the target) to an upper bound
U (the completion month of the best hand-picked set within the limits, else the horizon's last month);
y_t => y_t+1, y_U = 1, and sum_s min(c(s, t), target) x_s >= target y_t (a single site's coefficient is
clipped to the target, which tightens the LP without changing the solutions). Limits: sum x_s <= max_sites,
sum pence_s x_s <= budget in pence. Minimise sum_t (1 - y_t): the completion month is L plus that sum. Then,
lexicographically, two more solves on the month T found: the cover sum_s min(c(s, T), target) x_s >= target
with the limits, minimising the tie-break's first term, then (with it fixed) its second. Status "optimal"
means CP-SAT proved every stage optimal; "feasible" that a time limit (per stage) stopped a stage with a
solution. The starting hint is the best hand-picked set.

Alternatives shown beside the optimum: every candidate site; the k highest-rate sites (k = the number chosen;
within the budget when one applies, skipping sites that would break it); the k earliest-starting sites (ties:
higher rate first). Each has its completion month (or none within the horizon), curve, cost and whether it
keeps to the limits.
"""

import calendar
import datetime
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from ortools.sat.python import cp_model

from mhi.core.audit import audit_save
from mhi.core.errors import DomainError, PermissionDenied
from mhi.studies import access
from mhi.studies.models import (
    FeasibilityInvite,
    FeasibilityResponse,
    Interest,
    InviteStatus,
    PlacementObjective,
    PlacementRun,
    SiteProfile,
    Study,
    StudySite,
    StudySiteStatus,
)
from mhi.studies.reach import reach_estimates

OBJECTIVES = tuple(PlacementObjective.values)
MAX_HORIZON = 120  # months
DEFAULT_HORIZON = 60
DEFAULT_TIME_LIMIT = 10.0  # seconds, per solver stage
TIE_BREAKS = {
    PlacementObjective.SOONEST: "the fewest sites, then the lowest set-up cost",
    PlacementObjective.MAX_SITES: "the fewest sites, then the lowest set-up cost",
    PlacementObjective.BUDGET: "the lowest set-up cost, then the fewest sites",
}


# --- input and output ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlacementCandidate:
    """A site that could run the study: participants a month, from which month, how many at most, at what cost.

    `start_month` counts months from the study's first month (0). `monthly_cap` caps the rate (the site's
    delivery capacity); `total_cap` caps its total (its eligible reach). `cost` is the set-up cost in pounds.
    The *_source fields say in words where each figure came from (shown on the page)."""

    site_id: int
    name: str
    rate: int
    start_month: int = 0
    monthly_cap: int | None = None
    total_cap: int | None = None
    cost: Decimal | None = None
    slug: str = ""
    rate_source: str = ""
    start_source: str = ""
    total_cap_source: str = ""

    @property
    def monthly(self) -> int:
        """What the site recruits in a month once it has started."""
        return self.rate if self.monthly_cap is None else min(self.rate, self.monthly_cap)

    def cumulative(self, t: int) -> int:
        """Participants recruited by the end of month t."""
        if t < self.start_month:
            return 0
        made = self.monthly * (t - self.start_month + 1)
        return made if self.total_cap is None else min(made, self.total_cap)

    def as_json(self) -> dict:
        data = asdict(self)
        data["cost"] = None if self.cost is None else str(self.cost)
        data["monthly"] = self.monthly
        return data

    @classmethod
    def from_json(cls, data: dict) -> "PlacementCandidate":
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if fields.get("cost") is not None:
            fields["cost"] = Decimal(fields["cost"])
        return cls(**fields)


@dataclass
class PlacementOption:
    """One set of sites with its completion month (index, None: not within the horizon) and curve."""

    key: str  # "optimal", "all", "by_rate", "by_start"
    label: str
    site_ids: list[int]
    completion_index: int | None
    completion_date: datetime.date | None  # the last day of the completion month
    curve: list[int]  # cumulative participants by the end of each month
    cost: Decimal  # the known set-up costs added up
    unknown_costs: int  # how many of its sites have no known cost
    within_limits: bool


@dataclass
class PlacementResult:
    status: str  # "optimal", "feasible", "infeasible" or "unknown" (nothing found within the time limit)
    objective: str
    target: int
    horizon_months: int
    max_sites: int | None
    budget: Decimal | None
    start: datetime.date  # the first day of month 0
    chosen: list[int]
    completion_index: int | None
    completion_date: datetime.date | None
    curve: list[int]
    best_total: int  # what the chosen set recruits by the end of the horizon
    cost: Decimal
    unknown_costs: int
    tie_break: str
    message: str
    solve_seconds: float  # CP-SAT's wall time, all stages
    total_seconds: float  # with checks, bounds, hand-picked sets and models
    stages: list[dict] = field(default_factory=list)  # each solver stage: name, status, seconds
    alternatives: list[PlacementOption] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    def as_json(self) -> dict:
        """JSON-ready (dates as ISO strings, money as strings), as kept in PlacementRun.result."""
        return _jsonable(asdict(self))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


# --- months -------------------------------------------------------------------------------------------------


def month_start(start: datetime.date, t: int) -> datetime.date:
    """The first day of month t counted from `start`'s month."""
    years, month = divmod(start.month - 1 + t, 12)
    return datetime.date(start.year + years, month + 1, 1)


def month_end(start: datetime.date, t: int) -> datetime.date:
    first = month_start(start, t)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_index(start: datetime.date, day: datetime.date) -> int:
    """The first whole month from `day` on, as an index from `start`'s month (0 at the earliest): a site that
    can start on 1 March recruits in March; one that can start on 15 March, from April."""
    index = (day.year - start.year) * 12 + day.month - start.month + (1 if day.day > 1 else 0)
    return max(0, index)


# --- the solver ---------------------------------------------------------------------------------------------


def _pence(amount: Decimal | None) -> int:
    return 0 if amount is None else int((Decimal(amount) * 100).to_integral_value())


def _check(candidates, *, target, objective, max_sites, budget, horizon_months) -> None:
    if objective not in OBJECTIVES:
        raise DomainError(f"Choose an objective: one of {', '.join(OBJECTIVES)}.", field="objective")
    if target is None or target < 1:
        raise DomainError("The study needs a target recruitment of at least 1 to place sites.", field="target")
    if not candidates:
        raise DomainError("There are no candidate sites to choose from.", field="candidates")
    if max_sites is not None and max_sites < 1:
        raise DomainError("The most sites must be at least 1.", field="max_sites")
    if budget is not None and budget < 0:
        raise DomainError("The budget cannot be negative.", field="budget")
    if not 1 <= horizon_months <= MAX_HORIZON:
        raise DomainError(f"The horizon must be from 1 to {MAX_HORIZON} months.", field="horizon_months")
    if objective == PlacementObjective.BUDGET and budget is None:
        raise DomainError("Give a budget to place sites within a budget.", field="budget")
    if objective == PlacementObjective.MAX_SITES and max_sites is None:
        raise DomainError("Give the most sites to place sites with at most N sites.", field="max_sites")
    seen = set()
    for c in candidates:
        if c.site_id in seen:
            raise ValueError(f"Site {c.site_id} is a candidate twice")
        seen.add(c.site_id)
        for name in ("rate", "start_month", "monthly_cap", "total_cap", "cost"):
            value = getattr(c, name)
            if value is not None and value < 0:
                raise ValueError(f"{c.name}: {name} is negative")


class _Problem:
    """The candidates that can help (they recruit something within the horizon and, under a budget, have a known
    cost), their cumulative contributions and the limits, in integers."""

    def __init__(self, candidates, *, target, max_sites, budget, horizon):
        self.target, self.max_sites, self.horizon = target, max_sites, horizon
        self.budget_pence = None if budget is None else _pence(budget)
        self.left_out = []
        pool = []
        for c in candidates:
            if c.cumulative(horizon - 1) <= 0:
                continue
            if budget is not None and c.cost is None:
                self.left_out.append(c)
                continue
            pool.append(c)
        self.pool = pool
        self.cum = [[c.cumulative(t) for t in range(horizon)] for c in pool]
        self.pence = [_pence(c.cost) for c in pool]

    def within_limits(self, picks) -> bool:
        if self.max_sites is not None and len(picks) > self.max_sites:
            return False
        return self.budget_pence is None or sum(self.pence[i] for i in picks) <= self.budget_pence

    def completion(self, picks) -> int | None:
        for t in range(self.horizon):
            if sum(self.cum[i][t] for i in picks) >= self.target:
                return t
        return None

    def lower_bound(self) -> int | None:
        """The first month in which the best max_sites candidates (all, without a limit) reach the target."""
        for t in range(self.horizon):
            values = sorted((row[t] for row in self.cum), reverse=True)
            if self.max_sites is not None:
                values = values[: self.max_sites]
            if sum(values) >= self.target:
                return t
        return None

    def greedy(self, order, *, size=None) -> list[int]:
        """Sites in `order` (indices), each added while it keeps to the limits, until `size` sites or, without a
        size, until the set reaches the target within the horizon."""
        picks, spent = [], 0
        for i in order:
            if size is not None and len(picks) >= size:
                break
            if size is None and picks and self.completion(picks) is not None:
                break
            if self.max_sites is not None and len(picks) >= self.max_sites:
                break
            if self.budget_pence is not None and spent + self.pence[i] > self.budget_pence:
                continue
            picks.append(i)
            spent += self.pence[i]
        return picks

    def by_rate(self) -> list[int]:
        return sorted(range(len(self.pool)), key=lambda i: (-self.pool[i].monthly, self.pool[i].start_month, i))

    def by_start(self) -> list[int]:
        return sorted(range(len(self.pool)), key=lambda i: (self.pool[i].start_month, -self.pool[i].monthly, i))


def _solver(time_limit: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    if workers > 1:
        # As in the team builder: the default portfolio's LP has no cuts and, under a budget, does not prove the
        # soonest month for 200 sites in 10 s; the full-LP worker does in about a second (0008).
        solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
    else:
        solver.parameters.linearization_level = 2
    return solver


def _limits(model, x, p: _Problem) -> None:
    if p.max_sites is not None:
        model.add(cp_model.LinearExpr.sum(x) <= p.max_sites)
    if p.budget_pence is not None:
        model.add(cp_model.LinearExpr.weighted_sum(x, p.pence) <= p.budget_pence)


def _hint(model, x, picks) -> None:
    model.clear_hints()
    chosen = set(picks)
    for i, var in enumerate(x):
        model.add_hint(var, i in chosen)


_STATUS = {cp_model.OPTIMAL: "optimal", cp_model.FEASIBLE: "feasible", cp_model.INFEASIBLE: "infeasible"}


def _soonest_month(p: _Problem, lower: int, upper: int, hint, *, time_limit, workers):
    """Phase 1: the earliest completion month in [lower, upper]. Returns (status, month, picks, seconds)."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(p.pool))]
    _limits(model, x, p)
    months = list(range(lower, upper + 1))
    y = {t: model.new_bool_var(f"y{t}") for t in months}
    for t in months[:-1]:
        model.add_implication(y[t], y[t + 1])
    model.add(y[upper] == 1)
    for t in months:
        coefficients = [min(row[t], p.target) for row in p.cum]
        used = [(var, w) for var, w in zip(x, coefficients, strict=True) if w > 0]
        model.add(cp_model.LinearExpr.weighted_sum([v for v, _ in used], [w for _, w in used]) >= p.target * y[t])
    model.minimize(cp_model.LinearExpr.sum([1 - y[t] for t in months]))
    if hint:
        _hint(model, x, hint)
    solver = _solver(time_limit, workers)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _STATUS.get(status, "unknown"), None, [], solver.wall_time
    picks = [i for i, var in enumerate(x) if solver.boolean_value(var)]
    month = lower + sum(1 for t in months if not solver.boolean_value(y[t]))
    return _STATUS[status], month, picks, solver.wall_time


def _lexicographic(p: _Problem, stages, *, cover_month, hint, time_limit, workers):
    """Choose sites within the limits (and, with `cover_month`, reaching the target by then) optimising each
    stage in turn: (name, weights, "min"|"max"), each optimum then fixed. Returns (statuses, picks, seconds)."""
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(p.pool))]
    _limits(model, x, p)
    if cover_month is not None:
        weights = [min(row[cover_month], p.target) for row in p.cum]
        model.add(cp_model.LinearExpr.weighted_sum(x, weights) >= p.target)
    picks, statuses, seconds = list(hint), [], 0.0
    for name, weights, sense in stages:
        expression = cp_model.LinearExpr.weighted_sum(x, weights)
        (model.minimize if sense == "min" else model.maximize)(expression)
        _hint(model, x, picks)
        solver = _solver(time_limit, workers)
        status = solver.solve(model)
        seconds += solver.wall_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            statuses.append((name, _STATUS.get(status, "unknown"), solver.wall_time))
            break
        picks = [i for i, var in enumerate(x) if solver.boolean_value(var)]
        taken = set(picks)
        value = sum(w for i, w in enumerate(weights) if i in taken)
        statuses.append((name, _STATUS[status], solver.wall_time))
        if status == cp_model.OPTIMAL:
            model.add(expression == value)
        else:  # not proven: keep at least as good as what was found
            model.add(expression <= value) if sense == "min" else model.add(expression >= value)
    return statuses, picks, seconds


def _limits_words(max_sites, budget) -> str:
    parts = []
    if max_sites is not None:
        parts.append(f"at most {max_sites} site{'s' if max_sites != 1 else ''}")
    if budget is not None:
        parts.append(f"a budget of £{Decimal(budget):,.2f}")
    return " and ".join(parts)


def placement_solve(
    candidates,
    *,
    target: int,
    objective: str,
    max_sites: int | None = None,
    budget: Decimal | None = None,
    horizon_months: int = DEFAULT_HORIZON,
    time_limit: float = DEFAULT_TIME_LIMIT,
    start: datetime.date | None = None,
    workers: int = 2,
) -> PlacementResult:
    """The set of candidates that reaches `target` soonest within the limits (module docstring), with the
    alternatives to compare it with. `start` is month 0 (default: this month); `time_limit` is per stage."""
    started = time.perf_counter()
    candidates = list(candidates)
    _check(
        candidates,
        target=target,
        objective=objective,
        max_sites=max_sites,
        budget=budget,
        horizon_months=horizon_months,
    )
    budget = None if budget is None else Decimal(budget)
    first = (start or timezone.localdate()).replace(day=1)
    horizon = horizon_months
    p = _Problem(candidates, target=target, max_sites=max_sites, budget=budget, horizon=horizon)
    warnings = []
    if p.left_out:
        names = ", ".join(c.name for c in p.left_out)
        warnings.append(f"Left out because a budget applies and their set-up cost is not known: {names}.")
    by_cost = ("lowest set-up cost", p.pence, "min")
    by_count = ("fewest sites", [1] * len(p.pool), "min")
    tie_stages = [by_cost, by_count] if objective == PlacementObjective.BUDGET else [by_count, by_cost]

    # The best hand-picked set within the limits: an upper bound and the starting hint.
    hint, upper = [], None
    for order in (p.by_rate(), p.by_start()):
        picks = p.greedy(order)
        month = p.completion(picks) if picks else None
        if month is not None and (upper is None or month < upper):
            hint, upper = picks, month
    lower = p.lower_bound() if p.pool else None

    stages, seconds = [], 0.0
    status, month, picks = "infeasible", None, []
    if lower is not None:
        if upper is not None and upper == lower:
            status, month, picks = "optimal", lower, hint
            stages.append({"stage": "soonest month", "status": "optimal", "seconds": 0.0, "note": "bounds meet"})
        else:
            status, month, picks, wall = _soonest_month(
                p, lower, upper if upper is not None else horizon - 1, hint, time_limit=time_limit, workers=workers
            )
            seconds += wall
            stages.append({"stage": "soonest month", "status": status, "seconds": wall})
            if month is None and hint:  # nothing found in time: the hand-picked set stands, unproven
                status, month, picks = "feasible", upper, hint
    if month is not None:
        results, picks, wall = _lexicographic(
            p, tie_stages, cover_month=month, hint=picks, time_limit=time_limit, workers=workers
        )
        seconds += wall
        stages += [{"stage": name, "status": st, "seconds": s} for name, st, s in results]
        if any(st != "optimal" for _, st, _ in results) and status == "optimal":
            status = "feasible"
    elif status == "infeasible":
        reach = ("most participants by the horizon", [row[horizon - 1] for row in p.cum], "max")
        results, picks, wall = _lexicographic(
            p, [reach, *tie_stages], cover_month=None, hint=[], time_limit=time_limit, workers=workers
        )
        seconds += wall
        stages += [{"stage": name, "status": st, "seconds": s} for name, st, s in results]

    chosen = [p.pool[i] for i in picks]
    chosen_ids = [c.site_id for c in sorted(chosen, key=lambda c: (c.start_month, -c.monthly, c.name))]
    option = _option("optimal", "The chosen sites", chosen_ids, candidates, target, horizon, first, max_sites, budget)
    k = len(chosen_ids) or max_sites
    alternatives = _alternatives(
        p, candidates, k, target=target, horizon=horizon, first=first, max_sites=max_sites, budget=budget
    )
    limits = _limits_words(max_sites, budget)
    within = f" within the limits ({limits})" if limits else ""
    if status == "infeasible":
        message = (
            f"No set of sites{within} reaches the target of {target:,} within {horizon} months: the most they "
            f"can recruit by the end of {month_end(first, horizon - 1):%B %Y} is {option.curve[-1]:,}"
            + (f", with the {len(chosen_ids)} sites shown." if chosen_ids else ".")
        )
    elif status == "unknown":
        message = f"No set of sites{within} was found within the time limit of {time_limit:g} seconds."
    else:
        proven = "Proven optimal" if status == "optimal" else "The best found within the time limit (not proven)"
        message = (
            f"{proven}: {len(chosen_ids)} site{' reaches' if len(chosen_ids) == 1 else 's reach'} the target of {target:,} "
            f"in month {month + 1} ({month_start(first, month):%B %Y}); "
            + (
                f"no set of sites{within} reaches it sooner. "
                if status == "optimal"
                else "a sooner month was not ruled out. "
            )
            + f"Of the sets that reach it then, this one has {TIE_BREAKS[objective]}."
        )
    return PlacementResult(
        status=status,
        objective=objective,
        target=target,
        horizon_months=horizon,
        max_sites=max_sites,
        budget=budget,
        start=first,
        chosen=chosen_ids,
        completion_index=option.completion_index,
        completion_date=option.completion_date,
        curve=option.curve,
        best_total=option.curve[-1],
        cost=option.cost,
        unknown_costs=option.unknown_costs,
        tie_break=TIE_BREAKS[objective],
        message=message,
        solve_seconds=seconds,
        total_seconds=time.perf_counter() - started,
        stages=stages,
        alternatives=[option, *alternatives],
        warnings=warnings,
    )


def _option(key, label, site_ids, candidates, target, horizon, first, max_sites, budget) -> PlacementOption:
    by_id = {c.site_id: c for c in candidates}
    sites = [by_id[i] for i in site_ids]
    curve = [sum(c.cumulative(t) for c in sites) for t in range(horizon)]
    completion = next((t for t, total in enumerate(curve) if total >= target), None)
    cost = sum((c.cost for c in sites if c.cost is not None), Decimal("0"))
    unknown = sum(1 for c in sites if c.cost is None)
    within = (max_sites is None or len(sites) <= max_sites) and (budget is None or (unknown == 0 and cost <= budget))
    return PlacementOption(
        key=key,
        label=label,
        site_ids=list(site_ids),
        completion_index=completion,
        completion_date=None if completion is None else month_end(first, completion),
        curve=curve,
        cost=cost,
        unknown_costs=unknown,
        within_limits=within,
    )


def _alternatives(p: _Problem, candidates, k, *, target, horizon, first, max_sites, budget) -> list[PlacementOption]:
    common = {
        "candidates": candidates,
        "target": target,
        "horizon": horizon,
        "first": first,
        "max_sites": max_sites,
        "budget": budget,
    }
    n = len(candidates)
    out = [_option("all", f"All {n} candidate site{'s' if n != 1 else ''}", [c.site_id for c in candidates], **common)]
    if not p.pool:
        return out
    fit = " within the budget" if budget is not None else ""
    for key, order, words in (
        ("by_rate", p.by_rate(), "highest-rate"),
        ("by_start", p.by_start(), "earliest-starting"),
    ):
        picks = p.greedy(order, size=k)
        count = len(picks)
        label = f"The {count} {words} site{'s' if count != 1 else ''}{fit}" if count != 1 else f"The {words} site{fit}"
        out.append(_option(key, label, [p.pool[i].site_id for i in picks], **common))
    return out


# --- candidates from the database ---------------------------------------------------------------------------


@dataclass
class LeftOut:
    site_id: int
    name: str
    reason: str


@dataclass
class CandidateSet:
    """A study's candidate sites and what placement would use for each; sites considered but left out, with
    why; month 0 (the first month of the study's planned start, or of today when it has none)."""

    start: datetime.date
    start_basis: str
    candidates: list[PlacementCandidate]
    left_out: list[LeftOut]
    request_id: int | None  # the feasibility request the answers come from


def study_first_month(study: Study) -> tuple[datetime.date, str]:
    if study.start_date:
        return study.start_date.replace(day=1), f"the study's planned start ({study.start_date:%-d %B %Y})"
    today = timezone.localdate()
    return today.replace(day=1), "this month (the study has no planned start)"


def candidates_for(study: Study) -> CandidateSet:
    """The study's candidate sites (docs/decisions/0008-site-placement.md):

    1. Sites invited by the study's latest feasibility request. One that answered "Interested" brings its own
       estimate of participants a month and earliest start (a start on the 1st counts from that month,
       otherwise from the next); its profile's delivery capacity caps that rate. One that has not answered
       yet is taken from its research profile (delivery capacity a month, from the study's start). One that
       answered "Possibly" or "Not interested", or whose invite was withdrawn, is left out.
    2. The study's other planned, selected or open sites, from their profiles (from the month they opened,
       when recorded).
    Every candidate's set-up cost is its profile's; its total cap is its reach estimate's eligible patients,
    when there is one. A site with no rate (no answer's estimate and no delivery capacity) is left out."""
    first, basis = study_first_month(study)
    entries: dict[int, dict] = {}
    left_out: list[LeftOut] = []
    request = study.feasibility_requests.order_by("-created_at", "-id").first()
    if request is not None:
        invites = FeasibilityInvite.objects.filter(request=request).select_related("site").order_by("site__name")
        answers = {r.invite_id: r for r in FeasibilityResponse.objects.filter(invite__request=request)}
        for invite in invites:
            answer = answers.get(invite.pk)
            if invite.status == InviteStatus.WITHDRAWN:
                left_out.append(LeftOut(invite.site_id, invite.site.name, "Its feasibility invite was withdrawn."))
            elif answer is None:
                entries[invite.site_id] = {"site": invite.site, "answer": None, "why": "invited, not answered yet"}
            elif answer.interest != Interest.YES:
                left_out.append(
                    LeftOut(invite.site_id, invite.site.name, f"It answered “{answer.get_interest_display()}”.")
                )
            else:
                entries[invite.site_id] = {"site": invite.site, "answer": answer, "why": "answered"}
    seen = set(entries) | {lo.site_id for lo in left_out}
    planned = (
        StudySite.objects.filter(study=study)
        .exclude(status__in=[StudySiteStatus.CLOSED, StudySiteStatus.WITHDRAWN])
        .select_related("site")
        .order_by("site__name")
    )
    for study_site in planned:
        if study_site.site_id not in seen:
            entries[study_site.site_id] = {
                "site": study_site.site,
                "answer": None,
                "study_site": study_site,
                "why": study_site.get_status_display().lower(),
            }
    profiles = {p.organisation_id: p for p in SiteProfile.objects.filter(organisation_id__in=list(entries))}
    reach = reach_estimates(study=study, sites=[e["site"] for e in entries.values()])
    candidates = []
    for site_id, entry in sorted(entries.items(), key=lambda item: item[1]["site"].name):
        site, answer = entry["site"], entry["answer"]
        profile = profiles.get(site_id)
        capacity = profile.monthly_capacity if profile else None
        if answer is not None and answer.monthly_recruitment is not None:
            rate, monthly_cap = answer.monthly_recruitment, capacity
            rate_source = f"Feasibility answer ({answer.updated_at:%-d %b %Y})"
            if capacity is not None and capacity < rate:
                rate_source += f", capped by its delivery capacity of {capacity} a month"
        elif capacity is not None:
            rate, monthly_cap = capacity, None
            rate_source = "Site profile: delivery capacity" + (
                " (its answer gave no estimate)" if answer is not None else f" ({entry['why']})"
            )
        else:
            left_out.append(
                LeftOut(
                    site_id,
                    site.name,
                    "No estimate of participants a month: no answer gave one and its profile has no delivery capacity.",
                )
            )
            continue
        if answer is not None and answer.earliest_start is not None:
            start_month = month_index(first, answer.earliest_start)
            start_source = f"Feasibility answer: earliest start {answer.earliest_start:%-d %b %Y}"
        elif entry.get("study_site") is not None and entry["study_site"].opened_on is not None:
            opened = entry["study_site"].opened_on
            start_month = month_index(first, opened)
            start_source = f"Opened {opened:%-d %b %Y}"
        else:
            start_month, start_source = 0, "From the study's first month (no start date given)"
        estimate = reach.get(site_id)
        total_cap = estimate.eligible if estimate is not None else None
        if total_cap is not None:
            cap_source = f"Reach estimate: {total_cap:,} eligible patients"
        else:
            missing = "; ".join(estimate.missing) if estimate is not None and estimate.missing else "not known"
            cap_source = f"No reach estimate ({missing})"
        candidates.append(
            PlacementCandidate(
                site_id=site_id,
                name=site.name,
                slug=site.slug,
                rate=rate,
                start_month=start_month,
                monthly_cap=monthly_cap,
                total_cap=total_cap,
                cost=profile.setup_cost if profile else None,
                rate_source=rate_source,
                start_source=start_source,
                total_cap_source=cap_source,
            )
        )
    left_out.sort(key=lambda lo: lo.name)
    return CandidateSet(first, basis, candidates, left_out, request.pk if request else None)


# --- runs ---------------------------------------------------------------------------------------------------


def placement_runs_of(study: Study):
    """A study's runs, newest first (the caller has checked the study is visible)."""
    return PlacementRun.objects.filter(study=study).select_related("created_by").order_by("-created_at", "-id")


def placement_run_for(*, user, pk: int) -> PlacementRun:
    """The run if the user may see its study; Http404 otherwise."""
    run = (
        PlacementRun.objects.filter(pk=pk, study__in=access.studies_visible_to(user=user))
        .select_related("study", "created_by")
        .first()
    )
    if run is None:
        raise Http404("No such placement run.")
    return run


def placement_run_create(
    *,
    user,
    study: Study,
    objective: str,
    max_sites: int | None = None,
    budget: Decimal | None = None,
    horizon_months: int = DEFAULT_HORIZON,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> PlacementRun:
    """Solve placement for the study and keep the run with its candidates and result (audited). For the study's
    managers only (PermissionDenied); a study the user may not see does not exist (Http404). Under the budget
    objective with no budget given, the study's own set-up budget is used."""
    perms = access.study_permissions(user=user, study=study)
    if not perms.view:
        raise Http404("No such study.")
    if not perms.manage:
        raise PermissionDenied("Only coordinators and the study's owner may run site placement.")
    if not study.target_recruitment:
        raise DomainError(
            "The study has no target recruitment: set one on the study before placing sites.", field="target"
        )
    if objective == PlacementObjective.BUDGET and budget is None:
        budget = study.budget
    found = candidates_for(study)
    if not found.candidates:
        raise DomainError(
            "There are no candidate sites: send a feasibility request or plan sites for the study, and make sure "
            "each has an estimate of participants a month (an answer or its profile's delivery capacity).",
            field="candidates",
        )
    result = placement_solve(
        found.candidates,
        target=study.target_recruitment,
        objective=objective,
        max_sites=max_sites,
        budget=budget,
        horizon_months=horizon_months,
        time_limit=time_limit,
        start=found.start,
    )
    data = result.as_json()
    data["start_basis"] = found.start_basis
    data["left_out"] = [asdict(lo) for lo in found.left_out]
    data["request_id"] = found.request_id
    with transaction.atomic():
        run = PlacementRun(
            study=study,
            objective=objective,
            target=study.target_recruitment,
            max_sites=max_sites,
            budget=result.budget,
            horizon_months=horizon_months,
            candidates=[c.as_json() for c in found.candidates],
            result=data,
            solver_status=result.status,
            solve_seconds=result.solve_seconds,
            created_by=user,
        )
        audit_save(instance=run, actor=user, source="site placement")
    return run
