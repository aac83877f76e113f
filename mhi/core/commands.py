"""Shared shapes of management commands."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


class RemindersCommand(BaseCommand):
    """Send the reminders that are due, once, or as a long-running service with --every MINUTES.

    Each module's reminders are sent once each (its own unique delivery rows), so the command may run as often as
    you like. A subclass names its `help` and implements `send()`, returning how many reminders it sent."""

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Keep running, sending the due reminders every this many minutes"
        )

    def send(self) -> int:
        raise NotImplementedError

    def handle(self, *args, every, **options):
        if every and every < 1:
            raise CommandError("--every must be at least 1 minute.")
        while True:
            sent = self.send()
            self.stdout.write(f"{sent} reminder{'' if sent == 1 else 's'} sent.")
            if not every:
                return
            close_old_connections()
            time.sleep(every * 60)
