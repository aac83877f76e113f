"""Tests that run several database connections at once, each from its own thread.

PostgreSQL needs nothing special. The suite's SQLite test database is in memory with a shared cache, where a
second connection's write fails at once with "database table is locked" (table locks are not retried on the
busy timeout). So on SQLite `file_database` copies the freshly migrated in-memory database to a file, as
production runs it (WAL, IMMEDIATE transactions, busy timeout from config/settings.py), and points the test's
connections at it: the test's own (in `file_database`) and each thread's (`thread_uses_file_database()`, first
thing in the thread). Use with `@pytest.mark.django_db(transaction=True)`, so threads see committed data.
"""

import sqlite3
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections

# Set while a test runs on a file copy of the SQLite test database: the settings a thread connects with.
_file_database: dict = {}


@contextmanager
def file_database(directory):
    """On an in-memory SQLite test database, run the block on a file copy of it (see the module's text)."""
    original = connections[DEFAULT_DB_ALIAS]
    if original.vendor != "sqlite" or not original.is_in_memory_db():
        yield
        return
    path = directory / "concurrent.sqlite3"
    original.ensure_connection()
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    _file_database["settings"] = {**original.settings_dict, "NAME": str(path)}
    thread_uses_file_database()
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = original
        _file_database.clear()


def thread_uses_file_database() -> None:
    """Point this thread's default connection at the file copy, when there is one."""
    if _file_database:
        wrapper_class = type(connections[DEFAULT_DB_ALIAS])
        connections[DEFAULT_DB_ALIAS] = wrapper_class(dict(_file_database["settings"]), DEFAULT_DB_ALIAS)


def run_together(work, count: int) -> list:
    """Run work(i) in `count` threads on their own connections, released at once by a barrier; each result, or the
    exception it raised, in order."""
    import threading

    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        thread_uses_file_database()
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as error:  # collected for the caller's assertions
            results[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results
