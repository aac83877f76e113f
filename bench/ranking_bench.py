"""People ranking at partnership scale: 20,000 people and 400,000 works.

The works' vectors are synthetic but shaped like real ones: each is a real benchmark abstract's embedding
(../shared/bench/expertise-dev, embedded here) plus noise, renormalised, and each person's works cluster around
a few of those abstracts, as a researcher's do. Measured: the served matrix's memory, query latency p50/p95
(ranking everyone and taking the top 20 exactly, model already loaded, query already embedded), the time to
embed a query, the TF-IDF side's size and build time, latency with it (as the product serves a query), and an
incremental update of 1,000 works (embedding them).

    .venv/bin/python bench/ranking_bench.py [--people 20000] [--works 400000]
"""

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import django
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench" / "expertise-dev"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from mhi.expertise.engine.benchmark import work_text  # noqa: E402
from mhi.expertise.engine.embedding import Embedder  # noqa: E402
from mhi.expertise.engine.lexical import LexicalIndex  # noqa: E402
from mhi.expertise.engine.ranking import LEXICAL_WEIGHT, owner_starts, people_scores, top_people  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--works", type=int, default=400_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    texts = []
    for line in (BENCH / "d_20_1" / "researchers.jsonl").read_text(encoding="utf-8").splitlines():
        texts += [work_text(w) for w in json.loads(line)["works"]]
    embedder = Embedder()
    base = embedder.encode(texts)
    print(f"{len(texts)} real abstracts embedded as seeds")

    before = rss_mb()
    owner = np.sort(rng.integers(0, args.people, args.works))
    topics = rng.integers(0, len(base), (args.people, 3))
    seeds = topics[owner, rng.integers(0, 3, args.works)]
    vectors = np.empty((args.works, base.shape[1]), dtype=np.float32)
    for start in range(0, args.works, 50_000):
        chunk = slice(start, start + 50_000)
        noisy = base[seeds[chunk]] + 0.05 * rng.standard_normal((len(seeds[chunk]), base.shape[1]), dtype=np.float32)
        vectors[chunk] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    starts = owner_starts(owner, args.people)
    print(
        f"matrix {vectors.nbytes / 1e6:.0f} MB for {args.works:,} works of {args.people:,} people; "
        f"process peak RSS {rss_mb():.0f} MB (+{rss_mb() - before:.0f} MB for the index)"
    )

    # The lexical side the served index holds beside the vectors: TF-IDF over every work's text (each synthetic
    # work has its seed abstract's words).
    before_lexical = rss_mb()
    started = time.perf_counter()
    lexical = LexicalIndex([texts[s] for s in seeds.tolist()])
    m = lexical.matrix
    lexical_mb = (m.data.nbytes + m.indices.nbytes + m.indptr.nbytes) / 1e6
    print(
        f"TF-IDF: built in {time.perf_counter() - started:.0f} s, {m.nnz:,} non-zeros, {len(lexical.vectorizer.vocabulary_):,} "
        f"terms, sparse matrix {lexical_mb:.0f} MB; served index (vectors + TF-IDF) {vectors.nbytes / 1e6 + lexical_mb:.0f} MB; "
        f"peak RSS {rss_mb():.0f} MB (+{rss_mb() - before_lexical:.0f} MB while building)"
    )

    queries = [texts[i] for i in rng.choice(len(texts), 60, replace=False)]
    started = time.perf_counter()
    query_vectors = embedder.encode(queries)
    print(f"query embedding: {1000 * (time.perf_counter() - started) / len(queries):.1f} ms a query")

    latencies, hybrid_latencies, exact = [], [], 0
    for text, q in zip(queries, query_vectors, strict=True):
        started = time.perf_counter()
        sims = vectors @ q
        people, scores = top_people(sims, owner, starts, k=20)
        latencies.append(time.perf_counter() - started)
        everyone = people_scores(sims, owner, args.people)
        exact += people.tolist() == np.argsort(-everyone, kind="stable")[:20].tolist()
        # As the product serves it: embedding cosine plus the TF-IDF cosine, then the exact top 20.
        started = time.perf_counter()
        sims = vectors @ q + LEXICAL_WEIGHT * lexical.similarities(text)
        top_people(sims, owner, starts, k=20)
        hybrid_latencies.append(time.perf_counter() - started)
    ms, hybrid_ms = np.array(latencies) * 1000, np.array(hybrid_latencies) * 1000
    print(
        f"ranking {args.people:,} people: p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms "
        f"({exact}/{len(query_vectors)} top-20 lists identical to scoring everyone)"
    )
    print(
        f"ranking with the lexical side (as served): p50 {np.percentile(hybrid_ms, 50):.1f} ms, "
        f"p95 {np.percentile(hybrid_ms, 95):.1f} ms"
    )

    update = (texts * (1000 // len(texts) + 1))[:1000]
    started = time.perf_counter()
    embedder.encode(update)
    print(
        f"incremental update of 1,000 works: {time.perf_counter() - started:.1f} s to embed "
        f"({1000 / (time.perf_counter() - started):.0f} works/s); a full build of {args.works:,} works at that "
        f"rate takes {args.works / (1000 / (time.perf_counter() - started)) / 3600:.1f} h"
    )


if __name__ == "__main__":
    main()
