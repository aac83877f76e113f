"""The shared-resources API: what each operation returns and how it refuses (access by persona is in
tests/access/resources_api.py)."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from mhi.resources.models import Booking, Closure, Induction, InductionEquivalence, Rate, Resource, TrainingRequest
from mhi.resources.tests.factories import (
    BookingFactory,
    InductionClassFactory,
    InductionFactory,
    RateFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
ALWAYS_OPEN = {str(day): [["00:00", "24:00"]] for day in range(1, 8)}


def _auth(world, persona):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


def _day(days: int = 7) -> datetime.date:
    return datetime.datetime.now(LONDON).date() + datetime.timedelta(days=days)


def uk(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=LONDON)


@pytest.fixture
def confocal(world):
    resource = ResourceFactory(
        name="Confocal 2",
        organisation=world.aston,
        technique="Confocal microscopy",
        contact_email="imaging@aston.example.org",
        opening_hours=ALWAYS_OPEN,
        access_policy="external_academic",
    )
    RateFactory(resource=resource, tier="external_academic", amount=Decimal("30.00"))
    return resource


def _error(response) -> dict:
    return response.json()["error"]


# --- the catalogue ----------------------------------------------------------------------------------------


def test_the_list_hides_contact_emails_from_anonymous_callers(client, world, confocal):
    anonymous = client.get("/api/v1/resources").json()
    signed_in = client.get("/api/v1/resources", headers=_auth(world, "researcher")).json()
    assert anonymous["count"] == 1
    item = anonymous["items"][0]
    assert (item["name"], item["organisation"], item["contact_email"]) == ("Confocal 2", "aston", "")
    assert item["rates"] == [{"tier": "external_academic", "unit": "hour", "amount": "30.00"}]
    assert signed_in["items"][0]["contact_email"] == "imaging@aston.example.org"


def test_the_list_filters_by_institution_and_tier(client, world, confocal):
    ResourceFactory(name="Leicester CT", organisation=world.leicester, access_policy="own")
    names = lambda query: [i["name"] for i in client.get(f"/api/v1/resources?{query}").json()["items"]]  # noqa: E731
    assert names("") == ["Confocal 2", "Leicester CT"]
    assert names("institution=leicester") == ["Leicester CT"]
    assert names("tier=external_academic") == ["Confocal 2"]
    assert names("limit=1&offset=1") == ["Leicester CT"]


def test_an_unknown_institution_is_refused_naming_the_filter(client, confocal):
    response = client.get("/api/v1/resources?institution=nowhere")
    assert response.status_code == 422
    assert _error(response)["fields"] == {"institution": ["No organisation “nowhere”."]}


def test_a_retired_resource_does_not_exist_for_the_public(client, world, confocal):
    Resource.objects.filter(pk=confocal.pk).update(status="retired")
    assert client.get(f"/api/v1/resources/{confocal.pk}").status_code == 404
    response = client.get(f"/api/v1/resources/{confocal.pk}", headers=_auth(world, "aston_admin"))
    assert (response.status_code, response.json()["status"]) == (200, "retired")


def test_an_institution_admin_adds_a_resource(client, world):
    response = client.post(
        "/api/v1/resources",
        {
            "organisation": "aston",
            "name": "Mass spectrometer",
            "uniquip_id": "MS-1",
            "managers": [world.users["researcher"].email],
        },
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["uniquip_id"], body["organisation"], body["managers"]) == (
        "Mass spectrometer",
        "MS-1",
        "aston",
        ["researcher@nottingham.example.org"],
    )
    assert Resource.objects.get(pk=body["id"]).managers.get() == world.users["researcher"]


def test_a_bad_value_is_refused_naming_the_field(client, world):
    response = client.post(
        "/api/v1/resources",
        {"organisation": "aston", "name": "Centrifuge", "contact_email": "not an address"},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert response.status_code == 422
    assert list(_error(response)["fields"]) == ["contact_email"]
    assert Resource.objects.count() == 0


def test_a_change_touches_only_the_fields_sent(client, world, confocal):
    laser = InductionClassFactory(name="Laser safety")
    response = client.patch(
        f"/api/v1/resources/{confocal.pk}",
        {"description": "Zeiss LSM 980", "requires_induction": True, "induction_class": laser.pk},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert response.status_code == 200, response.content
    confocal.refresh_from_db()
    assert (confocal.description, confocal.technique, confocal.induction_class) == (
        "Zeiss LSM 980",
        "Confocal microscopy",
        laser,
    )


def test_an_unknown_induction_class_is_refused(client, world, confocal):
    response = client.patch(
        f"/api/v1/resources/{confocal.pk}",
        {"induction_class": 999_999},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (response.status_code, list(_error(response)["fields"])) == (422, ["induction_class"])


def test_a_rate_is_set_and_removed(client, world, confocal):
    url = f"/api/v1/resources/{confocal.pk}/rates/internal"
    headers = _auth(world, "aston_admin")
    response = client.put(url, {"unit": "day", "amount": "120.5"}, content_type="application/json", headers=headers)
    assert response.json() == {"tier": "internal", "unit": "day", "amount": "120.50"}
    assert Rate.objects.get(resource=confocal, tier="internal").amount == Decimal("120.50")
    response = client.put(url, {"amount": None}, content_type="application/json", headers=headers)
    assert response.json() == {"tier": "internal", "unit": None, "amount": None}
    assert not Rate.objects.filter(resource=confocal, tier="internal").exists()


def test_a_closure_is_added_in_uk_time_and_removed(client, world, confocal):
    headers = _auth(world, "aston_admin")
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/closures",
        {"kind": "blackout", "start": "2030-07-01T09:00:00", "end": "2030-07-01T17:00:00", "reason": "Shutdown"},
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    closure = Closure.objects.get()
    assert (closure.kind, closure.start, closure.end) == (
        "blackout",
        datetime.datetime(2030, 7, 1, 8, tzinfo=datetime.UTC),  # 09:00 BST
        datetime.datetime(2030, 7, 1, 16, tzinfo=datetime.UTC),
    )
    response = client.delete(f"/api/v1/resources/{confocal.pk}/closures/{closure.pk}", headers=headers)
    assert response.json() == {"id": closure.pk, "deleted": True}
    assert Closure.objects.count() == 0


def test_a_closure_ending_before_it_starts_is_refused(client, world, confocal):
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/closures",
        {"start": "2030-07-01T17:00:00", "end": "2030-07-01T09:00:00"},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (response.status_code, list(_error(response)["fields"])) == (422, ["end"])


def test_an_import_reports_what_it_did(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"Type,ID,Name,Technique\nequipment,EQ-1,Centrifuge,Centrifugation\nfacility,FAC-1,Imaging suite,\n"
    response = client.post(
        "/api/v1/resources/import",
        {"organisation": "aston", "file": SimpleUploadedFile("aston.csv", csv, content_type="text/csv")},
        headers=_auth(world, "aston_admin"),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], len(body["created"]), body["skipped"]) == (2, 2, [])
    assert sorted(Resource.objects.values_list("uniquip_id", "name")) == [
        ("EQ-1", "Centrifuge"),
        ("FAC-1", "Imaging suite"),
    ]


def test_an_import_with_a_bad_row_is_refused_whole_listing_the_problems(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"Type,ID,Name\nequipment,EQ-1,Centrifuge\nspaceship,EQ-2,Rocket\n"
    response = client.post(
        "/api/v1/resources/import",
        {"organisation": "aston", "file": SimpleUploadedFile("aston.csv", csv)},
        headers=_auth(world, "aston_admin"),
    )
    assert response.status_code == 422
    error = _error(response)
    assert len(error["fields"]["file"]) == 1
    assert error["fields"]["file"][0].startswith("aston.csv, row 3, column “Type”")
    assert Resource.objects.count() == 0


def test_an_export_gives_the_uniquip_columns_as_json_or_csv(client, world, confocal):
    headers = _auth(world, "aston_admin")
    rows = client.get("/api/v1/resources/export?organisation=aston", headers=headers).json()
    assert len(rows) == 1
    assert list(rows[0])[:3] == ["Type", "ID", "Name"]
    assert (rows[0]["Name"], rows[0]["Technique"], rows[0]["Contact Email"]) == (
        "Confocal 2",
        "Confocal microscopy",
        "imaging@aston.example.org",
    )
    response = client.get("/api/v1/resources/export?organisation=aston&format=csv", headers=headers)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines()[0].startswith("Type,ID,Name,Description,")


# --- booking ----------------------------------------------------------------------------------------------


def test_free_slots_leave_out_confirmed_bookings_and_merge_on_request(client, world):
    resource = ResourceFactory(organisation=world.aston, opening_hours={"1": [["09:00", "11:00"]]}, slot_minutes=30)
    monday = datetime.date(2030, 6, 3)
    BookingFactory(resource=resource, start=uk(monday, 9, 30), end=uk(monday, 10), status="confirmed")
    url = f"/api/v1/resources/{resource.pk}/free-slots?start=2030-06-03T00:00:00&end=2030-06-04T00:00:00"
    slots = client.get(url + "&bookable_now=false").json()
    assert slots == [
        {"start": "2030-06-03T08:00:00Z", "end": "2030-06-03T08:30:00Z"},
        {"start": "2030-06-03T09:00:00Z", "end": "2030-06-03T09:30:00Z"},
        {"start": "2030-06-03T09:30:00Z", "end": "2030-06-03T10:00:00Z"},
    ]
    merged = client.get(url + "&bookable_now=false&merged=true").json()
    assert merged == [
        {"start": "2030-06-03T08:00:00Z", "end": "2030-06-03T08:30:00Z"},
        {"start": "2030-06-03T09:00:00Z", "end": "2030-06-03T10:00:00Z"},
    ]


def test_free_slots_are_asked_for_at_most_a_month_at_a_time(client, confocal):
    response = client.get(f"/api/v1/resources/{confocal.pk}/free-slots?start=2030-06-01T00:00&end=2030-08-01T00:00")
    assert (response.status_code, list(_error(response)["fields"])) == (422, ["end"])


def test_a_quote_is_at_your_tier_or_the_one_named(client, world, confocal):
    day = _day()
    query = f"start={uk(day, 10).isoformat()}&end={uk(day, 11, 30).isoformat()}".replace("+", "%2B")
    mine = client.get(f"/api/v1/resources/{confocal.pk}/quote?{query}", headers=_auth(world, "researcher")).json()
    assert mine == {
        "tier": "external_academic",
        "amount": "45.00",
        "note": "1.5 hours × £30.00 per hour (external academic rate)",
        "admitted": True,
    }
    named = client.get(f"/api/v1/resources/{confocal.pk}/quote?{query}&tier=commercial").json()
    assert (named["tier"], named["amount"], named["admitted"]) == ("commercial", None, False)
    anonymous = client.get(f"/api/v1/resources/{confocal.pk}/quote?{query}")
    assert (anonymous.status_code, _error(anonymous)["code"]) == (401, "unauthenticated")


def _book(client, world, resource, start, end, persona="researcher", **extra):
    return client.post(
        f"/api/v1/resources/{resource.pk}/bookings",
        {"start": start.isoformat(), "end": end.isoformat(), **extra},
        content_type="application/json",
        headers=_auth(world, persona),
    )


def test_a_booking_request_is_made_at_the_requester_tier_with_its_quote(client, world, confocal):
    day = _day()
    response = _book(client, world, confocal, uk(day, 10), uk(day, 11), purpose="Imaging")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["tier"], body["quote_amount"], body["organisation"], body["user"]) == (
        "requested",
        "external_academic",
        "30.00",
        "nottingham",
        "researcher@nottingham.example.org",
    )


def test_a_booking_ending_before_it_starts_is_refused_with_the_reason(client, world, confocal):
    day = _day()
    response = _book(client, world, confocal, uk(day, 11), uk(day, 10))
    assert response.status_code == 422
    assert list(_error(response)["fields"]) == ["end"]
    assert _error(response)["message"].startswith("The end (")


def test_an_instant_booking_over_a_confirmed_one_is_a_conflict(client, world, confocal):
    Resource.objects.filter(pk=confocal.pk).update(instant_booking=True)
    day = _day()
    assert _book(client, world, confocal, uk(day, 10), uk(day, 11)).json()["status"] == "confirmed"
    response = _book(client, world, confocal, uk(day, 10, 30), uk(day, 11, 30), persona="nhs_rd")
    assert (response.status_code, _error(response)["code"]) == (409, "conflict")


def test_booking_without_the_induction_is_refused_with_the_reason(client, world, confocal):
    laser = InductionClassFactory(name="Laser safety")
    Resource.objects.filter(pk=confocal.pk).update(requires_induction=True, induction_class=laser)
    day = _day()
    response = _book(client, world, confocal, uk(day, 10), uk(day, 11))
    assert response.status_code == 422
    assert _error(response)["fields"] == {
        "induction": [
            "Confocal 2 needs an induction on Confocal 2 or in “Laser safety”, and you have none. "
            "Ask Confocal 2's managers for training on its page."
        ]
    }
    InductionFactory(user=world.users["researcher"], resource=confocal)
    assert _book(client, world, confocal, uk(day, 10), uk(day, 11)).status_code == 201


def test_a_recurring_booking_makes_a_series(client, world, confocal):
    day = _day()
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/bookings/recurring",
        {"start": uk(day, 10).isoformat(), "end": uk(day, 11).isoformat(), "every": "week", "count": 3},
        content_type="application/json",
        headers=_auth(world, "researcher"),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [b["start"][:10] for b in body] == [str(day + datetime.timedelta(weeks=n)) for n in range(3)]
    assert len({b["series"] for b in body}) == 1


def test_my_bookings_and_the_ones_i_manage(client, world, confocal):
    mine = BookingFactory(resource=confocal, user=world.users["researcher"])
    theirs = BookingFactory(resource=confocal, user=world.users["nhs_rd"], start=mine.end)
    researcher = client.get("/api/v1/bookings", headers=_auth(world, "researcher")).json()
    assert [b["id"] for b in researcher["items"]] == [mine.pk]
    admin = client.get("/api/v1/bookings?managed=true", headers=_auth(world, "aston_admin")).json()
    assert [b["id"] for b in admin["items"]] == [mine.pk, theirs.pk]
    assert client.get("/api/v1/bookings?managed=true", headers=_auth(world, "researcher")).json()["count"] == 0


def test_a_manager_approves_once(client, world, confocal):
    request = BookingFactory(resource=confocal, user=world.users["researcher"])
    url = f"/api/v1/bookings/{request.pk}/approve"
    response = client.post(url, headers=_auth(world, "aston_admin"))
    assert response.json()["status"] == "confirmed"
    again = client.post(url, headers=_auth(world, "aston_admin"))
    assert (again.status_code, _error(again)["message"]) == (409, "This booking is confirmed, not awaiting approval.")


def test_a_manager_declines_with_a_note_and_the_requester_cancels(client, world, confocal):
    declined = BookingFactory(resource=confocal, user=world.users["researcher"])
    response = client.post(
        f"/api/v1/bookings/{declined.pk}/decline",
        {"note": "Fully booked"},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (response.json()["status"], response.json()["decision_note"]) == ("declined", "Fully booked")
    cancelled = BookingFactory(resource=confocal, user=world.users["researcher"], start=declined.end)
    response = client.post(f"/api/v1/bookings/{cancelled.pk}/cancel", headers=_auth(world, "researcher"))
    assert response.json()["status"] == "cancelled"
    assert Booking.objects.get(pk=cancelled.pk).cancelled_at is not None


def test_the_waitlist_is_for_a_booked_range(client, world, confocal):
    day = _day()
    url = f"/api/v1/resources/{confocal.pk}/waitlist"
    body = {"start": uk(day, 10).isoformat(), "end": uk(day, 11).isoformat()}
    free = client.post(url, body, content_type="application/json", headers=_auth(world, "researcher"))
    assert (free.status_code, list(_error(free)["fields"])) == (422, ["start"])
    BookingFactory(resource=confocal, start=uk(day, 10), end=uk(day, 11), status="confirmed")
    taken = client.post(url, body, content_type="application/json", headers=_auth(world, "researcher"))
    assert (taken.status_code, taken.json()["status"]) == (201, "waiting")


# --- the passport -----------------------------------------------------------------------------------------


def test_a_manager_records_an_induction_and_it_shows_in_the_passport(client, world, confocal):
    manager = world.users["leicester_lead"]
    confocal.managers.add(manager)
    today = datetime.datetime.now(LONDON).date()
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/inductions",
        {"user": "Researcher@Nottingham.example.org", "date": str(today), "trainer": "Sam Trainer"},
        content_type="application/json",
        headers=_auth(world, "leicester_lead"),
    )
    assert response.status_code == 201, response.content
    induction = Induction.objects.get()
    assert (induction.user, induction.resource, induction.organisation, induction.recorded_by) == (
        world.users["researcher"],
        confocal,
        world.aston,
        manager,
    )
    passport = client.get("/api/v1/me/inductions", headers=_auth(world, "researcher")).json()
    assert passport == [
        {
            "induction": {
                "id": induction.pk,
                "user": "researcher@nottingham.example.org",
                "resource": confocal.pk,
                "induction_class": None,
                "covers": "Confocal 2",
                "organisation": "aston",
                "date": str(today),
                "expires": None,
                "trainer": "Sam Trainer",
            },
            "last_day": None,
            "status": "valid",
        }
    ]


def test_recording_for_someone_without_an_account_names_the_field(client, world, confocal):
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/inductions",
        {"user": "nobody@example.org", "date": "2026-01-01", "trainer": "Sam"},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (response.status_code, list(_error(response)["fields"])) == (422, ["user"])


def test_an_induction_for_the_class_needs_the_resource_to_have_one(client, world, confocal):
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/inductions",
        {"user": "researcher@nottingham.example.org", "date": "2026-01-01", "trainer": "Sam", "for_class": True},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (response.status_code, list(_error(response)["fields"])) == (422, ["for_class"])


def test_a_coordinator_declares_a_class_equivalence_once(client, world):
    accepted, required = InductionClassFactory(name="Leicester lasers"), InductionClassFactory(name="Laser safety")
    body = {"accepted_class": accepted.pk, "accepted_organisation": "leicester", "required_class": required.pk}
    headers = _auth(world, "coordinator")
    response = client.post("/api/v1/induction-equivalences", body, content_type="application/json", headers=headers)
    assert response.status_code == 201, response.content
    assert (response.json()["accepted_organisation"], response.json()["required_class"]) == ("leicester", required.pk)
    again = client.post("/api/v1/induction-equivalences", body, content_type="application/json", headers=headers)
    assert again.status_code == 409
    assert InductionEquivalence.objects.count() == 1
    admin = client.post(
        "/api/v1/induction-equivalences", body, content_type="application/json", headers=_auth(world, "aston_admin")
    )
    assert admin.status_code == 403


def test_training_is_requested_once_and_answered_by_a_manager(client, world, confocal):
    url = f"/api/v1/resources/{confocal.pk}/training-requests"
    headers = _auth(world, "researcher")
    response = client.post(url, {"note": "I start in July"}, content_type="application/json", headers=headers)
    assert (response.status_code, response.json()["status"]) == (201, "open")
    again = client.post(url, {}, content_type="application/json", headers=headers)
    assert again.status_code == 409
    request_id = response.json()["id"]
    listed = client.get("/api/v1/training-requests", headers=_auth(world, "aston_admin")).json()
    assert [r["id"] for r in listed["items"]] == [request_id]
    answer = client.post(
        f"/api/v1/training-requests/{request_id}/respond",
        {"status": "scheduled", "response": "Tuesday 10:00, room 2"},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (answer.json()["status"], answer.json()["response"]) == ("scheduled", "Tuesday 10:00, room 2")
    assert TrainingRequest.objects.get().status == "scheduled"


# --- reports ----------------------------------------------------------------------------------------------


def test_the_reports_give_hand_worked_figures(client, world):
    # Open 09:00-17:00 on weekdays: Monday 1 and Tuesday 2 June 2026 are 16 hours; 3 confirmed hours booked.
    resource = ResourceFactory(name="Confocal 2", organisation=world.aston)
    BookingFactory(
        resource=resource,
        start=uk(datetime.date(2026, 6, 1), 9),
        end=uk(datetime.date(2026, 6, 1), 11),
        status="confirmed",
        organisation=world.nottingham,
        tier="external_academic",
        quote_amount=Decimal("60.00"),
    )
    BookingFactory(
        resource=resource,
        start=uk(datetime.date(2026, 6, 2), 9),
        end=uk(datetime.date(2026, 6, 2), 10),
        status="confirmed",
        organisation=world.aston,
        tier="internal",
        quote_amount=Decimal("10.00"),
    )
    headers = _auth(world, "aston_admin")
    query = "start=2026-06-01&end=2026-06-03"
    utilisation = client.get(f"/api/v1/resources/reports/utilisation?{query}", headers=headers).json()
    assert utilisation == [
        {
            "resource": resource.pk,
            "resource_name": "Confocal 2",
            "organisation": "aston",
            "booked_hours": "3.00",
            "available_hours": "16.00",
            "ratio": "0.1875",
        }
    ]
    income = client.get(f"/api/v1/resources/reports/income?{query}", headers=headers).json()
    assert [(r["tier"], r["bookings"], r["amount"]) for r in income] == [
        ("internal", 1, "10.00"),
        ("partner", 0, "0.00"),
        ("external_academic", 1, "60.00"),
        ("commercial", 0, "0.00"),
    ]
    usage = client.get(f"/api/v1/resources/reports/usage?{query}", headers=headers).json()
    assert usage == {
        "organisations": ["aston", "nottingham"],
        "names": ["Aston University", "University of Nottingham"],
        "hours": [["1.00", "0.00"], ["2.00", "0.00"]],
    }


def test_an_institution_admin_reports_only_on_their_own_institution(client, world):
    response = client.get(
        "/api/v1/resources/reports/utilisation?organisation=leicester", headers=_auth(world, "aston_admin")
    )
    assert response.status_code == 403


def test_a_report_range_must_run_forwards(client, world):
    response = client.get(
        "/api/v1/resources/reports/income?start=2026-06-03&end=2026-06-01", headers=_auth(world, "coordinator")
    )
    assert (response.status_code, list(_error(response)["fields"])) == (422, ["end"])


def test_declining_and_asking_for_training_take_an_empty_body(client, world, confocal):
    request = BookingFactory(resource=confocal, user=world.users["researcher"])
    response = client.post(
        f"/api/v1/bookings/{request.pk}/decline",
        {},
        content_type="application/json",
        headers=_auth(world, "aston_admin"),
    )
    assert (response.status_code, response.json()["decision_note"]) == (200, "")
    response = client.post(
        f"/api/v1/resources/{confocal.pk}/training-requests",
        {},
        content_type="application/json",
        headers=_auth(world, "researcher"),
    )
    assert (response.status_code, response.json()["note"]) == (201, "")


def test_the_list_takes_the_same_queries_for_three_resources_as_for_one(client, world, confocal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/resources", headers=_auth(world, "researcher")).status_code == 200
        return len(captured)

    queries()  # the first call of a token also records when it was last used
    one = queries()
    for _ in range(2):
        RateFactory(resource=ResourceFactory(organisation=world.leicester, induction_class=InductionClassFactory()))
    assert queries() == one
