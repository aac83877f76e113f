"""mhi worker: run background tasks from the database queue (Django tasks, database backend)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background task worker (database queue). Run one or more beside the web processes."

    def add_arguments(self, parser):
        parser.add_argument("--queue-name", default="default")
        parser.add_argument("--batch", action="store_true", help="Run until the queue is empty, then exit")

    def handle(self, *args, queue_name, batch, **options):
        extra = ["--batch"] if batch else []
        call_command("db_worker", "--queue-name", queue_name, *extra)
