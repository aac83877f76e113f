"""mhi demo-code EMAIL: print the current two-factor sign-in code of a demo account."""

from django.core.management.base import BaseCommand, CommandError

from mhi.core.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the current two-factor code for a demo coordinator or admin account."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            self.stdout.write(demo_totp_code(email))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
