"""iCalendar (RFC 5545) for bookings: the .ics attached to booking emails, and subscription feeds per resource
and per user behind signed tokens.

Written with the `icalendar` package, which escapes text and folds long lines. Times are UTC (the "Z" form), so
calendar programs show them in the reader's zone with no VTIMEZONE needed; a booking across a clock change keeps
its real length. Each booking's UID is stable (booking-<pk>@<site host>) and SEQUENCE grows with its state, so
an update or cancellation replaces the event a calendar already holds.

Feeds: a resource's feed shows when it is booked or closed, without who booked (the token may be shared with a
whole lab); a user's feed shows their own requested and confirmed bookings. Tokens are django.core.signing
signatures of the id with a salt per kind, so a resource token cannot be replayed as a user token. They do not
expire (a subscribed calendar keeps working); changing SECRET_KEY revokes them all.
"""

import datetime
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import NoReverseMatch
from django.utils import timezone

from mhi.core.errors import DomainError
from mhi.resources.models import Booking, Closure, Resource

PRODID = "-//Midlands Health Innovation//MHI Hub resources//EN"
SALTS = {"user": "mhi.resources.ical.user-feed", "resource": "mhi.resources.ical.resource-feed"}
# How far back a feed reaches; forward it holds everything booked.
FEED_PAST = datetime.timedelta(days=90)
STATUS = {
    Booking.Status.REQUESTED: "TENTATIVE",
    Booking.Status.CONFIRMED: "CONFIRMED",
    Booking.Status.DECLINED: "CANCELLED",
    Booking.Status.CANCELLED: "CANCELLED",
}
SEQUENCE = {
    Booking.Status.REQUESTED: 0,
    Booking.Status.CONFIRMED: 1,
    Booking.Status.DECLINED: 2,
    Booking.Status.CANCELLED: 2,
}


class InvalidFeedToken(DomainError):
    status_code = 404


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "mhi-hub"


def _calendar(name: str, *, method: str = "PUBLISH") -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    return calendar


def resource_url(resource: Resource) -> str:
    """The resource's page, absolute (the pages may not be mounted yet while the app is being built)."""
    try:
        path = resource.get_absolute_url()
    except NoReverseMatch:
        path = f"/resources/{resource.pk}/"
    return settings.SITE_URL + path


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def _where(resource: Resource) -> str:
    parts = [resource.building, resource.site_location, str(resource.organisation)]
    return ", ".join(p for p in parts if p)


def _booking_event(booking: Booking, *, private: bool = True) -> icalendar.Event:
    resource = booking.resource
    event = icalendar.Event()
    event.add("uid", f"booking-{booking.pk}@{_host()}")
    event.add("dtstamp", _utc(timezone.now()))
    event.add("dtstart", _utc(booking.start))
    event.add("dtend", _utc(booking.end))
    event.add("sequence", SEQUENCE[booking.status])
    event.add("status", STATUS[booking.status])
    event.add("transp", "OPAQUE")
    if private:
        state = "" if booking.status == Booking.Status.CONFIRMED else f" ({booking.get_status_display().lower()})"
        event.add("summary", f"{resource.name}{state}")
        lines = [f"Booking of {resource.name}{state}."]
        if booking.purpose:
            lines.append(f"Purpose: {booking.purpose}")
        if booking.quote_note:
            amount = f"£{booking.quote_amount:.2f}: " if booking.quote_amount is not None else ""
            lines.append(f"Quote: {amount}{booking.quote_note}")
        if resource.contact_name or resource.contact_email:
            lines.append(f"Contact: {' '.join(p for p in (resource.contact_name, resource.contact_email) if p)}")
        lines.append(resource_url(resource))
        event.add("description", "\n".join(lines))
    else:
        event.add("summary", f"Booked: {resource.name}")
    event.add("location", _where(resource))
    event.add("url", resource_url(resource))
    return event


def booking_ics(booking: Booking) -> bytes:
    """One booking as an .ics file: METHOD:CANCEL for a cancelled or declined one, so calendars remove it."""
    method = "CANCEL" if booking.status in {Booking.Status.CANCELLED, Booking.Status.DECLINED} else "PUBLISH"
    calendar = _calendar(booking.resource.name, method=method)
    calendar.add_component(_booking_event(booking))
    return calendar.to_ical()


def bookings_ics(bookings: list[Booking], *, name: str) -> bytes:
    """Several bookings (a recurring series) in one .ics file."""
    calendar = _calendar(name)
    for booking in bookings:
        calendar.add_component(_booking_event(booking))
    return calendar.to_ical()


def resource_feed(resource: Resource, *, now: datetime.datetime | None = None) -> bytes:
    """The resource's confirmed bookings (without who booked) and closures, from FEED_PAST ago onwards."""
    since = (now or timezone.now()) - FEED_PAST
    calendar = _calendar(f"{resource.name} — bookings")
    bookings = Booking.objects.filter(resource=resource, status=Booking.Status.CONFIRMED, end__gt=since)
    for booking in bookings.select_related("resource__organisation"):
        calendar.add_component(_booking_event(booking, private=False))
    for closure in Closure.objects.filter(resource=resource, end__gt=since):
        event = icalendar.Event()
        event.add("uid", f"closure-{closure.pk}@{_host()}")
        event.add("dtstamp", _utc(timezone.now()))
        event.add("dtstart", _utc(closure.start))
        event.add("dtend", _utc(closure.end))
        event.add("summary", f"Closed ({closure.get_kind_display().lower()}): {resource.name}")
        if closure.reason:
            event.add("description", closure.reason)
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()


def user_feed(user, *, now: datetime.datetime | None = None) -> bytes:
    """The user's requested and confirmed bookings, from FEED_PAST ago onwards."""
    since = (now or timezone.now()) - FEED_PAST
    calendar = _calendar("My MHI Hub bookings")
    bookings = Booking.objects.filter(
        user=user, status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED], end__gt=since
    ).select_related("resource__organisation")
    for booking in bookings:
        calendar.add_component(_booking_event(booking))
    return calendar.to_ical()


def feed_token(*, user=None, resource: Resource | None = None) -> str:
    """The signed token of a subscription URL: for a user's feed or a resource's, exactly one of them."""
    if (user is None) == (resource is None):
        raise ValueError("feed_token needs a user or a resource, not both")
    kind, pk = ("user", user.pk) if user is not None else ("resource", resource.pk)
    return f"{kind[0]}{signing.Signer(salt=SALTS[kind]).sign(str(pk))}"


def feed_from_token(token: str):
    """The user or resource a feed token is for; InvalidFeedToken when it was altered, cut short or its subject
    is gone (or, for a resource, retired)."""
    refused = InvalidFeedToken("This calendar link is not valid. Copy it again from MHI Hub.")
    kinds = {"u": "user", "r": "resource"}
    if not token or token[0] not in kinds:
        raise refused
    kind = kinds[token[0]]
    try:
        pk = signing.Signer(salt=SALTS[kind]).unsign(token[1:])
    except signing.BadSignature:
        raise refused from None
    if not pk.isdigit():
        raise refused
    if kind == "user":
        found = get_user_model().objects.filter(pk=int(pk), is_active=True).first()
    else:
        found = Resource.objects.filter(pk=int(pk)).exclude(status="retired").select_related("organisation").first()
    if found is None:
        raise refused
    return found


def feed_response(ics: bytes, *, filename: str):
    """An HttpResponse serving a feed or .ics file."""
    from django.http import HttpResponse

    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
