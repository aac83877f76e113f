"""When a resource is open and free: opening hours as times in Europe/London, bookable slots, and which resources
are free over a range.

Opening hours are wall-clock times (`Resource.opening_hours`: ISO weekday "1".."7" → [["09:00", "17:00"], ...],
"24:00" for midnight at the end of the day), so "09:00" is 09:00 in London in winter and in summer. Everything
else is real elapsed time on aware UTC datetimes: slots are `slot_minutes` long and counted from the opening time
of their window, so on the October change a window 00:00–04:00 holds five hours (ten 30-minute slots), and on the
March change four hours less one. A wall time that does not exist (01:30 on the last Sunday of March) is read
with the offset before the change, as zoneinfo does (fold=0); an ambiguous one (01:30 on the last Sunday of
October) as its first occurrence (BST).

Free means: inside an opening window, on a slot boundary, and overlapping no confirmed booking and no closure.
Requested (unapproved) bookings do not take a slot; only a manager's approval does.
"""

import datetime
import zoneinfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from mhi.resources.models import Booking, Closure, Resource, ResourceStatus

LONDON = zoneinfo.ZoneInfo(settings.TIME_ZONE)
Range = tuple[datetime.datetime, datetime.datetime]


def utc(value: datetime.datetime) -> datetime.datetime:
    """The same instant in UTC. Python subtracts and compares two datetimes that share a tzinfo by their wall
    times, so 02:30 minus 00:30 London time on 25 October would be 2 hours, not the 3 that pass; every range
    is moved to UTC before any arithmetic. A naive value is left as it is, for the caller to refuse."""
    return value.astimezone(datetime.UTC) if value.tzinfo is not None else value


def to_london(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(LONDON)


def _wall_time(text: str) -> tuple[int, int]:
    hours, minutes = (int(part) for part in str(text).split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise ValueError(f"“{text}” is not a time of day (HH:MM, 00:00 to 24:00)")
    return hours, minutes


def _at(day: datetime.date, text: str) -> datetime.datetime:
    """The aware UTC instant of wall time `text` ("HH:MM", "24:00" = the next midnight) on `day` in London."""
    hours, minutes = _wall_time(text)
    if hours == 24:
        day, hours = day + datetime.timedelta(days=1), 0
    local = datetime.datetime.combine(day, datetime.time(hours, minutes), tzinfo=LONDON)
    return local.astimezone(datetime.UTC)


def opening_windows(resource: Resource, day: datetime.date) -> list[Range]:
    """The resource's opening windows on a London calendar day, as UTC ranges, in order."""
    windows = []
    for start_text, end_text in (resource.opening_hours or {}).get(str(day.isoweekday()), []):
        start, end = _at(day, start_text), _at(day, end_text)
        if end > start:
            windows.append((start, end))
    merged: list[Range] = []
    for window in sorted(windows):  # touching or overlapping windows are one (09:00–12:00 and 12:00–17:00)
        if merged and window[0] <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], window[1]))
        else:
            merged.append(window)
    return merged


def _days(start: datetime.datetime, end: datetime.datetime):
    """The London calendar days from the one before `start` (a window may run past midnight) to the one of `end`."""
    day = to_london(start).date() - datetime.timedelta(days=1)
    last = to_london(end).date()
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def window_containing(resource: Resource, start: datetime.datetime, end: datetime.datetime) -> Range | None:
    """The opening window that holds all of [start, end), or None."""
    start, end = utc(start), utc(end)
    for day in _days(start, start):
        for window in opening_windows(resource, day):
            if window[0] <= start and end <= window[1]:
                return window
    return None


def _overlaps(start: datetime.datetime, end: datetime.datetime, taken: list[Range]) -> bool:
    return any(t_start < end and start < t_end for t_start, t_end in taken)


def taken_ranges(resource: Resource, start: datetime.datetime, end: datetime.datetime) -> list[Range]:
    """Confirmed bookings and closures of the resource that overlap [start, end), sorted: two indexed queries."""
    bookings = Booking.objects.filter(
        resource=resource, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start
    ).values_list("start", "end")
    closures = Closure.objects.filter(resource=resource, start__lt=end, end__gt=start).values_list("start", "end")
    return sorted([*bookings, *closures])


def booking_limits(resource: Resource, *, now: datetime.datetime) -> Range:
    """The earliest start (lead time) and latest end (horizon) of a booking made at `now`."""
    return (
        now + datetime.timedelta(hours=resource.lead_time_hours),
        now + datetime.timedelta(days=resource.horizon_days),
    )


def resource_open_for_booking(resource: Resource) -> bool:
    return resource.bookable and resource.status == ResourceStatus.AVAILABLE


def free_slots(
    *,
    resource: Resource,
    start: datetime.datetime,
    end: datetime.datetime,
    for_booking: bool = False,
    now: datetime.datetime | None = None,
) -> list[Range]:
    """Each free slot (slot_minutes long) of the resource that lies within [start, end), in order.

    With `for_booking`, only slots a booking made now could take: starting no sooner than the lead time and
    ending within the horizon. A resource in maintenance, retired or not bookable has no free slots."""
    start, end = utc(start), utc(end)
    if end <= start or not resource_open_for_booking(resource):
        return []
    if for_booking:
        earliest, latest = booking_limits(resource, now=utc(now or timezone.now()))
        start, end = max(start, earliest), min(end, latest)
        if end <= start:
            return []
    taken = taken_ranges(resource, start, end)
    step = datetime.timedelta(minutes=resource.slot_minutes)
    slots = []
    for day in _days(start, end):
        for w_start, w_end in opening_windows(resource, day):
            slot = w_start
            while slot + step <= w_end:
                if slot >= start and slot + step <= end and not _overlaps(slot, slot + step, taken):
                    slots.append((slot, slot + step))
                slot += step
    return slots


def free_ranges(slots: list[Range]) -> list[Range]:
    """Adjacent slots merged: [(10:00, 10:30), (10:30, 11:00)] → [(10:00, 11:00)]."""
    merged: list[Range] = []
    for slot_start, slot_end in slots:
        if merged and merged[-1][1] == slot_start:
            merged[-1] = (merged[-1][0], slot_end)
        else:
            merged.append((slot_start, slot_end))
    return merged


def resources_free_between(
    *, queryset: QuerySet[Resource], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[Resource]:
    """The resources of `queryset` free for all of [start, end): available and bookable, open for the whole
    range (one opening window holds it) and with no confirmed booking or closure overlapping it. A booking's
    own limits (duration, slot boundaries, lead time, horizon) are booking_request's to check.
    The overlap tests are NOT EXISTS subqueries on the (resource, status, start, end) and (resource, start,
    end) indexes; opening hours, a JSON field, are checked in Python on what is left."""
    start, end = utc(start), utc(end)
    if end <= start:
        return queryset.none()
    candidates = (
        queryset.filter(status=ResourceStatus.AVAILABLE, bookable=True)
        .exclude(
            Exists(
                Booking.objects.filter(
                    resource=OuterRef("pk"), status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start
                )
            )
        )
        .exclude(Exists(Closure.objects.filter(resource=OuterRef("pk"), start__lt=end, end__gt=start)))
    )
    open_ids = [
        resource.pk
        for resource in candidates.only("pk", "opening_hours")
        if window_containing(resource, start, end) is not None
    ]
    return queryset.filter(Q(pk__in=open_ids))
