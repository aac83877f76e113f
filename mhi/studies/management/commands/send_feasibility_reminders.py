"""mhi send-feasibility-reminders [--every MINUTES]: remind the sites that have not answered a feasibility request.

Each reminder (invite, days before the deadline) is sent once (mhi.studies.feasibility), so the command may run as
often as you like: from cron,

    0 * * * *  cd /srv/mhi && .venv/bin/mhi send-feasibility-reminders

or as a long-running service with --every. The hub's scheduler also runs it every hour.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


class Command(BaseCommand):
    help = "Remind the sites that have not answered a feasibility request (each reminder is sent once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Keep running, sending the due reminders every this many minutes"
        )

    def handle(self, *args, every, **options):
        from mhi.studies.feasibility import feasibility_reminders_run

        if every and every < 1:
            raise CommandError("--every must be at least 1 minute.")
        while True:
            sent = feasibility_reminders_run()
            self.stdout.write(f"{sent} reminder{'' if sent == 1 else 's'} sent.")
            if not every:
                return
            close_old_connections()
            time.sleep(every * 60)
