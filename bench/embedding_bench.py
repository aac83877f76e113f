"""Embedding throughput and ranking quality: MHI Hub's embedder against plain sentence-transformers.

Both embed the same texts in the same run (every work and query of ../shared/bench/expertise-dev), on this
machine's cores. Then both sets of vectors are ranked with the product's ranking, and LOSS is the mean over
the 10 profile copies (the benchmark's protocol).

    .venv/bin/python bench/embedding_bench.py
"""

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
from mhi.expertise.engine.embedding import Embedder, model_path  # noqa: E402
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
    reference.encode(texts[:16], normalize_embeddings=True, show_progress_bar=False)  # warm both up
    ours.encode(texts[:16])

    started = time.perf_counter()
    ref_vectors = reference.encode(
        texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )
    ref_seconds = time.perf_counter() - started
    started = time.perf_counter()
    our_vectors = ours.encode(texts)
    our_seconds = time.perf_counter() - started

    ref_loss = _loss(dict(zip(keys, ref_vectors, strict=True)), queries)
    our_loss = _loss(dict(zip(keys, our_vectors, strict=True)), queries)
    print(
        f"sentence-transformers (max {reference.max_seq_length} tokens): {len(texts) / ref_seconds:7.1f} texts/s  LOSS {ref_loss:.4f}"
    )
    print(
        f"MHI Hub embedder      (max {ours.model.max_seq_length} tokens): {len(texts) / our_seconds:7.1f} texts/s  LOSS {our_loss:.4f}"
    )
    print(f"speed-up {ref_seconds / our_seconds:.2f}x; LOSS difference {our_loss - ref_loss:+.4f}")


if __name__ == "__main__":
    main()
