"""mhi index-works: bring the full-text and semantic indexes up to date for every kind of document."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Index every kind of document (works, impact case studies, opportunities, ...) whose text is new or "
        "changed since the last run: words at once, then embeddings (all-MiniLM-L6-v2, offline)."
    )

    def handle(self, *args, **options):
        from mhi.expertise.engine.embedding import embedder
        from mhi.expertise.index import index_all

        def progress(kind, report):
            self.stdout.write(f"  {kind}: {report.seen:,} read, {report.embedded:,} embedded")

        for kind, report in index_all(embedder=embedder(), progress=progress).items():
            self.stdout.write(
                f"{kind}: {report.embedded:,} embedded, {report.unchanged:,} unchanged, {report.removed:,} removed."
            )
