"""mhi demo: set up the embedded SQLite database with reference and demo data, then run the product
(web server plus a task worker) and print where to go and how to sign in."""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from mhi.core.demo import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_TOTP_SECRETS,
    demo_impact_cases_load,
    demo_opportunities_load,
    demo_seed,
    demo_works_load,
)


class Command(BaseCommand):
    help = "Prepare demo data and run MHI Hub with a task worker (Ctrl-C stops both)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="Only prepare the data; do not start the server")

    def handle(self, *args, host, port, no_serve, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready: " + str(settings.DATABASES["default"]["NAME"]))
        call_command("load_reference", stdout=self.stdout)
        created = demo_seed()
        self.stdout.write(f"Demo data ready ({created['people']} people and {created['accounts']} accounts created).")
        self.stdout.write(f"Demo works ready ({demo_works_load()} created).")
        self.stdout.write(f"REF2014 impact case studies of the seven universities: {demo_impact_cases_load()}.")
        self.stdout.write(f"Demo opportunities ready ({demo_opportunities_load()} created).")
        # Each module's demo data, from the module itself.
        from mhi.bids.demo import demo_bids_load
        from mhi.resources.demo import demo_resources_load
        from mhi.responses.demo import demo_responses_load
        from mhi.studies.demo import demo_studies_load

        self.stdout.write(f"Demo bids ready ({demo_bids_load()} created).")
        made = demo_resources_load()
        self.stdout.write(
            f"Demo equipment and facilities ready ({made['resources']} resources, {made['bookings']} bookings and "
            f"{made['inductions']} inductions created)."
        )
        made = demo_studies_load()
        counted = [
            (made["studies"], "study", "studies"),
            (made["profiles"], "site profile", "site profiles"),
            (made["feasibility_requests"], "feasibility request", "feasibility requests"),
            (made["recruitment"], "recruitment month", "recruitment months"),
        ]
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in counted]
        self.stdout.write(f"Demo studies ready ({', '.join(parts[:-1])} and {parts[-1]} created).")
        made = demo_responses_load()
        self.stdout.write(f"Demo joint responses ready ({made} created).")
        if no_serve:
            call_command("index_works", stdout=self.stdout)
        else:
            from mhi.expertise.index import index_changed
            from mhi.expertise.tasks import works_index_build

            index_changed()  # searchable by their words at once
            works_index_build.enqueue()
            self.stdout.write("Indexing the works for search in the background (the worker's output shows it).")
        call_command("collectstatic", interactive=False, verbosity=0)
        self._print_logins(host, port)
        if no_serve:
            return
        # Links in emails (invitations) point at this server.
        settings.SITE_URL = os.environ["MHI_SITE_URL"] = f"http://{host}:{port}"
        # The task worker, and the scheduler that queues periodic work (feeds, digests) for it.
        helpers = [
            subprocess.Popen([sys.executable, "-m", "mhi.cli", command], env=os.environ.copy())  # noqa: S603
            for command in ("worker", "scheduler")
        ]
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
        finally:
            for process in helpers:
                process.send_signal(signal.SIGTERM)
            for process in helpers:
                process.wait(timeout=10)

    def _print_logins(self, host, port):
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"MHI Hub is starting at http://{host}:{port}/"))
        out(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
        for account in DEMO_ACCOUNTS:
            extra = ""
            if account.email in DEMO_TOTP_SECRETS:
                extra = f"  [two-factor: run `.venv/bin/mhi demo-code {account.email}` for the code]"
            out(f"  {account.email:42} {account.description}{extra}")
        out("Demo people are fictional; the reference data (universities, trusts, ICBs) is real.")
        out("")
