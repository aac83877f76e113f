"""Free slots and which resources are free over a range (mhi.resources.availability)."""

import datetime

import pytest

from mhi.resources.availability import LONDON, free_ranges, free_slots, opening_windows, resources_free_between
from mhi.resources.models import Booking, ResourceStatus, Tier
from mhi.resources.tests.factories import BookingFactory, ClosureFactory, ResourceFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def uk(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def hours(slots) -> list[str]:
    return [f"{s.astimezone(LONDON):%H:%M}-{e.astimezone(LONDON):%H:%M}" for s, e in slots]


def confirmed(resource, start, end):
    return BookingFactory(resource=resource, start=start, end=end, status=Booking.Status.CONFIRMED, tier=Tier.INTERNAL)


@pytest.fixture
def resource():
    return ResourceFactory(name="Confocal 2", slot_minutes=60)


def test_free_slots_are_the_opening_hours_in_slot_steps(resource):
    assert hours(free_slots(resource=resource, start=uk(10, 0), end=uk(11, 0))) == [
        "09:00-10:00", "10:00-11:00", "11:00-12:00", "12:00-13:00",
        "13:00-14:00", "14:00-15:00", "15:00-16:00", "16:00-17:00",
    ]  # fmt: skip


def test_free_slots_leave_out_confirmed_bookings_and_closures_but_not_requests(resource):
    confirmed(resource, uk(10, 10), uk(10, 12))
    BookingFactory(resource=resource, start=uk(10, 12), end=uk(10, 13), status=Booking.Status.REQUESTED)
    BookingFactory(resource=resource, start=uk(10, 13), end=uk(10, 14), status=Booking.Status.CANCELLED)
    ClosureFactory(resource=resource, start=uk(10, 15, 30), end=uk(10, 16))
    assert hours(free_slots(resource=resource, start=uk(10, 0), end=uk(11, 0))) == [
        "09:00-10:00",
        "12:00-13:00",
        "13:00-14:00",
        "14:00-15:00",
        "16:00-17:00",
    ]


def test_slots_count_from_the_opening_time(resource):
    resource.opening_hours = {"2": [["09:30", "12:00"]]}
    resource.save()
    assert hours(free_slots(resource=resource, start=uk(10, 0), end=uk(11, 0))) == ["09:30-10:30", "10:30-11:30"]


def test_touching_windows_are_one(resource):
    resource.opening_hours = {"2": [["09:00", "10:30"], ["10:30", "12:00"]]}
    resource.save()
    assert [(s.hour, e.hour) for s, e in opening_windows(resource, datetime.date(2026, 3, 10))] == [(9, 12)]


def test_free_slots_for_booking_respect_lead_time_and_horizon(resource):
    resource.horizon_days = 2
    resource.save()
    slots = free_slots(resource=resource, start=uk(2, 0), end=uk(6, 0), for_booking=True, now=uk(2, 12))
    assert (slots[0][0], slots[-1][1]) == (uk(3, 12), uk(4, 12))
    assert len(slots) == 8


@pytest.mark.parametrize("change", [{"status": ResourceStatus.MAINTENANCE}, {"status": "retired"}, {"bookable": False}])
def test_a_resource_not_open_for_booking_has_no_free_slots(resource, change):
    for name, value in change.items():
        setattr(resource, name, value)
    resource.save()
    assert free_slots(resource=resource, start=uk(10, 0), end=uk(11, 0)) == []


def test_free_ranges_merge_adjacent_slots(resource):
    confirmed(resource, uk(10, 12), uk(10, 13))
    assert hours(free_ranges(free_slots(resource=resource, start=uk(10, 0), end=uk(11, 0)))) == [
        "09:00-12:00",
        "13:00-17:00",
    ]


def test_two_weeks_of_free_slots_take_two_queries(resource, django_assert_num_queries):
    with django_assert_num_queries(2):
        slots = free_slots(resource=resource, start=uk(9, 0), end=uk(23, 0))
    assert len(slots) == 80


def test_resources_free_between_leaves_out_booked_closed_shut_and_unavailable_ones():
    free = ResourceFactory(name="Free", technique="confocal microscopy")
    booked = ResourceFactory(name="Booked", technique="confocal microscopy")
    confirmed(booked, uk(10, 11), uk(10, 13))
    requested = ResourceFactory(name="Only requested", technique="confocal microscopy")
    BookingFactory(resource=requested, start=uk(10, 10), end=uk(10, 12))
    closed = ResourceFactory(name="Closed", technique="confocal microscopy")
    ClosureFactory(resource=closed, start=uk(10, 0), end=uk(11, 0))
    ResourceFactory(name="Shut on Tuesdays", technique="confocal microscopy", opening_hours={"1": [["09:00", "17:00"]]})
    ResourceFactory(name="Maintenance", technique="confocal microscopy", status=ResourceStatus.MAINTENANCE)
    ResourceFactory(name="Other technique", technique="mass spectrometry")
    from mhi.resources.models import Resource

    queryset = Resource.objects.filter(technique__icontains="confocal")
    found = resources_free_between(queryset=queryset, start=uk(10, 10), end=uk(10, 12))
    assert sorted(r.name for r in found) == ["Free", "Only requested"]
    assert free.pk in {r.pk for r in found}


def test_resources_free_between_an_empty_range_is_none():
    ResourceFactory()
    from mhi.resources.models import Resource

    assert list(resources_free_between(queryset=Resource.objects.all(), start=uk(10, 12), end=uk(10, 12))) == []
