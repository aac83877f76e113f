"""mhi send-feasibility-reminders [--every MINUTES]: remind the sites that have not answered a feasibility request.

Each reminder (invite, days before the deadline) is sent once (mhi.studies.feasibility), so the command may run as
often as you like: from cron,

    0 * * * *  cd /srv/mhi && .venv/bin/mhi send-feasibility-reminders

or as a long-running service with --every. The hub's scheduler also runs it every hour.
"""

from mhi.core.commands import RemindersCommand


class Command(RemindersCommand):
    help = "Remind the sites that have not answered a feasibility request (each reminder is sent once)."

    def send(self) -> int:
        from mhi.studies.feasibility import feasibility_reminders_run

        return feasibility_reminders_run()
