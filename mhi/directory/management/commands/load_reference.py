"""mhi load-reference [--dir PATH]: load the real partnership reference data (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import ImportFailed
from mhi.directory.reference import REFERENCE_DIR, reference_load


class Command(BaseCommand):
    help = "Load universities, NHS trusts, ICBs, local authorities and research infrastructure from CSV."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=REFERENCE_DIR, help="Folder with the reference CSV files")

    def handle(self, *args, **options):
        try:
            report = reference_load(directory=options["dir"])
        except ImportFailed as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"Nothing was loaded: {len(exc.problems)} problem(s) found.\n{lines}") from exc
        self.stdout.write(
            ("Reference data loaded: " if report.changed else "Reference data already up to date: ") + report.summary()
        )
