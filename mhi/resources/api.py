"""Shared-resources operations of the API: the catalogue, booking, the induction passport and reports.

Reading the catalogue (list, one resource, free slots, a quote at a named tier) is open to everyone; contact email
addresses are given to signed-in callers only. Everything else needs signing in. Managing a resource (changing it,
its rates and closures, deciding bookings, recording inductions, answering training requests) is for its
managers, its institution's admins and coordinators; importing and exporting a catalogue, for coordinators and
that institution's admins; reports, for coordinators and institution admins. A booking, or a training request,
that the caller may not see does not exist for them (404).

Times are ISO 8601; a time without an offset is UK time (Europe/London). Report ranges are UK days.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.utils import timezone
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.directory.models import Organisation
from mhi.directory.selectors import organisation_id_for_slug
from mhi.resources import availability, booking, inductions, reports, selectors, services, uniquip
from mhi.resources.availability import LONDON
from mhi.resources.models import (
    AccessPolicy,
    Booking,
    Closure,
    InductionClass,
    RateUnit,
    Resource,
    ResourceStatus,
    Tier,
    TrainingRequest,
    UniquipType,
)

router = Router(tags=["resources"], auth=OPTIONAL_AUTH)

# The longest range free slots are listed for in one call.
FREE_SLOTS_MAX_DAYS = 31
# Reports cover the last REPORT_DAYS days (to the end of today) unless a range is given.
REPORT_DAYS = 30
# Query parameters with a description, made once (a call in an argument default would be made once anyway).
QUOTE_TIER = Query(None, description="Default: the tier you book at (signed in)")
BOOKING_STATUS_FILTER = Query([], description="Any of requested, confirmed, declined, cancelled; repeat for several")
TRAINING_STATUS_FILTER = Query([], description="Any of open, scheduled, done, declined; repeat for several")


# --- helpers ----------------------------------------------------------------------------------------------


def _signed_in(request) -> bool:
    return getattr(request.user, "is_authenticated", False)


def _aware(value: datetime.datetime) -> datetime.datetime:
    """A time without an offset is UK time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(datetime.UTC)


def _uk_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=LONDON).astimezone(datetime.UTC)


def _organisation_id(slug: str, *, field: str) -> int:
    if not slug:
        raise DomainError("Name the organisation (its slug).", field=field)
    return organisation_id_for_slug(slug, field=field)


def _organisation(slug: str, *, field: str = "organisation") -> Organisation:
    return Organisation.objects.get(pk=_organisation_id(slug, field=field))


def _resource(request, resource_id: int) -> Resource:
    return selectors.resource_for(user=request.user, pk=resource_id)


def _induction_class(pk: int | None, *, field: str) -> InductionClass | None:
    if pk is None:
        return None
    found = InductionClass.objects.filter(pk=pk).first()
    if found is None:
        raise DomainError(f"No induction class {pk}.", field=field)
    return found


def _user_by_email(email: str, *, field: str):
    user = get_user_model().objects.filter(email__iexact=(email or "").strip(), is_active=True).first()
    if user is None:
        raise DomainError(f"Nobody with the address “{email}” has an account.", field=field)
    return user


def _booking(request, booking_id: int) -> Booking:
    return selectors.booking_for(user=request.user, pk=booking_id)


# --- the catalogue ----------------------------------------------------------------------------------------


class RateOut(Schema):
    tier: str
    unit: str | None
    amount: Decimal | None = Field(None, description="Pounds (GBP); null: no rate for this tier")


class ResourceOut(Schema):
    id: int
    # Uniquip
    uniquip_type: str
    uniquip_id: str
    name: str
    description: str
    related_facility_id: str
    technique: str
    location: str
    contact_name: str
    contact_telephone: str
    contact_url: str
    contact_email: str = Field(description="Empty for callers who are not signed in")
    secondary_contact_name: str
    secondary_contact_telephone: str
    secondary_contact_url: str
    secondary_contact_email: str = Field(description="Empty for callers who are not signed in")
    photo: str
    department: str
    site_location: str
    building: str
    service_level: str
    web_address: str
    # sharing
    organisation: str = Field(description="Slug of the owning organisation")
    organisation_name: str
    manufacturer: str
    model_name: str
    access_policy: str
    training_requirement: str
    requires_induction: bool
    induction_class: int | None
    induction_class_name: str | None
    status: str
    latitude: Decimal | None
    longitude: Decimal | None
    rates: list[RateOut]
    url: str

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation.slug

    @staticmethod
    def resolve_organisation_name(obj) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_induction_class(obj) -> int | None:
        return obj.induction_class_id

    @staticmethod
    def resolve_induction_class_name(obj) -> str | None:
        return obj.induction_class.name if obj.induction_class_id else None

    @staticmethod
    def resolve_contact_email(obj, context) -> str:
        return obj.contact_email if _signed_in(context["request"]) else ""

    @staticmethod
    def resolve_secondary_contact_email(obj, context) -> str:
        return obj.secondary_contact_email if _signed_in(context["request"]) else ""

    @staticmethod
    def resolve_rates(obj) -> list[dict]:
        return [{"tier": r.tier, "unit": r.unit, "amount": r.amount} for r in obj.rates.all()]

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class ResourceDetailOut(ResourceOut):
    bookable: bool
    instant_booking: bool
    opening_hours: dict = Field(description='ISO weekday "1".."7" → [["HH:MM", "HH:MM"], ...], UK time')
    slot_minutes: int
    min_duration_minutes: int
    max_duration_minutes: int
    lead_time_hours: int
    horizon_days: int
    cancellation_notice_hours: int
    managers: list[str] = Field(description="Email addresses of its managers (signed-in callers only)")

    @staticmethod
    def resolve_managers(obj, context) -> list[str]:
        if not _signed_in(context["request"]):
            return []
        return [u.email for u in obj.managers.order_by("email")]


class ResourceFiltersIn(Schema):
    q: str = Field("", description="Words or a description: matched by meaning and by words")
    technique: str = ""
    institution: str = Field("", description="Slug of the owning organisation")
    site: str = Field("", description="Part of the site location or building")
    tier: Tier | None = Field(None, description="Only resources whose access policy admits this tier")
    max_price: Decimal | None = Field(None, description="At most this (£, whatever the unit) at `tier`, or any tier")
    uniquip_type: UniquipType | None = None
    status: ResourceStatus | None = None


class ResourceIn(Schema):
    uniquip_type: UniquipType | None = None
    uniquip_id: str | None = Field(None, description="The owner's own id; derived from the values when left out")
    name: str | None = None
    description: str | None = None
    related_facility_id: str | None = None
    technique: str | None = None
    location: str | None = None
    contact_name: str | None = None
    contact_telephone: str | None = None
    contact_url: str | None = None
    contact_email: str | None = None
    secondary_contact_name: str | None = None
    secondary_contact_telephone: str | None = None
    secondary_contact_url: str | None = None
    secondary_contact_email: str | None = None
    photo: str | None = None
    department: str | None = None
    site_location: str | None = None
    building: str | None = None
    service_level: str | None = None
    web_address: str | None = None
    manufacturer: str | None = None
    model_name: str | None = None
    access_policy: AccessPolicy | None = None
    training_requirement: str | None = None
    requires_induction: bool | None = None
    induction_class: int | None = Field(None, description="Id of an induction class (GET /induction-classes)")
    status: ResourceStatus | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    bookable: bool | None = None
    instant_booking: bool | None = None
    opening_hours: dict | None = None
    slot_minutes: int | None = None
    min_duration_minutes: int | None = None
    max_duration_minutes: int | None = None
    lead_time_hours: int | None = None
    horizon_days: int | None = None
    cancellation_notice_hours: int | None = None
    managers: list[str] | None = Field(None, description="Email addresses of the people who manage it")


class ResourceCreateIn(ResourceIn):
    organisation: str = Field(description="Slug of the owning organisation")
    name: str


# Fields where null is a value (no location, no induction class, no managers); for the rest null is "not sent".
_CLEARABLE = {"latitude", "longitude", "induction_class", "managers"}


def _resource_fields(payload: ResourceIn, *, exclude: set[str] = frozenset()) -> dict:
    sent = payload.dict(exclude_unset=True, exclude=set(exclude))
    fields = {k: v for k, v in sent.items() if v is not None or k in _CLEARABLE}
    if "induction_class" in fields:
        fields["induction_class"] = _induction_class(fields["induction_class"], field="induction_class")
    if "managers" in fields:
        fields["managers"] = [_user_by_email(e, field="managers") for e in fields["managers"] or []]
    return fields


@router.get("/resources", response=list[ResourceOut], summary="The catalogue, with the search page's filters")
@paginate(LimitOffsetPagination)
def resources_list(request, filters: Query[ResourceFiltersIn]):
    institution = _organisation_id(filters.institution, field="institution") if filters.institution else None
    found = selectors.resources_search(
        filters=selectors.ResourceFilters(
            q=filters.q,
            technique=filters.technique,
            institution=institution,
            site=filters.site,
            tier=filters.tier or "",
            max_price=filters.max_price,
            uniquip_type=filters.uniquip_type or "",
            status=filters.status or "",
        ),
        user=request.user,
    )
    if isinstance(found, QuerySet):
        return found.select_related("induction_class").prefetch_related("rates")
    prefetch_related_objects(found, "rates", "induction_class")
    return found


@router.get("/resources/export", response=list[dict], auth=REQUIRED_AUTH, summary="Export a catalogue in Uniquip")
def resources_export(
    request,
    organisation: str = Query(..., description="Slug of the organisation"),
    format: str = Query("json", pattern="^(json|csv|xlsx)$", description="json (rows keyed by column), csv or xlsx"),
):
    """Every resource of the organisation, retired ones too (the public open-data feed leaves those out), with
    exactly the Uniquip columns. Coordinators and the organisation's institution admins."""
    owner = _organisation(organisation)
    if not selectors.user_may_import_for(user=request.user, organisation=owner):
        raise PermissionDenied(f"Only coordinators and {owner.name}'s admins export its catalogue.")
    resources = Resource.objects.filter(organisation=owner).order_by("name", "uniquip_id", "pk")
    if format == "csv":
        response = HttpResponse(uniquip.uniquip_export_csv(resources=resources), content_type="text/csv; charset=utf-8")
    elif format == "xlsx":
        response = HttpResponse(
            uniquip.uniquip_export_xlsx(resources=resources), content_type=uniquip.XLSX_CONTENT_TYPE
        )
    else:
        return [dict(zip(uniquip.COLUMNS, uniquip.uniquip_values(r), strict=True)) for r in resources]
    response["Content-Disposition"] = f'attachment; filename="{owner.slug}-uniquip.{format}"'
    return response


class ImportReportOut(Schema):
    file: str
    encoding: str
    rows: int
    created: list[int] = Field(description="Ids of the resources added")
    updated: list[int] = Field(description="Ids of the resources changed")
    unchanged: int
    skipped: list[dict] = Field(description="The problems of the rows left out: {file, row, column, message}")
    unknown_columns: list[str]
    derived_ids: int
    summary: str


@router.post(
    "/resources/import",
    response={200: ImportReportOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Import a Uniquip CSV or XLSX file into an organisation's catalogue",
)
def resources_import(
    request,
    file: File[UploadedFile],
    organisation: Form[str],
    skip_invalid: Form[bool] = False,
):
    """All or nothing unless `skip_invalid`: a file with a bad row is refused (422) with every problem, by row
    and column, in `fields`. Rows are matched to the catalogue by their ID."""
    owner = _organisation(organisation)
    if not selectors.user_may_import_for(user=request.user, organisation=owner):
        raise PermissionDenied(f"Only coordinators and {owner.name}'s admins import its catalogue.")
    try:
        report = uniquip.uniquip_import(
            actor=request.user,
            organisation=owner,
            path_or_file=file,
            filename=file.name or "upload",
            skip_invalid=skip_invalid,
        )
    except ImportFailed as failed:
        problems = {"file": [str(p) for p in failed.problems]}
        return HttpStatus(422, error_body(422, "invalid", failed.message, problems))
    return {
        "file": report.file,
        "encoding": report.encoding,
        "rows": report.rows,
        "created": [r.pk for r in report.created],
        "updated": [r.pk for r in report.updated],
        "unchanged": report.unchanged,
        "skipped": [p.as_dict() for p in report.skipped],
        "unknown_columns": report.unknown_columns,
        "derived_ids": report.derived_ids,
        "summary": report.summary(),
    }


@router.get("/resources/{resource_id}", response=ResourceDetailOut, summary="One resource")
def resource_detail(request, resource_id: int):
    return _resource(request, resource_id)


@router.post(
    "/resources",
    response={201: ResourceDetailOut},
    auth=REQUIRED_AUTH,
    summary="Add a resource to an organisation's catalogue (coordinators and its institution admins)",
)
def resource_create(request, payload: ResourceCreateIn):
    owner = _organisation(payload.organisation)
    resource = services.resource_create(
        actor=request.user, organisation=owner, fields=_resource_fields(payload, exclude={"organisation"})
    )
    return HttpStatus(201, Resource.objects.select_related("organisation", "induction_class").get(pk=resource.pk))


@router.patch(
    "/resources/{resource_id}",
    response=ResourceDetailOut,
    auth=REQUIRED_AUTH,
    summary="Change a resource (only the fields sent)",
)
def resource_update(request, resource_id: int, payload: ResourceIn):
    resource = _resource(request, resource_id)
    services.resource_update(actor=request.user, resource=resource, fields=_resource_fields(payload))
    return Resource.objects.select_related("organisation", "induction_class").get(pk=resource.pk)


class RateIn(Schema):
    unit: RateUnit = RateUnit.HOUR
    amount: Decimal | None = Field(description="Pounds (GBP); null removes the tier's rate")


@router.put(
    "/resources/{resource_id}/rates/{tier}", response=RateOut, auth=REQUIRED_AUTH, summary="Set what a tier pays"
)
def rate_put(request, resource_id: int, tier: Tier, payload: RateIn):
    resource = _resource(request, resource_id)
    rate = services.rate_set(actor=request.user, resource=resource, tier=tier, unit=payload.unit, amount=payload.amount)
    if rate is None:
        return {"tier": tier, "unit": None, "amount": None}
    return {"tier": rate.tier, "unit": rate.unit, "amount": rate.amount}


class ClosureIn(Schema):
    kind: Closure.Kind = Closure.Kind.MAINTENANCE
    start: datetime.datetime
    end: datetime.datetime
    reason: str = ""


class ClosureOut(Schema):
    id: int
    resource: int
    kind: str
    start: datetime.datetime
    end: datetime.datetime
    reason: str

    @staticmethod
    def resolve_resource(obj) -> int:
        return obj.resource_id


@router.post(
    "/resources/{resource_id}/closures",
    response={201: ClosureOut},
    auth=REQUIRED_AUTH,
    summary="Close a resource for maintenance or a blackout",
)
def closure_create(request, resource_id: int, payload: ClosureIn):
    resource = _resource(request, resource_id)
    closure = services.closure_add(
        actor=request.user,
        resource=resource,
        kind=payload.kind,
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    return HttpStatus(201, closure)


class DeletedOut(Schema):
    id: int
    deleted: bool


@router.delete(
    "/resources/{resource_id}/closures/{closure_id}",
    response=DeletedOut,
    auth=REQUIRED_AUTH,
    summary="Remove a closure",
)
def closure_delete(request, resource_id: int, closure_id: int):
    resource = _resource(request, resource_id)
    closure = Closure.objects.filter(resource=resource, pk=closure_id).select_related("resource").first()
    if closure is None:
        raise Http404(f"No closure {closure_id} of {resource.name}.")
    services.closure_remove(actor=request.user, closure=closure)
    return {"id": closure_id, "deleted": True}


# --- booking ----------------------------------------------------------------------------------------------


class RangeOut(Schema):
    start: datetime.datetime
    end: datetime.datetime


@router.get(
    "/resources/{resource_id}/free-slots",
    response=list[RangeOut],
    summary="Free slots of a resource (default: the next two weeks)",
)
def resource_free_slots(
    request,
    resource_id: int,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    bookable_now: bool = Query(True, description="Only slots a booking made now could take (lead time, horizon)"),
    merged: bool = Query(False, description="Merge adjacent slots into ranges"),
):
    resource = _resource(request, resource_id)
    start = _aware(start) if start else timezone.now()
    end = _aware(end) if end else start + datetime.timedelta(days=14)
    if end <= start:
        raise DomainError("The end must be after the start.", field="end")
    if end - start > datetime.timedelta(days=FREE_SLOTS_MAX_DAYS):
        raise DomainError(f"Ask for at most {FREE_SLOTS_MAX_DAYS} days of free slots at a time.", field="end")
    slots = availability.free_slots(resource=resource, start=start, end=end, for_booking=bookable_now)
    if merged:
        slots = availability.free_ranges(slots)
    return [{"start": s, "end": e} for s, e in slots]


class QuoteOut(Schema):
    tier: str
    amount: Decimal | None = Field(description="Pounds (GBP); null: price on application")
    note: str
    admitted: bool = Field(description="Whether the resource's access policy admits this tier")


@router.get(
    "/resources/{resource_id}/quote",
    response=QuoteOut,
    summary="What a booking would cost: at your tier, or at the tier named",
)
def resource_quote(
    request,
    resource_id: int,
    start: datetime.datetime,
    end: datetime.datetime,
    tier: Tier | None = QUOTE_TIER,
):
    resource = _resource(request, resource_id)
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise DomainError("The end must be after the start.", field="end")
    if tier is None:
        if not _signed_in(request):
            raise HttpError(401, "Sign in for a quote at your tier, or name a tier.")
        tier = booking.requester_tier(user=request.user, resource=resource)
        if tier is None:
            raise DomainError("You hold no role at an organisation, so you book at no tier; name one.", field="tier")
    priced = booking.quote(resource=resource, tier=tier, start=start, end=end)
    return {
        "tier": tier,
        "amount": priced.amount,
        "note": priced.note,
        "admitted": booking.tier_allowed(resource=resource, tier=Tier(tier)),
    }


class BookingOut(Schema):
    id: int
    resource: int
    resource_name: str
    user: str = Field(description="Email address of the person who booked")
    organisation: str | None = Field(None, description="Slug of the institution booked for")
    start: datetime.datetime
    end: datetime.datetime
    status: str
    purpose: str
    tier: str
    quote_amount: Decimal | None
    quote_note: str
    series: str | None
    decision_note: str
    decided_at: datetime.datetime | None
    cancelled_at: datetime.datetime | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_resource(obj) -> int:
        return obj.resource_id

    @staticmethod
    def resolve_resource_name(obj) -> str:
        return obj.resource.name

    @staticmethod
    def resolve_user(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_organisation(obj) -> str | None:
        return obj.organisation.slug if obj.organisation_id else None

    @staticmethod
    def resolve_series(obj) -> str | None:
        return str(obj.series) if obj.series else None


class BookingIn(Schema):
    start: datetime.datetime
    end: datetime.datetime
    purpose: str = Field("", max_length=300)
    organisation: str | None = Field(None, description="Slug of the institution you book for (default: your best)")


class RecurringIn(BookingIn):
    every: str = Field(pattern="^(week|day)$")
    count: int = Field(ge=1, le=booking.MAX_OCCURRENCES)


def _booked_for(payload: BookingIn) -> Organisation | None:
    return _organisation(payload.organisation) if payload.organisation else None


@router.post(
    "/resources/{resource_id}/bookings",
    response={201: BookingOut},
    auth=REQUIRED_AUTH,
    summary="Book a resource: confirmed at once where instant booking is allowed, else a request",
)
def booking_create(request, resource_id: int, payload: BookingIn):
    resource = _resource(request, resource_id)
    made = booking.booking_request(
        user=request.user,
        resource=resource,
        start=_aware(payload.start),
        end=_aware(payload.end),
        purpose=payload.purpose,
        organisation=_booked_for(payload),
    )
    return HttpStatus(201, made)


@router.post(
    "/resources/{resource_id}/bookings/recurring",
    response={201: list[BookingOut]},
    auth=REQUIRED_AUTH,
    summary="Book a weekly or daily series, all or nothing",
)
def booking_create_recurring(request, resource_id: int, payload: RecurringIn):
    resource = _resource(request, resource_id)
    made = booking.booking_request_recurring(
        user=request.user,
        resource=resource,
        start=_aware(payload.start),
        end=_aware(payload.end),
        every=payload.every,
        count=payload.count,
        purpose=payload.purpose,
        organisation=_booked_for(payload),
    )
    return HttpStatus(201, made)


@router.get("/bookings", response=list[BookingOut], auth=REQUIRED_AUTH, summary="Your bookings")
@paginate(LimitOffsetPagination)
def bookings_list(
    request,
    status: list[Booking.Status] = BOOKING_STATUS_FILTER,
    managed: bool = Query(False, description="The bookings of resources you manage, instead of your own"),
):
    qs = selectors.bookings_visible_to(user=request.user)
    qs = qs.exclude(user=request.user) if managed else qs.filter(user=request.user)
    if status:
        qs = qs.filter(status__in=status)
    return qs.order_by("start", "pk")


@router.get("/bookings/{booking_id}", response=BookingOut, auth=REQUIRED_AUTH, summary="One booking")
def booking_detail(request, booking_id: int):
    return _booking(request, booking_id)


class DecisionIn(Schema):
    note: str = Field("", max_length=500)


@router.post(
    "/bookings/{booking_id}/approve", response=BookingOut, auth=REQUIRED_AUTH, summary="Approve a booking request"
)
def booking_approve(request, booking_id: int):
    return booking.booking_approve(actor=request.user, booking=_booking(request, booking_id))


@router.post("/bookings/{booking_id}/decline", response=BookingOut, auth=REQUIRED_AUTH, summary="Decline a booking")
def booking_decline(request, booking_id: int, payload: DecisionIn):
    return booking.booking_decline(actor=request.user, booking=_booking(request, booking_id), note=payload.note)


@router.post("/bookings/{booking_id}/cancel", response=BookingOut, auth=REQUIRED_AUTH, summary="Cancel a booking")
def booking_cancel(request, booking_id: int):
    return booking.booking_cancel(actor=request.user, booking=_booking(request, booking_id))


class WaitlistIn(Schema):
    start: datetime.datetime
    end: datetime.datetime


class WaitlistOut(Schema):
    id: int
    resource: int
    start: datetime.datetime
    end: datetime.datetime
    status: str
    offer_expires_at: datetime.datetime | None

    @staticmethod
    def resolve_resource(obj) -> int:
        return obj.resource_id


@router.post(
    "/resources/{resource_id}/waitlist",
    response={201: WaitlistOut},
    auth=REQUIRED_AUTH,
    summary="Wait for a booked range: offered to you if it is freed",
)
def waitlist_create(request, resource_id: int, payload: WaitlistIn):
    resource = _resource(request, resource_id)
    entry = booking.waitlist_join(
        user=request.user, resource=resource, start=_aware(payload.start), end=_aware(payload.end)
    )
    return HttpStatus(201, entry)


# --- the induction passport -------------------------------------------------------------------------------


class InductionClassOut(Schema):
    id: int
    name: str
    description: str
    valid_days: int | None


@router.get("/induction-classes", response=list[InductionClassOut], summary="Classes of equipment inductions cover")
def induction_classes_list(request):
    return list(InductionClass.objects.order_by("name"))


class InductionOut(Schema):
    id: int
    user: str = Field(description="Email address of the person inducted")
    resource: int | None
    induction_class: int | None
    covers: str
    organisation: str = Field(description="Slug of the institution that gave it")
    date: datetime.date
    expires: datetime.date | None
    trainer: str

    @staticmethod
    def resolve_user(obj) -> str:
        return obj.user.email

    @staticmethod
    def resolve_resource(obj) -> int | None:
        return obj.resource_id

    @staticmethod
    def resolve_induction_class(obj) -> int | None:
        return obj.induction_class_id

    @staticmethod
    def resolve_covers(obj) -> str:
        return obj.resource.name if obj.resource_id else obj.induction_class.name

    @staticmethod
    def resolve_organisation(obj) -> str:
        return obj.organisation.slug


class PassportEntryOut(Schema):
    induction: InductionOut
    last_day: datetime.date | None = Field(description="The last day it is valid; null: it does not expire")
    status: str = Field(description="valid, expired or not yet valid (today, UK time)")


@router.get("/me/inductions", response=list[PassportEntryOut], auth=REQUIRED_AUTH, summary="Your induction passport")
def passport(request):
    return [
        {"induction": e.induction, "last_day": e.last_day, "status": e.status}
        for e in inductions.passport_for(user=request.user)
    ]


class InductionIn(Schema):
    user: str = Field(description="Email address of the person inducted")
    date: datetime.date
    expires: datetime.date | None = Field(None, description="Last valid day; default: from the class's valid days")
    trainer: str
    for_class: bool = Field(False, description="Record it for the resource's induction class, not just this resource")


@router.post(
    "/resources/{resource_id}/inductions",
    response={201: InductionOut},
    auth=REQUIRED_AUTH,
    summary="Record an induction on a resource, or in its class (its managers)",
)
def induction_create(request, resource_id: int, payload: InductionIn):
    resource = _resource(request, resource_id)
    if not inductions.user_may_record_induction(
        user=request.user,
        organisation=resource.organisation,
        resource=None if payload.for_class else resource,
        induction_class=resource.induction_class if payload.for_class else None,
    ):
        raise PermissionDenied(f"Only {resource.name}'s managers record inductions on it.")
    if payload.for_class and resource.induction_class_id is None:
        raise DomainError(f"{resource.name} has no induction class.", field="for_class")
    induction = inductions.induction_record(
        actor=request.user,
        user=_user_by_email(payload.user, field="user"),
        resource=None if payload.for_class else resource,
        induction_class=resource.induction_class if payload.for_class else None,
        organisation=resource.organisation,
        date=payload.date,
        expires=payload.expires,
        trainer=payload.trainer,
    )
    return HttpStatus(201, induction)


class EquivalenceIn(Schema):
    accepted_class: int = Field(description="Id of the induction class accepted")
    accepted_organisation: str = Field(description="Slug of the institution whose inductions are accepted")
    resource: int | None = Field(None, description="The resource whose requirement it satisfies, or")
    required_class: int | None = Field(None, description="the class whose every resource it satisfies")
    note: str = Field("", max_length=300)


class EquivalenceOut(Schema):
    id: int
    accepted_class: int
    accepted_organisation: str
    resource: int | None
    required_class: int | None
    note: str
    declared_at: datetime.datetime

    @staticmethod
    def resolve_accepted_class(obj) -> int:
        return obj.accepted_class_id

    @staticmethod
    def resolve_accepted_organisation(obj) -> str:
        return obj.accepted_organisation.slug

    @staticmethod
    def resolve_resource(obj) -> int | None:
        return obj.resource_id

    @staticmethod
    def resolve_required_class(obj) -> int | None:
        return obj.required_class_id


@router.post(
    "/induction-equivalences",
    response={201: EquivalenceOut},
    auth=REQUIRED_AUTH,
    summary="Declare that an induction at one institution satisfies a requirement at another",
)
def equivalence_create(request, payload: EquivalenceIn):
    resource = _resource(request, payload.resource) if payload.resource is not None else None
    equivalence = inductions.equivalence_declare(
        actor=request.user,
        accepted_class=_induction_class(payload.accepted_class, field="accepted_class"),
        accepted_organisation=_organisation(payload.accepted_organisation, field="accepted_organisation"),
        resource=resource,
        required_class=_induction_class(payload.required_class, field="required_class"),
        note=payload.note,
    )
    return HttpStatus(201, equivalence)


class TrainingRequestIn(Schema):
    note: str = Field("", max_length=5000)


class TrainingRequestOut(Schema):
    id: int
    resource: int
    user: str = Field(description="Email address of the person asking")
    note: str
    status: str
    response: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_resource(obj) -> int:
        return obj.resource_id

    @staticmethod
    def resolve_user(obj) -> str:
        return obj.user.email


@router.post(
    "/resources/{resource_id}/training-requests",
    response={201: TrainingRequestOut},
    auth=REQUIRED_AUTH,
    summary="Ask a resource's managers for training",
)
def training_request_create(request, resource_id: int, payload: TrainingRequestIn):
    resource = _resource(request, resource_id)
    made = inductions.training_request(user=request.user, resource=resource, note=payload.note)
    return HttpStatus(201, made)


@router.get(
    "/training-requests",
    response=list[TrainingRequestOut],
    auth=REQUIRED_AUTH,
    summary="Training requests: yours, and those on resources you manage",
)
@paginate(LimitOffsetPagination)
def training_requests_list(request, status: list[TrainingRequest.Status] = TRAINING_STATUS_FILTER):
    qs = inductions.training_requests_for(user=request.user)
    return qs.filter(status__in=status) if status else qs


class TrainingResponseIn(Schema):
    status: str = Field(pattern="^(scheduled|done|declined)$")
    response: str = Field("", max_length=5000)


@router.post(
    "/training-requests/{request_id}/respond",
    response=TrainingRequestOut,
    auth=REQUIRED_AUTH,
    summary="Answer a training request: scheduled, done or declined (the resource's managers)",
)
def training_request_respond(request, request_id: int, payload: TrainingResponseIn):
    found = inductions.training_requests_for(user=request.user).filter(pk=request_id).first()
    if found is None:
        raise Http404(f"No training request {request_id}.")
    return inductions.training_request_respond(
        actor=request.user, request=found, status=payload.status, response=payload.response
    )


# --- reports ----------------------------------------------------------------------------------------------


class ReportRangeIn(Schema):
    start: datetime.date | None = Field(None, description=f"First UK day (default: {REPORT_DAYS} days before end)")
    end: datetime.date | None = Field(None, description="The UK day after the last one counted (default: tomorrow)")


def _report_range(period: ReportRangeIn) -> tuple[datetime.datetime, datetime.datetime]:
    end = period.end or timezone.localdate() + datetime.timedelta(days=1)
    start = period.start or end - datetime.timedelta(days=REPORT_DAYS)
    if end <= start:
        raise DomainError("The report's end must be after its start.", field="end")
    return _uk_midnight(start), _uk_midnight(end)


def _report_resources(request, organisation: str):
    owner = _organisation(organisation) if organisation else None
    return reports.report_resources_for(user=request.user, organisation=owner)


class UtilisationRowOut(Schema):
    resource: int
    resource_name: str
    organisation: str
    booked_hours: Decimal
    available_hours: Decimal
    ratio: Decimal | None = Field(description="Booked over available hours; null when it was never available")


@router.get(
    "/resources/reports/utilisation",
    response=list[UtilisationRowOut],
    auth=REQUIRED_AUTH,
    summary="Utilisation per resource: confirmed booked hours over available hours",
)
def report_utilisation(request, period: Query[ReportRangeIn], organisation: str = Query("", description="Slug")):
    start, end = _report_range(period)
    rows = reports.utilisation(resources=_report_resources(request, organisation), start=start, end=end)
    return [
        {
            "resource": r.resource.pk,
            "resource_name": r.resource.name,
            "organisation": r.resource.organisation.slug,
            "booked_hours": r.booked_hours,
            "available_hours": r.available_hours,
            "ratio": r.ratio,
        }
        for r in rows
    ]


class IncomeRowOut(Schema):
    tier: str
    label: str
    bookings: int
    amount: Decimal = Field(description="Pounds (GBP): the quotes of confirmed bookings starting in the range")


@router.get(
    "/resources/reports/income",
    response=list[IncomeRowOut],
    auth=REQUIRED_AUTH,
    summary="Income by price tier",
)
def report_income(request, period: Query[ReportRangeIn], organisation: str = Query("", description="Slug")):
    start, end = _report_range(period)
    rows = reports.income_by_tier(resources=_report_resources(request, organisation), start=start, end=end)
    return [{"tier": r.tier, "label": r.label, "bookings": r.bookings, "amount": r.amount} for r in rows]


class UsageOut(Schema):
    organisations: list[str] = Field(description="Slugs, in the order of the matrix's rows and columns")
    names: list[str]
    hours: list[list[Decimal]] = Field(
        description="hours[i][j]: confirmed hours booked for organisation i on organisation j's resources"
    )


@router.get(
    "/resources/reports/usage",
    response=UsageOut,
    auth=REQUIRED_AUTH,
    summary="Which institution uses whose kit: booked hours by booking institution (rows) and owner (columns)",
)
def report_usage(request, period: Query[ReportRangeIn]):
    if not reports.user_may_view_reports(request.user):
        raise PermissionDenied("Reports are for coordinators and institution admins.")
    start, end = _report_range(period)
    organisations, matrix = reports.usage_matrix(start=start, end=end)
    return {
        "organisations": [o.slug for o in organisations],
        "names": [o.name for o in organisations],
        "hours": [[matrix[row][column] for column in organisations] for row in organisations],
    }
