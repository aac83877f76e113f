"""Team builder at partnership scale: 1,000, 5,000 and 20,000 candidates, 8 themes, teams of 6.

The similarities come from real text. The 144 PubMed abstracts of data/demo/works.jsonl and 16 call themes are
embedded with the project's model (all-MiniLM-L6-v2, mhi/expertise/engine/embedding.py). Each candidate has
four works, noisy copies of two "home" abstracts (a real embedding plus N(0, 0.05^2) in each dimension,
renormalised, as in bench/ranking_bench.py), and their similarity to a theme is the ranking's decaying mean of
the works' cosines (people_scores). Each run draws 8 of the 16 themes. Attributes: 66% partner-university
staff over the 7 universities (22/18/16/13/12/10/9% of them), 18% NHS staff over 12 trusts, 10% industry over
40 companies, 6% clinical academics (a partner university and the NHS); live bids Poisson(0.8), limit 3.
Constraints: a team of 6 with at least 3 partner universities, an NHS person and an industry person who match
a theme; 3 alternatives.

Printed for each size and run: eligible candidates, those left by pruning test 1 (theme sets) and by test 2
(the bound), the greedy, local-search and solver objectives, the solver's gain over greedy, status and gap,
CP-SAT's time for the best team, the total time to the proven best team (checks, greedy, pruning, model and
solve) and the time for the 3 alternatives.

    .venv/bin/python bench/teams_bench.py [--sizes 1000 5000 20000] [--runs 3] [--time-limit 2]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mhi.expertise.engine.benchmark import work_text  # noqa: E402
from mhi.expertise.engine.embedding import Embedder  # noqa: E402
from mhi.expertise.engine.ranking import people_scores  # noqa: E402
from mhi.opportunities.engine.teams import Candidate, TeamProblem, solve  # noqa: E402

THEMES = [
    "type 2 diabetes and cardiovascular risk",
    "sepsis in preterm infants",
    "antimicrobial prescribing in primary care",
    "cancer biomarkers and tumour response",
    "medical education and clinical assessment",
    "hearing loss and speech recognition",
    "implantable cardiac devices",
    "amblyopia and visual acuity",
    "depression and mental health",
    "asthma and airway inflammation",
    "sports performance and exercise training",
    "vaccination of older people",
    "colonoscopy and gastrointestinal endoscopy",
    "emergency medicine ultrasound",
    "hypertension and heart structure",
    "health economics of specialty drugs",
]
UNIVERSITY_SHARES = np.array([0.22, 0.18, 0.16, 0.13, 0.12, 0.10, 0.09])
WORKS_EACH = 4


def candidates_make(rng, abstracts: np.ndarray, themes: np.ndarray, n: int) -> TeamProblem:
    home = rng.integers(0, len(abstracts), (n, 2))
    seeds = home[np.arange(n)[:, None], rng.integers(0, 2, (n, WORKS_EACH))].ravel()
    works = abstracts[seeds] + 0.05 * rng.standard_normal((len(seeds), abstracts.shape[1]), dtype=np.float32)
    works /= np.linalg.norm(works, axis=1, keepdims=True)
    owner = np.repeat(np.arange(n), WORKS_EACH)
    chosen = rng.choice(len(themes), 8, replace=False)
    similarity = np.stack([people_scores(works @ themes[t], owner, n) for t in chosen], axis=1)
    kinds = rng.choice(4, n, p=[0.66, 0.18, 0.10, 0.06])  # university, NHS, industry, clinical academic
    people = []
    for key, kind in enumerate(kinds):
        if kind in (0, 3):
            org = int(rng.choice(7, p=UNIVERSITY_SHARES))
        elif kind == 1:
            org = 100 + int(rng.integers(0, 12))
        else:
            org = 200 + int(rng.integers(0, 40))
        people.append(
            Candidate(key, f"Person {key}", org, kind in (0, 3), kind in (1, 3), kind == 2, int(rng.poisson(0.8)))
        )
    return TeamProblem(
        people,
        [THEMES[t] for t in chosen],
        similarity,
        team_size=6,
        min_partner_universities=3,
        require_nhs=True,
        require_industry=True,
        max_live_bids=3,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000, 20_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=2.0)
    args = parser.parse_args()

    works = [json.loads(line) for line in (ROOT / "data/demo/works.jsonl").read_text(encoding="utf-8").splitlines()]
    embedder = Embedder()
    started = time.perf_counter()
    abstracts = embedder.encode([work_text(w) for w in works])
    themes = embedder.encode(THEMES)
    print(f"{len(works)} real abstracts and {len(THEMES)} themes embedded in {time.perf_counter() - started:.1f} s")
    solve(candidates_make(np.random.default_rng(99), abstracts, themes, 200))  # warm up OR-Tools and numpy

    header = (
        f"{'candidates':>10} {'run':>3} {'eligible':>8} {'test 1':>6} {'test 2':>6} {'greedy':>7} {'swaps':>7} "
        f"{'solver':>7} {'vs greedy':>9} {'status':>8} {'gap':>6} {'CP-SAT s':>8} {'total s':>7} {'alts s':>6}"
    )
    print(header)
    print("-" * len(header))
    summary = []
    for n in args.sizes:
        totals, gains = [], []
        for run in range(args.runs):
            problem = candidates_make(np.random.default_rng(1000 * n + run), abstracts, themes, n)
            r = solve(problem, time_limit=args.time_limit, alternatives=3)
            gain = 100 * (r.objective - r.greedy_objective) / r.greedy_objective
            totals.append(r.total_seconds)
            gains.append(gain)
            print(
                f"{n:>10,} {run:>3} {r.eligible:>8,} {r.after_beating:>6,} {r.after_pruning:>6,} "
                f"{r.greedy_objective:>7.3f} {r.local_search_objective:>7.3f} {r.objective:>7.3f} {gain:>+8.1f}% "
                f"{r.status:>8} {100 * r.gap:>5.2f}% {r.solve_seconds:>8.2f} {r.total_seconds:>7.2f} "
                f"{r.alternatives_seconds:>6.2f}"
            )
        summary.append((n, np.median(totals), max(totals), np.median(gains)))
    print()
    for n, median, worst, gain in summary:
        print(
            f"{n:>7,} candidates: proven optimum in {median:.2f} s median, {worst:.2f} s worst "
            f"(including pruning); solver {gain:+.1f}% over greedy (median)"
        )


if __name__ == "__main__":
    main()
