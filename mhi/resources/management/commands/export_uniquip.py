"""mhi export-uniquip --organisation SLUG [--format csv|xlsx] [--output FILE] [--include-retired]: write an
organisation's catalogue as a Uniquip file."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Write an organisation's equipment and facilities as a Uniquip CSV or XLSX file (to stdout by default)."

    def add_arguments(self, parser):
        parser.add_argument("--organisation", required=True, help="The slug of the organisation")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="", help="Default: from --output, else csv")
        parser.add_argument("--output", type=Path, default=None, help="The file to write (an XLSX file needs one)")
        parser.add_argument(
            "--include-retired", action="store_true", help="Retired resources too (the open-data feed leaves them out)"
        )

    def handle(self, *args, organisation, format, output, include_retired, **options):
        from mhi.directory.models import Organisation
        from mhi.resources.models import Resource
        from mhi.resources.uniquip import opendata_resources, uniquip_export_csv, uniquip_export_xlsx

        owner = Organisation.objects.filter(slug=organisation).first()
        if owner is None:
            raise CommandError(f"No organisation has the slug “{organisation}”.")
        format = format or ("xlsx" if output and output.suffix.lower() == ".xlsx" else "csv")
        if format == "xlsx" and output is None:
            raise CommandError("An XLSX file is written to a file: give --output FILE.xlsx.")
        if include_retired:
            resources = Resource.objects.filter(organisation=owner).order_by("name", "uniquip_id", "pk")
        else:
            resources = opendata_resources(organisation=owner)
        data = (uniquip_export_xlsx if format == "xlsx" else uniquip_export_csv)(resources=resources)
        if output is None:
            stream = getattr(self.stdout, "_out", sys.stdout)
            if hasattr(stream, "buffer"):
                stream.buffer.write(data)
                stream.flush()
            else:
                stream.write(data.decode("utf-8"))
            return
        output.write_bytes(data)
        self.stderr.write(f"Wrote {resources.count()} resources of {owner.name} to {output}")
