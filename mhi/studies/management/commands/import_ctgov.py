"""mhi import-ctgov FILE... [--update] [--dry-run] [--user EMAIL]: import ClinicalTrials.gov records."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from mhi.core.errors import DomainError, ImportFailed


class Command(BaseCommand):
    help = (
        "Import studies from ClinicalTrials.gov files (API v2 JSON, classic FullStudiesResponse JSON or legacy XML), "
        "all or nothing; UK locations are matched to directory sites (mhi.studies.ctgov explains the mapping)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, help="The .json or .xml files")
        parser.add_argument("--update", action="store_true", help="Replace studies whose NCT number is in the hub")
        parser.add_argument("--dry-run", action="store_true", help="Check and match everything, save nothing")
        parser.add_argument(
            "--user", default="", help="Email of the account that will own the studies (default: a coordinator)"
        )

    def handle(self, *args, files, update, dry_run, user, **options):
        from mhi.accounts.models import Membership, Role, User
        from mhi.studies.ctgov import ctgov_import

        if user:
            owner = User.objects.filter(email__iexact=user, is_active=True).first()
            if owner is None:
                raise CommandError(f"No active account has the email “{user}”.")
        else:
            membership = (
                Membership.objects.filter(role=Role.COORDINATOR, user__is_active=True).select_related("user").first()
            )
            if membership is None:
                raise CommandError("No coordinator account exists; name the owner with --user EMAIL.")
            owner = membership.user
        for path in files:
            if not path.is_file():
                raise CommandError(f"No file at {path}.")
        try:
            result = ctgov_import(
                user=owner, files=[(p.name, p.read_bytes()) for p in files], update=update, dry_run=dry_run
            )
        except ImportFailed as exc:
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"Nothing was imported: {len(exc.problems)} problem(s) found.\n{lines}") from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        verb = "Would import" if result.dry_run else "Imported"
        self.stdout.write(f"{verb} {len(result.created)} new and {len(result.updated)} updated studies.")
        for item in result.studies:
            sites = ", ".join(m.site.name for m in item.matched) or "no sites matched"
            self.stdout.write(
                f"  {item.file}: {item.study.nct_id} {item.study.title} — enrolment {item.enrollment_words}; {sites}"
            )
            for m in item.unmatched:
                self.stdout.write(f"    UK facility not matched: {m.facility or '(no name)'}, {m.city or '(no city)'}")
