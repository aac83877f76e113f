"""Embedding throughput and ranking quality: MHI Hub's embedder against plain sentence-transformers.

Both embed the same texts in the same run (every work and query of ../shared/bench/expertise-dev), on this
machine's cores: plain sentence-transformers with its defaults (256 word pieces, float32, batches of 32)
against `Embedder` (128 word pieces, bfloat16 where the CPU has it, batches of 64). The two take turns for
`--rounds` rounds so that load from other processes falls on both; each side's speed is its median round.
Then both sets of vectors are ranked with the product's ranking, and LOSS is the mean over the 10 profile
copies (the benchmark's protocol).

    .venv/bin/python bench/embedding_bench.py [--rounds 3]
"""

import argparse
import json
import os
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

from mhi.expertise.engine.benchmark import query_text, work_text  # noqa: E402
from mhi.expertise.engine.embedding import BATCH_SIZE, Embedder, model_path  # noqa: E402
from mhi.expertise.engine.lexical import LexicalIndex  # noqa: E402
from mhi.expertise.engine.ranking import people_scores, work_similarities  # noqa: E402


def _jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _loss(vectors: dict[str, np.ndarray], queries: list[dict]) -> float:
    sys.path.insert(0, str(BENCH))
    import evaluate

    gold = evaluate.load_gold(str(BENCH / "evaluations.tsv"))
    query_texts = [query_text(q) for q in queries]
    query_vectors = np.stack([vectors["q:" + q["id"]] for q in queries])
    losses = []
    for k in range(1, 11):
        researchers = _jsonl(BENCH / f"d_20_{k}" / "researchers.jsonl")
        texts, owners, rows = [], [], []
        for j, researcher in enumerate(researchers):
            for work in researcher["works"]:
                texts.append(work_text(work))
                owners.append(j)
                rows.append(vectors["w:" + work["id"]])
        lexical = LexicalIndex(texts)
        query_terms = lexical.transform(query_texts)
        owner, matrix = np.asarray(owners), np.stack(rows)
        predictions: dict[str, dict[str, float]] = {}
        for i, query in enumerate(queries):
            sims = work_similarities(query_vectors[i], matrix, query_terms[i], lexical.matrix)
            scores = people_scores(sims, owner, len(researchers))
            for j, researcher in enumerate(researchers):
                predictions.setdefault(str(researcher["id"]), {})[query["id"]] = float(scores[j])
        stats, _ = evaluate.per_reviewer_stats(predictions, gold)
        losses.append(evaluate.aggregate(stats, sorted(gold))["loss"])
    return float(np.mean(losses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of each side, taken in turns")
    rounds = parser.parse_args().rounds
    if not BENCH.exists():
        sys.exit(f"{BENCH} is not there: this benchmark needs ../shared beside the checkout.")
    works = {}
    for k in range(1, 11):
        for researcher in _jsonl(BENCH / f"d_20_{k}" / "researchers.jsonl"):
            for work in researcher["works"]:
                works["w:" + work["id"]] = work_text(work)
    queries = _jsonl(BENCH / "queries.jsonl")
    keys = list(works) + ["q:" + q["id"] for q in queries]
    texts = list(works.values()) + [query_text(q) for q in queries]
    print(f"{len(texts)} texts (benchmark works and queries), {os.cpu_count()} cores")

    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(os.cpu_count() or 1)
    reference = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
    ours = Embedder()

    def reference_encode():
        return reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    reference.encode(texts[:16], normalize_embeddings=True, show_progress_bar=False)  # warm both up
    ours.encode(texts[:16])
    sides = {"reference": reference_encode, "ours": lambda: ours.encode(texts)}
    seconds: dict[str, list[float]] = {side: [] for side in sides}
    vectors: dict[str, np.ndarray] = {}
    for round_ in range(1, rounds + 1):
        for side, encode in sides.items():
            started = time.perf_counter()
            vectors[side] = encode()
            seconds[side].append(time.perf_counter() - started)
        print(
            f"round {round_}: sentence-transformers {len(texts) / seconds['reference'][-1]:5.1f} texts/s, "
            f"MHI Hub {len(texts) / seconds['ours'][-1]:5.1f} texts/s, "
            f"ratio {seconds['reference'][-1] / seconds['ours'][-1]:.2f}x "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
    ref_seconds, our_seconds = float(np.median(seconds["reference"])), float(np.median(seconds["ours"]))
    ref_vectors, our_vectors = vectors["reference"], vectors["ours"]

    ref_loss = _loss(dict(zip(keys, ref_vectors, strict=True)), queries)
    our_loss = _loss(dict(zip(keys, our_vectors, strict=True)), queries)
    cosine = (np.asarray(ref_vectors, dtype=np.float32) * our_vectors).sum(axis=1)
    print(
        f"sentence-transformers (max {reference.max_seq_length} tokens, float32, batch 32): "
        f"{len(texts) / ref_seconds:6.1f} texts/s  LOSS {ref_loss:.4f}"
    )
    print(
        f"MHI Hub embedder      (max {ours.model.max_seq_length} tokens, "
        f"{'bfloat16' if ours.bfloat16 else 'float32'}, batch {BATCH_SIZE}): "
        f"{len(texts) / our_seconds:6.1f} texts/s  LOSS {our_loss:.4f}"
    )
    print(
        f"speed-up {ref_seconds / our_seconds:.2f}x (medians of {rounds} rounds); "
        f"LOSS difference {our_loss - ref_loss:+.4f}; cosine of ours to theirs: mean {cosine.mean():.4f}"
    )


if __name__ == "__main__":
    main()
