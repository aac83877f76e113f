"""The shared-resources pages: the catalogue and its filters, a resource's page, the calendar's events, booking
(quote, refusals at their field, recurring, waitlist, induction), my bookings, managers' requests, managing a
resource, import and export, the passport and reports."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.resources.models import (
    Booking,
    Closure,
    Induction,
    InductionEquivalence,
    Rate,
    Resource,
    TrainingRequest,
    WaitlistEntry,
)
from mhi.resources.tests.factories import (
    BookingFactory,
    ClosureFactory,
    InductionClassFactory,
    InductionFactory,
    RateFactory,
    ResourceFactory,
)

LONDON = zoneinfo.ZoneInfo("Europe/London")
pytestmark = pytest.mark.django_db


def _weekday(days_ahead: int, hour: int) -> datetime.datetime:
    """`hour`:00 UK time on the first weekday at least `days_ahead` days from now."""
    day = timezone.localdate() + datetime.timedelta(days=days_ahead)
    while day.isoweekday() > 5:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def _local(value: datetime.datetime) -> str:
    return value.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def owner():
    return OrganisationFactory(name="Aston University", slug="aston", kind="university")


@pytest.fixture
def manager(owner):
    user = UserFactory(email="admin@aston.example.org", full_name="Ada Admin")
    MembershipFactory(user=user, role=Role.INSTITUTION_ADMIN, organisation=owner)
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")  # institution admins must have two-factor sign-in
    return user


@pytest.fixture
def booker(owner):
    """A researcher at the owner: books at the internal tier."""
    user = UserFactory(email="bea@aston.example.org", full_name="Bea Booker")
    MembershipFactory(user=user, role=Role.RESEARCHER, organisation=owner)
    return user


@pytest.fixture
def microscope(owner):
    resource = ResourceFactory(
        organisation=owner,
        name="Confocal microscope",
        technique="Confocal microscopy",
        contact_name="Imaging team",
        contact_email="imaging@aston.example.org",
        access_policy="commercial",
        min_duration_minutes=60,
    )
    RateFactory(resource=resource, tier="commercial", amount=Decimal("100.00"))
    RateFactory(resource=resource, tier="internal", amount=Decimal("20.00"))
    return resource


# --- the catalogue -------------------------------------------------------------------------------------------


def test_the_list_shows_the_catalogue_without_retired_resources(client, microscope, owner):
    ResourceFactory(organisation=owner, name="Old centrifuge", status="retired")
    response = client.get(reverse("resources:list"))
    assert response.status_code == 200
    assert [r.name for r in response.context["page_obj"].object_list] == ["Confocal microscope"]
    assert "1 resource<" in response.content.decode()


def test_the_list_shows_rates_internal_first(client, microscope):
    page = client.get(reverse("resources:list")).content.decode()
    assert "Internal £20.00 per hour; Commercial £100.00 per hour" in page


def test_the_list_filters_by_institution_and_type(client, microscope):
    other = ResourceFactory(organisation=OrganisationFactory(name="Keele University"), name="Gait lab")
    response = client.get(reverse("resources:list"), {"institution": other.organisation_id})
    assert [r.name for r in response.context["page_obj"].object_list] == ["Gait lab"]
    response = client.get(reverse("resources:list"), {"uniquip_type": "facility"})
    assert list(response.context["page_obj"].object_list) == []
    assert "No resources match this search" in response.content.decode()


def test_the_list_filters_by_highest_price_at_a_tier(client, microscope):
    response = client.get(reverse("resources:list"), {"tier": "internal", "max_price": "19.99"})
    assert list(response.context["page_obj"].object_list) == []
    response = client.get(reverse("resources:list"), {"tier": "internal", "max_price": "20"})
    assert [r.name for r in response.context["page_obj"].object_list] == ["Confocal microscope"]


def test_the_list_is_paginated(client, owner, settings):
    settings.MHI_PAGE_SIZE = 2
    for n in range(5):
        ResourceFactory(organisation=owner, name=f"Balance {n}")
    response = client.get(reverse("resources:list"), {"page": 3})
    assert [r.name for r in response.context["page_obj"].object_list] == ["Balance 4"]
    assert "Page 3 of 3" in response.content.decode()


def test_an_empty_catalogue_says_so(client, db):
    assert "No resources are listed yet." in client.get(reverse("resources:list")).content.decode()


def test_the_list_takes_a_fixed_number_of_queries(client, owner, django_assert_max_num_queries):
    for n in range(10):
        RateFactory(resource=ResourceFactory(organisation=owner, name=f"Balance {n}"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("resources:list"))
    assert len(response.context["page_obj"].object_list) == 10


def test_the_htmx_list_is_just_the_results(client, microscope):
    response = client.get(reverse("resources:list"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="results"')
    assert "Confocal microscope" in page


# --- a resource's page ---------------------------------------------------------------------------------------


def test_contact_emails_are_shown_to_signed_in_users_only(client, microscope, booker):
    url = microscope.get_absolute_url()
    assert "imaging@aston.example.org" not in client.get(url).content.decode()
    client.force_login(booker)
    assert "imaging@aston.example.org" in client.get(url).content.decode()


def test_the_resource_page_lists_free_times_in_the_next_two_weeks(client, microscope):
    response = client.get(microscope.get_absolute_url())
    days = response.context["free_days"]
    assert days, "a weekday resource has free times in two weeks"
    assert all(day.isoweekday() <= 5 for day, _ in days)
    first_start, first_end = days[1][1][0]
    assert (first_start.astimezone(LONDON).hour, first_end.astimezone(LONDON).hour) == (9, 17)


def test_the_resource_page_says_whether_you_are_inducted(client, microscope, booker):
    microscope.requires_induction = True
    microscope.save()
    client.force_login(booker)
    assert "You are not inducted yet." in client.get(microscope.get_absolute_url()).content.decode()
    InductionFactory(user=booker, resource=microscope)
    assert "You are inducted" in client.get(microscope.get_absolute_url()).content.decode()


def test_the_resource_page_shows_your_tier(client, microscope, booker):
    client.force_login(booker)
    page = client.get(microscope.get_absolute_url()).content.decode()
    assert "You would book at the <strong>internal</strong> rate" in page


def test_the_resource_page_has_a_map_from_its_organisation(client, microscope, owner):
    owner.latitude, owner.longitude = Decimal("52.486651"), Decimal("-1.890947")
    owner.save()
    response = client.get(microscope.get_absolute_url())
    assert response.context["place"]["lat"] == pytest.approx(52.486651)
    assert response.context["place"]["exact"] is False


def test_the_map_lists_resources_with_a_place(client, microscope, owner):
    ResourceFactory(organisation=owner, name="Placed", latitude=Decimal("52.4"), longitude=Decimal("-1.9"))
    response = client.get(reverse("resources:map"))
    assert [p["name"] for p in response.context["places"]] == ["Placed"]


def test_a_retired_resource_is_not_found_by_the_public(client, microscope, manager):
    microscope.status = "retired"
    microscope.save()
    assert client.get(microscope.get_absolute_url()).status_code == 404
    client.force_login(manager)
    assert client.get(microscope.get_absolute_url()).status_code == 200


def test_the_opendata_feed_is_uniquip_csv(client, microscope, owner):
    response = client.get(reverse("resources:opendata", args=[owner.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Type,ID,Name,Description")
    assert "Confocal microscope" in text


# --- the calendar --------------------------------------------------------------------------------------------


def _events(client, resource, start, end):
    response = client.get(
        reverse("resources:events", args=[resource.pk]), {"start": start.isoformat(), "end": end.isoformat()}
    )
    assert response.status_code == 200
    return response.json()


def test_calendar_events_show_busy_blocks_without_names_to_others(client, microscope, booker, manager):
    start = _weekday(3, 10)
    BookingFactory(
        resource=microscope, user=booker, start=start, end=start + datetime.timedelta(hours=2), status="confirmed"
    )
    day = start.replace(hour=0)
    other = UserFactory()
    client.force_login(other)
    titles = [e["title"] for e in _events(client, microscope, day, day + datetime.timedelta(days=1))]
    assert titles == ["Free", "Free", "Booked"]
    client.force_login(manager)
    titles = [e["title"] for e in _events(client, microscope, day, day + datetime.timedelta(days=1))]
    assert "Confirmed: Bea Booker" in titles
    client.force_login(booker)
    titles = [e["title"] for e in _events(client, microscope, day, day + datetime.timedelta(days=1))]
    assert "Your booking" in titles


def test_requested_bookings_are_not_busy_for_others(client, microscope, booker):
    start = _weekday(3, 10)
    BookingFactory(resource=microscope, user=booker, start=start, end=start + datetime.timedelta(hours=1))
    day = start.replace(hour=0)
    events = _events(client, microscope, day, day + datetime.timedelta(days=1))
    assert [(e["title"], e["start"][11:16], e["end"][11:16]) for e in events] == [("Free", "09:00", "17:00")]


def test_calendar_events_include_closures(client, microscope):
    start = _weekday(3, 9)
    ClosureFactory(resource=microscope, start=start, end=start + datetime.timedelta(hours=8), reason="Service")
    day = start.replace(hour=0)
    events = _events(client, microscope, day, day + datetime.timedelta(days=1))
    assert [e["title"] for e in events] == ["Closed: maintenance (Service)"]


def test_calendar_events_refuse_a_bad_range(client, microscope):
    response = client.get(reverse("resources:events", args=[microscope.pk]), {"start": "tomorrow", "end": "x"})
    assert response.status_code == 400


def test_the_calendar_page_has_the_no_js_free_list_and_form(client, microscope, booker):
    client.force_login(booker)
    monday = _weekday(7, 9).date()
    monday -= datetime.timedelta(days=monday.weekday())
    response = client.get(reverse("resources:calendar", args=[microscope.pk]), {"week": monday.isoformat()})
    page = response.content.decode()
    assert len(response.context["free_days"]) == 5
    assert 'id="booking-form"' in page
    assert reverse("resources:ical_feed", args=["x"]).rsplit("/", 1)[0] in page


# --- booking -------------------------------------------------------------------------------------------------


def _book(client, resource, start, end, **extra):
    return client.post(
        reverse("resources:book", args=[resource.pk]),
        {"start": _local(start), "end": _local(end), "purpose": "Imaging", **extra},
    )


def test_a_quote_is_shown_without_booking(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 10)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=2), action="quote")
    assert response.status_code == 200
    assert response.context["quote"].amount == Decimal("40.00")
    assert "Quote: £40.00" in response.content.decode()
    assert Booking.objects.count() == 0


def test_booking_makes_a_request(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 10)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=2), action="book")
    assert response.status_code == 302
    assert response["Location"] == reverse("resources:my_bookings")
    made = Booking.objects.get()
    assert (made.status, made.tier, made.quote_amount, made.purpose) == (
        "requested",
        "internal",
        Decimal("40.00"),
        "Imaging",
    )


def test_a_booking_in_the_past_is_refused_at_the_start_field(client, microscope, booker):
    client.force_login(booker)
    start = timezone.now().astimezone(LONDON).replace(minute=0, second=0, microsecond=0) - datetime.timedelta(days=2)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=1))
    assert response.status_code == 200
    assert "is in the past" in response.context["form"].errors["start"][0]
    assert Booking.objects.count() == 0


def test_a_booking_outside_opening_hours_is_refused(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 18)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=1))
    assert "outside Confocal microscope's opening hours" in response.context["form"].errors["start"][0]


def test_an_end_before_the_start_is_refused_at_the_end_field(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 12)
    response = _book(client, microscope, start, start - datetime.timedelta(hours=1))
    assert response.context["form"].errors["end"] == ["The end must be after the start."]


def test_a_taken_slot_offers_the_waitlist(client, microscope, booker):
    start = _weekday(3, 10)
    BookingFactory(resource=microscope, start=start, end=start + datetime.timedelta(hours=2), status="confirmed")
    client.force_login(booker)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=1))
    assert "already booked" in response.context["form"].errors["start"][0]
    assert "Join the waitlist" in response.content.decode()
    response = client.post(
        reverse("resources:waitlist_join", args=[microscope.pk]),
        {"start": _local(start), "end": _local(start + datetime.timedelta(hours=1))},
    )
    assert response.status_code == 302
    assert WaitlistEntry.objects.get().user == booker


def test_booking_without_an_induction_offers_training(client, microscope, booker):
    microscope.requires_induction = True
    microscope.save()
    client.force_login(booker)
    start = _weekday(3, 10)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=1))
    assert response.context["induction_needed"] is True
    assert "needs an induction" in response.context["form"].non_field_errors()[0]
    response = client.post(reverse("resources:training_request", args=[microscope.pk]), {"note": "New to confocal"})
    assert response.status_code == 302
    assert TrainingRequest.objects.get().note == "New to confocal"


def test_a_recurring_booking_makes_the_series(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 10)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=1), repeat="week", count="3")
    assert response.status_code == 302
    bookings = list(Booking.objects.order_by("start"))
    assert len(bookings) == 3
    assert len({b.series for b in bookings}) == 1
    assert [b.start.astimezone(LONDON).hour for b in bookings] == [10, 10, 10]


def test_a_repeat_needs_a_count(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 10)
    response = _book(client, microscope, start, start + datetime.timedelta(hours=1), repeat="week")
    assert response.context["form"].errors["count"] == ["Say how many times the booking repeats."]


def test_someone_without_a_role_is_told_why_they_cannot_book(client, microscope):
    client.force_login(UserFactory())
    response = client.get(reverse("resources:book", args=[microscope.pk]))
    assert "Only people with a role at an organisation" in response.context["refusal"]


def test_the_booking_form_is_prefilled_from_the_calendar(client, microscope, booker):
    client.force_login(booker)
    start = _weekday(3, 10)
    response = client.get(reverse("resources:book", args=[microscope.pk]), {"start": start.isoformat()})
    form = response.context["form"]
    assert form.initial["start"] == start.replace(tzinfo=None)
    assert form.initial["end"] == start.replace(tzinfo=None) + datetime.timedelta(minutes=60)


# --- my bookings, requests, decisions -------------------------------------------------------------------------


def test_my_bookings_lists_and_cancels(client, microscope, booker):
    booking = BookingFactory(resource=microscope, user=booker, status="confirmed")
    client.force_login(booker)
    response = client.get(reverse("resources:my_bookings"))
    assert list(response.context["upcoming"]) == [booking]
    assert response.context["user_feed"].startswith("http://testserver/resources/ical/u")
    response = client.post(reverse("resources:booking_cancel", args=[booking.pk]))
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_the_booking_ics_downloads(client, microscope, booker):
    booking = BookingFactory(resource=microscope, user=booker, status="confirmed")
    client.force_login(booker)
    response = client.get(reverse("resources:booking_ics", args=[booking.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content


def test_the_user_feed_serves_their_bookings(client, microscope, booker):
    from mhi.resources import ical

    BookingFactory(resource=microscope, user=booker, status="confirmed")
    response = client.get(reverse("resources:ical_feed", args=[ical.feed_token(user=booker)]))
    assert response.content.count(b"BEGIN:VEVENT") == 1
    assert client.get(reverse("resources:ical_feed", args=["u1:forged"])).status_code == 404


def test_a_manager_approves_and_declines_requests(client, microscope, booker, manager):
    first = BookingFactory(resource=microscope, user=booker, start=_weekday(3, 10), end=_weekday(3, 11))
    second = BookingFactory(resource=microscope, user=booker, start=_weekday(3, 13), end=_weekday(3, 14))
    client.force_login(manager)
    response = client.get(reverse("resources:requests"))
    assert list(response.context["pending"]) == [first, second]
    client.post(reverse("resources:booking_approve", args=[first.pk]))
    client.post(reverse("resources:booking_decline", args=[second.pk]), {"note": "Service visit that day"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status, second.decision_note) == ("confirmed", "declined", "Service visit that day")


def test_someone_else_cannot_see_a_booking(client, microscope, booker):
    booking = BookingFactory(resource=microscope, user=booker)
    client.force_login(UserFactory())
    assert client.post(reverse("resources:booking_cancel", args=[booking.pk])).status_code == 404


# --- managing a resource -------------------------------------------------------------------------------------


def test_a_manager_edits_the_details(client, microscope, manager):
    client.force_login(manager)
    page = client.get(reverse("resources:manage", args=[microscope.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update({"name": "Confocal microscope 2", "induction_class": "", "requires_induction": ""})
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(reverse("resources:manage", args=[microscope.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    microscope.refresh_from_db()
    assert microscope.name == "Confocal microscope 2"


def _details(client, resource, **changes):
    page = client.get(reverse("resources:manage", args=[resource.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v not in (None, False)}
    data.update({"induction_class": "", **changes})
    return client.post(reverse("resources:manage", args=[resource.pk]), data)


def test_a_manager_names_the_managers_by_email(client, microscope, manager, booker):
    client.force_login(manager)
    response = _details(client, microscope, managers_text="BEA@aston.example.org\n")
    assert response.status_code == 302
    assert list(microscope.managers.all()) == [booker]
    response = _details(client, microscope, managers_text="nobody@example.org")
    assert response.context["form"].errors["managers_text"] == [
        "No MHI Hub account has the address nobody@example.org."
    ]
    assert list(microscope.managers.all()) == [booker]


def test_the_rules_page_sets_opening_hours(client, microscope, manager):
    client.force_login(manager)
    data = {
        "bookable": "on",
        "slot_minutes": "30",
        "min_duration_minutes": "30",
        "max_duration_minutes": "240",
        "lead_time_hours": "12",
        "horizon_days": "60",
        "cancellation_notice_hours": "24",
        "hours_1": "09:00-12:00, 13:00-17:00",
        "hours_6": "10:00-14:00",
    }
    response = client.post(reverse("resources:rules", args=[microscope.pk]), data)
    assert response.status_code == 302
    microscope.refresh_from_db()
    assert microscope.opening_hours == {"1": [["09:00", "12:00"], ["13:00", "17:00"]], "6": [["10:00", "14:00"]]}
    assert (microscope.lead_time_hours, microscope.instant_booking) == (12, False)


def test_the_rules_page_refuses_bad_hours_at_the_day(client, microscope, manager):
    client.force_login(manager)
    response = client.post(
        reverse("resources:rules", args=[microscope.pk]),
        {
            "slot_minutes": "30",
            "min_duration_minutes": "60",
            "max_duration_minutes": "30",
            "lead_time_hours": "0",
            "horizon_days": "60",
            "cancellation_notice_hours": "0",
            "hours_2": "17:00-09:00",
        },
    )
    errors = response.context["form"].errors
    assert errors["hours_2"] == ["In “17:00-09:00” the closing time must be after the opening time."]
    assert errors["max_duration_minutes"] == ["The longest booking must be at least the shortest."]


def test_the_rates_page_sets_and_removes_rates(client, microscope, manager):
    client.force_login(manager)
    data = {f"{tier}_unit": "hour" for tier in ("internal", "partner", "external_academic", "commercial")}
    data.update({"internal_amount": "25", "partner_amount": "30.50", "partner_unit": "day"})
    response = client.post(reverse("resources:rates", args=[microscope.pk]), data)
    assert response.status_code == 302
    rates = {r.tier: (r.unit, r.amount) for r in Rate.objects.filter(resource=microscope)}
    assert rates == {"internal": ("hour", Decimal("25.00")), "partner": ("day", Decimal("30.50"))}


def test_the_closures_page_adds_and_removes(client, microscope, manager):
    client.force_login(manager)
    start = _weekday(5, 9)
    response = client.post(
        reverse("resources:closures", args=[microscope.pk]),
        {
            "kind": "blackout",
            "start": _local(start),
            "end": _local(start + datetime.timedelta(days=1)),
            "reason": "Holiday",
        },
    )
    assert response.status_code == 302
    closure = Closure.objects.get(resource=microscope)
    assert (closure.kind, closure.reason, closure.start) == ("blackout", "Holiday", start)
    client.post(reverse("resources:closure_remove", args=[microscope.pk, closure.pk]))
    assert Closure.objects.count() == 0


def test_others_may_not_manage(client, microscope, booker):
    client.force_login(booker)
    assert client.get(reverse("resources:manage", args=[microscope.pk])).status_code == 403


# --- import and export ---------------------------------------------------------------------------------------

CSV = "Type,ID,Name,Description,Technique\nequipment,EQ-1,Balance,A balance,Weighing\n"


def test_an_admin_imports_a_uniquip_csv(client, owner, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("kit.csv", CSV.encode(), content_type="text/csv")
    response = client.post(reverse("resources:import"), {"organisation": owner.pk, "file": upload})
    assert response.status_code == 200
    assert [r.name for r in response.context["report"].created] == ["Balance"]
    assert "1 added, 0 updated" in response.content.decode()
    assert Resource.objects.get().organisation == owner


def test_a_bad_import_shows_the_rows_and_changes_nothing(client, owner, manager):
    client.force_login(manager)
    bad = CSV + "equipment,EQ-2,Scale,A scale,Weighing\nequipment,EQ-3,Meter,,\n".replace("Meter", "Meter\x01")
    upload = SimpleUploadedFile("kit.csv", bad.encode(), content_type="text/csv")
    response = client.post(reverse("resources:import"), {"organisation": owner.pk, "file": upload})
    assert response.context["problems"]
    assert "The file was not imported" in response.content.decode()
    assert Resource.objects.count() == 0


def test_an_admin_exports_csv_and_xlsx(client, microscope, owner, manager):
    client.force_login(manager)
    response = client.get(reverse("resources:export"), {"organisation": owner.pk, "format": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="aston-equipment.csv"'
    assert "Confocal microscope" in response.content.decode("utf-8-sig")
    response = client.get(reverse("resources:export"), {"organisation": owner.pk, "format": "xlsx"})
    assert response.content[:2] == b"PK"


def test_an_admin_may_not_export_another_institution(client, manager):
    other = OrganisationFactory(name="Keele University")
    client.force_login(manager)
    response = client.get(reverse("resources:export"), {"organisation": other.pk, "format": "csv"})
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors


# --- the passport --------------------------------------------------------------------------------------------


def test_the_passport_lists_my_inductions(client, microscope, booker):
    InductionFactory(user=booker, resource=microscope, trainer="Sam Trainer")
    client.force_login(booker)
    response = client.get(reverse("resources:passport"))
    assert [(e.covers, e.status) for e in response.context["entries"]] == [("Confocal microscope", "valid")]


def test_a_manager_records_an_induction(client, microscope, booker, manager):
    client.force_login(manager)
    response = client.post(
        reverse("resources:induction_record", args=[microscope.pk]),
        {
            "email": booker.email.upper(),
            "covers": "resource",
            "date": timezone.localdate().isoformat(),
            "trainer": "Ann",
        },
    )
    assert response.status_code == 302
    induction = Induction.objects.get()
    assert (induction.user, induction.resource, induction.trainer) == (booker, microscope, "Ann")


def test_recording_an_induction_for_an_unknown_email_says_so(client, microscope, manager):
    client.force_login(manager)
    response = client.post(
        reverse("resources:induction_record", args=[microscope.pk]),
        {
            "email": "nobody@example.org",
            "covers": "resource",
            "date": timezone.localdate().isoformat(),
            "trainer": "Ann",
        },
    )
    assert response.context["form"].errors["email"] == ["No MHI Hub account has this email address."]


def test_an_admin_declares_an_equivalence_for_their_resource(client, microscope, manager):
    laser = InductionClassFactory(name="Laser safety")
    elsewhere = OrganisationFactory(name="University of Warwick", kind="university")
    client.force_login(manager)
    response = client.post(
        reverse("resources:equivalences"),
        {"accepted_class": laser.pk, "accepted_organisation": elsewhere.pk, "resource": microscope.pk},
    )
    assert response.status_code == 302
    equivalence = InductionEquivalence.objects.get()
    assert (equivalence.resource, equivalence.accepted_organisation) == (microscope, elsewhere)


def test_a_manager_answers_a_training_request(client, microscope, booker, manager):
    request = TrainingRequest.objects.create(resource=microscope, user=booker)
    client.force_login(manager)
    assert client.get(reverse("resources:training_requests")).context["to_answer"] == [request]
    client.post(
        reverse("resources:training_respond", args=[request.pk]),
        {"status": "scheduled", "response": "Tuesday 10:00 in the imaging suite"},
    )
    request.refresh_from_db()
    assert (request.status, request.response) == ("scheduled", "Tuesday 10:00 in the imaging suite")


# --- reports -------------------------------------------------------------------------------------------------


def _confirmed_last_week(resource, user):
    start = _weekday(-8, 10)
    return Booking.objects.create(
        resource=resource,
        user=user,
        organisation=resource.organisation,
        start=start,
        end=start + datetime.timedelta(hours=2),
        status="confirmed",
        tier="internal",
        quote_amount=Decimal("40.00"),
    )


def test_the_reports_show_utilisation_income_and_usage(client, microscope, booker, manager):
    _confirmed_last_week(microscope, booker)
    client.force_login(manager)
    response = client.get(reverse("resources:reports"))
    (row,) = response.context["utilisation"]
    assert row.booked_hours == Decimal("2.00")
    income = {r.tier: (r.bookings, r.amount) for r in response.context["income"]}
    assert income["internal"] == (1, Decimal("40.00"))
    assert response.context["matrix"] == [(microscope.organisation, [Decimal("2.00")])]


def test_the_report_csvs(client, microscope, booker, manager):
    _confirmed_last_week(microscope, booker)
    client.force_login(manager)
    text = client.get(reverse("resources:report_csv", args=["income"])).content.decode("utf-8-sig")
    assert text.splitlines()[:2] == ["Tier,Bookings,Amount (£)", "Internal,1,40.00"]
    text = client.get(reverse("resources:report_csv", args=["usage"])).content.decode("utf-8-sig")
    assert text.splitlines() == ["Booked by \\ owner,Aston University", "Aston University,2.00"]
    assert client.get(reverse("resources:report_csv", args=["nonsense"])).status_code == 404


# --- adding a resource by hand -------------------------------------------------------------------------------

NEW_RESOURCE = {
    "name": "  Mass spectrometer ",
    "uniquip_type": "facility",
    "uniquip_id": "AST-MS-1",
    "description": "Orbitrap\r\nfor proteomics",
    "technique": "Mass spectrometry",
    "status": "available",
    "access_policy": "partner",
    "department": "Chemistry",
    "latitude": "52.486651",
    "longitude": "-1.890947",
    "web_address": "www.aston.ac.uk/ms",
    "contact_name": "Proteomics team",
    "contact_email": "ms@aston.example.org",
}


def test_the_list_links_to_adding_a_resource_for_those_who_may(client, microscope, manager, booker):
    link = f'href="{reverse("resources:create")}"'
    assert link not in client.get(reverse("resources:list")).content.decode()
    client.force_login(booker)
    assert link not in client.get(reverse("resources:list")).content.decode()
    client.force_login(manager)
    assert link in client.get(reverse("resources:list")).content.decode()


def test_an_admin_adds_a_resource_by_hand(client, owner, manager, booker):
    from mhi.core.audit import audit_events_for
    from mhi.core.models import AuditEvent

    OrganisationFactory(name="Keele University", kind="university")
    client.force_login(manager)
    page = client.get(reverse("resources:create"))
    assert list(page.context["form"].fields["owner"].queryset) == [owner]
    assert page.context["form"].initial["owner"] == owner.pk
    response = client.post(
        reverse("resources:create"), {**NEW_RESOURCE, "owner": owner.pk, "managers_text": "bea@aston.example.org"}
    )
    resource = Resource.objects.get()
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == resource.get_absolute_url()
    assert (
        resource.organisation,
        resource.name,
        resource.uniquip_type,
        resource.uniquip_id,
        resource.description,
        resource.access_policy,
        resource.latitude,
        resource.web_address,
        resource.contact_email,
    ) == (
        owner,
        "Mass spectrometer",
        "facility",
        "AST-MS-1",
        "Orbitrap\nfor proteomics",
        "partner",
        Decimal("52.486651"),
        "https://www.aston.ac.uk/ms",
        "ms@aston.example.org",
    )
    assert list(resource.managers.all()) == [booker]
    event = audit_events_for(resource).get()
    assert (event.action, event.actor, event.changes["name"]) == (
        AuditEvent.Action.CREATE,
        manager,
        [None, "Mass spectrometer"],
    )
    shown = client.get(response["Location"]).content.decode()
    assert "Mass spectrometer added to the catalogue of Aston University." in shown


def test_a_coordinator_adds_for_any_university_and_without_an_id_one_is_made(client, owner):
    keele = OrganisationFactory(name="Keele University", kind="university")
    OrganisationFactory(name="Acme Devices", kind="industry")
    coordinator = UserFactory(email="coordinator@example.org")
    MembershipFactory(user=coordinator, role=Role.COORDINATOR, organisation=None)
    TOTP.activate(coordinator, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(coordinator)
    page = client.get(reverse("resources:create"))
    assert [o.name for o in page.context["form"].fields["owner"].queryset] == ["Aston University", "Keele University"]
    response = client.post(reverse("resources:create"), {**NEW_RESOURCE, "owner": keele.pk, "uniquip_id": ""})
    assert response.status_code == 302, response.context["form"].errors
    resource = Resource.objects.get()
    assert resource.organisation == keele
    assert resource.uniquip_id.startswith("mhi-")


def test_an_admin_may_not_add_for_another_organisation(client, owner, manager):
    keele = OrganisationFactory(name="Keele University", kind="university")
    client.force_login(manager)
    response = client.post(reverse("resources:create"), {**NEW_RESOURCE, "owner": keele.pk})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["owner"]
    assert Resource.objects.count() == 0


def test_others_may_not_add_a_resource(client, booker):
    client.force_login(booker)
    assert client.get(reverse("resources:create")).status_code == 403
    assert client.post(reverse("resources:create"), NEW_RESOURCE).status_code == 403
    assert Resource.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        # Refused by the form.
        ({"name": ""}, "name", "This field is required."),
        ({"latitude": "north"}, "latitude", "Enter a number."),
        # Refused by the service (a DomainError naming its field).
        ({"contact_email": "ms@aston"}, "contact_email", "Contact Email: “ms@aston” is not an email address."),
        (
            {"web_address": "javascript:alert(1)"},
            "web_address",
            "Web Address: “javascript:alert(1)” is not a web address; it should start with https:// or http://.",
        ),
        (
            {"longitude": ""},
            "longitude",
            "Give both the latitude and the longitude, or neither; the longitude is missing.",
        ),
    ],
)
def test_a_bad_value_is_refused_at_its_field_and_nothing_is_added(client, owner, manager, changes, field, message):
    client.force_login(manager)
    response = client.post(reverse("resources:create"), {**NEW_RESOURCE, "owner": owner.pk, **changes})
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    body = response.content.decode()
    assert "There is a problem" in body
    assert f'href="#id_{field}"' in body
    assert Resource.objects.count() == 0


def test_an_id_the_owner_already_uses_is_refused_at_the_id(client, microscope, owner, manager):
    client.force_login(manager)
    response = client.post(
        reverse("resources:create"), {**NEW_RESOURCE, "owner": owner.pk, "uniquip_id": microscope.uniquip_id}
    )
    assert list(response.context["form"].errors) == ["uniquip_id"]
    assert Resource.objects.count() == 1
