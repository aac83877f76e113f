"""Booking a resource: who books at which tier, the quote, requests, approval, cancellation, the waitlist and
recurring bookings. Every write to a booking goes through here.

No double booking, ever. Two confirmed bookings of one resource may not overlap ([start, end) ranges, so back to
back is fine). On PostgreSQL the exclusion constraint `booking_no_overlap_confirmed` (migration 0002) refuses
the second one whatever the timing; its IntegrityError becomes a Conflict. On SQLite, whose transactions are
IMMEDIATE (the write lock is taken at BEGIN, one writer at a time), the overlap check and the write happen in
the same `transaction.atomic()`, so no other writer can come between them. The check runs on PostgreSQL too,
for the clearer message in the common case; the constraint covers the race.

Times: stored as aware UTC; durations, lead time, horizon and notice are real elapsed time; opening hours are
London wall time (mhi.resources.availability). Messages show London times.

Waitlist: someone who wants a taken range joins the waitlist. When a confirmed booking is cancelled or declined,
the earliest waiting entry whose range overlaps the freed one, and is now wholly free, is offered to its user for
OFFER_HOURS (an email); while the offer stands nobody else may book over it, and booking it marks the entry booked.
An offer not taken in time expires (`waitlist_expire_offers`, which then offers the range to the next in line).

Emails go out after the transaction commits (mhi.resources.notifications), so a refused booking sends nothing.
"""

import datetime
import decimal
import math
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from mhi.accounts.selectors import memberships_of
from mhi.core.audit import audit_record, audit_save, audit_snapshot
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.directory.models import Organisation, PartnerInstitution
from mhi.resources import notifications
from mhi.resources.availability import LONDON, booking_limits, to_london, utc, window_containing
from mhi.resources.models import (
    ACCESS_ORDER,
    TIER_NEEDS_ACCESS,
    Booking,
    Closure,
    Rate,
    RateUnit,
    Resource,
    ResourceStatus,
    Tier,
    WaitlistEntry,
)
from mhi.resources.selectors import user_may_manage_resource

OVERLAP_CONSTRAINT = "booking_no_overlap_confirmed"
OFFER_HOURS = 24
MAX_OCCURRENCES = 52
PENNY = decimal.Decimal("0.01")
TIER_ORDER = [Tier.INTERNAL, Tier.PARTNER, Tier.EXTERNAL_ACADEMIC, Tier.COMMERCIAL]  # best first
ACADEMIC_KINDS = {
    Organisation.Kind.UNIVERSITY,
    Organisation.Kind.RESEARCH_INFRASTRUCTURE,
    Organisation.Kind.NHS_TRUST,
    Organisation.Kind.ICB,
}


class InductionRequired(DomainError):
    """Refused because the requester has no valid induction; pages offer the request-training flow."""

    def __init__(self, message: str, *, resource: Resource):
        super().__init__(message, field="induction")
        self.resource = resource


def when(value: datetime.datetime) -> str:
    """Tue 10 Mar 2026 10:00, in London."""
    local = to_london(value)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def span(start: datetime.datetime, end: datetime.datetime) -> str:
    """Tue 10 Mar 2026 10:00–12:00 (the end's date too when it is another day)."""
    local_start, local_end = to_london(start), to_london(end)
    if local_start.date() == local_end.date():
        return f"{when(start)}–{local_end:%H:%M}"
    return f"{when(start)} to {when(end)}"


def _minutes(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} {'hour' if hours == 1 else 'hours'}"
    return f"{rest} {'minute' if rest == 1 else 'minutes'}"


# --- who may do what ------------------------------------------------------------------------------------


def user_may_manage(*, user, resource: Resource) -> bool:
    return user_may_manage_resource(user=user, resource=resource)


def _tier_of_organisation(organisation: Organisation, resource: Resource, partner_ids: set[int]) -> Tier:
    if organisation.pk == resource.organisation_id:
        return Tier.INTERNAL
    if organisation.pk in partner_ids:
        return Tier.PARTNER
    if organisation.kind in ACADEMIC_KINDS:
        return Tier.EXTERNAL_ACADEMIC
    # Industry, and the rest (charities, local government, others) who are not academic: the commercial rate.
    return Tier.COMMERCIAL


def _tier_and_organisation(
    *, user, resource: Resource, organisation: Organisation | None = None
) -> tuple[Tier | None, Organisation | None]:
    organisations = [m.organisation for m in memberships_of(user) if m.organisation_id]
    if organisation is not None:
        organisations = [o for o in organisations if o.pk == organisation.pk]
    if not organisations:
        return None, None
    partner_ids = set(
        PartnerInstitution.objects.filter(organisation__in=organisations).values_list("organisation_id", flat=True)
    )
    tiers = [(_tier_of_organisation(o, resource, partner_ids), o) for o in organisations]
    return min(tiers, key=lambda pair: TIER_ORDER.index(pair[0]))


def requester_tier(*, user, resource: Resource, organisation: Organisation | None = None) -> Tier | None:
    """The tier the user books at: internal at the owner, partner at another partner university, external
    academic at another university, research infrastructure or the NHS, commercial otherwise (industry). A user
    with roles at several organisations books at the best of them, or at `organisation`'s when given (one of
    theirs). None when they hold no role at any organisation (or none at `organisation`)."""
    return _tier_and_organisation(user=user, resource=resource, organisation=organisation)[0]


def tier_allowed(*, resource: Resource, tier: Tier) -> bool:
    return ACCESS_ORDER.index(TIER_NEEDS_ACCESS[tier]) <= ACCESS_ORDER.index(resource.access_policy)


# --- the quote ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    amount: decimal.Decimal | None
    note: str


def quote(*, resource: Resource, tier: Tier | str, start: datetime.datetime, end: datetime.datetime) -> Quote:
    """The price at `tier`: hours × the hourly rate (real elapsed hours), started 24-hour days × the daily rate,
    or the session rate once. No rate for the tier: no amount, "price on application"."""
    tier = Tier(tier)
    start, end = utc(start), utc(end)
    rate = Rate.objects.filter(resource=resource, tier=tier).first()
    if rate is None:
        return Quote(None, f"Price on application: no {tier.label.lower()} rate is set; ask the resource's contact.")
    elapsed = end - start
    if rate.unit == RateUnit.HOUR:
        hours = decimal.Decimal(int(elapsed.total_seconds())) / 3600
        amount = (hours * rate.amount).quantize(PENNY, rounding=decimal.ROUND_HALF_UP)
        count = f"{hours.normalize():f} {'hour' if hours == 1 else 'hours'}"
    elif rate.unit == RateUnit.DAY:
        days = max(1, math.ceil(elapsed / datetime.timedelta(days=1)))
        amount = (days * rate.amount).quantize(PENNY)
        count = f"{days} {'day' if days == 1 else 'days'}"
    else:
        amount = rate.amount.quantize(PENNY)
        count = "1 session"
    return Quote(amount, f"{count} × £{rate.amount:.2f} {rate.get_unit_display()} ({tier.label.lower()} rate)")


# --- checks ----------------------------------------------------------------------------------------------


def booking_problem(
    *, resource: Resource, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> tuple[str, str] | None:
    """(field, message) for the first rule the range breaks, before anyone else's bookings are looked at; None
    when the range is acceptable. The checks a booking and a waitlist entry share."""
    if start.tzinfo is None or end.tzinfo is None:
        return "start", "Give the start and end with their time zone (UK time)."
    start, end, now = utc(start), utc(end), utc(now)
    if resource.status != ResourceStatus.AVAILABLE:
        return "resource", f"{resource.name} cannot be booked: it is {resource.get_status_display().lower()}."
    if not resource.bookable:
        return (
            "resource",
            f"{resource.name} is not bookable through MHI Hub; contact {resource.contact_name or 'its owner'}.",
        )
    if end == start:
        return "end", "The booking has no length: the end is the same as the start."
    if end < start:
        return "end", f"The end ({when(end)}) is before the start ({when(start)})."
    if start < now:
        return "start", f"The start ({when(start)}) is in the past."
    elapsed = end - start
    if elapsed < datetime.timedelta(minutes=resource.min_duration_minutes):
        return "end", (
            f"Too short: {_minutes(elapsed)}; {resource.name} is booked for at least "
            f"{_minutes(datetime.timedelta(minutes=resource.min_duration_minutes))}."
        )
    if elapsed > datetime.timedelta(minutes=resource.max_duration_minutes):
        return "end", (
            f"Too long: {_minutes(elapsed)}; {resource.name} is booked for at most "
            f"{_minutes(datetime.timedelta(minutes=resource.max_duration_minutes))}."
        )
    earliest, latest = booking_limits(resource, now=now)
    if start < earliest:
        return "start", (
            f"Inside the lead time: {resource.name} is booked at least {resource.lead_time_hours} hours ahead, "
            f"so the earliest start now is {when(earliest)}."
        )
    if end > latest:
        return "start", (
            f"Beyond the booking horizon: {resource.name} is booked at most {resource.horizon_days} days ahead, "
            f"until {when(latest)}."
        )
    window = window_containing(resource, start, end)
    if window is None:
        return "start", f"{span(start, end)} is outside {resource.name}'s opening hours."
    step = datetime.timedelta(minutes=resource.slot_minutes)
    if (start - window[0]) % step or elapsed % step:
        return "start", (
            f"Not on a slot boundary: {resource.name} is booked in {resource.slot_minutes}-minute slots from "
            f"{to_london(window[0]):%H:%M}."
        )
    closure = Closure.objects.filter(resource=resource, start__lt=end, end__gt=start).order_by("start").first()
    if closure is not None:
        why = f": {closure.reason}" if closure.reason else ""
        return (
            "start",
            f"{resource.name} is closed for {closure.get_kind_display().lower()} {span(closure.start, closure.end)}{why}.",
        )
    return None


def _refuse_overlap(*, resource: Resource, start, end, exclude_pk: int | None = None, user=None, now) -> None:
    """Conflict when a confirmed booking overlaps, or a waitlist offer to someone else holds the range."""
    clash = (
        Booking.objects.filter(resource=resource, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start)
        .exclude(pk=exclude_pk)
        .order_by("start")
        .first()
    )
    if clash is not None:
        raise Conflict(f"{resource.name} is already booked {span(clash.start, clash.end)}.", field="start")
    held = (
        WaitlistEntry.objects.filter(
            resource=resource,
            status=WaitlistEntry.Status.OFFERED,
            offer_expires_at__gt=now,
            start__lt=end,
            end__gt=start,
        )
        .exclude(user=user)
        .first()
    )
    if held is not None:
        raise Conflict(
            f"{span(held.start, held.end)} is offered to someone on the waitlist until {when(held.offer_expires_at)}.",
            field="start",
        )


def _is_overlap_violation(error: IntegrityError) -> bool:
    cause = error.__cause__
    diag = getattr(cause, "diag", None)
    return OVERLAP_CONSTRAINT in (getattr(diag, "constraint_name", None) or "") or OVERLAP_CONSTRAINT in str(error)


def _save_confirmed(booking: Booking, *, fields: list[str] | None = None) -> None:
    """Insert or update a booking as confirmed; a lost race on PostgreSQL's exclusion constraint is a Conflict."""
    try:
        with transaction.atomic():
            booking.save(update_fields=fields)
    except IntegrityError as error:
        if not _is_overlap_violation(error):
            raise
        raise Conflict(
            "This slot was booked a moment ago by someone else; choose another time.", field="start"
        ) from None


# --- requests ----------------------------------------------------------------------------------------------


def _prepare(*, user, resource: Resource, start, end, purpose: str, organisation, now) -> Booking:
    """An unsaved booking once every rule but overlap passes; DomainError/PermissionDenied naming the first."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to book.")
    start, end = utc(start), utc(end)
    problem = booking_problem(resource=resource, start=start, end=end, now=now)
    if problem:
        raise DomainError(problem[1], field=problem[0])
    tier, booked_for = _tier_and_organisation(user=user, resource=resource, organisation=organisation)
    if tier is None:
        if organisation is not None:
            raise PermissionDenied(f"You hold no role at {organisation}, so you cannot book for it.")
        raise PermissionDenied(
            "Only people with a role at an organisation in MHI Hub may book; ask your institution admin."
        )
    if not tier_allowed(resource=resource, tier=tier):
        raise PermissionDenied(
            f"{resource.name} is open to {resource.get_access_policy_display().lower()}; you would book at the "
            f"{tier.label.lower()} tier, which it does not admit."
        )
    if resource.requires_induction:
        from mhi.resources import inductions  # the passport's module (CONTRACT.md), imported when needed

        satisfied, reason = inductions.induction_satisfied(user=user, resource=resource, on=to_london(start).date())
        if not satisfied:
            raise InductionRequired(reason or f"{resource.name} needs an induction first.", resource=resource)
    priced = quote(resource=resource, tier=tier, start=start, end=end)
    return Booking(
        resource=resource,
        user=user,
        organisation=booked_for,
        start=start,
        end=end,
        purpose=(purpose or "")[:300],
        tier=tier,
        quote_amount=priced.amount,
        quote_note=priced.note[:300],
        status=Booking.Status.CONFIRMED if resource.instant_booking else Booking.Status.REQUESTED,
    )


def _store(booking: Booking, *, now) -> Booking:
    """Write a prepared booking (inside the caller's transaction): overlap check, then the insert."""
    _refuse_overlap(resource=booking.resource, start=booking.start, end=booking.end, user=booking.user, now=now)
    if booking.status == Booking.Status.CONFIRMED:
        _save_confirmed(booking)
    else:
        booking.save()
    audit_record(instance=booking, action="create", actor=booking.user)
    WaitlistEntry.objects.filter(
        resource=booking.resource,
        user=booking.user,
        status=WaitlistEntry.Status.OFFERED,
        start__lt=booking.end,
        end__gt=booking.start,
    ).update(status=WaitlistEntry.Status.BOOKED)
    return booking


def booking_request(
    *,
    user,
    resource: Resource,
    start: datetime.datetime,
    end: datetime.datetime,
    purpose: str = "",
    organisation: Organisation | None = None,
    now: datetime.datetime | None = None,
) -> Booking:
    """Book [start, end): confirmed at once when the resource takes instant bookings (Conflict if the range is
    already booked), otherwise requested for a manager to approve. Refused with the reason otherwise."""
    now = utc(now or timezone.now())
    booking = _prepare(
        user=user, resource=resource, start=start, end=end, purpose=purpose, organisation=organisation, now=now
    )
    with transaction.atomic():
        _store(booking, now=now)
        notifications.on_commit(notifications.booking_made, booking)
    return booking


def _occurrences(start, end, *, every: str, count: int) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The series in London wall time: the same local start and end each day or week, across clock changes
    (10:00–12:00 stays 10:00–12:00 after the clocks go back)."""
    if every not in {"week", "day"}:
        raise DomainError(f"“{every}” is not a repeat; choose “week” or “day”.", field="every")
    if not isinstance(count, int) or not 1 <= count <= MAX_OCCURRENCES:
        raise DomainError(f"A series has 1 to {MAX_OCCURRENCES} bookings, not {count}.", field="count")
    if start.tzinfo is None or end.tzinfo is None:
        raise DomainError("Give the start and end with their time zone (UK time).", field="start")
    start, end = utc(start), utc(end)
    if end <= start:
        raise DomainError(f"The end ({when(end)}) is not after the start ({when(start)}).", field="end")
    step = datetime.timedelta(days=7 if every == "week" else 1)
    wall_start, wall_end = to_london(start).replace(tzinfo=None), to_london(end).replace(tzinfo=None)
    return [(_london(wall_start + n * step), _london(wall_end + n * step)) for n in range(count)]


def _london(wall: datetime.datetime) -> datetime.datetime:
    return wall.replace(tzinfo=LONDON).astimezone(datetime.UTC)


def booking_request_recurring(
    *,
    user,
    resource: Resource,
    start: datetime.datetime,
    end: datetime.datetime,
    every: str,
    count: int,
    purpose: str = "",
    organisation: Organisation | None = None,
    now: datetime.datetime | None = None,
) -> list[Booking]:
    """A weekly or daily series of `count` bookings (at most 52), all or nothing: if any occurrence is refused,
    none is made and the error names the occurrence ("Booking 3 of 10, Tue 24 Mar 2026 10:00–12:00: …")."""
    now = utc(now or timezone.now())
    occurrences = _occurrences(start, end, every=every, count=count)
    series = uuid.uuid4()
    bookings = []
    with transaction.atomic():
        for n, (occurrence_start, occurrence_end) in enumerate(occurrences, start=1):
            try:
                booking = _prepare(
                    user=user,
                    resource=resource,
                    start=occurrence_start,
                    end=occurrence_end,
                    purpose=purpose,
                    organisation=organisation,
                    now=now,
                )
                # As text: mhi.core.audit cannot put a UUID in its JSON yet (the field takes either).
                booking.series = str(series)
                _store(booking, now=now)
            except DomainError as error:
                error.message = f"Booking {n} of {count}, {span(occurrence_start, occurrence_end)}: {error.message}"
                error.args = (error.message,)
                raise
            bookings.append(booking)
        notifications.on_commit(notifications.series_made, bookings)
    return bookings


# --- decisions -------------------------------------------------------------------------------------------


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("resource", "user").get(pk=booking.pk)


def booking_approve(*, actor, booking: Booking, now: datetime.datetime | None = None) -> Booking:
    """A manager confirms a request. Two overlapping requests approved at once: one is confirmed, the other
    gets a Conflict (the exclusion constraint on PostgreSQL; the serialised transaction on SQLite)."""
    now = utc(now or timezone.now())
    if not user_may_manage(user=actor, resource=booking.resource):
        raise PermissionDenied(
            "Only the resource's managers, its institution's admins and coordinators approve bookings."
        )
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status != Booking.Status.REQUESTED:
            raise Conflict(f"This booking is {locked.get_status_display().lower()}, not awaiting approval.")
        if locked.start <= now:
            raise DomainError(
                f"This request was for {span(locked.start, locked.end)}, which has begun; decline it instead."
            )
        closure = Closure.objects.filter(resource=locked.resource, start__lt=locked.end, end__gt=locked.start).first()
        if closure is not None:
            raise Conflict(
                f"{locked.resource.name} is closed for {closure.get_kind_display().lower()} "
                f"{span(closure.start, closure.end)}; decline the request."
            )
        _refuse_overlap(
            resource=locked.resource,
            start=locked.start,
            end=locked.end,
            exclude_pk=locked.pk,
            user=locked.user,
            now=now,
        )
        before = audit_snapshot(locked)
        locked.status = Booking.Status.CONFIRMED
        locked.decided_by = actor
        locked.decided_at = now
        _save_confirmed(locked, fields=["status", "decided_by", "decided_at"])
        audit_record(instance=locked, action="update", before=before, actor=actor)
        notifications.on_commit(notifications.booking_confirmed, locked)
    return locked


def booking_decline(*, actor, booking: Booking, note: str = "", now: datetime.datetime | None = None) -> Booking:
    """A manager declines a request (or a confirmed booking not yet ended, which frees its range)."""
    now = utc(now or timezone.now())
    if not user_may_manage(user=actor, resource=booking.resource):
        raise PermissionDenied(
            "Only the resource's managers, its institution's admins and coordinators decline bookings."
        )
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status not in {Booking.Status.REQUESTED, Booking.Status.CONFIRMED}:
            raise Conflict(f"This booking is already {locked.get_status_display().lower()}.")
        if locked.status == Booking.Status.CONFIRMED and locked.end <= now:
            raise DomainError("This booking is over; it cannot be declined.")
        was_confirmed = locked.status == Booking.Status.CONFIRMED
        audit_save(
            instance=locked,
            actor=actor,
            fields={
                "status": Booking.Status.DECLINED,
                "decided_by": actor,
                "decided_at": now,
                "decision_note": (note or "")[:500],
            },
        )
        notifications.on_commit(notifications.booking_declined, locked)
        if was_confirmed:
            waitlist_offer_freed(resource=locked.resource, start=locked.start, end=locked.end, now=now)
    return locked


def booking_cancel(*, actor, booking: Booking, now: datetime.datetime | None = None) -> Booking:
    """The requester cancels up to `cancellation_notice_hours` before the start; managers at any time until
    the booking ends. A booking that is over cannot be cancelled. A confirmed booking's range goes to the
    waitlist."""
    now = utc(now or timezone.now())
    is_manager = user_may_manage(user=actor, resource=booking.resource)
    if not is_manager and getattr(actor, "pk", None) != booking.user_id:
        raise PermissionDenied("Only the person who booked and the resource's managers cancel a booking.")
    with transaction.atomic():
        locked = _locked(booking)
        if locked.status not in {Booking.Status.REQUESTED, Booking.Status.CONFIRMED}:
            raise Conflict(f"This booking is already {locked.get_status_display().lower()}.")
        if locked.end <= now:
            raise DomainError("This booking is over; a past booking cannot be cancelled.")
        notice = datetime.timedelta(hours=locked.resource.cancellation_notice_hours)
        if not is_manager and locked.start - now < notice:
            raise DomainError(
                f"Too late to cancel: bookings of {locked.resource.name} are cancelled at least "
                f"{locked.resource.cancellation_notice_hours} hours before the start (by {when(locked.start - notice)}); "
                "ask its managers."
            )
        was_confirmed = locked.status == Booking.Status.CONFIRMED
        audit_save(instance=locked, actor=actor, fields={"status": Booking.Status.CANCELLED, "cancelled_at": now})
        notifications.on_commit(notifications.booking_cancelled, locked)
        if was_confirmed:
            waitlist_offer_freed(resource=locked.resource, start=locked.start, end=locked.end, now=now)
    return locked


# --- the waitlist -----------------------------------------------------------------------------------------


def waitlist_join(
    *, user, resource: Resource, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime | None = None
) -> WaitlistEntry:
    """Wait for a range that is booked. Refused when the range breaks a booking rule or is free (book it)."""
    now = utc(now or timezone.now())
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to join the waitlist.")
    start, end = utc(start), utc(end)
    problem = booking_problem(resource=resource, start=start, end=end, now=now)
    if problem:
        raise DomainError(problem[1], field=problem[0])
    tier = requester_tier(user=user, resource=resource)
    if tier is None or not tier_allowed(resource=resource, tier=tier):
        raise PermissionDenied(f"You cannot book {resource.name}, so you cannot wait for it.")
    with transaction.atomic():
        taken = Booking.objects.filter(
            resource=resource, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start
        ).exists()
        if not taken:
            raise DomainError(f"{span(start, end)} is free: book it instead of waiting.", field="start")
        existing = WaitlistEntry.objects.filter(
            resource=resource,
            user=user,
            start=start,
            end=end,
            status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
        ).first()
        if existing is not None:
            return existing
        entry = WaitlistEntry.objects.create(resource=resource, user=user, start=start, end=end)
        audit_record(instance=entry, action="create", actor=user)
    return entry


def _range_free(*, resource: Resource, start, end, now) -> bool:
    if Booking.objects.filter(
        resource=resource, status=Booking.Status.CONFIRMED, start__lt=end, end__gt=start
    ).exists():
        return False
    if Closure.objects.filter(resource=resource, start__lt=end, end__gt=start).exists():
        return False
    return not WaitlistEntry.objects.filter(
        resource=resource, status=WaitlistEntry.Status.OFFERED, offer_expires_at__gt=now, start__lt=end, end__gt=start
    ).exists()


def waitlist_offer_freed(
    *, resource: Resource, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime | None = None
) -> WaitlistEntry | None:
    """Offer a freed range to the earliest waiting entry whose range overlaps it and is now wholly free and still
    ahead; the offer stands for OFFER_HOURS (or until the start, if sooner). Returns the entry offered, if any."""
    now = utc(now or timezone.now())
    start, end = utc(start), utc(end)
    with transaction.atomic():
        waiting = (
            WaitlistEntry.objects.select_for_update()
            .filter(resource=resource, status=WaitlistEntry.Status.WAITING, start__lt=end, end__gt=start, start__gt=now)
            .order_by("created_at", "id")
        )
        for entry in waiting:
            if not _range_free(resource=resource, start=entry.start, end=entry.end, now=now):
                continue
            entry.status = WaitlistEntry.Status.OFFERED
            entry.offered_at = now
            entry.offer_expires_at = min(now + datetime.timedelta(hours=OFFER_HOURS), entry.start)
            entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
            notifications.on_commit(notifications.waitlist_offered, entry)
            return entry
    return None


def waitlist_expire_offers(*, now: datetime.datetime | None = None) -> int:
    """Expire offers not taken in time and offer each range to the next in line. Returns how many expired."""
    now = utc(now or timezone.now())
    with transaction.atomic():
        stale = list(
            WaitlistEntry.objects.select_for_update()
            .filter(status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now)
            .select_related("resource")
        )
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in stale]).update(status=WaitlistEntry.Status.EXPIRED)
        for entry in stale:
            waitlist_offer_freed(resource=entry.resource, start=entry.start, end=entry.end, now=now)
    return len(stale)


def waitlist_withdraw(*, user, entry: WaitlistEntry) -> WaitlistEntry:
    if entry.user_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the person waiting leaves the waitlist.")
    with transaction.atomic():
        locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        was_offered = locked.status == WaitlistEntry.Status.OFFERED
        if locked.status in {WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED}:
            locked.status = WaitlistEntry.Status.WITHDRAWN
            locked.save(update_fields=["status"])
            if was_offered:
                waitlist_offer_freed(resource=locked.resource, start=locked.start, end=locked.end)
    return locked
