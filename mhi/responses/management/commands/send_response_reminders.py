"""mhi send-response-reminders [--every MINUTES]: email the question owners and institution leads whose
deadline reminders for joint responses are due.

Each reminder is sent once per (response, person, days before) (mhi.responses.notifications), so the command may
run as often as you like: from cron,

    0 * * * *  cd /srv/mhi && .venv/bin/mhi send-response-reminders

or as a long-running service with --every. `mhi scheduler` also queues it every hour.
"""

from mhi.core.commands import RemindersCommand


class Command(RemindersCommand):
    help = "Email the joint-response deadline reminders that are due (each reminder is sent once)."

    def send(self) -> int:
        from mhi.responses.notifications import send_deadline_reminders_run

        return send_deadline_reminders_run()
