"""mhi send-bid-reminders [--every MINUTES]: email the bid teams whose deadline reminders are due.

Each reminder is sent once (mhi.bids.reminders), so the command may run as often as you like: from cron,

    0 * * * *  cd /srv/mhi && .venv/bin/mhi send-bid-reminders

or as a long-running service with --every. `mhi scheduler` also queues it every hour.
"""

from mhi.core.commands import RemindersCommand


class Command(RemindersCommand):
    help = "Email the bid teams whose deadline reminders are due (each reminder is sent once)."

    def send(self) -> int:
        from mhi.bids.reminders import send_due_reminders

        return send_due_reminders()
