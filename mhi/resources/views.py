"""Shared-resources pages: the public catalogue (list and search, a resource's page, the map, the calendar and
its events, the open-data feed), booking (request, quote, recurring, waitlist, my bookings, managers' requests,
iCal), adding a resource by hand, managing one (details, rules, rates, closures), import and export, the
induction passport (mine, recording inductions, equivalences, training requests) and reports.

Each view makes one call into selectors, services, booking, inductions, reports, uniquip or ical. Refusals
(DomainError) are shown on the form at the field they name. Times are shown and entered in UK time.
Permissions: something the user may not see answers 404, something they see but may not do 403, and anonymous
users are sent to sign in except on the public catalogue pages and the feeds."""

import csv
import datetime
import io
import zoneinfo
from collections import OrderedDict

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, prefetch_related_objects
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST, require_safe

from mhi.core.errors import Conflict, DomainError, ImportFailed
from mhi.core.paging import page_of, querystring_without_page
from mhi.directory.models import Organisation
from mhi.resources import availability, booking, ical, inductions, reports, selectors, services, uniquip
from mhi.resources.forms import (
    BookingForm,
    ClosureForm,
    DecisionForm,
    EquivalenceForm,
    ExportForm,
    ImportForm,
    InductionRecordForm,
    RatesForm,
    ReportPeriodForm,
    ResourceCreateForm,
    ResourceFilterForm,
    ResourceForm,
    RulesForm,
    TrainingRequestForm,
    TrainingResponseForm,
    WaitlistForm,
    default_report_period,
)
from mhi.resources.models import (
    Booking,
    Closure,
    InductionEquivalence,
    Resource,
    ResourceStatus,
    Tier,
    TrainingRequest,
    WaitlistEntry,
)

LONDON = zoneinfo.ZoneInfo(settings.TIME_ZONE)
FREE_DAYS = 14  # "free in the next two weeks"
EVENTS_MAX_DAYS = 62  # the most the calendar's JSON answers for at once


def _rates_in_order(resource: Resource) -> list:
    """The resource's rates, internal first and commercial last (the model orders them by tier name)."""
    return sorted(resource.rates.all(), key=lambda rate: booking.TIER_ORDER.index(rate.tier))


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _resource_or_404(request, pk) -> Resource:
    return selectors.resource_for(user=request.user, pk=pk)


def _managed_or_403(request, pk) -> Resource:
    resource = _resource_or_404(request, pk)
    if not selectors.user_may_manage_resource(user=request.user, resource=resource):
        raise PermissionDenied
    return resource


def _booking_or_404(request, booking_id) -> Booking:
    """A booking, for its requester and whoever may manage its resource; nobody else knows it exists."""
    return selectors.booking_for(user=request.user, pk=booking_id)


def _london_midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=LONDON)


def _days_of(ranges) -> list[tuple[datetime.date, list]]:
    """Free ranges grouped by their London date, in order."""
    days: OrderedDict = OrderedDict()
    for start, end in ranges:
        days.setdefault(start.astimezone(LONDON).date(), []).append((start, end))
    return list(days.items())


# --- the catalogue -------------------------------------------------------------------------------------------


def _filter_form(request) -> ResourceFilterForm:
    public = selectors.resources_public()
    techniques = sorted({t for t in public.values_list("technique", flat=True) if t})
    sites = sorted({s for s in public.values_list("site_location", flat=True) if s})
    institutions = Organisation.objects.filter(pk__in=public.values("organisation_id")).order_by("name")
    return ResourceFilterForm(request.GET or None, techniques=techniques, institutions=institutions, sites=sites)


@require_safe
def resource_list(request):
    form = _filter_form(request)
    results = []
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        filters = selectors.ResourceFilters(
            q=data.get("q", ""),
            technique=data.get("technique", ""),
            institution=data.get("institution"),
            site=data.get("site", ""),
            tier=data.get("tier", ""),
            max_price=data.get("max_price"),
            uniquip_type=data.get("uniquip_type", ""),
        )
        try:
            results = selectors.resources_search(filters=filters, user=request.user)
        except DomainError as exc:
            _form_error(form, exc)
    page_obj = page_of(results, request)
    prefetch_related_objects(list(page_obj.object_list), "rates")
    for resource in page_obj.object_list:
        resource.rates_in_order = _rates_in_order(resource)
    context = {
        "form": form,
        "page_obj": page_obj,
        "querystring": querystring_without_page(request),
        "filtered": form.is_bound and any(v for k, v in request.GET.items() if k != "page"),
        "can_import": _import_organisations(request).exists(),
        "manages_any": selectors.resources_managed_by(user=request.user).exists(),
    }
    template = "resources/list.html#results" if request.htmx else "resources/list.html"
    return render(request, template, context)


def _place(resource: Resource) -> dict | None:
    """Where to put a resource on a map: its own coordinates, or else its organisation's."""
    lat, lon = resource.latitude, resource.longitude
    if lat is None and resource.organisation.has_location:
        lat, lon = resource.organisation.latitude, resource.organisation.longitude
    if lat is None:
        return None
    return {
        "name": resource.name,
        "url": resource.get_absolute_url(),
        "lat": float(lat),
        "lon": float(lon),
        "kind": "university",
        "organisation": resource.organisation.name,
        "exact": resource.latitude is not None,
    }


def _map_context() -> dict:
    return {"tile_url": settings.MHI_MAP_TILE_URL, "tile_attribution": settings.MHI_MAP_TILE_ATTRIBUTION}


@require_safe
def resource_map(request):
    places = [p for p in (_place(r) for r in selectors.resources_public().order_by("organisation__name", "name")) if p]
    return render(request, "resources/map.html", {"places": places, **_map_context()})


@require_safe
def resource_detail(request, pk):
    resource = _resource_or_404(request, pk)
    now = timezone.now()
    slots = availability.free_slots(
        resource=resource, start=now, end=now + datetime.timedelta(days=FREE_DAYS), for_booking=True, now=now
    )
    user = request.user
    induction = None
    if user.is_authenticated and resource.requires_induction:
        induction = inductions.induction_satisfied(user=user, resource=resource, on=timezone.localdate())
    tier = booking.requester_tier(user=user, resource=resource) if user.is_authenticated else None
    place = _place(resource)
    context = {
        "resource": resource,
        "rates": _rates_in_order(resource),
        "free_days": _days_of(availability.free_ranges(slots)),
        "free_days_count": FREE_DAYS,
        "can_manage": selectors.user_may_manage_resource(user=user, resource=resource),
        "induction": induction,
        "tier": Tier(tier) if tier else None,
        "tier_allowed": tier is not None and booking.tier_allowed(resource=resource, tier=tier),
        "bookable_now": availability.resource_open_for_booking(resource),
        "opening_hours": _opening_hours_words(resource),
        "closures": resource.closures.filter(end__gt=now)[:10],
        "place": place,
        "places": [place] if place else [],
        "managers": list(resource.managers.all()) if user.is_authenticated else [],
        **_map_context(),
    }
    return render(request, "resources/detail.html", context)


DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _opening_hours_words(resource: Resource) -> list[tuple[str, str]]:
    hours = resource.opening_hours or {}
    return [
        (name, ", ".join(f"{a}–{b}" for a, b in hours.get(str(n), [])) or "Closed")
        for n, name in enumerate(DAY_NAMES, start=1)
    ]


@require_safe
def opendata(request, slug):
    """An institution's catalogue as a Uniquip CSV, for equipment.data.ac.uk and anyone else to harvest."""
    organisation = get_object_or_404(Organisation, slug=slug)
    response = HttpResponse(uniquip.opendata_csv(organisation=organisation), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{slug}-equipment.csv"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- the calendar --------------------------------------------------------------------------------------------


def _week_start(request) -> datetime.date:
    """Monday of the week the no-JS list shows: ?week=YYYY-MM-DD, or this week."""
    today = timezone.localdate()
    try:
        day = datetime.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = today
    return day - datetime.timedelta(days=day.weekday())


@require_safe
def resource_calendar(request, pk):
    resource = _resource_or_404(request, pk)
    monday = _week_start(request)
    start, end = _london_midnight(monday), _london_midnight(monday + datetime.timedelta(days=7))
    slots = availability.free_slots(resource=resource, start=start, end=end, for_booking=True)
    context = {
        "resource": resource,
        "free_days": _days_of(availability.free_ranges(slots)),
        "week": monday,
        "previous_week": monday - datetime.timedelta(days=7),
        "next_week": monday + datetime.timedelta(days=7),
        "week_end": monday + datetime.timedelta(days=6),
        "form": BookingForm(initial=_booking_initial(request, resource)),
        "can_manage": selectors.user_may_manage_resource(user=request.user, resource=resource),
        "resource_feed": request.build_absolute_uri(
            reverse("resources:ical_feed", args=[ical.feed_token(resource=resource)])
        ),
        "opening_hours": _opening_hours_words(resource),
    }
    return render(request, "resources/calendar.html", context)


def _parse_when(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value.replace(" ", "+", 1) if value.count(" ") == 1 and "T" in value else value)
    if parsed is None:
        try:
            parsed = datetime.datetime.combine(datetime.date.fromisoformat(value[:10]), datetime.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed


@require_safe
def calendar_events(request, pk):
    """FullCalendar's event source: free ranges (which a click books), bookings and closures between ?start and
    ?end (by default this week, or the week of ?week=). Who booked is shown only to those who may manage the resource; to others a booking is a busy block,
    except their own."""
    resource = _resource_or_404(request, pk)
    monday = _week_start(request)
    start = _parse_when(request.GET.get("start")) if "start" in request.GET else _london_midnight(monday)
    end = (
        _parse_when(request.GET.get("end"))
        if "end" in request.GET
        else _london_midnight(monday + datetime.timedelta(days=7))
    )
    if start is None or end is None or end <= start:
        return JsonResponse(
            {"error": "Give ?start= and ?end= as ISO 8601 dates or times, end after start."}, status=400
        )
    end = min(end, start + datetime.timedelta(days=EVENTS_MAX_DAYS))
    manager = selectors.user_may_manage_resource(user=request.user, resource=resource)
    events = []
    slots = availability.free_slots(resource=resource, start=start, end=end, for_booking=True)
    for free_start, free_end in availability.free_ranges(slots):
        events.append(
            {
                "title": "Free",
                "start": free_start.isoformat(),
                "end": free_end.isoformat(),
                "classNames": ["mhi-event-free"],
                "extendedProps": {"kind": "free"},
            }
        )
    statuses = [Booking.Status.CONFIRMED] + ([Booking.Status.REQUESTED] if manager else [])
    shown = Booking.objects.filter(resource=resource, start__lt=end, end__gt=start).select_related("user")
    if request.user.is_authenticated:
        shown = shown.filter(status__in=statuses) | shown.filter(
            user=request.user, status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED]
        )
    else:
        shown = shown.filter(status__in=statuses)
    for item in shown.distinct():
        own = item.user_id == request.user.pk
        if own:
            title = "Your booking" + ("" if item.status == Booking.Status.CONFIRMED else " (requested)")
        elif manager:
            who = item.user.full_name or item.user.email
            title = f"{item.get_status_display()}: {who}"
        else:
            title = "Booked"
        events.append(
            {
                "title": title,
                "start": item.start.isoformat(),
                "end": item.end.isoformat(),
                "classNames": [f"mhi-event-{item.status}" + (" mhi-event-own" if own else "")],
                "extendedProps": {"kind": "booking", "status": item.status},
            }
        )
    for closure in Closure.objects.filter(resource=resource, start__lt=end, end__gt=start):
        events.append(
            {
                "title": f"Closed: {closure.get_kind_display().lower()}"
                + (f" ({closure.reason})" if closure.reason else ""),
                "start": closure.start.isoformat(),
                "end": closure.end.isoformat(),
                "classNames": ["mhi-event-closed"],
                "extendedProps": {"kind": "closure"},
            }
        )
    return JsonResponse(events, safe=False)


# --- booking -------------------------------------------------------------------------------------------------


def _booking_initial(request, resource: Resource) -> dict:
    initial = {}
    for name in ("start", "end"):
        value = _parse_when(request.GET.get(name))
        if value is not None:
            initial[name] = value.astimezone(LONDON).replace(tzinfo=None)
    if "start" in initial and "end" not in initial:
        initial["end"] = initial["start"] + datetime.timedelta(minutes=resource.min_duration_minutes)
    return initial


def _booking_refusal(user, resource: Resource, tier) -> str:
    """Why this user cannot book this resource at all, before any time is chosen ("" when they may try)."""
    if not availability.resource_open_for_booking(resource):
        if not resource.bookable:
            return f"{resource.name} is not booked through MHI Hub. Contact {resource.contact_name or 'its owner'}."
        return f"{resource.name} cannot be booked: it is {resource.get_status_display().lower()}."
    if tier is None:
        return "Only people with a role at an organisation in MHI Hub may book. Ask your institution's admin."
    if not booking.tier_allowed(resource=resource, tier=tier):
        return (
            f"{resource.name} is open to {resource.get_access_policy_display().lower()}. You would book at the "
            f"{Tier(tier).label.lower()} tier, which it does not admit."
        )
    return ""


@login_required
def booking_create(request, pk):
    """The booking form, without JavaScript: start, end, purpose and an optional repeat. "Get a quote" shows
    the price at the user's tier; "Request booking" books, or shows the refusal at the field it concerns."""
    resource = _resource_or_404(request, pk)
    tier = booking.requester_tier(user=request.user, resource=resource)
    form = BookingForm(request.POST or None, initial=_booking_initial(request, resource))
    priced, conflict, induction_needed = None, None, False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if tier is not None:
            priced = booking.quote(resource=resource, tier=tier, start=data["start"], end=data["end"])
        if request.POST.get("action") != "quote":
            try:
                if data.get("repeat"):
                    made = booking.booking_request_recurring(
                        user=request.user,
                        resource=resource,
                        start=data["start"],
                        end=data["end"],
                        every=data["repeat"],
                        count=data["count"],
                        purpose=data["purpose"],
                    )
                else:
                    made = [
                        booking.booking_request(
                            user=request.user,
                            resource=resource,
                            start=data["start"],
                            end=data["end"],
                            purpose=data["purpose"],
                        )
                    ]
            except booking.InductionRequired as exc:
                induction_needed = True
                form.add_error(None, exc.message)
            except Conflict as exc:
                conflict = {"start": data["start"], "end": data["end"]}
                _form_error(form, exc)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                first = made[0]
                if first.status == Booking.Status.CONFIRMED:
                    state = "confirmed. The confirmation, with a calendar file, is in your email"
                else:
                    state = "requested. Its managers will reply, and you will get an email when they do"
                count = f"{len(made)} bookings" if len(made) > 1 else "Booking"
                messages.success(request, f"{count} of {resource.name} {state}.")
                return redirect("resources:my_bookings")
    context = {
        "resource": resource,
        "form": form,
        "quote": priced,
        "tier": Tier(tier) if tier else None,
        "refusal": _booking_refusal(request.user, resource, tier),
        "conflict": conflict,
        "induction_needed": induction_needed,
        "training_form": TrainingRequestForm(),
    }
    return render(request, "resources/book.html", context)


@login_required
@require_POST
def waitlist_join(request, pk):
    resource = _resource_or_404(request, pk)
    form = WaitlistForm(request.POST)
    if form.is_valid():
        try:
            booking.waitlist_join(
                user=request.user, resource=resource, start=form.cleaned_data["start"], end=form.cleaned_data["end"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("resources:book", pk=resource.pk)
        messages.success(
            request,
            f"You are on the waitlist for {resource.name}. If the time is freed, it is offered to you by email.",
        )
        return redirect("resources:my_bookings")
    messages.error(request, "Give the start and end of the time you want to wait for.")
    return redirect("resources:book", pk=resource.pk)


@login_required
@require_POST
def waitlist_withdraw(request, entry_id):
    entry = get_object_or_404(WaitlistEntry.objects.select_related("resource"), pk=entry_id, user=request.user)
    booking.waitlist_withdraw(user=request.user, entry=entry)
    messages.success(request, f"You have left the waitlist for {entry.resource.name}.")
    return redirect("resources:my_bookings")


@login_required
@require_safe
def my_bookings(request):
    now = timezone.now()
    mine = Booking.objects.filter(user=request.user).select_related("resource__organisation")
    context = {
        "upcoming": mine.filter(end__gt=now, status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED]),
        "past": page_of(
            mine.exclude(end__gt=now, status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED]).order_by(
                "-start"
            ),
            request,
            per_page=20,
        ),
        "querystring": querystring_without_page(request),
        "waitlist": WaitlistEntry.objects.filter(
            user=request.user, status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED], end__gt=now
        ).select_related("resource"),
        "user_feed": request.build_absolute_uri(
            reverse("resources:ical_feed", args=[ical.feed_token(user=request.user)])
        ),
    }
    return render(request, "resources/my_bookings.html", context)


@login_required
@require_POST
def booking_cancel(request, booking_id):
    found = _booking_or_404(request, booking_id)
    try:
        booking.booking_cancel(actor=request.user, booking=found)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Booking of {found.resource.name}, {booking.span(found.start, found.end)}, cancelled."
        )
    return redirect("resources:my_bookings" if found.user_id == request.user.pk else "resources:requests")


@login_required
@require_safe
def booking_ics(request, booking_id):
    found = _booking_or_404(request, booking_id)
    return ical.feed_response(ical.booking_ics(found), filename=f"booking-{found.pk}.ics")


@require_safe
def ical_feed(request, token):
    """A subscription feed (a calendar program fetches it without signing in): the signed token says whose."""
    try:
        subject = ical.feed_from_token(token)
    except ical.InvalidFeedToken:
        raise Http404("This calendar link is not valid.") from None
    if isinstance(subject, Resource):
        return ical.feed_response(ical.resource_feed(subject), filename=f"resource-{subject.pk}.ics")
    return ical.feed_response(ical.user_feed(subject), filename="my-bookings.ics")


@login_required
@require_safe
def booking_requests(request):
    """The requests awaiting approval on the resources the user manages, and what is booked soon."""
    managed = selectors.resources_managed_by(user=request.user)
    if not managed.exists():
        raise PermissionDenied
    now = timezone.now()
    ids = managed.values("pk")
    pending = (
        Booking.objects.filter(resource__in=ids, status=Booking.Status.REQUESTED, end__gt=now)
        .select_related("resource__organisation", "user", "organisation")
        .order_by("start")
    )
    upcoming = (
        Booking.objects.filter(resource__in=ids, status=Booking.Status.CONFIRMED, end__gt=now)
        .select_related("resource", "user", "organisation")
        .order_by("start")[:50]
    )
    context = {"pending": pending, "upcoming": upcoming, "decision_form": DecisionForm()}
    return render(request, "resources/requests.html", context)


@login_required
@require_POST
def booking_approve(request, booking_id):
    found = _booking_or_404(request, booking_id)
    if not selectors.user_may_manage_resource(user=request.user, resource=found.resource):
        raise PermissionDenied
    try:
        booking.booking_approve(actor=request.user, booking=found)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Booking of {found.resource.name} by {found.user.full_name or found.user.email} confirmed."
        )
    return redirect("resources:requests")


@login_required
@require_POST
def booking_decline(request, booking_id):
    found = _booking_or_404(request, booking_id)
    if not selectors.user_may_manage_resource(user=request.user, resource=found.resource):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        booking.booking_decline(actor=request.user, booking=found, note=note)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Booking of {found.resource.name} by {found.user.full_name or found.user.email} declined."
        )
    return redirect("resources:requests")


# --- managing a resource -------------------------------------------------------------------------------------


@login_required
def resource_create(request):
    """Add one resource by hand, for an organisation the user may add for (as they may import its catalogue)."""
    organisations = _import_allowed(request)
    form = ResourceCreateForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            resource = services.resource_create(
                actor=request.user, organisation=form.cleaned_data["owner"], fields=form.resource_fields()
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{resource.name} added to the catalogue of {resource.organisation}.")
            return redirect(resource.get_absolute_url())
    return render(request, "resources/create.html", {"form": form})


@login_required
def resource_manage(request, pk):
    resource = _managed_or_403(request, pk)
    form = ResourceForm(request.POST or None, instance=Resource.objects.get(pk=resource.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(actor=request.user, resource=resource, fields=form.resource_fields())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{resource.name} saved.")
            return redirect(resource.get_absolute_url())
    return render(request, "resources/manage.html", {"resource": resource, "form": form, "section": "details"})


@login_required
def resource_rules(request, pk):
    resource = _managed_or_403(request, pk)
    form = RulesForm(request.POST or None, instance=Resource.objects.get(pk=resource.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.resource_update(actor=request.user, resource=resource, fields=form.rule_fields())
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Booking rules of {resource.name} saved.")
            return redirect(resource.get_absolute_url())
    return render(request, "resources/rules.html", {"resource": resource, "form": form, "section": "rules"})


@login_required
def resource_rates(request, pk):
    resource = _managed_or_403(request, pk)
    form = RatesForm(request.POST or None, rates=resource.rates.all())
    if request.method == "POST" and form.is_valid():
        given = {tier: (unit, amount) for tier, unit, amount in form.rates()}
        try:
            for tier, _ in Tier.choices:
                unit, amount = given.get(tier, ("hour", None))
                services.rate_set(actor=request.user, resource=resource, tier=tier, unit=unit, amount=amount)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Rates of {resource.name} saved.")
            return redirect(resource.get_absolute_url() + "#rates")
    return render(request, "resources/rates.html", {"resource": resource, "form": form, "section": "rates"})


@login_required
def resource_closures(request, pk):
    resource = _managed_or_403(request, pk)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.closure_add(
                actor=request.user,
                resource=resource,
                kind=data["kind"],
                start=data["start"],
                end=data["end"],
                reason=data["reason"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{resource.name} is closed {booking.span(data['start'], data['end'])}.")
            return redirect("resources:closures", pk=resource.pk)
    now = timezone.now()
    context = {
        "resource": resource,
        "form": form,
        "closures": resource.closures.filter(end__gt=now),
        "affected": Booking.objects.filter(
            resource=resource,
            status__in=[Booking.Status.REQUESTED, Booking.Status.CONFIRMED],
            end__gt=now,
        ).filter(_in_closures(resource, now)),
        "section": "closures",
    }
    return render(request, "resources/closures.html", context)


def _in_closures(resource: Resource, now):
    """Bookings that a closure still to end overlaps."""
    closures = Closure.objects.filter(resource=resource, end__gt=now)
    return Exists(closures.filter(start__lt=OuterRef("end"), end__gt=OuterRef("start")))


@login_required
@require_POST
def closure_remove(request, pk, closure_id):
    resource = _managed_or_403(request, pk)
    closure = get_object_or_404(Closure, pk=closure_id, resource=resource)
    services.closure_remove(actor=request.user, closure=closure)
    messages.success(request, "Closure removed.")
    return redirect("resources:closures", pk=resource.pk)


# --- import and export ---------------------------------------------------------------------------------------


def _import_organisations(request):
    """The organisations whose catalogue the user may import and export."""
    from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator

    if user_is_coordinator(request.user):
        return Organisation.objects.filter(kind__in=["university", "research_infrastructure", "nhs_trust"]).order_by(
            "name"
        )
    return Organisation.objects.filter(pk__in=user_admin_organisation_ids(request.user)).order_by("name")


def _import_allowed(request):
    organisations = _import_organisations(request)
    if not organisations.exists():
        raise PermissionDenied
    return organisations


@login_required
def resource_import(request):
    organisations = _import_allowed(request)
    form = ImportForm(request.POST or None, request.FILES or None, organisations=organisations)
    report, problems = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = uniquip.uniquip_import(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                path_or_file=upload,
                filename=upload.name,
                skip_invalid=form.cleaned_data["skip_invalid"],
            )
        except ImportFailed as exc:
            problems = exc.problems
        except DomainError as exc:
            _form_error(form, exc)
    context = {"form": form, "report": report, "problems": problems}
    return render(request, "resources/import.html", context)


@login_required
@require_safe
def resource_export(request):
    organisations = _import_allowed(request)
    form = ExportForm(request.GET or None, organisations=organisations)
    if form.is_bound and form.is_valid():
        organisation = form.cleaned_data["organisation"]
        resources = Resource.objects.filter(organisation=organisation).order_by("name", "pk")
        if form.cleaned_data["format"] == "xlsx":
            content = uniquip.uniquip_export_xlsx(resources=resources)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            content, content_type = uniquip.uniquip_export_csv(resources=resources), "text/csv; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="{organisation.slug}-equipment.{form.cleaned_data["format"]}"'
        )
        return response
    return render(request, "resources/export.html", {"form": form, "organisations": organisations})


# --- the induction passport ----------------------------------------------------------------------------------


@login_required
@require_safe
def passport(request):
    context = {
        "entries": inductions.passport_for(user=request.user),
        "training": TrainingRequest.objects.filter(user=request.user).select_related("resource"),
    }
    return render(request, "resources/passport.html", context)


@login_required
def induction_record(request, pk):
    resource = _managed_or_403(request, pk)
    form = InductionRecordForm(request.POST or None, resource=resource, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        on_class = data["covers"] == "class"
        try:
            inductions.induction_record(
                actor=request.user,
                user=form.user,
                resource=None if on_class else resource,
                induction_class=resource.induction_class if on_class else None,
                organisation=resource.organisation,
                date=data["date"],
                expires=data["expires"],
                trainer=data["trainer"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Induction of {form.user.email} recorded.")
            return redirect(resource.get_absolute_url())
    recent = resource.inductions.select_related("user")[:20]
    return render(request, "resources/induction_record.html", {"resource": resource, "form": form, "recent": recent})


@login_required
def equivalences(request):
    from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator

    coordinator = user_is_coordinator(request.user)
    admin_of = user_admin_organisation_ids(request.user)
    if not coordinator and not admin_of:
        raise PermissionDenied
    own = Resource.objects.exclude(status=ResourceStatus.RETIRED).order_by("name")
    if not coordinator:
        own = own.filter(organisation_id__in=admin_of)
    form = EquivalenceForm(request.POST or None, resources=own)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            inductions.equivalence_declare(
                actor=request.user,
                accepted_class=data["accepted_class"],
                accepted_organisation=data["accepted_organisation"],
                resource=data["resource"],
                required_class=data["required_class"],
                note=data["note"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Equivalence declared.")
            return redirect("resources:equivalences")
    declared = InductionEquivalence.objects.select_related(
        "accepted_class", "accepted_organisation", "resource__organisation", "required_class", "declared_by"
    ).order_by("-declared_at")
    return render(
        request,
        "resources/equivalences.html",
        {"form": form, "declared": declared, "coordinator": coordinator},
    )


@login_required
def training_request(request, pk):
    resource = _resource_or_404(request, pk)
    form = TrainingRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            inductions.training_request(user=request.user, resource=resource, note=form.cleaned_data["note"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Training on {resource.name} requested. Its managers will reply by email.")
            return redirect("resources:training_requests")
    return render(request, "resources/training_request.html", {"resource": resource, "form": form})


@login_required
@require_safe
def training_requests(request):
    visible = inductions.training_requests_for(user=request.user)
    context = {
        "mine": visible.filter(user=request.user),
        "to_answer": [
            r
            for r in visible.exclude(user=request.user).filter(status__in=inductions.PENDING)
            if selectors.user_may_manage_resource(user=request.user, resource=r.resource)
        ],
        "response_form": TrainingResponseForm(),
    }
    return render(request, "resources/training_requests.html", context)


@login_required
@require_POST
def training_respond(request, request_id):
    found = get_object_or_404(inductions.training_requests_for(user=request.user), pk=request_id)
    if not selectors.user_may_manage_resource(user=request.user, resource=found.resource):
        raise PermissionDenied
    form = TrainingResponseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how you answer the request.")
        return redirect("resources:training_requests")
    try:
        inductions.training_request_respond(
            actor=request.user,
            request=found,
            status=form.cleaned_data["status"],
            response=form.cleaned_data["response"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Answer to {found.user.email} saved.")
    return redirect("resources:training_requests")


# --- reports -------------------------------------------------------------------------------------------------

REPORTS = ("utilisation", "income", "usage")


def _report_data(request):
    if not reports.user_may_view_reports(request.user):
        raise PermissionDenied
    form = ReportPeriodForm(request.GET or None, initial=default_report_period(timezone.localdate()))
    period = form.cleaned_data if form.is_bound and form.is_valid() else default_report_period(timezone.localdate())
    start = _london_midnight(period["start"])
    end = _london_midnight(period["end"] + datetime.timedelta(days=1))
    resources = reports.report_resources_for(user=request.user)
    organisations, matrix = reports.usage_matrix(start=start, end=end)
    return {
        "form": form,
        "period": period,
        "utilisation": reports.utilisation(resources=resources, start=start, end=end),
        "income": reports.income_by_tier(resources=resources, start=start, end=end),
        "organisations": organisations,
        "matrix": [(row, [matrix[row][column] for column in organisations]) for row in organisations],
    }


@login_required
@require_safe
def report_page(request):
    data = _report_data(request)
    data["querystring"] = querystring_without_page(request)
    return render(request, "resources/reports.html", data)


@login_required
@require_safe
def report_csv(request, report):
    if report not in REPORTS:
        raise Http404("No such report.")
    data = _report_data(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if report == "utilisation":
        writer.writerow(["Resource", "Owner", "Booked hours", "Available hours", "Utilisation"])
        for row in data["utilisation"]:
            writer.writerow(
                [
                    row.resource.name,
                    row.resource.organisation.name,
                    row.booked_hours,
                    row.available_hours,
                    row.ratio if row.ratio is not None else "",
                ]
            )
    elif report == "income":
        writer.writerow(["Tier", "Bookings", "Amount (£)"])
        for row in data["income"]:
            writer.writerow([row.label, row.bookings, row.amount])
    else:
        writer.writerow(["Booked by \\ owner", *[o.name for o in data["organisations"]]])
        for row, cells in data["matrix"]:
            writer.writerow([row.name, *cells])
    period = data["period"]
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="resources-{report}-{period["start"]}-{period["end"]}.csv"'
    return response
