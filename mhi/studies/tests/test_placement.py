"""Site placement's solver (pure, no database): small instances checked by hand, the alternatives, limits, caps,
infeasibility and a 40-site instance proven optimal."""

import datetime
import random
from decimal import Decimal

import pytest

from mhi.core.errors import DomainError
from mhi.studies.placement import PlacementCandidate, month_end, month_index, month_start, placement_solve

START = datetime.date(2027, 1, 1)


def _three():
    """A recruits fastest but starts in month 7 (index 6); B and C start at once."""
    return [
        PlacementCandidate(1, "A", rate=10, start_month=6, cost=Decimal("10000")),
        PlacementCandidate(2, "B", rate=6, start_month=0, cost=Decimal("20000")),
        PlacementCandidate(3, "C", rate=5, start_month=1, cost=Decimal("5000")),
    ]


def _options(result):
    return {o.key: (o.site_ids, o.completion_index, o.within_limits) for o in result.alternatives}


def test_soonest_takes_the_fewest_sites_that_reach_the_target_first():
    r = placement_solve(_three(), target=60, objective="soonest", start=START)
    # By the end of month index 5: B 36 + C 25 = 61; A has not started; no single site is there by then.
    assert (r.status, r.chosen, r.completion_index) == ("optimal", [2, 3], 5)
    assert r.completion_date == datetime.date(2027, 6, 30)
    assert r.curve[:7] == [6, 17, 28, 39, 50, 61, 72]
    assert r.cost == Decimal("25000")
    assert _options(r) == {
        "optimal": ([2, 3], 5, True),
        "all": ([1, 2, 3], 5, True),
        "by_rate": ([1, 2], 7, True),  # A 20 + B 48 = 68 by month index 7
        "by_start": ([2, 3], 5, True),
    }
    assert [o.label for o in r.alternatives] == [
        "The chosen sites",
        "All 3 candidate sites",
        "The 2 highest-rate sites",
        "The 2 earliest-starting sites",
    ]
    assert r.message == (
        "Proven optimal: 2 sites reach the target of 60 in month 6 (June 2027); no set of sites reaches it sooner. "
        "Of the sets that reach it then, this one has the fewest sites, then the lowest set-up cost."
    )


def test_greedy_by_rate_is_not_optimal_when_the_fastest_site_starts_late():
    r = placement_solve(_three(), target=60, objective="max_sites", max_sites=1, start=START)
    # B alone: 6 a month from month 0 reaches 60 at index 9; A alone (10 from index 6) only at index 11.
    assert (r.status, r.chosen, r.completion_index) == ("optimal", [2], 9)
    assert _options(r) == {
        "optimal": ([2], 9, True),
        "all": ([1, 2, 3], 5, False),
        "by_rate": ([1], 11, True),
        "by_start": ([2], 9, True),
    }
    assert r.alternatives[2].label == "The highest-rate site"
    assert "within the limits (at most 1 site)" in r.message


def test_a_budget_changes_the_choice():
    r = placement_solve(_three(), target=60, objective="budget", budget=Decimal("15000"), start=START)
    # B (£20,000) is out; A + C (£15,000): 30 + 40 = 70 by index 8, 20 + 35 = 55 by index 7.
    assert (r.status, r.chosen, r.completion_index, r.cost) == ("optimal", [3, 1], 8, Decimal("15000"))
    assert _options(r)["all"] == ([1, 2, 3], 5, False)
    assert _options(r)["by_rate"] == ([1, 3], 8, True)
    assert r.alternatives[2].label == "The 2 highest-rate sites within the budget"
    assert r.tie_break == "the lowest set-up cost, then the fewest sites"


def test_the_tie_break_follows_the_objective():
    sites = [
        PlacementCandidate(1, "X", rate=10, cost=Decimal("9000")),
        PlacementCandidate(2, "Y", rate=5, cost=Decimal("2000")),
        PlacementCandidate(3, "Z", rate=5, cost=Decimal("2000")),
    ]
    # Within £10,000 nothing reaches 30 by index 1 (15 a month would need X and another: £11,000). By index 2,
    # X alone (£9,000) or Y and Z (£4,000) do.
    fewest = placement_solve(sites, target=30, objective="soonest", budget=Decimal("10000"), start=START)
    cheapest = placement_solve(sites, target=30, objective="budget", budget=Decimal("10000"), start=START)
    assert (fewest.chosen, fewest.completion_index, fewest.cost) == ([1], 2, Decimal("9000"))
    assert (cheapest.chosen, cheapest.completion_index, cheapest.cost) == ([2, 3], 2, Decimal("4000"))
    assert fewest.status == cheapest.status == "optimal"


def test_of_equally_fast_single_sites_the_cheaper_is_chosen():
    sites = [
        PlacementCandidate(1, "Dear", rate=10, cost=Decimal("9000")),
        PlacementCandidate(2, "Cheap", rate=10, cost=Decimal("7000")),
    ]
    r = placement_solve(sites, target=30, objective="max_sites", max_sites=1, start=START)
    assert (r.chosen, r.completion_index, r.cost) == ([2], 2, Decimal("7000"))


def test_total_and_monthly_caps_are_exact():
    sites = [
        PlacementCandidate(1, "P", rate=10, total_cap=25),
        PlacementCandidate(2, "Q", rate=9, monthly_cap=4),
    ]
    r = placement_solve(sites, target=40, objective="soonest", start=START)
    # P stops at 25, so it cannot reach 40 alone; Q recruits 4 a month (its capacity), 40 by index 9 alone.
    assert (r.status, r.chosen, r.completion_index) == ("optimal", [1, 2], 3)
    assert r.curve[:6] == [14, 28, 37, 41, 45, 49]
    assert _options(r)["by_rate"] == ([1, 2], 3, True)
    single = placement_solve(sites, target=40, objective="max_sites", max_sites=1, start=START)
    assert (single.chosen, single.completion_index) == ([2], 9)


def test_an_unreachable_target_says_so_with_the_best_total():
    sites = [PlacementCandidate(1, "Five", rate=5), PlacementCandidate(2, "Three", rate=3)]
    r = placement_solve(sites, target=100, objective="soonest", horizon_months=10, start=START)
    assert (r.status, r.chosen, r.completion_index, r.completion_date, r.best_total) == (
        "infeasible",
        [1, 2],
        None,
        None,
        80,
    )
    assert r.message == (
        "No set of sites reaches the target of 100 within 10 months: the most they can recruit by the end of "
        "October 2027 is 80, with the 2 sites shown."
    )
    limited = placement_solve(sites, target=100, objective="max_sites", max_sites=1, horizon_months=10, start=START)
    assert (limited.status, limited.chosen, limited.best_total) == ("infeasible", [1], 50)
    assert limited.message.startswith("No set of sites within the limits (at most 1 site) reaches the target of 100")


def test_a_budget_leaves_out_sites_with_no_known_cost():
    sites = [PlacementCandidate(1, "Known", rate=5, cost=Decimal("1000")), PlacementCandidate(2, "Unknown", rate=50)]
    r = placement_solve(sites, target=20, objective="budget", budget=Decimal("5000"), start=START)
    assert (r.chosen, r.completion_index) == ([1], 3)
    assert r.warnings == ["Left out because a budget applies and their set-up cost is not known: Unknown."]
    assert _options(r)["all"] == ([1, 2], 0, False)


def test_a_site_that_starts_after_the_horizon_is_never_chosen():
    sites = [PlacementCandidate(1, "Late", rate=100, start_month=12), PlacementCandidate(2, "Now", rate=2)]
    r = placement_solve(sites, target=10, objective="soonest", horizon_months=12, start=START)
    assert (r.chosen, r.completion_index) == ([2], 4)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"target": 0}, "target", "The study needs a target recruitment of at least 1 to place sites."),
        ({"target": None}, "target", "The study needs a target recruitment of at least 1 to place sites."),
        ({"candidates": []}, "candidates", "There are no candidate sites to choose from."),
        ({"max_sites": 0}, "max_sites", "The most sites must be at least 1."),
        ({"budget": Decimal("-1")}, "budget", "The budget cannot be negative."),
        ({"horizon_months": 0}, "horizon_months", "The horizon must be from 1 to 120 months."),
        ({"horizon_months": 121}, "horizon_months", "The horizon must be from 1 to 120 months."),
        ({"objective": "cheapest"}, "objective", "Choose an objective: one of soonest, budget, max_sites."),
        ({"objective": "budget"}, "budget", "Give a budget to place sites within a budget."),
        ({"objective": "max_sites"}, "max_sites", "Give the most sites to place sites with at most N sites."),
    ],
)
def test_bad_input_is_refused_with_the_reason(kwargs, field, message):
    args = {"candidates": _three(), "target": 60, "objective": "soonest", **kwargs}
    with pytest.raises(DomainError) as raised:
        placement_solve(args.pop("candidates"), **args)
    assert (raised.value.field, raised.value.message) == (field, message)


def test_repeated_sites_are_a_programming_error():
    with pytest.raises(ValueError, match="Site 1 is a candidate twice"):
        placement_solve(
            [PlacementCandidate(1, "A", rate=1), PlacementCandidate(1, "A", rate=1)], target=1, objective="soonest"
        )


def test_months():
    assert month_start(START, 13) == datetime.date(2028, 2, 1)
    assert month_end(START, 1) == datetime.date(2027, 2, 28)
    assert month_index(START, datetime.date(2027, 3, 1)) == 2
    assert month_index(START, datetime.date(2027, 3, 15)) == 3
    assert month_index(START, datetime.date(2026, 6, 1)) == 0


def _random_sites(n, seed):
    rng = random.Random(seed)
    sites = []
    for i in range(n):
        rate = rng.randint(1, 15)
        sites.append(
            PlacementCandidate(
                i + 1,
                f"Site {i + 1}",
                rate=rate,
                start_month=rng.randint(0, 9),
                monthly_cap=rng.choice([None, rate, max(1, rate - 2)]),
                total_cap=rng.choice([None, rng.randint(30, 200)]),
                cost=Decimal(rng.randint(5, 40) * 1000),
            )
        )
    return sites


@pytest.mark.parametrize(
    ("objective", "limits"),
    [("soonest", {}), ("budget", {"budget": Decimal("120000")}), ("max_sites", {"max_sites": 6})],
)
def test_forty_sites_are_solved_to_proven_optimum(objective, limits):
    sites = _random_sites(40, seed=40)
    r = placement_solve(sites, target=400, objective=objective, **limits, start=START)
    assert r.status == "optimal"
    assert r.completion_index is not None
    assert all(stage["status"] == "optimal" for stage in r.stages)
    # No alternative that keeps to the limits reaches the target sooner than the proven optimum.
    assert all(
        o.completion_index is None or o.completion_index >= r.completion_index
        for o in r.alternatives
        if o.within_limits
    )
