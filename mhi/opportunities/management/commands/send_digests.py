"""mhi send-digests [--every MINUTES]: send every opportunity digest that is due.

A daily digest is due a day after its last turn, a weekly one a week after (less an hour of slack, so a fixed
daily run time keeps working). Run it from cron or a systemd timer, or as a long-running service with --every:

    0 7 * * *  cd /srv/mhi && .venv/bin/mhi send-digests
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


class Command(BaseCommand):
    help = "Send every opportunity digest that is due (daily or weekly, as each user chose)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Keep running, sending the due digests every this many minutes"
        )

    def handle(self, *args, every, **options):
        if every and every < 1:
            raise CommandError("--every must be at least 1 minute.")
        while True:
            run = self._send_due()
            if not every:
                if run.failed:
                    raise CommandError(f"{run.failed} digest(s) could not be sent; they stay due (see the log).")
                return
            close_old_connections()
            time.sleep(every * 60)

    def _send_due(self):
        from mhi.opportunities.digests import digests_send_due

        run = digests_send_due()
        self.stdout.write(run.summary() + ".")
        return run
