"""Ranking people for a text from the similarities of their works.

A work's similarity to the query is its embedding cosine plus LEXICAL_WEIGHT times its TF-IDF cosine. A
person's score is a weighted mean of their best works' similarities, with weights halving from one work to
the next (1, 1/2, 1/4, ...): one strong paper counts, and several count more, without a hard cut at k.
Scores are on the same scale for everyone, so they are comparable across people and across queries.
On ../shared/bench/expertise-dev this gives LOSS 0.173 (mean of the 10 profile copies); the choices and the
alternatives tried are in docs/decisions/0003-expertise-engine.md.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

LEXICAL_WEIGHT = 1.0
DECAY = 0.5
# Works beyond this many per person change a score by less than 0.5**12 of their similarity.
TOP_WORKS = 12
# A person with fewer works is scored as if the missing ones had similarity 0, up to this many: one matching
# paper is some evidence, two are more. (In the benchmark everyone has 20 works, so this changes nothing there.)
MIN_EVIDENCE = 3


@dataclass(frozen=True)
class WorkMatch:
    work_index: int
    similarity: float


def work_similarities(
    query_vector: np.ndarray,
    work_vectors: np.ndarray,
    query_terms: sparse.spmatrix | None = None,
    work_terms: sparse.spmatrix | None = None,
) -> np.ndarray:
    similarity = work_vectors @ query_vector.astype(work_vectors.dtype)
    similarity = similarity.astype(np.float32)
    if query_terms is not None and work_terms is not None and work_terms.shape[0]:
        similarity += LEXICAL_WEIGHT * np.asarray((work_terms @ query_terms.T).todense()).ravel()
    return similarity


def person_score(similarities: np.ndarray) -> float:
    """Decaying weighted mean of a person's best similarities."""
    if similarities.size == 0:
        return float("-inf")
    best = np.sort(similarities)[::-1][:TOP_WORKS]
    weights = DECAY ** np.arange(max(best.size, MIN_EVIDENCE), dtype=np.float32)
    return float((best * weights[: best.size]).sum() / weights.sum())


def people_scores(similarities: np.ndarray, work_owner: np.ndarray, n_people: int) -> np.ndarray:
    """Scores of every person at once. `work_owner[i]` is the person index of work i (one row per
    authorship, so a co-authored work appears once per author)."""
    scores = np.full(n_people, -np.inf, dtype=np.float32)
    if similarities.size == 0:
        return scores
    # Sort by owner, then by similarity descending, and give each work its rank within its owner.
    order = np.lexsort((-similarities, work_owner))
    owners, sims = work_owner[order], similarities[order]
    starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
    counts = np.diff(np.r_[starts, owners.size])
    rank = np.arange(owners.size) - np.repeat(starts, counts)
    keep = rank < TOP_WORKS
    weights = np.where(keep, DECAY**rank, 0).astype(np.float32)
    weighted = np.bincount(owners, weights=sims * weights, minlength=n_people)
    total = np.bincount(owners, weights=weights, minlength=n_people)
    per_owner = np.bincount(owners, minlength=n_people)
    for missing in range(1, MIN_EVIDENCE):  # the zero-similarity works of people with fewer than MIN_EVIDENCE
        total[(per_owner > 0) & (per_owner <= missing)] += DECAY**missing
    has = per_owner > 0
    scores[has] = (weighted[has] / total[has]).astype(np.float32)
    return scores


def best_works(similarities: np.ndarray, work_indexes: np.ndarray, *, limit: int = 3) -> list[WorkMatch]:
    """A person's best-matching works, for the explanation of their score."""
    if work_indexes.size == 0:
        return []
    own = similarities[work_indexes]
    top = np.argsort(-own)[:limit]
    return [WorkMatch(int(work_indexes[i]), float(own[i])) for i in top]


def owner_starts(owner: np.ndarray, n_people: int) -> np.ndarray:
    """For rows sorted by owner: rows of person i are starts[i]:starts[i + 1]."""
    return np.searchsorted(owner, np.arange(n_people + 1), side="left")


def top_people(
    similarities: np.ndarray,
    owner: np.ndarray,
    starts: np.ndarray,
    *,
    k: int,
    allowed: np.ndarray | None = None,
    first_pool: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """The k best people (owner indexes and scores, best first), exactly, without scoring everyone.

    Rows must be sorted by owner. Only people with a row among the `pool` most similar rows are scored; anyone
    else has every similarity below that pool's smallest, and a score is never above a person's best
    similarity, so once the k-th score found reaches that bound the answer is exact. Otherwise the pool grows.
    """
    n_rows, n_people = similarities.size, starts.size - 1
    pool = min(first_pool, n_rows)
    while True:
        if pool >= n_rows:
            rows, bound = np.arange(n_rows), -np.inf
        else:
            rows = np.argpartition(-similarities, pool)[:pool]
            bound = float(similarities[rows].min())
        candidates = np.unique(owner[rows])
        if allowed is not None:
            candidates = candidates[allowed[candidates]]
        lengths = starts[candidates + 1] - starts[candidates]
        member_rows = np.repeat(starts[candidates] - np.cumsum(np.r_[0, lengths[:-1]]), lengths) + np.arange(
            lengths.sum()
        )
        local_owner = np.repeat(np.arange(candidates.size), lengths)
        scores = people_scores(similarities[member_rows], local_owner, candidates.size)
        order = np.argsort(-scores, kind="stable")[:k]
        enough = order.size >= min(k, n_people) and (order.size == 0 or scores[order[-1]] >= bound)
        if pool >= n_rows or enough:
            return candidates[order], scores[order]
        pool = min(pool * 4, n_rows)
