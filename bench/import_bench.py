"""Import of 100,000 OpenAlex works (JSON Lines), excluding embedding: time and peak memory.

The file is made from the real OpenAlex works in ../shared/data/corpora (or the test sample when that is
absent), each copied with a fresh OpenAlex id and DOI so every record is a new work. It is imported into a
throwaway SQLite database (or the one DATABASE_URL names) and the peak memory of the import is reported.

    .venv/bin/python bench/import_bench.py [--works 100000]
"""

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "data" / "corpora" / "publications" / "openalex_works_sample"
SAMPLE = ROOT / "mhi" / "expertise" / "tests" / "data" / "openalex_works.jsonl"


def seed_works() -> list[dict]:
    works = []
    if CORPUS.exists():
        for path in sorted(CORPUS.glob("*.json")):
            works += json.loads(path.read_text(encoding="utf-8"))["results"]
    else:
        works = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return works


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--works", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mhi-import-bench-"))
    os.environ.setdefault("MHI_VAR_DIR", str(tmp))
    os.environ.setdefault("MHI_SQLITE_PATH", str(tmp / "bench.sqlite3"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from mhi.expertise.models import Authorship, Work
    from mhi.expertise.services import works_import_file

    call_command("migrate", verbosity=0)
    seeds = seed_works()
    path = tmp / "works.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(args.works):
            work = dict(seeds[i % len(seeds)])
            work["id"] = f"https://openalex.org/W{9_000_000_000 + i}"
            work["doi"] = f"https://doi.org/10.99999/bench.{i}"
            work["ids"] = {"openalex": work["id"], "doi": work["doi"]}
            out.write(json.dumps(work) + "\n")
    print(f"{args.works:,} works ({path.stat().st_size / 1e6:.0f} MB) from {len(seeds)} real OpenAlex records")

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    report = works_import_file(path=path, format="openalex")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"imported in {seconds:.1f} s ({args.works / seconds:,.0f} works/s): {report.summary()}")
    print(f"{Work.objects.count():,} works and {Authorship.objects.count():,} authorships stored")
    print(f"peak RSS {peak:.0f} MB (was {before:.0f} MB before the import)")
    started = time.perf_counter()
    again = works_import_file(path=path, format="openalex")
    print(f"re-import of the same file: {time.perf_counter() - started:.1f} s, {again.summary()}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
