"""Site placement at study scale: 40 candidate sites (the issue's requirement: proven optimum in at most 2 s) and
growth to 200, for each objective.

Instances are random but seeded and shaped like feasibility answers: each site estimates 1-15 participants a
month and can start in months 0-9; its delivery capacity caps the rate for a third of sites (capacity 1-3 below
the estimate); 70% have a total cap, their reach estimate, of 4-30 months' worth of recruitment; set-up costs
are £5,000-£40,000 in steps of £500. The target is 25-50% of what every site together would recruit in the first
24 months (a study that needs a good share of the region, not all of it). Limits: the budget objective gets 35%
of the candidates' total set-up cost; the max-sites objective at most max(3, n / 8) sites. Horizon 60 months,
two CP-SAT workers, 10 s limit per stage.

Printed for each size and objective: how many runs were proven optimal, the p50 and max of CP-SAT's time (all
stages) and of the total time (checks, bounds, hand-picked sets, models, solves and the alternatives), the
median number of sites chosen and completion month (1-based), and the median months saved against the
highest-rate sites of the same number (the "greedy" alternative; within the limits).

    .venv/bin/python bench/placement_bench.py [--sizes 40 60 80 120 160 200] [--runs 10] [--time-limit 10]
"""

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OBJECTIVES = ("soonest", "budget", "max_sites")


def instance(n: int, seed: int):
    from mhi.studies.placement import PlacementCandidate

    rng = random.Random(seed)
    sites = []
    for i in range(n):
        rate = rng.randint(1, 15)
        monthly_cap = max(1, rate - rng.randint(1, 3)) if rng.random() < 1 / 3 else None
        monthly = rate if monthly_cap is None else min(rate, monthly_cap)
        total_cap = monthly * rng.randint(4, 30) if rng.random() < 0.7 else None
        sites.append(
            PlacementCandidate(
                site_id=i + 1,
                name=f"Site {i + 1}",
                rate=rate,
                start_month=rng.randint(0, 9),
                monthly_cap=monthly_cap,
                total_cap=total_cap,
                cost=Decimal(rng.randint(10, 80) * 500),
            )
        )
    two_years = sum(s.cumulative(23) for s in sites)
    target = max(1, round(rng.uniform(0.25, 0.5) * two_years))
    budget = (Decimal("0.35") * sum(s.cost for s in sites)).quantize(Decimal("1"))
    return sites, target, budget, max(3, n // 8)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[40, 60, 80, 120, 160, 200])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from mhi.studies.placement import placement_solve

    sites, target, _, _ = instance(40, seed=1)
    placement_solve(sites, target=target, objective="soonest")  # warm up OR-Tools

    header = (
        f"{'sites':>5} {'objective':>9} {'optimal':>7} {'CP-SAT p50':>10} {'CP-SAT max':>10} {'total p50':>9} "
        f"{'total max':>9} {'chosen':>6} {'month':>5} {'vs greedy':>9}"
    )
    print(header)
    print("-" * len(header))
    started = time.perf_counter()
    worst_40 = 0.0
    for n in args.sizes:
        for objective in OBJECTIVES:
            solve, total, chosen, months, saved, optimal = [], [], [], [], [], 0
            for run in range(args.runs):
                sites, target, budget, max_sites = instance(n, seed=1000 * n + run)
                limits = {"budget": budget} if objective == "budget" else {}
                if objective == "max_sites":
                    limits = {"max_sites": max_sites}
                r = placement_solve(
                    sites,
                    target=target,
                    objective=objective,
                    time_limit=args.time_limit,
                    workers=args.workers,
                    **limits,
                )
                optimal += r.status == "optimal"
                solve.append(r.solve_seconds)
                total.append(r.total_seconds)
                chosen.append(len(r.chosen))
                if r.completion_index is not None:
                    months.append(r.completion_index + 1)
                    greedy = next(o for o in r.alternatives if o.key == "by_rate")
                    horizon = r.horizon_months
                    greedy_month = greedy.completion_index if greedy.completion_index is not None else horizon
                    saved.append(greedy_month - r.completion_index)
            if n == 40:
                worst_40 = max(worst_40, max(total))
            print(
                f"{n:>5} {objective:>9} {optimal:>4}/{args.runs:<2} {statistics.median(solve):>10.3f} "
                f"{max(solve):>10.3f} {statistics.median(total):>9.3f} {max(total):>9.3f} "
                f"{statistics.median(chosen):>6.0f} {statistics.median(months) if months else float('nan'):>5.0f} "
                f"{statistics.median(saved) if saved else float('nan'):>+9.1f}"
            )
    print()
    print(
        f"40 sites: proven optimum in at most {worst_40:.3f} s (total, every objective); bench took "
        f"{time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
