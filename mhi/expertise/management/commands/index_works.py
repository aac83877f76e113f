"""mhi index-works: embed new or changed works into the semantic index, with progress."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Embed works (and impact case studies) whose text is new or changed since the last run (all-MiniLM-L6-v2, offline)."

    def handle(self, *args, **options):
        from mhi.expertise.engine.embedding import embedder
        from mhi.expertise.index import works_index

        def progress(report):
            self.stdout.write(f"  {report.seen:,} works read, {report.embedded:,} embedded")

        report = works_index(embedder=embedder(), progress=progress)
        self.stdout.write(
            f"Index up to date: {report.embedded:,} embedded, {report.unchanged:,} unchanged, {report.removed:,} removed."
        )
        from mhi.expertise.evidence import impact_cases_index

        cases = impact_cases_index(embedder=embedder())
        self.stdout.write(f"Impact case studies: {cases.embedded:,} embedded, {cases.unchanged:,} unchanged.")
