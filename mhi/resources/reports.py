"""Reports on shared resources: utilisation (booked over available hours), income by tier, and the
cross-institution usage matrix (which institution uses whose kit).

Every report is over a range [start, end) of aware datetimes and counts confirmed bookings only. Hours are real
elapsed time: available hours are the opening windows (wall-clock times in Europe/London, see
mhi.resources.availability) clipped to the range, less closures, so a window 00:00–04:00 holds five hours on the
October change. Booked hours are each confirmed booking's part inside the range. Hours are Decimals to two places,
ratios to four, worked out from seconds so rounding happens once.

Reports are for coordinators (every resource) and institution admins (their organisations' resources; the usage
matrix, which holds only hours per pair of institutions, is the partnership's and they see all of it).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.models import Organisation
from mhi.resources.availability import opening_windows, to_london
from mhi.resources.models import Booking, Closure, Resource, Tier

Range = tuple[datetime.datetime, datetime.datetime]
TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


def hours(seconds: float) -> Decimal:
    return (Decimal(int(round(seconds))) / Decimal(3600)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _check_range(start: datetime.datetime, end: datetime.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError("A report's start and end need a time zone.", field="start")
    if end <= start:
        raise DomainError("The report's end must be after its start.", field="end")


# --- who may see reports, and over which resources ---------------------------------------------------------


def user_may_view_reports(user) -> bool:
    return user_is_coordinator(user) or bool(user_admin_organisation_ids(user))


def report_resources_for(*, user, organisation: Organisation | None = None):
    """The resources the user's utilisation and income reports cover (all for coordinators, their own
    organisations' for institution admins), optionally one organisation's."""
    if not user_may_view_reports(user):
        raise PermissionDenied("Reports are for coordinators and institution admins.")
    qs = Resource.objects.select_related("organisation").order_by("organisation__name", "name", "pk")
    if not user_is_coordinator(user):
        admin_of = user_admin_organisation_ids(user)
        if organisation is not None and organisation.pk not in admin_of:
            raise PermissionDenied(f"You see reports for your own institution, not {organisation.name}.")
        qs = qs.filter(organisation_id__in=admin_of)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return qs


# --- intervals --------------------------------------------------------------------------------------------


def _merged(ranges: list[Range]) -> list[Range]:
    merged: list[Range] = []
    for r_start, r_end in sorted(ranges):
        if merged and r_start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], r_end))
        else:
            merged.append((r_start, r_end))
    return merged


def _seconds(ranges: list[Range]) -> float:
    return sum((r_end - r_start).total_seconds() for r_start, r_end in ranges)


def _clip(ranges, start, end) -> list[Range]:
    return [(max(s, start), min(e, end)) for s, e in ranges if s < end and e > start]


def _minus(ranges: list[Range], holes: list[Range]) -> list[Range]:
    """`ranges` (merged) without any part in `holes` (merged)."""
    result = []
    for r_start, r_end in ranges:
        cursor = r_start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= r_end:
                continue
            if h_start > cursor:
                result.append((cursor, h_start))
            cursor = max(cursor, h_end)
        if cursor < r_end:
            result.append((cursor, r_end))
    return result


def open_ranges(resource: Resource, start: datetime.datetime, end: datetime.datetime) -> list[Range]:
    """The resource's opening windows that fall in [start, end), merged (a window may start the day before)."""
    day = to_london(start).date() - datetime.timedelta(days=1)
    last = to_london(end).date()
    windows = []
    while day <= last:
        windows.extend(opening_windows(resource, day))
        day += datetime.timedelta(days=1)
    return _merged(_clip(windows, start, end))


# --- utilisation ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UtilisationRow:
    resource: Resource
    booked_hours: Decimal
    available_hours: Decimal
    ratio: Decimal | None  # booked over available; None when it was never available


def utilisation(*, resources, start: datetime.datetime, end: datetime.datetime) -> list[UtilisationRow]:
    """Per resource: confirmed booked hours in [start, end) over the hours it was open and not closed."""
    _check_range(start, end)
    resources = list(resources)
    ids = [r.pk for r in resources]
    overlapping = Q(resource_id__in=ids, start__lt=end, end__gt=start)
    closures, booked = defaultdict(list), defaultdict(list)
    for resource_id, c_start, c_end in Closure.objects.filter(overlapping).values_list("resource_id", "start", "end"):
        closures[resource_id].append((c_start, c_end))
    confirmed = Booking.objects.filter(overlapping, status=Booking.Status.CONFIRMED)
    for resource_id, b_start, b_end in confirmed.values_list("resource_id", "start", "end"):
        booked[resource_id].append((b_start, b_end))
    rows = []
    for resource in resources:
        available = _minus(open_ranges(resource, start, end), _merged(_clip(closures[resource.pk], start, end)))
        available_s = _seconds(available)
        booked_s = _seconds(_merged(_clip(booked[resource.pk], start, end)))
        ratio = None
        if available_s:
            ratio = (Decimal(int(booked_s)) / Decimal(int(available_s))).quantize(FOUR_PLACES, ROUND_HALF_UP)
        rows.append(UtilisationRow(resource, hours(booked_s), hours(available_s), ratio))
    return rows


# --- income -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomeRow:
    tier: str
    label: str
    bookings: int
    amount: Decimal  # the sum of the quotes at booking time (a booking with no quote adds nothing)


def income_by_tier(*, resources, start: datetime.datetime, end: datetime.datetime) -> list[IncomeRow]:
    """Per price tier, in tier order, every tier listed: confirmed bookings of `resources` that start in
    [start, end), and the sum of their quotes."""
    _check_range(start, end)
    totals = {
        row["tier"]: row
        for row in Booking.objects.filter(
            resource__in=resources, status=Booking.Status.CONFIRMED, start__gte=start, start__lt=end
        )
        .values("tier")
        .annotate(bookings=Count("pk"), amount=Sum("quote_amount"))
    }
    rows = []
    for tier in Tier:
        row = totals.get(tier.value, {})
        amount = (row.get("amount") or Decimal("0")).quantize(TWO_PLACES)
        rows.append(IncomeRow(tier.value, tier.label, row.get("bookings", 0), amount))
    return rows


# --- who uses whose kit -----------------------------------------------------------------------------------


def usage_matrix(
    *, start: datetime.datetime, end: datetime.datetime
) -> tuple[list[Organisation], dict[Organisation, dict[Organisation, Decimal]]]:
    """(organisations, matrix): matrix[booking's institution][resource's owner] = confirmed booked hours in
    [start, end), for every pair of the organisations that booked or were booked (0.00 where none); organisations
    by name. Bookings with no institution recorded are left out."""
    _check_range(start, end)
    seconds: dict[tuple[int, int], float] = defaultdict(float)
    confirmed = Booking.objects.filter(
        status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start, organisation__isnull=False
    )
    for user_org, owner_org, b_start, b_end in confirmed.values_list(
        "organisation_id", "resource__organisation_id", "start", "end"
    ):
        seconds[(user_org, owner_org)] += (min(b_end, end) - max(b_start, start)).total_seconds()
    ids = {pk for pair in seconds for pk in pair}
    organisations = list(Organisation.objects.filter(pk__in=ids).order_by("name", "pk"))
    matrix = {
        row: {column: hours(seconds.get((row.pk, column.pk), 0)) for column in organisations} for row in organisations
    }
    return organisations, matrix
