"""mhi import-uniquip FILE --organisation SLUG [--skip-invalid]: import an equipment catalogue in Uniquip form."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import DomainError, ImportFailed


class Command(BaseCommand):
    help = (
        "Import an organisation's equipment and facilities from a Uniquip CSV (UTF-8 or Windows-1252) or XLSX file, "
        "all or nothing (mhi.resources.uniquip explains how rows are matched)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file to import")
        parser.add_argument("--organisation", required=True, help="The slug of the organisation that owns the items")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the good rows and list the bad ones, instead of refusing the whole file",
        )

    def handle(self, *args, file, organisation, skip_invalid, **options):
        from mhi.directory.models import Organisation
        from mhi.resources.uniquip import uniquip_import

        owner = Organisation.objects.filter(slug=organisation).first()
        if owner is None:
            raise CommandError(f"No organisation has the slug “{organisation}”.")
        if not file.exists():
            raise CommandError(f"No file at {file}.")
        try:
            report = uniquip_import(
                actor=None, organisation=owner, path_or_file=file, filename=file.name, skip_invalid=skip_invalid
            )
        except ImportFailed as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(
                f"Nothing was imported: {len(exc.problems)} problem(s) found.\n{lines}\n"
                "Correct the file, or pass --skip-invalid to import the other rows."
            ) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Imported {report.file} into {owner.name}: {report.summary()}")
        if report.derived_ids:
            self.stdout.write(f"  {report.derived_ids} rows had no ID and were given one derived from their values")
        if report.unknown_columns:
            self.stdout.write("  columns not in Uniquip, ignored: " + ", ".join(report.unknown_columns))
        for problem in report.skipped:
            self.stdout.write(f"  skipped {problem}")
