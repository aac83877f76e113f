"""mhi import-works FILE --format openalex|pubmed|jats|csv [--skip-bad-records]: import publications, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import DomainError, ImportFailed
from mhi.expertise.importers import READERS
from mhi.expertise.services import ImportReport, works_import_file

PRINT_EVERY = 1000


class Command(BaseCommand):
    help = "Import works and their authors from an OpenAlex, PubMed XML, JATS (file or folder) or works CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The file to import (OpenAlex .jsonl/.json/.gz, PubMed .xml, JATS)")
        parser.add_argument("--format", required=True, choices=sorted(READERS), help="The file's format")
        parser.add_argument(
            "--skip-bad-records",
            action="store_true",
            help="Leave out records that fail the checks and list them, instead of refusing the whole file",
        )

    def handle(self, *args, **options):
        printed = 0

        def progress(report: ImportReport) -> None:
            nonlocal printed
            if report.records_seen - printed >= PRINT_EVERY:
                printed = report.records_seen - report.records_seen % PRINT_EVERY
                self.stdout.write(f"{printed:,} records…")

        try:
            report = works_import_file(
                path=options["file"],
                format=options["format"],
                skip_bad_records=options["skip_bad_records"],
                on_progress=progress,
            )
        except ImportFailed as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"Nothing was written: {len(exc.problems)} problem(s) found.\n{lines}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Imported {report.file}: {report.summary()}")
        for skipped in report.skipped:
            self.stdout.write(f"  skipped {skipped['record']}: {skipped['message']}")
        if report.skipped_count > len(report.skipped):
            self.stdout.write(f"  … and {report.skipped_count - len(report.skipped):,} more skipped")
