"""mhi fetch-feeds [--feed ID ...] [--every MINUTES]: fetch the opportunity feeds that are due.

Run it from cron or a systemd timer every few minutes (each feed is fetched only when its own interval has
passed), or as a long-running service with --every:

    */10 * * * *  cd /srv/mhi && .venv/bin/mhi fetch-feeds
"""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections


class Command(BaseCommand):
    help = "Fetch every active opportunity feed whose interval has passed (or the feeds named with --feed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed", type=int, action="append", default=[], help="Fetch this feed (by id) now, due or not"
        )
        parser.add_argument(
            "--every", type=float, default=0, help="Keep running, looking for due feeds every this many minutes"
        )

    def handle(self, *args, feed, every, **options):
        if every and feed:
            raise CommandError("Use --feed or --every, not both.")
        if every and every < 1:
            raise CommandError("--every must be at least 1 minute.")
        if feed:
            self._fetch_named(feed)
            return
        while True:
            self._fetch_due()
            if not every:
                return
            close_old_connections()
            time.sleep(every * 60)

    def _fetch_named(self, ids):
        from mhi.opportunities.models import OpportunityFeed
        from mhi.opportunities.services import feed_fetch

        feeds = {f.pk: f for f in OpportunityFeed.objects.filter(pk__in=ids)}
        missing = [str(i) for i in ids if i not in feeds]
        if missing:
            raise CommandError(f"No feed with id {', '.join(missing)}.")
        failed = 0
        for pk in ids:
            fetch = feed_fetch(feed=feeds[pk])
            failed += fetch.status == fetch.Status.FAILED
            self._report(fetch)
        if failed:
            raise CommandError(f"{failed} feed(s) failed.")

    def _fetch_due(self):
        from mhi.opportunities.services import feeds_fetch_due

        fetches = feeds_fetch_due()
        for fetch in fetches:
            self._report(fetch)
        if not fetches:
            self.stdout.write("No feeds are due.")

    def _report(self, fetch):
        if fetch.status == fetch.Status.FAILED:
            self.stderr.write(f"{fetch.feed.name}: failed: {fetch.error}")
        else:
            self.stdout.write(
                f"{fetch.feed.name}: {fetch.items} items, {fetch.created} new, {fetch.updated} updated, "
                f"{fetch.unchanged} unchanged, {fetch.duplicates} duplicates, {fetch.skipped} already closed"
            )
