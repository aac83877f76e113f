"""Builds data/demo/works.jsonl: for each fictional demo person, the real PubMed abstracts (from PubMedQA, MIT
licence, in ../shared/data/corpora) that best fit their department and role, six each, none shared.

Run once by a developer (the output is committed, about 200 KB); `mhi demo` only reads the output.

    .venv/bin/python scripts/build_demo_works.py
"""

import ast
import json
import os
import sys
from pathlib import Path

import django
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "corpora" / "abstracts" / "pubmedqa_pqal" / "ori_pqal.json"
OUTPUT = ROOT / "data" / "demo" / "works.jsonl"
PER_PERSON = 6

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from mhi.core.demo import DEMO_PEOPLE  # noqa: E402
from mhi.expertise.engine.embedding import Embedder  # noqa: E402


def _list(value) -> list:
    """PubMedQA stores some lists as Python literals in strings, some as lists."""
    return value if isinstance(value, list) else ast.literal_eval(value)


def main() -> None:
    records = json.loads(SOURCE.read_text(encoding="utf-8"))
    pmids = sorted(records)
    texts = [records[p]["QUESTION"] + " " + " ".join(_list(records[p]["CONTEXTS"])) for p in pmids]
    embedder = Embedder()
    vectors = embedder.encode(texts)
    taken: set[int] = set()
    with OUTPUT.open("w", encoding="utf-8") as out:
        for given, family, _title, _kind, _org, department, job_title, _public in DEMO_PEOPLE:
            profile = embedder.encode_query(f"{job_title}, {department}")
            order = [i for i in np.argsort(-(vectors @ profile)) if i not in taken][:PER_PERSON]
            for i in order:
                taken.add(int(i))
                record = records[pmids[i]]
                contexts = _list(record["CONTEXTS"])
                out.write(
                    json.dumps(
                        {
                            "person": f"{given} {family}",
                            "pmid": pmids[i],
                            "title": record["QUESTION"],
                            "abstract": " ".join(contexts + [record["LONG_ANSWER"]]),
                            "year": int(record["YEAR"]) if record.get("YEAR") else None,
                            "mesh": _list(record["MESHES"]),
                        }
                    )
                    + "\n"
                )
    print(f"wrote {len(taken)} works for {len(DEMO_PEOPLE)} people to {OUTPUT}")


if __name__ == "__main__":
    main()
