"""Scoring researchers for queries from files in the neutral benchmark format (no database):

    researchers.jsonl: {"id", "name", "works": [{"id", "title", "abstract", "year"}]}
    queries.jsonl:     {"id", "text"} (or "title" and "abstract")

The result is {query_id: {researcher_id: score}}, made by the same ranking the product uses.
"""

import json
from pathlib import Path

import numpy as np

from mhi.expertise.engine.lexical import LexicalIndex
from mhi.expertise.engine.ranking import people_scores, work_similarities


def _read_jsonl(path: Path) -> list[dict]:
    records = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}, line {number}: not JSON ({exc.msg})") from exc
    return records


def work_text(work: dict) -> str:
    return f"{work.get('title') or ''}. {work.get('abstract') or ''}".strip()


def query_text(query: dict) -> str:
    return query.get("text") or f"{query.get('title') or ''}\n\n{query.get('abstract') or ''}".strip()


def score_files(researchers_path: Path, queries_path: Path, *, embedder) -> dict[str, dict[str, float]]:
    researchers = _read_jsonl(researchers_path)
    queries = _read_jsonl(queries_path)
    texts, owners = [], []
    for index, researcher in enumerate(researchers):
        for work in researcher.get("works", []):
            texts.append(work_text(work))
            owners.append(index)
    work_vectors = embedder.encode(texts)
    lexical = LexicalIndex(texts)
    query_texts = [query_text(q) for q in queries]
    query_vectors = embedder.encode(query_texts)
    query_terms = lexical.transform(query_texts)
    owner = np.asarray(owners, dtype=np.int64)
    result = {}
    for i, query in enumerate(queries):
        sims = work_similarities(query_vectors[i], work_vectors, query_terms[i], lexical.matrix)
        scores = people_scores(sims, owner, len(researchers))
        result[str(query["id"])] = {str(r["id"]): float(scores[j]) for j, r in enumerate(researchers)}
    return result
