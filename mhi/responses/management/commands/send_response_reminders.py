"""mhi send-response-reminders [--every MINUTES]: email the question owners and institution leads whose
deadline reminders for joint responses are due.

Each reminder is sent once per (response, person, days before) (mhi.responses.notifications), so the command may
run as often as you like: from cron,

    0 * * * *  cd /srv/mhi && .venv/bin/mhi send-response-reminders

or as a long-running service with --every. `mhi scheduler` also queues it every hour.
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


class Command(BaseCommand):
    help = "Email the joint-response deadline reminders that are due (each reminder is sent once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Keep running, sending the due reminders every this many minutes"
        )

    def handle(self, *args, every, **options):
        from mhi.responses.notifications import send_deadline_reminders_run

        if every and every < 1:
            raise CommandError("--every must be at least 1 minute.")
        while True:
            sent = send_deadline_reminders_run()
            self.stdout.write(f"{sent} reminder{'' if sent == 1 else 's'} sent.")
            if not every:
                return
            close_old_connections()
            time.sleep(every * 60)
