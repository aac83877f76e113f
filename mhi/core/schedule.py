"""Periodic work: tasks that must run every so often (fetching feeds, sending digests), queued by one
`mhi scheduler` process for the workers to run.

Each app registers its periodic tasks in AppConfig.ready() with `register_periodic`. A periodic task decides
for itself what is due (a feed's own interval, a user's daily or weekly digest), so queuing it more often than
needed does no harm, and two schedulers by mistake only do a little double work, never double sends: the
tasks claim what they do in the database.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections


@dataclass(frozen=True)
class Periodic:
    name: str
    task: object  # a django_tasks Task
    every_minutes: float


PERIODIC: dict[str, Periodic] = {}


def register_periodic(name: str, task, *, every_minutes: float) -> None:
    PERIODIC[name] = Periodic(name, task, every_minutes)


def run_due(*, last_run: dict[str, float], now: float, enqueue: Callable | None = None) -> list[str]:
    """Queue every periodic task whose interval has passed since it was last queued; returns their names."""
    queued = []
    for periodic in PERIODIC.values():
        previous = last_run.get(periodic.name)
        if previous is None or now - previous >= periodic.every_minutes * 60:
            (enqueue or (lambda p: p.task.enqueue()))(periodic)
            last_run[periodic.name] = now
            queued.append(periodic.name)
    return queued


def run_forever(*, tick_seconds: float = 30, log: Callable[[str], None] = print) -> None:  # pragma: no cover
    last_run: dict[str, float] = {}
    while True:
        for name in run_due(last_run=last_run, now=time.monotonic()):
            log(f"queued {name}")
        close_old_connections()
        time.sleep(tick_seconds)
