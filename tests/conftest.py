"""Fixtures shared by the tests under tests/. The environment (inline tasks, plain static files, a
temporary var directory) is set up by the conftest.py at the repository root."""

import pytest


@pytest.fixture
def directory_data(db):
    """The real partnership from data/reference (per test: the database is reset after each)."""
    from mhi.directory.reference import reference_load

    return reference_load()


@pytest.fixture
def make_user(db):
    """make_user(email=..., **fields) creates an active user (the email address defaults to a fresh one)."""
    from django.contrib.auth import get_user_model

    counter = iter(range(1, 10_000))

    def _make_user(email: str | None = None, password: str = "correct-horse-battery-staple", **fields):
        email = email or f"user{next(counter)}@example.org"
        return get_user_model().objects.create_user(email=email, password=password, **fields)

    return _make_user
