"""Fixtures shared by the tests under tests/. The environment (inline tasks, plain static files, a
temporary var directory) is set up by the conftest.py at the repository root."""

from io import StringIO

import pytest
from django.core.management import call_command, get_commands

# A handful of organisations for when `mhi load-reference` is not available: enough kinds to filter on.
FALLBACK_ORGANISATIONS = [
    ("Aston University", "aston-university", "university"),
    ("University of Birmingham", "university-of-birmingham", "university"),
    ("University of Leicester", "university-of-leicester", "university"),
    ("University Hospitals Birmingham NHS Foundation Trust", "uhb", "nhs_trust"),
    ("University Hospitals of Leicester NHS Trust", "uhl", "nhs_trust"),
    ("NHS Birmingham and Solihull Integrated Care Board", "nhs-bsol-icb", "icb"),
    ("NIHR Leicester Biomedical Research Centre", "nihr-leicester-brc", "research_infrastructure"),
]


def load_directory_data() -> str:
    """Fill the directory: the reference CSVs through `load_reference` when that command exists, else a
    few hand-made organisations. Returns which of the two it did ("reference" or "fallback")."""
    if "load_reference" in get_commands():
        call_command("load_reference", stdout=StringIO())
        return "reference"
    from mhi.directory.models import Organisation

    for name, slug, kind in FALLBACK_ORGANISATIONS:
        Organisation.objects.create(name=name, slug=slug, kind=kind)
    return "fallback"


@pytest.fixture
def directory_data(db) -> str:
    """The directory filled as load_directory_data() describes (per test: the database is reset after each)."""
    return load_directory_data()


@pytest.fixture
def make_user(db):
    """make_user(email=..., **fields) creates an active user (the email address defaults to a fresh one)."""
    from django.contrib.auth import get_user_model

    counter = iter(range(1, 10_000))

    def _make_user(email: str | None = None, password: str = "correct-horse-battery-staple", **fields):
        email = email or f"user{next(counter)}@example.org"
        return get_user_model().objects.create_user(email=email, password=password, **fields)

    return _make_user
