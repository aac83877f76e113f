"""mhi scheduler: queue the periodic tasks (feeds, digests, ...) when they are due. Run one beside the workers."""

from django.core.management.base import BaseCommand

from mhi.core.schedule import PERIODIC, run_due, run_forever


class Command(BaseCommand):
    help = (
        "Queue periodic tasks (fetching opportunity feeds, sending digests) for the workers, each at its own "
        "interval. Run exactly one, beside `mhi worker`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Queue every periodic task once, then exit")
        parser.add_argument("--list", action="store_true", help="List the periodic tasks and their intervals")

    def handle(self, *args, once, list, **options):
        if list:
            for periodic in PERIODIC.values():
                self.stdout.write(f"{periodic.name}: every {periodic.every_minutes:g} minutes")
            return
        if once:
            for name in run_due(last_run={}, now=0):
                self.stdout.write(f"queued {name}")
            return
        self.stdout.write(f"Scheduler running: {', '.join(PERIODIC) or 'no periodic tasks'}.")
        run_forever(log=self.stdout.write)
