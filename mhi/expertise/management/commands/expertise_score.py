"""mhi expertise-score --researchers R.jsonl --queries Q.jsonl --output OUT.json

Runs the product's ranking on benchmark files (no database) and writes {query_id: {researcher_id: score}}.
"""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Score researchers for queries with MHI Hub's ranking engine (files in, JSON out; no database)."
    requires_system_checks: list = []

    def add_arguments(self, parser):
        parser.add_argument("--researchers", type=Path, required=True)
        parser.add_argument("--queries", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)

    def handle(self, *args, researchers, queries, output, **options):
        from mhi.expertise.engine.benchmark import score_files
        from mhi.expertise.engine.embedding import embedder

        for path in (researchers, queries):
            if not path.is_file():
                raise CommandError(f"{path} is not a file.")
        started = time.perf_counter()
        try:
            scores = score_files(researchers, queries, embedder=embedder())
        except (ValueError, KeyError) as exc:
            raise CommandError(str(exc)) from exc
        output.write_text(json.dumps(scores), encoding="utf-8")
        self.stdout.write(
            f"Scored {len(next(iter(scores.values()), {}))} researchers for {len(scores)} queries "
            f"in {time.perf_counter() - started:.1f} s: {output}"
        )
