"""Reports: the pipeline by stage and institution, and success rates by funder, scheme and institution over the
years; both only over the bids the reader may see."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from mhi.bids import reports
from mhi.bids.models import Bid, BidMember, StageChange
from mhi.bids.selectors import BidFilters
from mhi.core.errors import DomainError
from mhi.opportunities.tests.factories import OpportunityFactory

LONDON = ZoneInfo("Europe/London")


def _at(year, month, day):
    return datetime.datetime(year, month, day, 12, 0, tzinfo=LONDON)


def _bid(world, opportunity, lead, stage, value=None, awarded=None, decided=None, title="Bid"):
    bid = Bid.objects.create(
        opportunity=opportunity,
        title=title,
        lead_organisation=lead,
        stage=stage,
        value_requested=value,
        value_awarded=awarded,
        created_by=world.users["coordinator"],
    )
    if decided is not None:
        StageChange.objects.create(bid=bid, from_stage="submitted", to_stage=stage, at=decided)
    return bid


@pytest.fixture
def pipeline(world):
    """Aston leads three bids (two ideas, one submitted), Leicester two (one idea, one awarded). The researcher
    is on one of Leicester's."""
    nihr = OpportunityFactory(funder_name="NIHR", scheme="RfPB")
    _bid(world, nihr, world.aston, "idea", Decimal("100000.00"))
    _bid(world, nihr, world.aston, "idea")
    _bid(world, nihr, world.aston, "submitted", Decimal("50000.50"))
    mine = _bid(world, nihr, world.leicester, "idea", Decimal("20000"))
    _bid(world, nihr, world.leicester, "awarded", Decimal("300000"), Decimal("250000"), decided=_at(2025, 6, 1))
    BidMember.objects.create(bid=mine, person=world.researcher_person, role="co_investigator")
    return world


def test_the_pipeline_counts_and_sums_by_stage_and_institution(pipeline):
    summary = reports.pipeline_summary(user=pipeline.users["coordinator"], filters=BidFilters())
    assert [(r.stage, r.institution.slug, r.count, r.value) for r in summary.rows] == [
        ("idea", "aston", 2, Decimal("100000.00")),
        ("idea", "leicester", 1, Decimal("20000.00")),
        ("submitted", "aston", 1, Decimal("50000.50")),
        ("awarded", "leicester", 1, Decimal("300000.00")),
    ]
    assert [(t.stage, t.count, t.value) for t in summary.by_stage] == [
        ("idea", 3, Decimal("120000.00")),
        ("eoi", 0, Decimal("0.00")),
        ("internal_selection", 0, Decimal("0.00")),
        ("outline", 0, Decimal("0.00")),
        ("full_application", 0, Decimal("0.00")),
        ("submitted", 1, Decimal("50000.50")),
        ("awarded", 1, Decimal("300000.00")),
        ("unsuccessful", 0, Decimal("0.00")),
        ("withdrawn", 0, Decimal("0.00")),
    ]
    assert [(t.institution.slug, t.count, t.value) for t in summary.by_institution] == [
        ("aston", 3, Decimal("150000.50")),
        ("leicester", 2, Decimal("320000.00")),
    ]
    assert (summary.count, summary.value) == (5, Decimal("470000.50"))
    assert summary.cell("idea", pipeline.aston.pk).count == 2
    assert summary.cell("eoi", pipeline.aston.pk) is None


def test_the_pipeline_counts_only_the_bids_the_reader_may_see(pipeline):
    aston = reports.pipeline_summary(user=pipeline.users["aston_admin"], filters=BidFilters())
    assert [(r.stage, r.institution.slug, r.count) for r in aston.rows] == [
        ("idea", "aston", 2),
        ("submitted", "aston", 1),
    ]
    researcher = reports.pipeline_summary(user=pipeline.users["researcher"], filters=BidFilters())
    assert [(r.stage, r.institution.slug, r.count, r.value) for r in researcher.rows] == [
        ("idea", "leicester", 1, Decimal("20000.00"))
    ]
    outsider = reports.pipeline_summary(user=pipeline.users["external"], filters=BidFilters())
    assert (outsider.rows, outsider.by_institution, outsider.count, outsider.value) == ([], [], 0, Decimal("0.00"))


def test_the_pipeline_takes_the_lists_filters(pipeline):
    summary = reports.pipeline_summary(
        user=pipeline.users["coordinator"], filters=BidFilters(institution=pipeline.leicester.pk)
    )
    assert [(r.stage, r.institution.slug, r.count) for r in summary.rows] == [
        ("idea", "leicester", 1),
        ("awarded", "leicester", 1),
    ]


@pytest.fixture
def outcomes(world):
    """Decided bids over two years at two funders; withdrawn and open bids that do not count."""
    rfpb = OpportunityFactory(funder_name="NIHR", scheme="RfPB")
    hta = OpportunityFactory(funder_name="NIHR", scheme="HTA")
    mrc = OpportunityFactory(funder_name="MRC", scheme="")
    aston, leicester = world.aston, world.leicester
    _bid(world, rfpb, aston, "awarded", awarded=Decimal("100000"), decided=_at(2025, 3, 1))
    _bid(world, rfpb, aston, "awarded", awarded=Decimal("50000.25"), decided=_at(2025, 9, 1))
    _bid(world, hta, leicester, "unsuccessful", decided=_at(2025, 11, 30))
    _bid(world, hta, leicester, "awarded", decided=_at(2026, 1, 5))  # no value recorded
    _bid(world, mrc, aston, "unsuccessful", decided=_at(2026, 2, 1))
    _bid(world, mrc, aston, "unsuccessful", decided=_at(2026, 2, 2))
    _bid(world, mrc, aston, "awarded", awarded=Decimal("75000"), decided=_at(2026, 2, 3))
    _bid(world, mrc, aston, "withdrawn", decided=_at(2026, 2, 4))
    _bid(world, mrc, aston, "submitted")
    return world


def _rows(rows):
    return [(r.key, r.year, r.decided, r.awarded, r.rate, r.value_awarded) for r in rows]


def test_success_rates_by_funder_by_year_of_the_outcome(outcomes):
    rows = reports.success_rates(user=outcomes.users["coordinator"], by="funder", filters=BidFilters())
    assert _rows(rows) == [
        ("MRC", 2026, 3, 1, Decimal("0.3333"), Decimal("75000.00")),
        ("NIHR", 2025, 3, 2, Decimal("0.6667"), Decimal("150000.25")),
        ("NIHR", 2026, 1, 1, Decimal("1.0000"), Decimal("0.00")),
    ]
    assert [(r.unsuccessful, r.percent) for r in rows] == [
        (2, Decimal("33.3")),
        (1, Decimal("66.7")),
        (0, Decimal("100.0")),
    ]


def test_success_rates_by_scheme(outcomes):
    rows = reports.success_rates(user=outcomes.users["coordinator"], by="scheme", filters=BidFilters())
    assert [(r.key, r.year, r.decided, r.awarded) for r in rows] == [
        ("HTA", 2025, 1, 0),
        ("HTA", 2026, 1, 1),
        ("No scheme given", 2026, 3, 1),
        ("RfPB", 2025, 2, 2),
    ]
    assert rows[0].rate == Decimal("0.0000")


def test_success_rates_by_institution_only_over_the_bids_the_reader_may_see(outcomes):
    everyone = reports.success_rates(user=outcomes.users["coordinator"], by="institution", filters=BidFilters())
    assert [(r.key, r.year, r.decided, r.awarded) for r in everyone] == [
        ("Aston University", 2025, 2, 2),
        ("Aston University", 2026, 3, 1),
        ("University of Leicester", 2025, 1, 0),
        ("University of Leicester", 2026, 1, 1),
    ]
    aston = reports.success_rates(user=outcomes.users["aston_admin"], by="institution", filters=BidFilters())
    assert [r.key for r in aston] == ["Aston University", "Aston University"]
    assert reports.success_rates(user=outcomes.users["external"], by="funder", filters=BidFilters()) == []


def test_success_rates_refuse_an_unknown_grouping(outcomes):
    with pytest.raises(DomainError) as refused:
        reports.success_rates(user=outcomes.users["coordinator"], by="colour", filters=BidFilters())
    assert (refused.value.field, refused.value.message) == (
        "by",
        "“colour” is not a grouping; choose one of funder, scheme, institution.",
    )
