"""Europe/London clock changes: opening hours in wall time, durations and prices in real elapsed time.

2026: the clocks go forward on Sunday 29 March (01:00 GMT becomes 02:00 BST, a 23-hour day) and back on Sunday
25 October (02:00 BST becomes 01:00 GMT, so 01:00–02:00 happens twice, a 25-hour day).
"""

import datetime
import decimal

import pytest

from mhi.accounts.tests.factories import MembershipFactory
from mhi.core.errors import DomainError
from mhi.resources import booking as svc
from mhi.resources.availability import LONDON, free_slots
from mhi.resources.models import RateUnit, Tier
from mhi.resources.tests.factories import RateFactory, ResourceFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
ALL_DAY = {str(day): [["00:00", "24:00"]] for day in range(1, 8)}


@pytest.fixture
def resource():
    return ResourceFactory(
        name="Cryo-EM", opening_hours=ALL_DAY, slot_minutes=30, max_duration_minutes=24 * 60, instant_booking=True
    )


@pytest.fixture
def user(resource):
    return MembershipFactory(organisation=resource.organisation).user


def test_a_booking_across_the_october_change_lasts_its_real_elapsed_time(resource, user):
    RateFactory(resource=resource, tier=Tier.INTERNAL, unit=RateUnit.HOUR, amount=decimal.Decimal("10.00"))
    start = datetime.datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)  # 00:30 BST = 23:30 UTC on the 24th
    end = datetime.datetime(2026, 10, 25, 2, 30, tzinfo=LONDON)  # 02:30 GMT = 02:30 UTC
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        datetime.datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        datetime.datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
    )
    booking = svc.booking_request(
        user=user, resource=resource, start=start, end=end, now=datetime.datetime(2026, 10, 20, tzinfo=UTC)
    )
    booking.refresh_from_db()
    assert booking.duration == datetime.timedelta(hours=3)
    assert (booking.quote_amount, booking.quote_note) == (
        decimal.Decimal("30.00"),
        "3 hours × £10.00 per hour (internal rate)",
    )


def test_the_repeated_hour_is_two_different_slots(resource, user):
    now = datetime.datetime(2026, 10, 20, tzinfo=UTC)
    first = datetime.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    svc.booking_request(user=user, resource=resource, start=first, end=first + datetime.timedelta(hours=1), now=now)
    svc.booking_request(user=user, resource=resource, start=second, end=second + datetime.timedelta(hours=1), now=now)
    assert resource.bookings.count() == 2


def test_the_maximum_duration_is_real_time_on_the_long_day(resource, user):
    resource.max_duration_minutes = 24 * 60
    resource.save()
    now = datetime.datetime(2026, 10, 20, tzinfo=UTC)
    midnight = datetime.datetime(2026, 10, 25, 0, 0, tzinfo=LONDON)
    next_midnight = datetime.datetime(2026, 10, 26, 0, 0, tzinfo=LONDON)  # 25 hours later
    with pytest.raises(DomainError, match="Too long: 25 hours"):
        svc.booking_request(user=user, resource=resource, start=midnight, end=next_midnight, now=now)


def test_free_slots_on_the_october_change_day(resource):
    day_start = datetime.datetime(2026, 10, 25, 0, 0, tzinfo=LONDON)
    day_end = datetime.datetime(2026, 10, 26, 0, 0, tzinfo=LONDON)
    slots = free_slots(resource=resource, start=day_start, end=day_end)
    assert len(slots) == 50  # 25 hours of 30-minute slots
    assert all(e - s == datetime.timedelta(minutes=30) for s, e in slots)
    labels = [f"{s.astimezone(LONDON):%H:%M %Z}" for s, _ in slots[2:7]]
    assert labels == ["01:00 BST", "01:30 BST", "01:00 GMT", "01:30 GMT", "02:00 GMT"]


def test_free_slots_on_the_march_change_day(resource):
    day_start = datetime.datetime(2026, 3, 29, 0, 0, tzinfo=LONDON)
    day_end = datetime.datetime(2026, 3, 30, 0, 0, tzinfo=LONDON)
    slots = free_slots(resource=resource, start=day_start, end=day_end)
    assert len(slots) == 46  # 23 hours
    labels = [f"{s.astimezone(LONDON):%H:%M %Z}" for s, _ in slots[1:4]]
    assert labels == ["00:30 GMT", "02:00 BST", "02:30 BST"]


def test_office_hours_stay_in_wall_time_across_the_march_change():
    resource = ResourceFactory(opening_hours={str(d): [["09:00", "17:00"]] for d in range(1, 8)}, slot_minutes=60)
    saturday = free_slots(
        resource=resource,
        start=datetime.datetime(2026, 3, 28, tzinfo=LONDON),
        end=datetime.datetime(2026, 3, 29, tzinfo=LONDON),
    )
    sunday = free_slots(
        resource=resource,
        start=datetime.datetime(2026, 3, 29, tzinfo=LONDON),
        end=datetime.datetime(2026, 3, 30, tzinfo=LONDON),
    )
    assert (saturday[0][0], sunday[0][0]) == (
        datetime.datetime(2026, 3, 28, 9, 0, tzinfo=UTC),  # 09:00 GMT
        datetime.datetime(2026, 3, 29, 8, 0, tzinfo=UTC),  # 09:00 BST
    )
    assert len(saturday) == len(sunday) == 8


def test_a_weekly_series_keeps_its_wall_time_across_the_october_change(user):
    resource = ResourceFactory(organisation=user.memberships.get().organisation, instant_booking=True)
    start = datetime.datetime(2026, 10, 20, 10, 0, tzinfo=LONDON)  # Tuesday, BST
    bookings = svc.booking_request_recurring(
        user=user,
        resource=resource,
        start=start,
        end=start + datetime.timedelta(hours=2),
        every="week",
        count=2,
        now=datetime.datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert [b.start.astimezone(UTC).hour for b in bookings] == [9, 10]  # 10:00 BST, then 10:00 GMT
    assert [f"{b.start.astimezone(LONDON):%H:%M}" for b in bookings] == ["10:00", "10:00"]
