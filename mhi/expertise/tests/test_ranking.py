import numpy as np
import pytest

from mhi.expertise.engine.ranking import best_works, people_scores, person_score, work_similarities


def test_person_score_halves_the_weight_of_each_next_work():
    assert person_score(np.array([0.2, 0.8, 0.5], dtype=np.float32)) == pytest.approx((0.8 + 0.25 + 0.05) / 1.75)


def test_person_without_works_scores_below_everyone():
    assert person_score(np.array([], dtype=np.float32)) == float("-inf")


def test_people_scores_match_person_score_for_each_owner():
    sims = np.array([0.1, 0.9, 0.4, 0.3, 0.7], dtype=np.float32)
    owner = np.array([0, 1, 0, 2, 1])
    scores = people_scores(sims, owner, 4)
    assert scores[0] == pytest.approx(person_score(sims[[0, 2]]))
    assert scores[1] == pytest.approx(person_score(sims[[1, 4]]))
    assert scores[2] == pytest.approx(0.3 / 1.75)  # one work, counted as one of three
    assert scores[3] == float("-inf")


def test_one_strong_work_beats_several_weak_ones_but_two_strong_beat_one():
    sims = np.array([0.9, 0.3, 0.3, 0.3, 0.9, 0.8], dtype=np.float32)
    owner = np.array([0, 1, 1, 1, 2, 2])
    scores = people_scores(sims, owner, 3)
    assert scores[2] > scores[0] > scores[1]


def test_lexical_similarity_is_added_to_the_semantic_one():
    from scipy import sparse

    vectors = np.eye(3, dtype=np.float32)
    query = np.array([1, 0, 0], dtype=np.float32)
    terms = sparse.csr_matrix(np.array([[0, 1], [1, 0], [0, 0]], dtype=np.float32))
    query_terms = sparse.csr_matrix(np.array([[1, 0]], dtype=np.float32))
    assert work_similarities(query, vectors, query_terms, terms).tolist() == [1.0, 1.0, 0.0]


def test_best_works_lists_the_top_matches_of_a_person():
    sims = np.array([0.1, 0.9, 0.4, 0.3], dtype=np.float32)
    matches = best_works(sims, np.array([0, 2, 3]), limit=2)
    assert [(m.work_index, round(m.similarity, 2)) for m in matches] == [(2, 0.4), (3, 0.3)]


def test_top_people_is_exact_against_scoring_everyone():
    from mhi.expertise.engine.ranking import owner_starts, top_people

    rng = np.random.default_rng(7)
    owner = np.sort(rng.integers(0, 300, 5000))
    sims = rng.random(5000, dtype=np.float32)
    everyone = people_scores(sims, owner, 300)
    expected = np.argsort(-everyone, kind="stable")[:25]
    people, scores = top_people(sims, owner, owner_starts(owner, 300), k=25, first_pool=64)
    assert people.tolist() == expected.tolist()
    assert scores.tolist() == pytest.approx(everyone[expected].tolist())


def test_top_people_respects_the_allowed_mask():
    from mhi.expertise.engine.ranking import owner_starts, top_people

    owner = np.array([0, 0, 1, 2])
    sims = np.array([0.9, 0.8, 0.7, 0.1], dtype=np.float32)
    allowed = np.array([False, True, True])
    people, _ = top_people(sims, owner, owner_starts(owner, 3), k=5, allowed=allowed, first_pool=1)
    assert people.tolist() == [1, 2]
