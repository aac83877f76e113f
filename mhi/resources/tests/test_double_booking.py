"""No double booking, ever: concurrent requests for one slot, concurrent approvals, and the database's own guard.

The concurrent tests run threads, each with its own database connection, against committed data
(`transaction=True`), and close their connections when they finish. On PostgreSQL the threads really run at
once and the exclusion constraint refuses the losers; on SQLite they run on a file copy of the in-memory test
database (tests/concurrency.py), where IMMEDIATE transactions queue on the write lock and each later request's
overlap check, inside its own transaction, finds the slot taken.
"""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from mhi.accounts.tests.factories import MembershipFactory
from mhi.core.errors import Conflict
from mhi.resources import booking as svc
from mhi.resources.models import Booking, Tier
from mhi.resources.tests.factories import BookingFactory, ResourceFactory
from tests.concurrency import file_database, run_together

UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
START = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # Tuesday 10:00 UK time
END = START + datetime.timedelta(hours=1)
CLIENTS = 50


@pytest.fixture
def concurrent(tmp_path):
    """Several connections at once: on SQLite, a file copy of the test database (tests/concurrency.py)."""
    with file_database(tmp_path):
        yield


@pytest.fixture
def instant_resource():
    return ResourceFactory(name="Confocal 2", instant_booking=True)


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_requests_for_one_slot_confirm_exactly_one(concurrent, instant_resource):
    users = [MembershipFactory(organisation=instant_resource.organisation).user for _ in range(CLIENTS)]

    def book(i):
        return svc.booking_request(user=users[i], resource=instant_resource, start=START, end=END, now=NOW)

    results = run_together(book, CLIENTS)
    booked = [r for r in results if isinstance(r, Booking)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(booked), len(conflicts)) == (1, CLIENTS - 1), [
        r for r in results if not isinstance(r, Booking | Conflict)
    ]
    assert Booking.objects.filter(resource=instant_resource, status=Booking.Status.CONFIRMED).count() == 1
    messages = {c.message for c in conflicts}
    assert messages <= {
        "Confocal 2 is already booked Tue 10 Mar 2026 10:00–11:00.",
        "This slot was booked a moment ago by someone else; choose another time.",
    }


@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_overlapping_requests_at_once_confirm_one(concurrent):
    resource = ResourceFactory(name="Confocal 3", instant_booking=False)
    managers = [MembershipFactory(organisation=resource.organisation, role="institution_admin").user for _ in range(2)]
    requester = MembershipFactory(organisation=resource.organisation).user
    first = svc.booking_request(user=requester, resource=resource, start=START, end=END, now=NOW)
    second = svc.booking_request(
        user=requester, resource=resource, start=START + datetime.timedelta(minutes=30), end=END, now=NOW
    )
    requests = [first, second]

    def approve(i):
        return svc.booking_approve(actor=managers[i], booking=requests[i], now=NOW)

    results = run_together(approve, 2)
    assert sorted(type(r).__name__ for r in results) == ["Booking", "Conflict"], results
    assert Booking.objects.filter(resource=resource, status=Booking.Status.CONFIRMED).count() == 1
    assert Booking.objects.filter(resource=resource, status=Booking.Status.REQUESTED).count() == 1


# --- serial: the same guard, on every database ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_request_for_a_taken_slot_is_a_conflict(instant_resource):
    users = [MembershipFactory(organisation=instant_resource.organisation).user for _ in range(3)]
    svc.booking_request(user=users[0], resource=instant_resource, start=START, end=END, now=NOW)
    for user in users[1:]:
        with pytest.raises(Conflict, match="Confocal 2 is already booked Tue 10 Mar 2026 10:00–11:00."):
            svc.booking_request(user=user, resource=instant_resource, start=START, end=END, now=NOW)
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 1


@pytest.mark.django_db
def test_the_overlap_check_and_the_write_share_one_transaction(instant_resource, monkeypatch):
    """The check runs after the transaction began (on SQLite, after BEGIN IMMEDIATE took the write lock), so
    nothing can be written between the check and the insert."""
    user = MembershipFactory(organisation=instant_resource.organisation).user
    seen = []
    original = svc._refuse_overlap

    def spy(**kwargs):
        seen.append(connection.in_atomic_block)
        return original(**kwargs)

    monkeypatch.setattr(svc, "_refuse_overlap", spy)
    svc.booking_request(user=user, resource=instant_resource, start=START, end=END, now=NOW)
    assert seen == [True]


@pytest.mark.django_db(transaction=True)
def test_sqlite_transactions_take_the_write_lock_at_begin():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has the exclusion constraint")
    assert connection.settings_dict["OPTIONS"].get("transaction_mode") == "IMMEDIATE"


@pytest.mark.django_db
def test_postgresql_refuses_overlapping_confirmed_rows_written_past_the_service(instant_resource):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the exclusion constraint of migration 0002")
    BookingFactory(resource=instant_resource, start=START, end=END, status=Booking.Status.CONFIRMED, tier=Tier.INTERNAL)
    BookingFactory(resource=instant_resource, start=END, end=END + datetime.timedelta(hours=1), status="confirmed")
    with pytest.raises(IntegrityError, match="booking_no_overlap_confirmed"), transaction.atomic():
        BookingFactory(
            resource=instant_resource,
            start=START + datetime.timedelta(minutes=30),
            end=END,
            status=Booking.Status.CONFIRMED,
        )


@pytest.mark.django_db
def test_a_lost_race_on_the_constraint_is_reported_as_a_conflict(instant_resource, monkeypatch):
    """What the 49 losers see on PostgreSQL: the insert fails on the constraint after the check passed."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the exclusion constraint of migration 0002")
    user = MembershipFactory(organisation=instant_resource.organisation).user
    BookingFactory(resource=instant_resource, start=START, end=END, status=Booking.Status.CONFIRMED, tier=Tier.INTERNAL)
    monkeypatch.setattr(svc, "_refuse_overlap", lambda **kwargs: None)  # as if the other booking came just after
    with pytest.raises(Conflict, match="This slot was booked a moment ago"):
        svc.booking_request(user=user, resource=instant_resource, start=START, end=END, now=NOW)
