"""mhi import-impact-cases FILE [--skip-unmatched]: REF impact case studies (the REF's CSV columns), all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import ImportFailed
from mhi.expertise.evidence import impact_cases_import_file


class Command(BaseCommand):
    help = (
        "Import REF impact case studies as institutional evidence. Columns: Case Study Id, Institution, "
        "Unit of Assessment, Title, Summary of the impact, and optionally UKPRN, Underpinning research, "
        "Details of the impact, Funders (separated by ;). Rows are matched to organisations by UKPRN, else by name."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--skip-unmatched",
            action="store_true",
            help="Leave out rows whose institution is not in the directory, and list them",
        )

    def handle(self, *args, file, skip_unmatched, **options):
        try:
            report = impact_cases_import_file(path=file, skip_unmatched=skip_unmatched)
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{file.name}: nothing imported ({len(exc.problems)} problems).") from None
        for line in report.skipped:
            self.stdout.write(f"skipped {line}")
        self.stdout.write(f"{file.name}: {report.summary()}. Run `mhi index-works` to embed them.")
