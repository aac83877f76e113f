"""The best cross-institution team for a funding call, proven optimal with OR-Tools CP-SAT.

Pure Python, numpy and OR-Tools; no Django. The opportunities app turns candidates and their similarity to the
call's themes into a `TeamProblem`; `solve()` returns a `TeamResult` or raises `TeamInfeasible` with reasons a
user can act on. docs/decisions/0004-team-builder.md records the choices and the measured figures.

API
    Candidate(key, name, organisation_key=None, is_partner_university=False, is_nhs=False, is_industry=False,
              live_bids=0)
    TeamProblem(candidates, themes, similarity, team_size=6, min_partner_universities=0, require_nhs=False,
                require_industry=False, include=(), exclude=(), max_live_bids=None,
                university_bonus=UNIVERSITY_BONUS)
    solve(problem, *, time_limit=2.0, alternatives=3, prune=True, workers=2) -> TeamResult
    greedy(problem) -> TeamChoice
    TeamInfeasible(reasons): .reasons is a list of sentences, every problem found (not only the first).
`similarity[i, t]` is candidate i's similarity to theme t (cosine-like, about -0.2..1). Programming errors
(a matrix of the wrong shape, repeated keys, a negative bonus) raise ValueError; anything a user can get wrong
raises TeamInfeasible.

Rules
- The team has exactly `team_size` members. Coverage never falls when someone is added and no constraint caps
  any kind of member, so "at most team_size" would give the same teams.
- A theme's coverage is its best member's similarity, floored at 0 (a negative cosine is no coverage, not less
  than none). Similarities are multiplied by SCALE = 1000 and rounded to integers for CP-SAT, so "optimal" is
  optimal to 0.001 a theme, and the objectives reported are computed from those integers.
- objective = sum of the themes' coverage + university_bonus x the distinct partner universities in the team.
  The bonus (default 0.02 a university) makes the solver prefer the team spread over more of the partnership
  when coverages differ by less than 0.02, well inside the noise of embedding similarities, so it never
  outweighs a real difference in fit. The part for the required minimum is a constant, so this is the same as
  a bonus for each university beyond the minimum. It depends only on members' organisations, which is what
  the pruning proof needs (a bonus or penalty per person, such as live bids, would break it).
- Partner universities are counted by `organisation_key` over members with `is_partner_university`.
- "At least one NHS person" means an NHS person who matches a theme: similarity >= MATCH_THRESHOLD = 0.2 to at
  least one. An NHS colleague with nothing to offer on the call's themes does not give a bid the clinical
  input a funder asks for. The same holds for industry. Partner universities count whoever their people are.
- `max_live_bids`: someone already in that many live bids cannot join another. They are left out silently,
  unless they are included, which is a conflict reported as a reason.
- Included people are always in the team, excluded people never.

Infeasibility
All checks run before the solver and every failure is reported, e.g. "Team size 3 cannot include 4 required
people", "Only 2 partner universities have candidates; 3 are required", "No NHS person matches the theme
'paediatric sepsis'", "Ada Lovelace is included but is already in 4 live bids (limit 3)", and when each
requirement can be met alone but not all together: "A team of 3 is too small for 3 partner universities, an
NHS person and an industry person: that needs at least 4 people". The checks are exact (a team exists if and
only if none fails), so the solver only sees feasible problems and a result is never empty.

Themes
At most MAX_THEMES = 10 themes: the pruning looks at every set of themes (2^10 sets of 20,000 candidates take
about a second). A team of six rarely has more than ten distinct themes to cover; more is reported as a reason.

Model (CP-SAT)
x_p: p is chosen, for the free candidates left after pruning (included people are constants).
y_pt: p is credited with covering theme t, only where v_pt > 0 and pruning allows it; y_pt <= x_p and
sum_p y_pt <= 1. u_o: new partner university o is represented, u_o => OR of its x_p. Constraints: sum x = the
free places; sum u >= universities still needed; at least one NHS (industry) matcher's x when still needed.
Maximise sum v_pt y_pt + bonus x sum u_o. Here v_pt = max(0, w_pt - c_t), w the integer similarities and c_t
the included people's coverage of theme t: what they already cover earns nothing more. The starting hint is
the greedy team improved by single swaps. Two workers run CP-SAT's full-LP subsolver (max_lp) next to the
default one: the default two-worker portfolio adds no cuts on this model and its bound was still 7-12% above
the optimum after 5 s. `time_limit` is per solve (the best team, then each alternative); status is "optimal"
when CP-SAT proves it, else "feasible" with gap = (bound - objective) / bound, the bound being the lower of
CP-SAT's and the pruning's dynamic-programming bound. Alternatives are the next-best distinct teams: each is re-solved
with a no-good cut (the free members of a team already found may not all be chosen again) and carries its
objective, status and swap from the best. Among equally good teams, which one comes back can vary between
runs (two workers race); the objective does not.

Pruning
What a constraint or the bonus can see of a free candidate is attr(p) = (new partner university or none,
NHS matcher while one is needed, industry matcher while one is needed). attr(q) >= attr(p) when p has no new
university or q has the same one, and q has every flag p has: swapping p for q then keeps every requirement
and does not lower the bonus. Fix a total order pos (total of v descending, then input order). For a set of
themes S, q "beats" p on S when attr(q) >= attr(p) and (sum_S v_q, -pos q) > (sum_S v_p, -pos p).
Let A = alternatives and K = free places + A. A pair (p, S), "p covers exactly S", is kept when
  1. S is empty or p has v > 0 on every theme of S, and fewer than K candidates beat p on S, and
  2. sum_S v_p + bonus if p brings a new university + R(other themes, needs left after p) >= L.
L is a lower bound on the (A+1)-th best team: a local search (greedy, then best single swaps until none
helps) ends at a team whose value, with those of its best swaps, gives A+1 distinct feasible teams, and L is
the (A+1)-th best of them. R is a dynamic program over theme sets bounding what free places - 1 more people
can add on the other themes, on a relaxation where people of one kind may repeat and each member from a new
university counts as another university. A candidate is kept when one of its pairs is (the empty set stands
for "in the team for the requirements alone"), and may be credited (y_pt) with the themes of its kept pairs.
Why this is sound. Fix j <= A and the j teams F found before (none for the best team). Among the best teams
not in F, take T minimising the sum of pos over its free members. Give each theme with positive coverage to
one member attaining it, and let C_p be the themes given to p (maybe none). Every (p, C_p) is kept:
- Test 1. If K candidates beat p on C_p, at most free places - 1 of them are in T, so j + 1 are outside it,
  giving distinct teams T - p + q of which at most j are in F; take q for one of the others. T' = T - p + q
  meets every requirement and the bonus is no lower; C_p is covered at least sum_C v_q and the other themes
  by the same members as before, so value(T') >= value(T) + sum_C v_q - sum_C v_p. As T is best outside F,
  the sums are equal and pos q < pos p: T' is as good with a smaller sum of pos, contradicting the choice.
- Test 2. With v(k) the value of the k-th best team, value(T) = v(j+1) >= v(A+1) >= L (A+1 distinct teams
  reach L), and value(T) <= the left side of test 2: the other members cover disjoint sets of the other
  themes and must still meet the needs p leaves.
So the model values T at its true value, while no team is worth more to the model than it really is: the
model's best outside F is a true best outside F. Plain dominance (q >= p on every theme) implies beating on
every set, so test 1 prunes at least as much as dominance. Test 1 is computed for all 2^T sets at once with
numpy: the top K per attribute group, then per union of the groups at least as useful. A per-theme rule ("in
nobody's top K for any single theme") is NOT sound: someone second-best on three themes can beat three
specialists, so it is not used.
"""

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from ortools.sat.python import cp_model

SCALE = 1000
MATCH_THRESHOLD = 0.2
UNIVERSITY_BONUS = 0.02
# Pruning looks at every set of themes: 2^10 sets of 20,000 candidates take about a second.
MAX_THEMES = 10
_MATCH_UNITS = round(MATCH_THRESHOLD * SCALE)
_SUBSET_CHUNK = 256


class TeamInfeasible(Exception):
    """No team meets the constraints; `reasons` says why, one sentence each."""

    def __init__(self, reasons: Sequence[str]):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


@dataclass(frozen=True)
class Candidate:
    key: int
    name: str
    organisation_key: int | None = None
    is_partner_university: bool = False
    is_nhs: bool = False
    is_industry: bool = False
    live_bids: int = 0


@dataclass(frozen=True, eq=False)
class TeamProblem:
    candidates: Sequence[Candidate]
    themes: Sequence[str]
    similarity: np.ndarray
    team_size: int = 6
    min_partner_universities: int = 0
    require_nhs: bool = False
    require_industry: bool = False
    include: Iterable[int] = frozenset()
    exclude: Iterable[int] = frozenset()
    max_live_bids: int | None = None
    university_bonus: float = UNIVERSITY_BONUS

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "candidates", tuple(self.candidates))
        set_(self, "themes", tuple(self.themes))
        set_(self, "include", frozenset(self.include))
        set_(self, "exclude", frozenset(self.exclude))
        similarity = np.asarray(self.similarity, dtype=np.float64)
        shape = (len(self.candidates), len(self.themes))
        if similarity.size == 0:
            similarity = similarity.reshape(shape)
        if similarity.shape != shape:
            raise ValueError(f"similarity has shape {similarity.shape}, expected {shape} (candidates x themes)")
        if not np.isfinite(similarity).all():
            raise ValueError("similarity contains NaN or infinite values")
        if len({c.key for c in self.candidates}) != len(self.candidates):
            raise ValueError("candidate keys repeat")
        if self.university_bonus < 0:
            raise ValueError("university_bonus must be >= 0 (the pruning proof needs it)")
        set_(self, "similarity", similarity)


@dataclass(frozen=True)
class ThemeCover:
    theme: str
    member: int | None  # the member covering it best; None when nobody in the team has positive similarity
    similarity: float  # that member's similarity as given (0.0 when member is None)


@dataclass(frozen=True)
class TeamChoice:
    members: tuple[int, ...]  # keys, ordered by the first theme each covers (the table's columns)
    objective: float
    coverage: tuple[ThemeCover, ...]
    universities: int  # distinct partner universities in the team
    table: tuple[tuple[float, ...], ...]  # table[t][j]: similarity of members[j] to theme t
    status: str = "greedy"  # "optimal", "feasible" (see gap) or "greedy"
    gap: float | None = None  # (bound - objective) / bound; 0.0 when optimal, None for greedy
    swapped_out: tuple[int, ...] = ()  # for an alternative: members of the best team it does not have
    swapped_in: tuple[int, ...] = ()  # and the people it has instead


@dataclass(frozen=True)
class TeamResult:
    best: TeamChoice
    alternatives: tuple[TeamChoice, ...]
    themes: tuple[str, ...]
    bound: float  # proven upper bound on the objective: the lower of CP-SAT's and the pruning's
    greedy_objective: float  # the greedy baseline's objective on the same problem
    local_search_objective: float  # greedy improved by single swaps: the pruning's lower bound comes from it
    candidates: int  # as given
    eligible: int  # after exclusions and the live-bid limit (included people counted)
    after_beating: int  # free candidates left by the theme-set test alone (included people not counted)
    after_pruning: int  # free candidates given to the solver, after the bound too
    prune_seconds: float
    solve_seconds: float  # CP-SAT's wall time for the best team
    total_seconds: float  # checks, greedy, pruning (with its local search), model and solve: the best team
    alternatives_seconds: float
    warnings: tuple[str, ...]  # themes nobody in the team matches

    @property
    def members(self) -> tuple[int, ...]:
        return self.best.members

    @property
    def objective(self) -> float:
        return self.best.objective

    @property
    def status(self) -> str:
        return self.best.status

    @property
    def gap(self) -> float:
        return self.best.gap or 0.0


@dataclass
class _Prepared:
    """A checked problem in the solver's terms: included people fixed, free candidates with marginal values."""

    problem: TeamProblem
    units: np.ndarray  # candidates x themes, similarity x SCALE rounded, floored at 0
    eligible: int
    forced: list[int]  # candidate indices of included people
    free: np.ndarray  # candidate indices of the other eligible candidates
    places: int  # team places left for them
    values: np.ndarray  # free x themes: units above what the included people already cover
    org: np.ndarray  # free: code of a partner university not yet in the team, -1 for none
    nhs: np.ndarray  # free: is an NHS matcher and one is still needed
    industry: np.ndarray  # free: is an industry matcher and one is still needed
    universities_needed: int
    nhs_needed: bool
    industry_needed: bool
    bonus: int  # units per new partner university
    constant: int  # units the included people bring


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _universities(count: int) -> str:
    return "1 partner university" if count == 1 else f"{count} partner universities"


def _fewest_more(universities: int, nhs: bool, industry: bool, kinds: set[tuple[int, bool, bool]]) -> int | None:
    """Fewest more people that bring `universities` new partner universities and an NHS / industry matcher
    where asked, choosing from people of the given kinds (new university code or -1, NHS, industry); None if
    impossible. Each person brings at most one university, so only people who combine needs save places."""
    orgs = {o for o, _, _ in kinds if o >= 0}
    if len(orgs) < universities or (nhs and not any(n for _, n, _ in kinds)):
        return None
    if industry and not any(i for _, _, i in kinds):
        return None
    nhs_orgs = {o for o, n, _ in kinds if o >= 0 and n}
    industry_orgs = {o for o, _, i in kinds if o >= 0 and i}
    both_anywhere = any(n and i for _, n, i in kinds)
    saved = 0
    if universities and nhs and industry:
        if any(o >= 0 and n and i for o, n, i in kinds) or (
            universities >= 2 and nhs_orgs and industry_orgs and len(nhs_orgs | industry_orgs) >= 2
        ):
            saved = 2
        elif nhs_orgs or industry_orgs or both_anywhere:
            saved = 1
    elif universities:
        saved = int((nhs and bool(nhs_orgs)) or (industry and bool(industry_orgs)))
    elif nhs and industry:
        saved = int(both_anywhere)
    return universities + nhs + industry - saved


def _flag_reason(kind: str, flags: np.ndarray, eligible: np.ndarray, matches: np.ndarray, themes) -> str | None:
    if not flags.any():
        return f"No {kind} person is among the candidates"
    if not (flags & eligible).any():
        return f"Every {kind} candidate is excluded or already at the live-bid limit"
    if not (flags & eligible & matches).any():
        if len(themes) == 1:
            return f"No {kind} person matches the theme '{themes[0]}'"
        return f"No {kind} person matches any of the themes " + _join([f"'{t}'" for t in themes])
    return None


def _prepare(problem: TeamProblem) -> _Prepared:
    p = problem
    cands, themes, size = p.candidates, p.themes, p.team_size
    n = len(cands)
    reasons: list[str] = []
    if not themes:
        reasons.append("Give at least one theme for the team to cover")
    if len(themes) > MAX_THEMES:
        reasons.append(
            f"At most {MAX_THEMES} themes can be covered at once; {len(themes)} were given, so merge or drop "
            f"{len(themes) - MAX_THEMES}"
        )
    if size < 1:
        reasons.append(f"The team size must be at least 1, not {size}")
    if p.min_partner_universities < 0:
        reasons.append("The minimum number of partner universities cannot be negative")
    index = {c.key: i for i, c in enumerate(cands)}
    for key in sorted(p.include & p.exclude):
        name = cands[index[key]].name if key in index else f"Person {key}"
        reasons.append(f"{name} is both included and excluded")
    for key in sorted(p.include - index.keys()):
        reasons.append(f"Person {key} is included but is not among the candidates")
    limit = p.max_live_bids
    forced = sorted(index[k] for k in p.include if k in index)
    for i in forced:
        if limit is not None and cands[i].live_bids >= limit:
            reasons.append(
                f"{cands[i].name} is included but is already in {cands[i].live_bids} live bids (limit {limit})"
            )
    if size >= 1 and len(p.include) > size:
        reasons.append(f"Team size {size} cannot include {len(p.include)} required people")

    excluded = np.array([c.key in p.exclude for c in cands], dtype=bool)
    included = np.array([c.key in p.include for c in cands], dtype=bool)
    over = np.array([limit is not None and c.live_bids >= limit for c in cands], dtype=bool)
    eligible = ~excluded & (included | ~over)
    if size >= 1 and eligible.sum() < size:
        details = []
        if excluded.any():
            details.append(f"{int(excluded.sum())} excluded")
        if (over & ~excluded & ~included).any():
            details.append(f"{int((over & ~excluded & ~included).sum())} at the live-bid limit of {limit}")
        reasons.append(
            f"Only {int(eligible.sum())} candidates are eligible for a team of {size}"
            + (f" ({', '.join(details)})" if details else "")
        )

    units = np.clip(np.rint(p.similarity * SCALE), 0, None).astype(np.int64)
    matches = (units >= _MATCH_UNITS).any(axis=1) if themes else np.zeros(n, dtype=bool)
    partner = np.array([c.is_partner_university and c.organisation_key is not None for c in cands], dtype=bool)
    available = {cands[i].organisation_key for i in np.flatnonzero(partner & eligible)}
    if len(available) < p.min_partner_universities:
        if not available:
            have = "No partner university has"
        else:
            have = f"Only {_universities(len(available))} " + ("has" if len(available) == 1 else "have")
        reasons.append(f"{have} candidates; {p.min_partner_universities} are required")
    is_nhs = np.array([c.is_nhs for c in cands], dtype=bool)
    is_industry = np.array([c.is_industry for c in cands], dtype=bool)
    if p.require_nhs and themes:
        reasons.append(_flag_reason("NHS", is_nhs, eligible, matches, themes))
    if p.require_industry and themes:
        reasons.append(_flag_reason("industry", is_industry, eligible, matches, themes))
    reasons = [r for r in reasons if r]
    if reasons:
        raise TeamInfeasible(reasons)

    free = np.flatnonzero(eligible & ~included)
    forced_units = units[forced]
    floor = forced_units.max(axis=0) if forced else np.zeros(len(themes), dtype=np.int64)
    forced_orgs = {cands[i].organisation_key for i in forced if partner[i]}
    codes: dict[int, int] = {}
    org = np.full(len(free), -1, dtype=np.int64)
    for j, i in enumerate(free):
        key = cands[i].organisation_key
        if partner[i] and key not in forced_orgs:
            org[j] = codes.setdefault(key, len(codes))
    nhs_needed = p.require_nhs and not any(is_nhs[i] and matches[i] for i in forced)
    industry_needed = p.require_industry and not any(is_industry[i] and matches[i] for i in forced)
    universities_needed = max(0, p.min_partner_universities - len(forced_orgs))
    bonus = round(p.university_bonus * SCALE)
    prepared = _Prepared(
        problem=p,
        units=units,
        eligible=int(eligible.sum()),
        forced=forced,
        free=free,
        places=size - len(forced),
        values=np.maximum(units[free] - floor, 0),
        org=org,
        nhs=is_nhs[free] & matches[free] & nhs_needed,
        industry=is_industry[free] & matches[free] & industry_needed,
        universities_needed=universities_needed,
        nhs_needed=nhs_needed,
        industry_needed=industry_needed,
        bonus=bonus,
        constant=int(floor.sum()) + bonus * len(forced_orgs),
    )
    kinds = set(zip(org.tolist(), prepared.nhs.tolist(), prepared.industry.tolist(), strict=True))
    fewest = _fewest_more(universities_needed, nhs_needed, industry_needed, kinds)
    if fewest is not None and fewest > prepared.places:
        needs = []
        if forced:
            needs.append("the included person" if len(forced) == 1 else f"the {len(forced)} included people")
        if p.min_partner_universities:
            needs.append(_universities(p.min_partner_universities))
        if p.require_nhs:
            needs.append("an NHS person")
        if p.require_industry:
            needs.append("an industry person")
        raise TeamInfeasible(
            [f"A team of {size} is too small for {_join(needs)}: that needs at least {len(forced) + fewest} people"]
        )
    return prepared


def _choice(prep: _Prepared, members: Iterable[int], **status) -> TeamChoice:
    """The team of the given candidate indices, with its true objective and the why-table."""
    p = prep.problem
    members = sorted(int(i) for i in members)
    units = prep.units[members]
    cover = units.max(axis=0)
    coverer = units.argmax(axis=0)
    universities = {
        p.candidates[i].organisation_key
        for i in members
        if p.candidates[i].is_partner_university and p.candidates[i].organisation_key is not None
    }
    first = {
        j: min((t for t in range(len(p.themes)) if cover[t] > 0 and coverer[t] == j), default=len(p.themes))
        for j in range(len(members))
    }
    order = sorted(range(len(members)), key=lambda j: (first[j], members[j]))
    coverage = tuple(
        ThemeCover(theme, p.candidates[members[coverer[t]]].key, float(p.similarity[members[coverer[t]], t]))
        if cover[t] > 0
        else ThemeCover(theme, None, 0.0)
        for t, theme in enumerate(p.themes)
    )
    return TeamChoice(
        members=tuple(p.candidates[members[j]].key for j in order),
        objective=(int(cover.sum()) + prep.bonus * len(universities)) / SCALE,
        coverage=coverage,
        universities=len(universities),
        table=tuple(tuple(float(p.similarity[members[j], t]) for j in order) for t in range(len(p.themes))),
        **status,
    )


def _greedy_picks(prep: _Prepared, pool: np.ndarray) -> list[int]:
    """Greedy over the free candidates in `pool` (indices into prep.free): the best marginal gain each step,
    among those after whom the requirements can still be met in the places left."""
    values, org = prep.values[pool], prep.org[pool]
    attrs = np.stack([org, prep.nhs[pool], prep.industry[pool]], axis=1)
    kinds, gid = np.unique(attrs, axis=0, return_inverse=True)
    kinds, gid = [(int(o), bool(a), bool(b)) for o, a, b in kinds], gid.ravel()
    counts = np.bincount(gid, minlength=len(kinds))
    cover = np.zeros(values.shape[1], dtype=np.int64)
    team_orgs: set[int] = set()
    nhs_needed, industry_needed = prep.nhs_needed, prep.industry_needed
    taken = np.zeros(len(pool), dtype=bool)
    picks: list[int] = []
    for step in range(min(prep.places, len(pool))):
        left = prep.places - step - 1
        admissible = np.zeros(len(kinds), dtype=bool)
        for g, (o, n, i) in enumerate(kinds):
            if counts[g] == 0:
                continue
            orgs_after = team_orgs | {o} if o >= 0 else team_orgs
            rest = {
                (oo if oo not in orgs_after else -1, nn, ii)
                for h, (oo, nn, ii) in enumerate(kinds)
                if counts[h] - (h == g) > 0
            }
            fewest = _fewest_more(
                max(0, prep.universities_needed - len(orgs_after)),
                nhs_needed and not n,
                industry_needed and not i,
                rest,
            )
            admissible[g] = fewest is not None and fewest <= left
        allowed = ~taken & admissible[gid]
        if not allowed.any():  # cannot happen on a checked problem; stay total all the same
            allowed = ~taken
        new_org = (org >= 0) & ~np.isin(org, list(team_orgs))
        gains = np.maximum(values - cover, 0).sum(axis=1) + prep.bonus * new_org
        j = int(np.argmax(np.where(allowed, gains, -1)))
        picks.append(j)
        taken[j] = True
        counts[gid[j]] -= 1
        cover = np.maximum(cover, values[j])
        if org[j] >= 0:
            team_orgs.add(int(org[j]))
        nhs_needed = nhs_needed and not prep.nhs[pool[j]]
        industry_needed = industry_needed and not prep.industry[pool[j]]
    return picks


def greedy(problem: TeamProblem) -> TeamChoice:
    """The baseline: add the candidate with the best marginal gain while the constraints can still be met."""
    prep = _prepare(problem)
    pool = np.arange(len(prep.free))
    return _choice(prep, prep.forced + prep.free[_greedy_picks(prep, pool)].tolist())


def _local_search(prep: _Prepared, pool: np.ndarray, picks: list[int], keep: int) -> tuple[list[int], int, list[int]]:
    """Best-improvement single swaps from `picks` (positions in pool) until none helps. Returns the team, its
    value in units (without the included people's constant; -1 if infeasible) and the values of the best
    `keep` feasible swaps of each member at the end: distinct teams, each different from the one returned."""
    values, org = prep.values[pool], prep.org[pool]
    nhs, industry = prep.nhs[pool], prep.industry[pool]
    picks = list(picks)
    current, neighbours = -1, []
    for _ in range(100):
        move, neighbours = None, []
        for i in range(len(picks)):
            rest = picks[:i] + picks[i + 1 :]
            cover = values[rest].max(axis=0) if rest else np.zeros(values.shape[1], dtype=np.int64)
            rest_orgs = {int(o) for o in org[rest] if o >= 0}
            universities = len(rest_orgs) + ((org >= 0) & ~np.isin(org, list(rest_orgs)))
            total = np.maximum(values, cover).sum(axis=1) + prep.bonus * universities
            feasible = universities >= prep.universities_needed
            if prep.nhs_needed and not nhs[rest].any():
                feasible &= nhs
            if prep.industry_needed and not industry[rest].any():
                feasible &= industry
            feasible[rest] = False
            if current < 0 and feasible[picks[i]]:  # the starting team itself
                current = int(total[picks[i]])
            feasible[picks[i]] = False
            total = np.where(feasible, total, -1)
            j = int(np.argmax(total))
            if total[j] > current and (move is None or total[j] > move[2]):
                move = (i, j, int(total[j]))
            if keep:
                top = total[np.argpartition(-total, min(keep, len(total)) - 1)[:keep]]
                neighbours += [int(v) for v in top if v >= 0]
        if move is None:
            break
        picks[move[0]], current = move[1], move[2]
    return picks, current, sorted(neighbours, reverse=True)


def _attribute_groups(prep: _Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Group id of each free candidate, and useful[g, h]: group h is at least as useful as group g."""
    attrs = np.stack([prep.org, prep.nhs, prep.industry], axis=1)
    groups, gid = np.unique(attrs, axis=0, return_inverse=True)
    o, n, i = groups[:, 0], groups[:, 1], groups[:, 2]
    useful = ((o[:, None] == -1) | (o[None, :] == o[:, None])) & (n[None, :] >= n[:, None]) & (i[None, :] >= i[:, None])
    return gid.ravel(), useful


@cache
def _theme_sets(themes: int) -> np.ndarray:
    """Row S: which themes set S holds (0/1, float for BLAS)."""
    masks = np.arange(1 << themes)
    return ((masks[:, None] >> np.arange(themes)) & 1).astype(np.float64)


@cache
def _submask_pairs(themes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (set, subset) pair sorted by set, and where each set's run starts (3^themes pairs)."""
    sets, subsets = [], []
    for mask in range(1 << themes):
        sub = mask
        while True:
            sets.append(mask)
            subsets.append(sub)
            if sub == 0:
                break
            sub = (sub - 1) & mask
    sets_, subsets_ = np.array(sets), np.array(subsets)
    return sets_, subsets_, np.flatnonzero(np.r_[True, sets_[1:] != sets_[:-1]])


def _set_sums(values: np.ndarray, start: int, stop: int) -> np.ndarray:
    """sums[S - start, p]: candidate p's total value over theme set S, for the sets start..stop-1."""
    # A float product for speed (BLAS); exact, as the sums are small integers.
    return np.rint(_theme_sets(values.shape[1])[start:stop] @ values.T).astype(np.int64)


class _RestBound:
    """Upper bounds by dynamic programming over theme sets, on a relaxation of the problem in which people of
    the same kind (new university or not, NHS matcher, industry matcher) may be used more than once and every
    member from a new university counts as one more university: layers[j][S, needs] >= the most that j more
    people can add covering only themes in S while meeting `needs` (NHS still needed, industry still needed,
    universities still needed)."""

    def __init__(self, prep: _Prepared, steps: int):
        values, n_themes = prep.values, prep.values.shape[1]
        n_sets = 1 << n_themes
        kind = (prep.org >= 0) * 4 + prep.nhs * 2 + prep.industry
        by_kind = np.argsort(kind, kind="stable")
        kinds, firsts = np.unique(kind[by_kind], return_index=True)
        best = np.full((8, n_sets), -np.inf)
        for start in range(0, n_sets, _SUBSET_CHUNK):
            sums = _set_sums(values[by_kind], start, start + _SUBSET_CHUNK)
            best[kinds, start : start + sums.shape[0]] = np.maximum.reduceat(sums, firsts, axis=1).T
        self.shape = (2, 2, prep.universities_needed + 1)
        sets, subsets, starts = _submask_pairs(n_themes)
        layer = np.full((n_sets, *self.shape), -np.inf)
        layer[:, 0, 0, 0] = 0.0
        layer = layer.reshape(n_sets, -1)
        self.layers = [layer]
        nn, ii, uu = np.unravel_index(np.arange(layer.shape[1]), self.shape)
        for _ in range(steps):
            following = np.full_like(layer, -np.inf)
            for k in kinds:
                university, nhs, industry = (k >> 2) & 1, (k >> 1) & 1, k & 1
                after = np.ravel_multi_index(
                    (nn & (1 - nhs), ii & (1 - industry), np.maximum(0, uu - university)), self.shape
                )
                gain = best[k, subsets] + prep.bonus * university
                candidates = gain[:, None] + layer[:, after][sets ^ subsets]
                np.maximum(following, np.maximum.reduceat(candidates, starts, axis=0), out=following)
            layer = following
            self.layers.append(layer)

    def state(self, nhs, industry, universities) -> np.ndarray:
        return np.ravel_multi_index(
            (np.asarray(nhs, dtype=np.int64), np.asarray(industry, dtype=np.int64), universities), self.shape
        )


@dataclass
class _Pruned:
    pool: np.ndarray  # free candidates kept (indices into prep.free)
    allowed: np.ndarray  # for each, a bit mask of the themes it may be credited with
    upper_bound: float  # proven bound on the value (units, without the constant)
    hint: list[int]  # positions in pool: a good feasible team to start from
    heuristic: int  # value of the local-search team over all candidates (units, without the constant)
    after_beating: int  # candidates left by the theme-set test alone, before the bound


def _prune(prep: _Prepared, alternatives: int, greedy_team: list[int]) -> _Pruned:
    """Free candidates that can be in the best team or the next `alternatives` (proof in the module docstring).
    `greedy_team` (positions in prep.free) is where the local search for the lower bound starts."""
    values = prep.values
    n, n_themes = values.shape
    everyone = np.arange(n)
    team, heuristic, neighbours = _local_search(prep, everyone, greedy_team, alternatives)
    # A+1 distinct feasible teams: the (A+1)-th best value is reached by the best team and each alternative.
    found = sorted([heuristic, *neighbours], reverse=True)
    lower = found[alternatives] if len(found) > alternatives else None
    rest = _RestBound(prep, prep.places)
    start = rest.state(prep.nhs_needed, prep.industry_needed, prep.universities_needed)
    upper = float(rest.layers[prep.places][(1 << n_themes) - 1, start])
    keep, allowed, after_beating = _prune_by_theme_sets(prep, prep.places + alternatives, rest, lower)
    position = {int(p): j for j, p in enumerate(keep)}
    if all(p in position for p in team):
        hint = [position[p] for p in team]
    else:
        hint = _local_search(prep, keep, _greedy_picks(prep, keep), 0)[0]
    return _Pruned(keep, allowed, upper, hint, heuristic, after_beating)


def _prune_by_theme_sets(
    prep: _Prepared, beaten: int, rest: _RestBound, lower: int | None
) -> tuple[np.ndarray, np.ndarray, int]:
    """For every theme set S, the candidates fewer than `beaten` others beat on S, less the (candidate, S)
    pairs the bound rules out; returns the candidates left, the union of their sets, and how many the
    beating test alone left."""
    values = prep.values
    n, n_themes = values.shape
    order = np.lexsort((np.arange(n), -values.sum(axis=1)))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    tiebreak = (n - 1 - pos)[None, :]
    gid, useful = _attribute_groups(prep)
    support = (values > 0) @ (1 << np.arange(n_themes))
    university = (prep.org >= 0).astype(np.int64)
    after = rest.state(
        prep.nhs_needed & ~prep.nhs,
        prep.industry_needed & ~prep.industry,
        np.maximum(0, prep.universities_needed - university),
    )
    rest_layer = rest.layers[prep.places - 1]
    full = (1 << n_themes) - 1
    members = [np.flatnonzero(gid == h) for h in range(useful.shape[0])]
    allowed = np.zeros(n, dtype=np.int64)
    beats, survives = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for start in range(0, 1 << n_themes, _SUBSET_CHUNK):
        sums = _set_sums(values, start, start + _SUBSET_CHUNK)
        masks = np.arange(start, start + sums.shape[0])
        key = sums * n + tiebreak  # unique: the set's sum, then pos
        lines = np.arange(key.shape[0])[:, None]
        tops = []
        for rows in members:
            if len(rows) > beaten:
                tops.append(rows[np.argpartition(-key[:, rows], beaten - 1, axis=1)[:, :beaten]])
            else:
                tops.append(np.broadcast_to(rows[None, :], (key.shape[0], len(rows))))
        for g in range(useful.shape[0]):
            # The top K of a union of groups lies in the union of the groups' top K.
            pool = np.concatenate([tops[h] for h in np.flatnonzero(useful[g])], axis=1)
            if pool.shape[1] > beaten:
                pool = np.take_along_axis(pool, np.argpartition(-key[lines, pool], beaten - 1, axis=1)[:, :beaten], 1)
            lines_hit, cols = np.nonzero(gid[pool] == g)
            winners, sets = pool[lines_hit, cols], masks[lines_hit]
            # Only sets the candidate has something for (or none), and only pairs a team could reach the
            # lower bound with.
            pair = (sets & ~support[winners]) == 0
            beats[winners[pair]] = True
            if lower is not None:
                bound = sums[lines_hit, winners] + prep.bonus * university[winners]
                pair &= bound + rest_layer[full ^ sets, after[winners]] >= lower
            survives[winners[pair]] = True
            np.bitwise_or.at(allowed, winners[pair], sets[pair])
    keep = np.flatnonzero(survives)
    return keep, allowed[keep], int(beats.sum())


class _TeamModel:
    """The CP-SAT model over the free candidates in `pool` (indices into prep.free)."""

    def __init__(self, prep: _Prepared, pool: np.ndarray, allowed: np.ndarray):
        self.model = model = cp_model.CpModel()
        values = prep.values[pool]
        self.x = [model.new_bool_var(f"x{j}") for j in range(len(pool))]
        model.add(cp_model.LinearExpr.sum(self.x) == prep.places)
        terms, weights = [], []
        for t in range(values.shape[1]):
            credited = []
            for j in np.flatnonzero((values[:, t] > 0) & ((allowed >> t) & 1).astype(bool)):
                y = model.new_bool_var(f"y{j}_{t}")
                model.add_implication(y, self.x[j])
                credited.append(y)
                weights.append(int(values[j, t]))
            if len(credited) > 1:
                model.add_at_most_one(credited)
            terms += credited
        org = prep.org[pool]
        represented = []
        for o in np.unique(org[org >= 0]):
            u = model.new_bool_var(f"u{o}")
            model.add_bool_or([self.x[j] for j in np.flatnonzero(org == o)]).only_enforce_if(u)
            represented.append(u)
        if prep.universities_needed:
            model.add(cp_model.LinearExpr.sum(represented) >= prep.universities_needed)
        terms += represented
        weights += [prep.bonus] * len(represented)
        for needed, flags in ((prep.nhs_needed, prep.nhs), (prep.industry_needed, prep.industry)):
            if needed:
                model.add_bool_or([self.x[j] for j in np.flatnonzero(flags[pool])])
        model.maximize(cp_model.LinearExpr.weighted_sum(terms, weights))

    def hint(self, picks: Iterable[int]) -> None:
        chosen = set(picks)
        for j, x in enumerate(self.x):
            self.model.add_hint(x, j in chosen)

    def forbid(self, picks: Sequence[int]) -> None:
        self.model.clear_hints()
        self.model.add(cp_model.LinearExpr.sum([self.x[j] for j in picks]) <= len(picks) - 1)

    def solve(self, *, time_limit: float, workers: int) -> tuple[int, list[int], float, float]:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_limit
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = 0
        if workers > 1:
            # The default two-worker portfolio proves nothing here (its LP has no cuts); the full-LP worker
            # closes the gap in well under a second (docs/decisions/0004-team-builder.md).
            solver.parameters.subsolvers.extend(["max_lp", "default_lp"])
        else:
            solver.parameters.linearization_level = 2
        status = solver.solve(self.model)
        picks = []
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            picks = [j for j, x in enumerate(self.x) if solver.boolean_value(x)]
        return status, picks, solver.best_objective_bound, solver.wall_time


def _with_status(prep: _Prepared, choice: TeamChoice, status: int, bound_units: float) -> TeamChoice:
    if status == cp_model.OPTIMAL:
        return dataclasses.replace(choice, status="optimal", gap=0.0)
    bound = prep.constant + bound_units
    gap = max(0.0, bound - choice.objective * SCALE) / bound if bound > 0 else 0.0
    return dataclasses.replace(choice, status="feasible", gap=gap)


def _warnings(prep: _Prepared, best: TeamChoice) -> tuple[str, ...]:
    p = prep.problem
    eligible = np.concatenate([prep.forced, prep.free]).astype(np.int64)
    found = []
    for t, cover in enumerate(best.coverage):
        if not (prep.units[eligible, t] >= _MATCH_UNITS).any():
            found.append(f"No candidate matches the theme '{p.themes[t]}'")
        elif cover.similarity < MATCH_THRESHOLD:
            found.append(f"No one in the team matches the theme '{p.themes[t]}' (best {cover.similarity:.2f})")
    return tuple(found)


def solve(
    problem: TeamProblem, *, time_limit: float = 2.0, alternatives: int = 3, prune: bool = True, workers: int = 2
) -> TeamResult:
    """The best team, proven optimal within `time_limit` seconds a solve (else the gap is stated), and up to
    `alternatives` next-best distinct teams. Raises TeamInfeasible with every reason no team can be made.
    prune=False gives the solver every eligible candidate: for checking the pruning on small problems."""
    started = time.perf_counter()
    alternatives = max(0, alternatives)
    prep = _prepare(problem)
    everyone = np.arange(len(prep.free))
    greedy_team = _greedy_picks(prep, everyone)
    greedy_choice = _choice(prep, prep.forced + prep.free[greedy_team].tolist())
    if prep.places == 0:  # the included people are the team
        best = dataclasses.replace(_choice(prep, prep.forced), status="optimal", gap=0.0)
        pruned = _Pruned(everyone[:0], everyone[:0], 0.0, [], 0, 0)
        elapsed = time.perf_counter() - started
        return _result(prep, best, (), greedy_choice, pruned, best.objective, 0.0, 0.0, elapsed, 0.0)

    prune_started = time.perf_counter()
    if prune:
        pruned = _prune(prep, alternatives, greedy_team)
    else:
        team, heuristic, _ = _local_search(prep, everyone, greedy_team, 0)
        every_theme = np.full(len(everyone), (1 << len(problem.themes)) - 1)
        pruned = _Pruned(everyone, every_theme, _plain_upper_bound(prep), team, heuristic, len(everyone))
    prune_seconds = time.perf_counter() - prune_started
    pool = pruned.pool

    def team_of(picks: Iterable[int]) -> list[int]:
        return prep.forced + prep.free[pool[list(picks)]].tolist()

    model = _TeamModel(prep, pool, pruned.allowed)
    model.hint(pruned.hint)
    status, picks, bound_units, solve_seconds = model.solve(time_limit=time_limit, workers=workers)
    if status == cp_model.INFEASIBLE:  # the checks are exact and pruning keeps a best team: a defect here
        raise TeamInfeasible(["No team meets every requirement"])
    if not picks:  # no solution within the time limit: report the (feasible) hint, against the proven bound
        status, picks, bound_units = cp_model.FEASIBLE, pruned.hint, pruned.upper_bound
    bound_units = min(bound_units, pruned.upper_bound)
    best = _with_status(prep, _choice(prep, team_of(picks)), status, bound_units)
    bound = best.objective if best.status == "optimal" else (prep.constant + bound_units) / SCALE
    total_seconds = time.perf_counter() - started

    found = []
    alternatives_started = time.perf_counter()
    for _ in range(alternatives):
        model.forbid(picks)
        status, picks, alt_bound, _seconds = model.solve(time_limit=time_limit, workers=workers)
        if not picks:  # no other team, or none found in time
            break
        choice = _with_status(prep, _choice(prep, team_of(picks)), status, min(alt_bound, pruned.upper_bound))
        found.append(
            dataclasses.replace(
                choice,
                swapped_out=tuple(k for k in best.members if k not in choice.members),
                swapped_in=tuple(k for k in choice.members if k not in best.members),
            )
        )
    alternatives_seconds = time.perf_counter() - alternatives_started
    return _result(
        prep,
        best,
        tuple(found),
        greedy_choice,
        pruned,
        bound,
        prune_seconds,
        solve_seconds,
        total_seconds,
        alternatives_seconds,
    )


def _plain_upper_bound(prep: _Prepared) -> float:
    """Each theme's best value plus the bonus for as many new universities as there are places."""
    n_orgs = len(np.unique(prep.org[prep.org >= 0]))
    return float(prep.values.max(axis=0, initial=0).sum() + prep.bonus * min(prep.places, n_orgs))


def _result(prep, best, found, greedy_choice, pruned, bound, prune_seconds, solve_seconds, total_seconds, alt_seconds):
    p = prep.problem
    return TeamResult(
        best=best,
        alternatives=found,
        themes=p.themes,
        bound=bound,
        greedy_objective=greedy_choice.objective,
        local_search_objective=(prep.constant + pruned.heuristic) / SCALE if len(pruned.pool) else best.objective,
        candidates=len(p.candidates),
        eligible=prep.eligible,
        after_beating=pruned.after_beating,
        after_pruning=len(pruned.pool),
        prune_seconds=prune_seconds,
        solve_seconds=solve_seconds,
        total_seconds=total_seconds,
        alternatives_seconds=alt_seconds,
        warnings=_warnings(prep, best),
    )
