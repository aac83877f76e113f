import itertools

import numpy as np
import pytest

from mhi.opportunities.engine.teams import (
    MAX_THEMES,
    Candidate,
    TeamInfeasible,
    TeamProblem,
    greedy,
    solve,
)

UNI_A, UNI_B, UNI_C, TRUST, FIRM = 1, 2, 3, 50, 60


def person(key, org=None, *, uni=False, nhs=False, industry=False, bids=0, name=None):
    return Candidate(key, name or f"Person {key}", org, uni, nhs, industry, bids)


def problem(people, similarity, themes=None, **options):
    similarity = np.array(similarity, dtype=float)
    themes = themes or [f"theme {t}" for t in range(similarity.shape[1])]
    options.setdefault("university_bonus", 0.0)
    return TeamProblem(people, themes, similarity, **options)


def reasons(p):
    with pytest.raises(TeamInfeasible) as caught:
        solve(p)
    return caught.value.reasons


# The generalist G tempts the greedy baseline; the two specialists X and Y are the best pair.
SPECIALISTS = [
    (1, [0.65, 0.65, 0.65]),  # G
    (2, [0.9, 0.9, 0.0]),  # X
    (3, [0.0, 0.0, 0.9]),  # Y
    (4, [0.5, 0.1, 0.1]),
    (5, [0.1, 0.5, 0.1]),
    (6, [-0.1, 0.2, 0.3]),
]


def specialists(**options):
    return problem([person(k) for k, _ in SPECIALISTS], [s for _, s in SPECIALISTS], team_size=2, **options)


def test_it_beats_the_greedy_team_and_proves_it():
    p = specialists()
    baseline = greedy(p)
    assert set(baseline.members) == {1, 2}
    assert baseline.objective == 2.45
    result = solve(p)
    assert set(result.members) == {2, 3}
    assert result.objective == 2.7
    assert result.status == "optimal"
    assert result.gap == 0.0
    assert result.bound == 2.7
    assert result.greedy_objective == 2.45


def test_it_explains_the_team_theme_by_theme():
    result = solve(specialists())
    assert result.best.members == (2, 3)  # ordered by the first theme each covers
    assert [(c.theme, c.member, c.similarity) for c in result.best.coverage] == [
        ("theme 0", 2, 0.9),
        ("theme 1", 2, 0.9),
        ("theme 2", 3, 0.9),
    ]
    assert result.best.table == ((0.9, 0.0), (0.9, 0.0), (0.0, 0.9))


def test_alternatives_are_the_next_best_distinct_teams_in_order():
    result = solve(specialists(), alternatives=3)
    assert [set(a.members) for a in result.alternatives] == [{1, 2}, {1, 3}, {2, 6}]
    assert [a.objective for a in result.alternatives] == [2.45, 2.2, 2.1]
    assert [a.status for a in result.alternatives] == ["optimal", "optimal", "optimal"]


def test_an_alternative_says_who_is_swapped():
    alternative = solve(specialists(), alternatives=1).alternatives[0]
    assert alternative.swapped_out == (3,)
    assert alternative.swapped_in == (1,)


def test_there_are_no_more_alternatives_than_teams():
    result = solve(specialists(exclude={4, 5, 6}), alternatives=5)
    assert [set(a.members) for a in result.alternatives] == [{1, 2}, {1, 3}]


def test_a_generalist_who_is_nobodys_top_two_on_any_theme_is_still_chosen():
    # Pruning by "top K on a single theme" would drop person 1 and miss the optimum.
    people = [person(k) for k in range(1, 8)]
    similarity = [
        [0.5, 0.5, 0.5],
        [0.62, 0, 0],
        [0.61, 0, 0],
        [0, 0.6, 0],
        [0, 0.59, 0],
        [0, 0, 0.6],
        [0, 0, 0.59],
    ]
    result = solve(problem(people, similarity, team_size=2), alternatives=0)
    assert set(result.members) == {1, 2}
    assert result.objective == 1.62


def test_it_spreads_the_team_over_the_required_number_of_partner_universities():
    people = [
        person(1, UNI_A, uni=True),
        person(2, UNI_A, uni=True),
        person(3, UNI_A, uni=True),
        person(4, UNI_B, uni=True),
        person(5, UNI_C, uni=True),
    ]
    similarity = [[0.9, 0.1], [0.1, 0.9], [0.8, 0.8], [0.5, 0.3], [0.2, 0.6]]
    assert set(solve(problem(people, similarity, team_size=2)).members) == {1, 2}
    result = solve(problem(people, similarity, team_size=3, min_partner_universities=3))
    assert set(result.members) == {3, 4, 5}
    assert result.best.universities == 3
    assert result.objective == 1.6


def test_the_nhs_person_must_match_a_theme():
    people = [
        person(1, UNI_A, uni=True),
        person(2, UNI_A, uni=True),
        person(3, TRUST, nhs=True),  # useful on every theme, but below 0.2 on each: no match
        person(4, TRUST, nhs=True),
    ]
    similarity = [[0.9, 0.0, 0.0], [0.0, 0.9, 0.0], [0.19, 0.19, 0.19], [0.2, 0.0, 0.0]]
    result = solve(problem(people, similarity, team_size=2, require_nhs=True))
    assert set(result.members) == {2, 4}
    assert result.objective == 1.1


def test_an_industry_person_is_added_when_required():
    people = [person(1, UNI_A, uni=True), person(2, UNI_B, uni=True), person(3, FIRM, industry=True)]
    similarity = [[0.9, 0.1], [0.1, 0.9], [0.3, 0.35]]
    result = solve(problem(people, similarity, team_size=2, require_industry=True))
    assert set(result.members) == {1, 3}
    assert result.objective == 1.25


def test_a_clinical_academic_meets_the_university_and_the_nhs_requirement_at_once():
    people = [
        person(1, UNI_A, uni=True),
        person(2, UNI_B, uni=True, nhs=True),
        person(3, TRUST, nhs=True),
        person(4, UNI_A, uni=True),
    ]
    similarity = [[0.9, 0.0], [0.3, 0.3], [0.5, 0.5], [0.0, 0.8]]
    result = solve(problem(people, similarity, team_size=2, min_partner_universities=2, require_nhs=True))
    assert set(result.members) == {1, 2}
    assert result.objective == 1.2


def test_included_people_are_in_the_team():
    result = solve(specialists(include={6}))
    assert set(result.members) == {2, 6}
    assert result.objective == 2.1


def test_excluded_people_are_not():
    result = solve(specialists(exclude={3}))
    assert set(result.members) == {1, 2}
    assert result.objective == 2.45


def test_people_at_the_live_bid_limit_are_left_out():
    people = [person(k, bids=3 if k == 3 else 2) for k, _ in SPECIALISTS]
    result = solve(problem(people, [s for _, s in SPECIALISTS], team_size=2, max_live_bids=3))
    assert set(result.members) == {1, 2}


def test_a_team_made_only_of_included_people_is_returned_as_it_is():
    result = solve(specialists(include={4, 5}))
    assert set(result.members) == {4, 5}
    assert result.objective == 1.1
    assert result.status == "optimal"
    assert result.alternatives == ()


def test_the_university_bonus_breaks_a_tie_towards_more_universities():
    people = [person(1, UNI_A, uni=True), person(2, UNI_A, uni=True), person(3, UNI_B, uni=True)]
    similarity = [[0.9, 0.0], [0.0, 0.7], [0.0, 0.7]]
    result = solve(problem(people, similarity, team_size=2, university_bonus=0.02))
    assert set(result.members) == {1, 3}
    assert result.objective == 1.64
    assert result.alternatives[0].objective == 1.62


def test_it_warns_about_themes_nobody_in_the_team_matches():
    people = [person(1), person(2)]
    result = solve(problem(people, [[0.9, 0.1], [0.8, 0.15]], themes=["sepsis", "robotics"], team_size=1))
    assert result.warnings == ("No candidate matches the theme 'robotics'",)


def test_a_too_large_included_group_is_explained():
    assert reasons(specialists(include={1, 2, 3})) == ["Team size 2 cannot include 3 required people"]


def test_missing_partner_universities_are_explained():
    people = [person(1, UNI_A, uni=True), person(2, UNI_B, uni=True), person(3, TRUST, nhs=True)]
    p = problem(people, [[0.5], [0.5], [0.5]], team_size=3, min_partner_universities=3)
    assert reasons(p) == ["Only 2 partner universities have candidates; 3 are required"]


def test_no_nhs_candidate_at_all_is_explained():
    p = problem([person(1), person(2)], [[0.5], [0.5]], themes=["paediatric sepsis"], team_size=1, require_nhs=True)
    assert reasons(p) == ["No NHS person is among the candidates"]


def test_an_nhs_candidate_who_matches_no_theme_is_explained():
    people = [person(1, UNI_A, uni=True), person(2, TRUST, nhs=True)]
    p = problem(people, [[0.7], [0.1]], themes=["paediatric sepsis"], team_size=2, require_nhs=True)
    assert reasons(p) == ["No NHS person matches the theme 'paediatric sepsis'"]


def test_no_matching_industry_person_lists_the_themes():
    people = [person(1, UNI_A, uni=True), person(2, FIRM, industry=True)]
    p = problem(people, [[0.7, 0.6], [0.1, 0.0]], themes=["sepsis", "wearables"], team_size=2, require_industry=True)
    assert reasons(p) == ["No industry person matches any of the themes 'sepsis' and 'wearables'"]


def test_an_included_person_over_the_live_bid_limit_is_explained():
    people = [person(1, name="Ada Lovelace", bids=4), person(2), person(3)]
    p = problem(people, [[0.5], [0.5], [0.5]], team_size=2, include={1}, max_live_bids=3)
    assert reasons(p) == ["Ada Lovelace is included but is already in 4 live bids (limit 3)"]


def test_too_few_eligible_candidates_are_explained():
    people = [person(1), person(2, bids=3), person(3), person(4)]
    p = problem(people, [[0.5]] * 4, team_size=3, exclude={3}, max_live_bids=3)
    assert reasons(p) == ["Only 2 candidates are eligible for a team of 3 (1 excluded, 1 at the live-bid limit of 3)"]


def test_requirements_that_only_fail_together_are_explained():
    people = [
        person(1, UNI_A, uni=True),
        person(2, UNI_B, uni=True),
        person(3, UNI_C, uni=True),
        person(4, TRUST, nhs=True),
        person(5, FIRM, industry=True),
    ]
    p = problem(
        people,
        [[0.5]] * 5,
        team_size=4,
        min_partner_universities=3,
        require_nhs=True,
        require_industry=True,
    )
    assert reasons(p) == [
        "A team of 4 is too small for 3 partner universities, an NHS person and an industry person: "
        "that needs at least 5 people"
    ]


def test_every_problem_is_reported_at_once():
    people = [person(1, name="Ada Lovelace", bids=5), person(2)]
    p = problem(
        people, [[0.5], [0.5]], themes=["sepsis"], team_size=1, include={1, 9}, max_live_bids=3, require_nhs=True
    )
    assert reasons(p) == [
        "Person 9 is included but is not among the candidates",
        "Ada Lovelace is included but is already in 5 live bids (limit 3)",
        "Team size 1 cannot include 2 required people",
        "No NHS person is among the candidates",
    ]


def test_too_many_themes_are_explained():
    themes = MAX_THEMES + 2
    p = problem([person(1)], [[0.5] * themes], team_size=1)
    assert reasons(p) == [
        f"At most {MAX_THEMES} themes can be covered at once; {themes} were given, so merge or drop 2"
    ]


def test_a_similarity_matrix_of_the_wrong_shape_is_a_programming_error():
    with pytest.raises(ValueError, match="expected"):
        TeamProblem([person(1)], ["a", "b"], np.zeros((1, 3)))


def _random_problem(seed: int, n: int) -> TeamProblem:
    rng = np.random.default_rng(seed)
    people = []
    for key in range(n):
        kind = rng.choice(["uni", "nhs", "industry", "clinical"], p=[0.6, 0.2, 0.1, 0.1])
        org = int(rng.integers(1, 5)) if kind in ("uni", "clinical") else 100 + int(rng.integers(0, 3))
        people.append(
            person(
                key,
                org,
                uni=kind in ("uni", "clinical"),
                nhs=kind in ("nhs", "clinical"),
                industry=kind == "industry",
                bids=int(rng.integers(0, 4)),
            )
        )
    themes = int(rng.integers(2, 6))
    # People good at one theme tend to be good at others, with ties: the cases pruning must get right.
    similarity = np.round(np.clip(rng.uniform(-0.2, 0.6, (n, 1)) + rng.normal(0, 0.25, (n, themes)), -0.2, 1), 2)
    included = int(rng.integers(0, 2))
    chosen = rng.choice(n, included + int(rng.integers(0, 3)), replace=False)
    return TeamProblem(
        people,
        [f"t{t}" for t in range(themes)],
        similarity,
        team_size=int(rng.integers(2, 6)),
        min_partner_universities=int(rng.integers(0, 4)),
        require_nhs=bool(rng.integers(0, 2)),
        require_industry=bool(rng.integers(0, 2)),
        include=set(chosen[:included].tolist()),
        exclude=set(chosen[included:].tolist()),
        max_live_bids=3 if rng.random() < 0.5 else None,
        university_bonus=float(rng.choice([0.0, 0.02, 0.1])),
    )


def test_pruning_never_loses_the_optimum_or_an_alternative():
    compared = 0
    for seed in range(50):
        p = _random_problem(seed, 40)
        try:
            pruned = solve(p, alternatives=2)
        except TeamInfeasible:
            continue
        full = solve(p, alternatives=2, prune=False)
        compared += 1
        assert [pruned.objective] + [a.objective for a in pruned.alternatives] == [full.objective] + [
            a.objective for a in full.alternatives
        ], seed
        assert pruned.status == full.status == "optimal"
        assert pruned.after_pruning <= full.after_pruning
    assert compared >= 35


def _brute_force(p: TeamProblem) -> list[float]:
    """Every feasible team's objective, best first, by enumeration."""
    limit = p.max_live_bids
    if limit is not None and any(c.key in p.include and c.live_bids >= limit for c in p.candidates):
        return []  # an included person cannot join another bid
    units = np.clip(np.rint(p.similarity * 1000), 0, None)
    eligible = [
        i
        for i, c in enumerate(p.candidates)
        if c.key not in p.exclude and (c.key in p.include or limit is None or c.live_bids < limit)
    ]
    forced = [i for i in eligible if p.candidates[i].key in p.include]
    others = [i for i in eligible if i not in forced]
    values = []
    for rest in itertools.combinations(others, p.team_size - len(forced)):
        team = forced + list(rest)
        people = [p.candidates[i] for i in team]
        matches = (units[team] >= 200).any(axis=1)
        universities = {c.organisation_key for c in people if c.is_partner_university}
        if len(universities) < p.min_partner_universities:
            continue
        if p.require_nhs and not any(c.is_nhs and m for c, m in zip(people, matches, strict=True)):
            continue
        if p.require_industry and not any(c.is_industry and m for c, m in zip(people, matches, strict=True)):
            continue
        values.append((units[team].max(axis=0).sum() + round(p.university_bonus * 1000) * len(universities)) / 1000)
    return sorted(values, reverse=True)


def test_the_optimum_and_alternatives_match_enumeration_and_infeasibility_is_exact():
    for seed in range(40):
        p = _random_problem(1000 + seed, 11)
        every_team = _brute_force(p)
        if not every_team:
            with pytest.raises(TeamInfeasible):
                solve(p)
            continue
        result = solve(p, alternatives=3)
        assert [result.objective] + [a.objective for a in result.alternatives] == every_team[:4], seed
        assert greedy(p).objective <= result.objective
