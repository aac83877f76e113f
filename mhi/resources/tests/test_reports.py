"""Reports: utilisation, income by tier and the usage matrix, with figures worked out by hand."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.tests.factories import OrganisationFactory
from mhi.resources import reports
from mhi.resources.models import Booking
from mhi.resources.tests.factories import BookingFactory, ClosureFactory, ResourceFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


def uk(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def _booking(resource, start, end, *, status=Booking.Status.CONFIRMED, **fields):
    return BookingFactory(resource=resource, start=start, end=end, status=status, **fields)


@pytest.fixture
def aston():
    return OrganisationFactory(name="Aston University", slug="aston")


@pytest.fixture
def leicester():
    return OrganisationFactory(name="University of Leicester", slug="leicester")


@pytest.fixture
def nottingham():
    return OrganisationFactory(name="University of Nottingham", slug="nottingham")


# --- utilisation ----------------------------------------------------------------------------------------


def test_utilisation_is_booked_hours_over_open_hours_less_closures(aston):
    # Monday to Friday 09:00-17:00, from Monday 1 June 2026 10:00 to Saturday 00:00: 7 + 4 x 8 = 39 hours open.
    # Closures on Wednesday 12:00-14:00 and 13:00-15:00 overlap: 3 hours closed, so 36 hours available.
    resource = ResourceFactory(organisation=aston)
    ClosureFactory(resource=resource, start=uk(2026, 6, 3, 12), end=uk(2026, 6, 3, 14))
    ClosureFactory(resource=resource, start=uk(2026, 6, 3, 13), end=uk(2026, 6, 3, 15))
    _booking(resource, uk(2026, 6, 1, 9), uk(2026, 6, 1, 11))  # 1 hour of it after 10:00
    _booking(resource, uk(2026, 6, 2, 10), uk(2026, 6, 2, 10, 30))  # half an hour
    _booking(resource, uk(2026, 6, 5, 16), uk(2026, 6, 5, 17))  # 1 hour
    _booking(resource, uk(2026, 6, 4, 9), uk(2026, 6, 4, 17), status=Booking.Status.REQUESTED)
    _booking(resource, uk(2026, 6, 4, 9), uk(2026, 6, 4, 12), status=Booking.Status.CANCELLED)
    _booking(resource, uk(2026, 6, 8, 9), uk(2026, 6, 8, 12))  # the week after

    [row] = reports.utilisation(resources=[resource], start=uk(2026, 6, 1, 10), end=uk(2026, 6, 6))

    assert (row.resource, row.booked_hours, row.available_hours, row.ratio) == (
        resource,
        Decimal("2.50"),
        Decimal("36.00"),
        Decimal("0.0694"),  # 2.5 / 36 = 0.06944...
    )


def test_utilisation_counts_the_real_hours_of_the_october_change(aston):
    # Sunday 25 October 2026: clocks go back at 02:00 BST, so 00:00-04:00 London is five hours (23:00-04:00 UTC).
    resource = ResourceFactory(organisation=aston, opening_hours={"7": [["00:00", "04:00"]]})
    _booking(resource, utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 1, 30))  # 00:30 BST to 01:30 GMT: 2 hours
    [row] = reports.utilisation(resources=[resource], start=uk(2026, 10, 24), end=uk(2026, 10, 26))
    assert (row.booked_hours, row.available_hours, row.ratio) == (Decimal("2.00"), Decimal("5.00"), Decimal("0.4000"))


def test_utilisation_counts_the_real_hours_of_the_march_change(aston):
    # Sunday 29 March 2026: clocks go forward at 01:00 GMT, so 00:00-04:00 London is three hours.
    resource = ResourceFactory(organisation=aston, opening_hours={"7": [["00:00", "04:00"]]})
    [row] = reports.utilisation(resources=[resource], start=uk(2026, 3, 28), end=uk(2026, 3, 30))
    assert (row.booked_hours, row.available_hours, row.ratio) == (Decimal("0.00"), Decimal("3.00"), Decimal("0.0000"))


def test_a_resource_never_open_has_no_ratio(aston):
    resource = ResourceFactory(organisation=aston, opening_hours={})
    [row] = reports.utilisation(resources=[resource], start=uk(2026, 6, 1), end=uk(2026, 6, 8))
    assert (row.available_hours, row.ratio) == (Decimal("0.00"), None)


def test_utilisation_lists_every_resource_in_order_given(aston):
    first, second = ResourceFactory(organisation=aston), ResourceFactory(organisation=aston)
    _booking(second, uk(2026, 6, 1, 9), uk(2026, 6, 1, 17))
    rows = reports.utilisation(resources=[second, first], start=uk(2026, 6, 1), end=uk(2026, 6, 2))
    assert [(r.resource, r.booked_hours, r.ratio) for r in rows] == [
        (second, Decimal("8.00"), Decimal("1.0000")),
        (first, Decimal("0.00"), Decimal("0.0000")),
    ]


def test_a_report_range_must_run_forwards():
    with pytest.raises(DomainError) as refused:
        reports.utilisation(resources=[], start=uk(2026, 6, 2), end=uk(2026, 6, 1))
    assert refused.value.field == "end"


# --- income ---------------------------------------------------------------------------------------------


def test_income_sums_the_quotes_of_confirmed_bookings_starting_in_the_range_by_tier(aston, leicester):
    resource, other = ResourceFactory(organisation=aston), ResourceFactory(organisation=leicester)
    _booking(resource, uk(2026, 6, 1, 9), uk(2026, 6, 1, 10), tier="internal", quote_amount=Decimal("20.00"))
    _booking(resource, uk(2026, 6, 2, 9), uk(2026, 6, 2, 10), tier="internal", quote_amount=Decimal("5.50"))
    _booking(resource, uk(2026, 6, 3, 9), uk(2026, 6, 3, 10), tier="partner", quote_amount=Decimal("40.00"))
    _booking(resource, uk(2026, 6, 4, 9), uk(2026, 6, 4, 10), tier="commercial", quote_amount=None)
    _booking(
        resource,
        uk(2026, 6, 5, 9),
        uk(2026, 6, 5, 10),
        tier="partner",
        quote_amount=Decimal("100.00"),
        status=Booking.Status.REQUESTED,
    )
    _booking(resource, uk(2026, 5, 31, 23), uk(2026, 6, 1, 1), tier="internal", quote_amount=Decimal("7.00"))
    _booking(other, uk(2026, 6, 1, 9), uk(2026, 6, 1, 10), tier="internal", quote_amount=Decimal("9.00"))

    rows = reports.income_by_tier(resources=[resource], start=uk(2026, 6, 1), end=uk(2026, 6, 8))

    assert [(r.tier, r.label, r.bookings, r.amount) for r in rows] == [
        ("internal", "Internal", 2, Decimal("25.50")),
        ("partner", "Partner university", 1, Decimal("40.00")),
        ("external_academic", "External academic", 0, Decimal("0.00")),
        ("commercial", "Commercial", 1, Decimal("0.00")),
    ]


# --- usage matrix ---------------------------------------------------------------------------------------


def test_the_usage_matrix_has_booked_hours_by_booking_institution_and_owner(aston, leicester, nottingham):
    aston_kit, leicester_kit = ResourceFactory(organisation=aston), ResourceFactory(organisation=leicester)
    _booking(aston_kit, uk(2026, 6, 1, 9), uk(2026, 6, 1, 11), organisation=nottingham)  # 2 h
    _booking(aston_kit, uk(2026, 6, 1, 11), uk(2026, 6, 1, 12), organisation=leicester)  # 1 h
    _booking(aston_kit, uk(2026, 6, 2, 9), uk(2026, 6, 2, 9, 30), organisation=leicester)  # 0.5 h
    _booking(leicester_kit, uk(2026, 6, 1, 9), uk(2026, 6, 1, 9, 30), organisation=aston)  # 0.5 h
    _booking(leicester_kit, uk(2026, 6, 7, 23), uk(2026, 6, 8, 2), organisation=nottingham)  # 1 h before the end
    _booking(leicester_kit, uk(2026, 6, 3, 9), uk(2026, 6, 3, 17), organisation=None)  # no institution: left out
    _booking(leicester_kit, uk(2026, 6, 4, 9), uk(2026, 6, 4, 17), organisation=aston, status=Booking.Status.DECLINED)

    organisations, matrix = reports.usage_matrix(start=uk(2026, 6, 1), end=uk(2026, 6, 8))

    assert organisations == [aston, leicester, nottingham]
    assert {(row.slug, column.slug): value for row, columns in matrix.items() for column, value in columns.items()} == {
        ("aston", "aston"): Decimal("0.00"),
        ("aston", "leicester"): Decimal("0.50"),
        ("aston", "nottingham"): Decimal("0.00"),
        ("leicester", "aston"): Decimal("1.50"),
        ("leicester", "leicester"): Decimal("0.00"),
        ("leicester", "nottingham"): Decimal("0.00"),
        ("nottingham", "aston"): Decimal("2.00"),
        ("nottingham", "leicester"): Decimal("1.00"),
        ("nottingham", "nottingham"): Decimal("0.00"),
    }


def test_the_usage_matrix_is_empty_with_no_bookings():
    assert reports.usage_matrix(start=uk(2026, 6, 1), end=uk(2026, 6, 8)) == ([], {})


# --- who sees reports -----------------------------------------------------------------------------------


def _member(role, organisation):
    user = UserFactory()
    MembershipFactory(user=user, role=role, organisation=organisation)
    return user


def test_coordinators_report_on_every_resource_and_admins_on_their_own(aston, leicester):
    mine, theirs = ResourceFactory(organisation=aston, name="A"), ResourceFactory(organisation=leicester, name="B")
    assert list(reports.report_resources_for(user=_member("coordinator", None))) == [mine, theirs]
    admin = _member("institution_admin", aston)
    assert list(reports.report_resources_for(user=admin)) == [mine]
    assert list(reports.report_resources_for(user=admin, organisation=aston)) == [mine]
    with pytest.raises(PermissionDenied):
        reports.report_resources_for(user=admin, organisation=leicester)


def test_others_see_no_reports(aston):
    with pytest.raises(PermissionDenied):
        reports.report_resources_for(user=_member("researcher", aston))
