"""What `mhi import-works` and `mhi import-grants` share: their arguments, a progress line every PRINT_EVERY
records, and the report at the end, or the refusal with every problem when nothing was written.

Django does not take a module whose name starts with "_" for a command, so this one is only a base."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import DomainError, ImportFailed

PRINT_EVERY = 1000


class FileImportCommand(BaseCommand):
    """A command importing one file all or nothing; a subclass names the formats and the import."""

    formats: list[str]
    # What the file holds one of, for the progress lines and the help: "records", "rows".
    unit = "records"
    file_help = "The file to import"

    @staticmethod
    def import_file(*, path, format, skip_bad_records, on_progress):
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help=self.file_help)
        parser.add_argument("--format", required=True, choices=sorted(self.formats), help="The file's format")
        parser.add_argument(
            "--skip-bad-records",
            action="store_true",
            help=f"Leave out {self.unit} that fail the checks and list them, instead of refusing the whole file",
        )

    def handle(self, *args, **options):
        printed = 0

        def progress(report) -> None:
            nonlocal printed
            if report.records_seen - printed >= PRINT_EVERY:
                printed = report.records_seen - report.records_seen % PRINT_EVERY
                self.stdout.write(f"{printed:,} {self.unit}…")

        try:
            report = self.import_file(
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
