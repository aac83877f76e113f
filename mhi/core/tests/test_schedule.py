"""The scheduler queues each periodic task at its own interval."""

from io import StringIO

from django.core.management import call_command

from mhi.core import schedule


def test_periodic_tasks_are_queued_when_their_interval_has_passed(monkeypatch):
    monkeypatch.setattr(schedule, "PERIODIC", {})
    schedule.register_periodic("feeds", object(), every_minutes=10)
    schedule.register_periodic("digests", object(), every_minutes=60)
    queued: list[str] = []
    last_run: dict[str, float] = {}

    def enqueue(periodic):
        queued.append(periodic.name)

    assert schedule.run_due(last_run=last_run, now=0, enqueue=enqueue) == ["feeds", "digests"]
    assert schedule.run_due(last_run=last_run, now=9 * 60, enqueue=enqueue) == []
    assert schedule.run_due(last_run=last_run, now=10 * 60, enqueue=enqueue) == ["feeds"]
    assert schedule.run_due(last_run=last_run, now=60 * 60, enqueue=enqueue) == ["feeds", "digests"]
    assert queued == ["feeds", "digests", "feeds", "feeds", "digests"]


def test_the_command_lists_what_the_apps_registered():
    out = StringIO()
    call_command("scheduler", "--list", stdout=out)
    assert "feeds: every 10 minutes" in out.getvalue()
    assert "digests: every 15 minutes" in out.getvalue()
    assert "bid_reminders: every 60 minutes" in out.getvalue()
    assert "waitlist_offers: every 15 minutes" in out.getvalue()
