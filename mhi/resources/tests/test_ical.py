"""iCalendar files and subscription feeds (mhi.resources.ical)."""

import datetime

import icalendar
import pytest

from mhi.accounts.tests.factories import UserFactory
from mhi.resources import ical
from mhi.resources.models import Booking, Tier
from mhi.resources.tests.factories import BookingFactory, ClosureFactory, ResourceFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture
def booking():
    resource = ResourceFactory(
        name="Confocal 2; Zeiss LSM 980, with Airyscan",
        building="Henry Wellcome Building",
        contact_email="confocal@le.example",
    )
    return BookingFactory(
        resource=resource,
        user=UserFactory(email="alice@le.example"),
        start=START,
        end=START + datetime.timedelta(hours=2),
        status=Booking.Status.CONFIRMED,
        tier=Tier.INTERNAL,
        purpose="Live imaging of zebrafish embryos, " * 5,
    )


def events(data: bytes) -> list:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


def test_a_booking_ics_holds_one_event_in_utc_with_escaped_folded_text(booking):
    data = ical.booking_ics(booking)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"METHOD:PUBLISH\r\n" in data
    assert b"SUMMARY:Confocal 2\\; Zeiss LSM 980\\, with Airyscan\r\n" in data
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded (RFC 5545 3.1)
    (event,) = events(data)
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (START, START + datetime.timedelta(hours=2))
    assert str(event["uid"]) == f"booking-{booking.pk}@localhost"
    assert str(event["status"]) == "CONFIRMED"
    assert "Live imaging of zebrafish embryos" in str(event["description"])
    assert str(event["summary"]) == "Confocal 2; Zeiss LSM 980, with Airyscan"


def test_a_cancelled_booking_ics_cancels_the_same_event_with_a_higher_sequence(booking):
    confirmed = events(ical.booking_ics(booking))[0]
    booking.status = Booking.Status.CANCELLED
    data = ical.booking_ics(booking)
    cancelled = events(data)[0]
    assert b"METHOD:CANCEL\r\n" in data
    assert str(cancelled["uid"]) == str(confirmed["uid"])
    assert (int(confirmed["sequence"]), int(cancelled["sequence"])) == (1, 2)
    assert str(cancelled["status"]) == "CANCELLED"


def test_the_resource_feed_shows_confirmed_bookings_without_who_and_closures(booking):
    BookingFactory(resource=booking.resource, start=START + datetime.timedelta(days=1), status=Booking.Status.REQUESTED)
    ClosureFactory(resource=booking.resource, start=START + datetime.timedelta(days=2), reason="Service")
    data = ical.resource_feed(booking.resource, now=START)
    summaries = sorted(str(e["summary"]) for e in events(data))
    assert summaries == [
        "Booked: Confocal 2; Zeiss LSM 980, with Airyscan",
        "Closed (maintenance): Confocal 2; Zeiss LSM 980, with Airyscan",
    ]
    assert b"alice" not in data and b"zebrafish" not in data


def test_the_user_feed_shows_their_requested_and_confirmed_bookings(booking):
    BookingFactory(user=booking.user, start=START + datetime.timedelta(days=1), status=Booking.Status.REQUESTED)
    BookingFactory(user=booking.user, start=START + datetime.timedelta(days=2), status=Booking.Status.CANCELLED)
    BookingFactory(start=START, status=Booking.Status.CONFIRMED)  # someone else's
    statuses = sorted(str(e["status"]) for e in events(ical.user_feed(booking.user, now=START)))
    assert statuses == ["CONFIRMED", "TENTATIVE"]


def test_feed_tokens_round_trip(booking):
    assert ical.feed_from_token(ical.feed_token(user=booking.user)) == booking.user
    assert ical.feed_from_token(ical.feed_token(resource=booking.resource)) == booking.resource


def test_a_resource_token_is_not_a_user_token(booking):
    token = ical.feed_token(resource=booking.resource)
    with pytest.raises(ical.InvalidFeedToken):
        ical.feed_from_token("u" + token[1:])


@pytest.mark.parametrize("token", ["", "x1:abc", "u1:forged", "r"])
def test_an_altered_token_is_refused(token):
    with pytest.raises(ical.InvalidFeedToken, match="This calendar link is not valid"):
        ical.feed_from_token(token)


def test_a_retired_resource_or_inactive_user_has_no_feed(booking):
    token_user, token_resource = ical.feed_token(user=booking.user), ical.feed_token(resource=booking.resource)
    booking.user.is_active = False
    booking.user.save()
    booking.resource.status = "retired"
    booking.resource.save()
    for token in (token_user, token_resource):
        with pytest.raises(ical.InvalidFeedToken):
            ical.feed_from_token(token)
