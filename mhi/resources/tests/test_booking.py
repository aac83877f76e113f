"""Booking rules, tiers and quotes, approval, cancellation, the waitlist and recurring bookings (mhi.resources.booking).

Every test passes `now` (Monday 2 March 2026, 09:00 UK time = UTC in winter), so the rules are checked against a
fixed calendar. The resource books Monday to Friday 09:00–17:00 in 30-minute slots, 30 minutes to 8 hours, at
least 24 hours and at most 90 days ahead (the model's defaults).
"""

import datetime
import decimal

import pytest

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from mhi.directory.tests.factories import OrganisationFactory, PartnerInstitutionFactory
from mhi.resources import booking as svc
from mhi.resources.availability import LONDON
from mhi.resources.models import Booking, RateUnit, ResourceStatus, Tier, WaitlistEntry
from mhi.resources.tests.factories import ClosureFactory, InductionFactory, RateFactory, ResourceFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def uk(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def member(organisation, role="researcher"):
    return MembershipFactory(organisation=organisation, role=role).user


@pytest.fixture
def owner():
    return OrganisationFactory(name="University of Leicester")


@pytest.fixture
def manager(owner):
    return UserFactory(email="manager@le.example")


@pytest.fixture
def resource(owner, manager):
    return ResourceFactory(organisation=owner, name="Confocal 2", managers=[manager], instant_booking=True)


@pytest.fixture
def alice(owner):
    return MembershipFactory(organisation=owner, user__email="alice@le.example", user__full_name="Alice").user


def refused(**kwargs) -> str:
    with pytest.raises(DomainError) as caught:
        svc.booking_request(now=NOW, **kwargs)
    return caught.value.message


# --- tiers and quotes -------------------------------------------------------------------------------------


def test_it_books_at_the_internal_tier_at_the_owner(resource, alice):
    assert svc.requester_tier(user=alice, resource=resource) == Tier.INTERNAL


def test_it_books_at_the_partner_tier_from_another_partner_university(resource):
    other = PartnerInstitutionFactory(organisation=OrganisationFactory(kind=Organisation.Kind.UNIVERSITY)).organisation
    assert svc.requester_tier(user=member(other), resource=resource) == Tier.PARTNER


def test_it_books_at_the_external_academic_tier_from_a_non_partner_university_or_the_nhs(resource):
    university = OrganisationFactory(kind=Organisation.Kind.UNIVERSITY)
    trust = OrganisationFactory(kind=Organisation.Kind.NHS_TRUST)
    assert svc.requester_tier(user=member(university), resource=resource) == Tier.EXTERNAL_ACADEMIC
    assert svc.requester_tier(user=member(trust, role="nhs_rd"), resource=resource) == Tier.EXTERNAL_ACADEMIC


def test_it_books_at_the_commercial_tier_from_industry(resource):
    company = OrganisationFactory(kind=Organisation.Kind.INDUSTRY)
    assert svc.requester_tier(user=member(company, role="external"), resource=resource) == Tier.COMMERCIAL


def test_it_has_no_tier_without_a_role(resource):
    assert svc.requester_tier(user=UserFactory(), resource=resource) is None


def test_it_takes_the_best_tier_of_several_roles(resource, owner):
    company = OrganisationFactory(kind=Organisation.Kind.INDUSTRY)
    user = member(company, role="external")
    MembershipFactory(user=user, organisation=owner)
    assert svc.requester_tier(user=user, resource=resource) == Tier.INTERNAL
    assert svc.requester_tier(user=user, resource=resource, organisation=company) == Tier.COMMERCIAL


def test_it_quotes_hours_times_the_hourly_rate(resource):
    RateFactory(resource=resource, tier=Tier.PARTNER, unit=RateUnit.HOUR, amount=decimal.Decimal("40.00"))
    quote = svc.quote(resource=resource, tier=Tier.PARTNER, start=uk(10, 10), end=uk(10, 12, 30))
    assert quote.amount == decimal.Decimal("100.00")
    assert quote.note == "2.5 hours × £40.00 per hour (partner university rate)"


def test_it_quotes_started_days_times_the_daily_rate(resource):
    RateFactory(resource=resource, tier=Tier.INTERNAL, unit=RateUnit.DAY, amount=decimal.Decimal("300.00"))
    assert svc.quote(resource=resource, tier=Tier.INTERNAL, start=uk(10, 9), end=uk(10, 17)).amount == 300
    assert svc.quote(resource=resource, tier=Tier.INTERNAL, start=uk(10, 9), end=uk(11, 10)).amount == 600


def test_it_quotes_one_session(resource):
    RateFactory(resource=resource, tier=Tier.COMMERCIAL, unit=RateUnit.SESSION, amount=decimal.Decimal("750"))
    quote = svc.quote(resource=resource, tier=Tier.COMMERCIAL, start=uk(10, 9), end=uk(10, 17))
    assert (quote.amount, quote.note) == (
        decimal.Decimal("750.00"),
        "1 session × £750.00 per session (commercial rate)",
    )


def test_it_quotes_price_on_application_without_a_rate(resource):
    quote = svc.quote(resource=resource, tier=Tier.COMMERCIAL, start=uk(10, 9), end=uk(10, 17))
    assert quote.amount is None
    assert quote.note.startswith("Price on application")


# --- booking ------------------------------------------------------------------------------------------------


def test_an_instant_booking_is_confirmed_with_the_quote_and_an_ics_email(
    resource, alice, mailoutbox, django_capture_on_commit_callbacks
):
    RateFactory(resource=resource, tier=Tier.INTERNAL, unit=RateUnit.HOUR, amount=decimal.Decimal("12.50"))
    with django_capture_on_commit_callbacks(execute=True):
        booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert (booking.tier, booking.quote_amount) == (Tier.INTERNAL, decimal.Decimal("25.00"))
    assert booking.organisation == resource.organisation
    assert [m.subject for m in mailoutbox] == ["[MHI Hub] Booked: Confocal 2, Tue 10 Mar 2026 10:00–12:00"]
    name, content, mimetype = mailoutbox[0].attachments[0]
    assert (name, mimetype) == ("booking.ics", "text/calendar; charset=utf-8")
    assert "DTSTART:20260310T100000Z" in content
    assert AuditEvent.objects.filter(object_id=str(booking.pk), action="create", actor=alice).count() == 1


def test_a_request_waits_for_approval_and_tells_the_managers(
    resource, alice, manager, mailoutbox, django_capture_on_commit_callbacks
):
    resource.instant_booking = False
    resource.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    assert booking.status == Booking.Status.REQUESTED
    assert [(m.subject, m.to) for m in mailoutbox] == [
        ("[MHI Hub] Request received: Confocal 2, Tue 10 Mar 2026 10:00–12:00", ["alice@le.example"]),
        ("[MHI Hub] To approve: Confocal 2, Tue 10 Mar 2026 10:00–12:00", ["manager@le.example"]),
    ]


def test_a_refused_booking_sends_no_email(resource, alice, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        svc.booking_request(user=alice, resource=resource, start=uk(10, 8), end=uk(10, 10), now=NOW)
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (uk(10, 10), uk(10, 10), "The booking has no length: the end is the same as the start."),
        (uk(10, 12), uk(10, 10), "The end (Tue 10 Mar 2026 10:00) is before the start (Tue 10 Mar 2026 12:00)."),
        (uk(1, 10, month=2), uk(1, 11, month=2), "The start (Sun 1 Feb 2026 10:00) is in the past."),
        (uk(10, 16), uk(10, 18), "Tue 10 Mar 2026 16:00–18:00 is outside Confocal 2's opening hours."),
        (uk(14, 10), uk(14, 11), "Sat 14 Mar 2026 10:00–11:00 is outside Confocal 2's opening hours."),
        (uk(10, 10, 15), uk(10, 11, 15), "Not on a slot boundary: Confocal 2 is booked in 30-minute slots from 09:00."),
        (uk(10, 10), uk(10, 10, 45), "Not on a slot boundary: Confocal 2 is booked in 30-minute slots from 09:00."),
        (
            uk(2, 14),
            uk(2, 15),
            "Inside the lead time: Confocal 2 is booked at least 24 hours ahead, so the "
            "earliest start now is Tue 3 Mar 2026 09:00.",
        ),
        (
            uk(10, 10, month=6),
            uk(10, 11, month=6),
            "Beyond the booking horizon: Confocal 2 is booked at most 90 days ahead, until Sun 31 May 2026 10:00.",
        ),
    ],
)
def test_it_refuses_bad_ranges_naming_the_problem(resource, alice, start, end, message):
    assert refused(user=alice, resource=resource, start=start, end=end) == message
    assert Booking.objects.count() == 0


def test_it_refuses_too_short_and_too_long(resource, alice):
    resource.min_duration_minutes, resource.max_duration_minutes = 60, 120
    resource.save()
    assert refused(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 10, 30)) == (
        "Too short: 30 minutes; Confocal 2 is booked for at least 1 hour."
    )
    assert refused(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 13)) == (
        "Too long: 3 hours; Confocal 2 is booked for at most 2 hours."
    )


def test_it_refuses_a_closure(resource, alice):
    ClosureFactory(resource=resource, start=uk(10, 9), end=uk(10, 13), reason="Laser service")
    assert refused(user=alice, resource=resource, start=uk(10, 12), end=uk(10, 14)) == (
        "Confocal 2 is closed for maintenance Tue 10 Mar 2026 09:00–13:00: Laser service."
    )


def test_it_refuses_an_overlap_with_a_confirmed_booking_as_a_conflict(resource, alice):
    svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with pytest.raises(Conflict, match="Confocal 2 is already booked Tue 10 Mar 2026 10:00–12:00."):
        svc.booking_request(user=alice, resource=resource, start=uk(10, 11), end=uk(10, 13), now=NOW)
    # back to back is fine
    svc.booking_request(user=alice, resource=resource, start=uk(10, 12), end=uk(10, 13), now=NOW)
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 2


def test_overlapping_requests_may_wait_side_by_side(resource, alice):
    resource.instant_booking = False
    resource.save()
    svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    svc.booking_request(user=alice, resource=resource, start=uk(10, 11), end=uk(10, 13), now=NOW)
    assert Booking.objects.filter(status=Booking.Status.REQUESTED).count() == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": ResourceStatus.MAINTENANCE}, "Confocal 2 cannot be booked: it is in maintenance."),
        ({"status": ResourceStatus.RETIRED}, "Confocal 2 cannot be booked: it is retired."),
        ({"bookable": False, "contact_name": "Dr Lee"}, "Confocal 2 is not bookable through MHI Hub; contact Dr Lee."),
    ],
)
def test_it_refuses_a_resource_not_open_for_booking(resource, alice, change, message):
    for name, value in change.items():
        setattr(resource, name, value)
    resource.save()
    assert refused(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 11)) == message


def test_it_refuses_a_tier_the_access_policy_does_not_admit(resource):
    resource.access_policy = "partner"
    resource.save()
    company = OrganisationFactory(kind=Organisation.Kind.INDUSTRY)
    with pytest.raises(PermissionDenied, match="open to partner universities; you would book at the commercial"):
        svc.booking_request(
            user=member(company, "external"), resource=resource, start=uk(10, 10), end=uk(10, 11), now=NOW
        )


def test_it_refuses_someone_without_a_role(resource):
    with pytest.raises(PermissionDenied, match="Only people with a role at an organisation"):
        svc.booking_request(user=UserFactory(), resource=resource, start=uk(10, 10), end=uk(10, 11), now=NOW)


def test_it_refuses_without_an_induction_and_books_with_one(resource, alice):
    resource.requires_induction = True
    resource.save()
    with pytest.raises(svc.InductionRequired) as caught:
        svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 11), now=NOW)
    assert caught.value.message == (
        "Confocal 2 needs an induction on Confocal 2, and you have none. Ask Confocal 2's managers for training on its page."
    )
    assert caught.value.resource == resource
    InductionFactory(user=alice, resource=resource, date=datetime.date(2026, 1, 5))
    assert svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 11), now=NOW).pk


# --- approval, decline, cancellation ----------------------------------------------------------------------


@pytest.fixture
def request_only(resource):
    resource.instant_booking = False
    resource.save()
    return resource


def test_a_manager_approves_a_request(request_only, alice, manager, mailoutbox, django_capture_on_commit_callbacks):
    booking = svc.booking_request(user=alice, resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        approved = svc.booking_approve(actor=manager, booking=booking, now=NOW)
    assert (approved.status, approved.decided_by, approved.decided_at) == (Booking.Status.CONFIRMED, manager, NOW)
    assert [m.subject for m in mailoutbox] == ["[MHI Hub] Booked: Confocal 2, Tue 10 Mar 2026 10:00–12:00"]
    assert AuditEvent.objects.filter(object_id=str(booking.pk), action="update", actor=manager).count() == 1


def test_only_managers_approve(request_only, alice):
    booking = svc.booking_request(user=alice, resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with pytest.raises(PermissionDenied):
        svc.booking_approve(actor=alice, booking=booking, now=NOW)


def test_approving_over_a_confirmed_booking_is_a_conflict(request_only, alice, manager):
    first = svc.booking_request(user=alice, resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW)
    second = svc.booking_request(user=alice, resource=request_only, start=uk(10, 11), end=uk(10, 13), now=NOW)
    svc.booking_approve(actor=manager, booking=first, now=NOW)
    with pytest.raises(Conflict, match="already booked Tue 10 Mar 2026 10:00–12:00"):
        svc.booking_approve(actor=manager, booking=second, now=NOW)
    second.refresh_from_db()
    assert second.status == Booking.Status.REQUESTED


def test_a_manager_declines_with_a_note(request_only, alice, manager, mailoutbox, django_capture_on_commit_callbacks):
    booking = svc.booking_request(user=alice, resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        svc.booking_decline(actor=manager, booking=booking, note="Engineer visit that day", now=NOW)
    booking.refresh_from_db()
    assert (booking.status, booking.decision_note) == (Booking.Status.DECLINED, "Engineer visit that day")
    assert "Their note: Engineer visit that day" in mailoutbox[0].body


def test_the_requester_cancels_before_the_notice_period(resource, alice):
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    cancelled = svc.booking_cancel(actor=alice, booking=booking, now=uk(9, 9))
    assert (cancelled.status, cancelled.cancelled_at) == (Booking.Status.CANCELLED, uk(9, 9))


def test_the_requester_cannot_cancel_inside_the_notice_period_but_a_manager_can(resource, alice, manager):
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with pytest.raises(DomainError) as caught:
        svc.booking_cancel(actor=alice, booking=booking, now=uk(9, 10, 30))
    assert caught.value.message == (
        "Too late to cancel: bookings of Confocal 2 are cancelled at least 24 hours before the start "
        "(by Mon 9 Mar 2026 10:00); ask its managers."
    )
    assert svc.booking_cancel(actor=manager, booking=booking, now=uk(10, 10, 30)).status == Booking.Status.CANCELLED


def test_a_cancellation_tells_the_requester_and_managers_and_cancels_the_calendar_event(
    resource, alice, mailoutbox, django_capture_on_commit_callbacks
):
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        svc.booking_cancel(actor=alice, booking=booking, now=NOW)
    (email,) = mailoutbox
    assert (email.subject, email.to) == (
        "[MHI Hub] Cancelled: Confocal 2, Tue 10 Mar 2026 10:00–12:00",
        ["alice@le.example", "manager@le.example"],
    )
    assert "METHOD:CANCEL" in email.attachments[0][1]


def test_a_request_that_has_begun_cannot_be_approved(request_only, alice, manager):
    booking = svc.booking_request(user=alice, resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with pytest.raises(DomainError, match="which has begun; decline it instead"):
        svc.booking_approve(actor=manager, booking=booking, now=uk(10, 10))


def test_a_past_booking_cannot_be_cancelled(resource, alice, manager):
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with pytest.raises(DomainError, match="a past booking cannot be cancelled"):
        svc.booking_cancel(actor=manager, booking=booking, now=uk(10, 12))


def test_someone_else_cannot_cancel(resource, alice, owner):
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    with pytest.raises(PermissionDenied):
        svc.booking_cancel(actor=member(owner), booking=booking, now=NOW)


# --- the waitlist ------------------------------------------------------------------------------------------


@pytest.fixture
def bob(owner):
    return MembershipFactory(organisation=owner, user__email="bob@le.example").user


def test_the_waitlist_is_for_taken_ranges_only(resource, alice, bob):
    with pytest.raises(DomainError, match="is free: book it instead"):
        svc.waitlist_join(user=bob, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    entry = svc.waitlist_join(user=bob, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    assert entry.status == WaitlistEntry.Status.WAITING
    assert svc.waitlist_join(user=bob, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW) == entry


def test_a_cancelled_booking_is_offered_to_the_earliest_overlapping_entry(
    resource, alice, bob, owner, mailoutbox, django_capture_on_commit_callbacks
):
    carol = member(owner)
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    first = svc.waitlist_join(user=bob, resource=resource, start=uk(10, 11), end=uk(10, 12), now=NOW)
    second = svc.waitlist_join(user=carol, resource=resource, start=uk(10, 10), end=uk(10, 11), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        svc.booking_cancel(actor=alice, booking=booking, now=uk(3, 9))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.offered_at, first.offer_expires_at) == (
        WaitlistEntry.Status.OFFERED,
        uk(3, 9),
        uk(4, 9),
    )
    assert second.status == WaitlistEntry.Status.WAITING
    offer = [m for m in mailoutbox if m.to == ["bob@le.example"]]
    assert offer[0].subject == "[MHI Hub] Free now: Confocal 2, Tue 10 Mar 2026 11:00–12:00"
    assert "held for you until Wed 4 Mar 2026 09:00" in offer[0].body


def test_an_offered_range_is_held_for_its_entry_and_booking_it_converts_the_entry(resource, alice, bob, owner):
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    entry = svc.waitlist_join(user=bob, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    svc.booking_cancel(actor=alice, booking=booking, now=NOW)
    with pytest.raises(Conflict, match="offered to someone on the waitlist until Tue 3 Mar 2026 09:00"):
        svc.booking_request(user=member(owner), resource=resource, start=uk(10, 11), end=uk(10, 12), now=NOW)
    svc.booking_request(user=bob, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.BOOKED


def test_an_expired_offer_goes_to_the_next_in_line(resource, alice, bob, owner):
    carol = member(owner)
    booking = svc.booking_request(user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    first = svc.waitlist_join(user=bob, resource=resource, start=uk(10, 10), end=uk(10, 12), now=NOW)
    second = svc.waitlist_join(user=carol, resource=resource, start=uk(10, 10), end=uk(10, 11), now=NOW)
    svc.booking_cancel(actor=alice, booking=booking, now=NOW)
    assert svc.waitlist_expire_offers(now=uk(3, 8)) == 0
    assert svc.waitlist_expire_offers(now=uk(3, 9)) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (WaitlistEntry.Status.EXPIRED, WaitlistEntry.Status.OFFERED)


def test_a_declined_request_offers_nothing(request_only, alice, bob, manager):
    booking = svc.booking_request(user=alice, resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW)
    assert svc.waitlist_offer_freed(resource=request_only, start=uk(10, 10), end=uk(10, 12), now=NOW) is None
    svc.booking_decline(actor=manager, booking=booking, now=NOW)
    assert WaitlistEntry.objects.count() == 0


# --- recurring ------------------------------------------------------------------------------------------


def test_a_weekly_series_is_booked_together(resource, alice, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bookings = svc.booking_request_recurring(
            user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), every="week", count=4, now=NOW
        )
    assert [b.start for b in bookings] == [uk(10, 10), uk(17, 10), uk(24, 10), uk(31, 10)]
    assert len({b.series for b in bookings}) == 1 and bookings[0].series is not None
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).count() == 4
    assert len(mailoutbox) == 1 and mailoutbox[0].attachments[0][1].count("BEGIN:VEVENT") == 4


def test_a_daily_series_names_the_occurrence_that_fails_and_books_none(resource, alice):
    ClosureFactory(resource=resource, start=uk(12, 0), end=uk(13, 0), kind="blackout", reason="")
    with pytest.raises(DomainError) as caught:
        svc.booking_request_recurring(
            user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), every="day", count=3, now=NOW
        )
    assert caught.value.message == (
        "Booking 3 of 3, Thu 12 Mar 2026 10:00–12:00: Confocal 2 is closed for blackout Thu 12 Mar 2026 00:00 "
        "to Fri 13 Mar 2026 00:00."
    )
    assert Booking.objects.count() == 0


def test_a_series_over_a_booked_slot_is_a_conflict_naming_it(resource, alice):
    svc.booking_request(user=alice, resource=resource, start=uk(17, 11), end=uk(17, 12), now=NOW)
    with pytest.raises(Conflict, match="^Booking 2 of 2, Tue 17 Mar 2026 10:00–12:00: Confocal 2 is already booked"):
        svc.booking_request_recurring(
            user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), every="week", count=2, now=NOW
        )
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(("every", "count"), [("week", 53), ("week", 0), ("month", 2)])
def test_a_series_has_1_to_52_weekly_or_daily_bookings(resource, alice, every, count):
    with pytest.raises(DomainError):
        svc.booking_request_recurring(
            user=alice, resource=resource, start=uk(10, 10), end=uk(10, 12), every=every, count=count, now=NOW
        )
