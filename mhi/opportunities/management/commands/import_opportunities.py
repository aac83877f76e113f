"""mhi import-opportunities FILE [--skip-bad-rows] [--as EMAIL]: add opportunities from a CSV file, all or nothing."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import DomainError, ImportFailed


class Command(BaseCommand):
    help = "Add funding calls, consultations and partnering requests from a CSV file (docs/csv-formats.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file to import")
        parser.add_argument(
            "--skip-bad-rows",
            action="store_true",
            help="Add the good rows and list the bad ones, instead of refusing the whole file",
        )
        parser.add_argument(
            "--as",
            dest="as_email",
            default="",
            help="Import as this user (a coordinator or institution admin), who is recorded as having added "
            "the opportunities; without it the audit trail names the command",
        )

    def handle(self, *args, file, skip_bad_rows, as_email, **options):
        from mhi.opportunities.services import opportunities_import_csv

        actor = None  # the command line: whoever can run `mhi` on the server may import
        if as_email:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(email__iexact=as_email).first()
            if actor is None:
                raise CommandError(f"No user has the email address {as_email}.")
        try:
            report = opportunities_import_csv(actor=actor, path=file, skip_bad_rows=skip_bad_rows)
        except ImportFailed as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"Nothing was written: {len(exc.problems)} problem(s) found.\n{lines}") from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Imported {report.file}: {report.summary()}")
        for row, why in report.duplicates:
            self.stdout.write(f"  row {row} not added: {why}")
        for problem in report.skipped:
            self.stdout.write(f"  skipped {problem}")
