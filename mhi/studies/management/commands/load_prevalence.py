"""mhi load-prevalence FILE | --default: load the prevalence table from CSV (all or nothing; an upsert on
condition_key + area_code)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import ImportFailed
from mhi.studies.prevalence import prevalence_load, prevalence_load_default


class Command(BaseCommand):
    help = "Load prevalence figures from a CSV file, or the shipped national default with --default."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", type=Path, help="CSV file to load")
        parser.add_argument(
            "--default", action="store_true", help="Load mhi/studies/data/prevalence_default.csv (marked indicative)"
        )

    def handle(self, *args, **options):
        path, default = options["file"], options["default"]
        if bool(path) == bool(default):
            raise CommandError("Give either a CSV file or --default.")
        try:
            if default:
                result = prevalence_load_default()
            else:
                if not path.exists():
                    raise CommandError(f"No file at {path}.")
                text = path.read_text(encoding="utf-8-sig")
                result = prevalence_load(user=None, text=text, name=path.name, check_permission=False)
        except UnicodeDecodeError as exc:
            raise CommandError(f"Nothing was loaded: {path.name} is not a UTF-8 CSV file.") from exc
        except ImportFailed as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"Nothing was loaded: {len(exc.problems)} problem(s) found.\n{lines}") from exc
        self.stdout.write(result.summary())
