"""Recruitment tracking services: recording, correcting, refusals with nothing written, the summary (RAG,
months open, expected to date, forecast). "Today" is fixed at 15 June 2026."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.studies import recruitment
from mhi.studies.models import RecruitmentEntry
from mhi.studies.tests.factories import RecruitmentEntryFactory, StudyFactory, StudySiteFactory, TrustFactory

TODAY = datetime.date(2026, 6, 15)
D = datetime.date


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def study(world):
    return StudyFactory(
        title="Heart failure at home", target_recruitment=300, start_date=D(2026, 1, 1), end_date=D(2027, 12, 31)
    )


@pytest.fixture
def uhb_site(world, study):
    return StudySiteFactory(study=study, site=world.uhb, target=100, monthly_target=5, opened_on=D(2026, 1, 1))


@pytest.fixture
def coventry_site(study):
    trust = TrustFactory(name="Coventry and Warwickshire", ods_code="RKB")
    return StudySiteFactory(study=study, site=trust, target=50, monthly_target=None, opened_on=D(2026, 2, 1))


def _audits():
    return AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(RecruitmentEntry))


# --- recording ------------------------------------------------------------------------------------------------


def test_it_records_a_month_as_its_first_day_and_audits_it(world, uhb_site):
    entry = recruitment.recruitment_record(
        user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 3, 17), recruited=4, source="form"
    )
    assert (entry.month, entry.recruited, entry.source, entry.entered_by) == (
        D(2026, 3, 1),
        4,
        "form",
        world.users["nhs_rd"],
    )
    event = _audits().get()
    assert (event.action, event.changes["recruited"], event.changes["month"]) == (
        "create",
        [None, 4],
        [None, "2026-03-01"],
    )


def test_it_refuses_a_negative_count_and_writes_nothing(world, uhb_site):
    with pytest.raises(DomainError) as refused:
        recruitment.recruitment_record(
            user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 3, 1), recruited=-1
        )
    assert (refused.value.message, refused.value.field) == ("Recruited must be 0 or more.", "recruited")
    assert (RecruitmentEntry.objects.count(), _audits().count()) == (0, 0)


def test_it_refuses_a_count_no_site_could_recruit_in_a_month(world, uhb_site):
    with pytest.raises(DomainError) as refused:
        recruitment.recruitment_record(
            user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 3, 1), recruited=100_001
        )
    assert (refused.value.message, refused.value.field) == (
        "Recruited must be at most 100,000 in a month at one site.",
        "recruited",
    )
    assert (RecruitmentEntry.objects.count(), _audits().count()) == (0, 0)


def test_it_refuses_a_future_month_and_writes_nothing(world, uhb_site):
    with pytest.raises(DomainError) as refused:
        recruitment.recruitment_record(
            user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 7, 1), recruited=3
        )
    assert refused.value.message == "July 2026 is in the future: recruitment can be recorded up to June 2026."
    assert refused.value.field == "month"
    assert RecruitmentEntry.objects.count() == 0


def test_it_accepts_the_current_month(world, uhb_site):
    entry = recruitment.recruitment_record(
        user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 6, 30), recruited=0
    )
    assert (entry.month, entry.recruited) == (D(2026, 6, 1), 0)


def test_it_refuses_a_month_before_the_site_opened(world, uhb_site):
    uhb_site.opened_on = D(2026, 2, 10)
    uhb_site.save()
    with pytest.raises(DomainError) as refused:
        recruitment.recruitment_record(
            user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 1, 1), recruited=1
        )
    assert refused.value.message == "January 2026 is before University Hospitals Birmingham opened (10 February 2026)."
    assert RecruitmentEntry.objects.count() == 0
    # The opening month itself counts.
    recruitment.recruitment_record(user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 2, 1), recruited=1)
    assert RecruitmentEntry.objects.count() == 1


def test_it_refuses_a_month_after_the_site_closed(world, uhb_site):
    uhb_site.closed_on = D(2026, 4, 30)
    uhb_site.save()
    with pytest.raises(DomainError) as refused:
        recruitment.recruitment_record(
            user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 5, 1), recruited=1
        )
    assert refused.value.message == "May 2026 is after University Hospitals Birmingham closed (30 April 2026)."
    assert RecruitmentEntry.objects.count() == 0


def test_it_refuses_a_month_entered_twice_and_keeps_the_first(world, uhb_site):
    recruitment.recruitment_record(user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 3, 1), recruited=4)
    with pytest.raises(Conflict) as refused:
        recruitment.recruitment_record(
            user=world.users["coordinator"], study_site=uhb_site, month=D(2026, 3, 20), recruited=7
        )
    assert refused.value.message == (
        "March 2026 is already recorded for University Hospitals Birmingham (4 recruited); "
        "correct it instead of entering it again."
    )
    assert list(RecruitmentEntry.objects.values_list("month", "recruited")) == [(D(2026, 3, 1), 4)]
    assert _audits().count() == 1


def test_a_correction_changes_the_count_and_audits_old_and_new(world, uhb_site):
    entry = recruitment.recruitment_record(
        user=world.users["nhs_rd"], study_site=uhb_site, month=D(2026, 3, 1), recruited=4
    )
    recruitment.recruitment_correct(user=world.users["coordinator"], entry=entry, recruited=6, source="api")
    entry.refresh_from_db()
    assert (entry.recruited, entry.source, entry.entered_by) == (6, "api", world.users["coordinator"])
    correction = _audits().filter(action="update").get()
    assert correction.changes["recruited"] == [4, 6]
    assert correction.actor == world.users["coordinator"]


def test_a_correction_refuses_a_negative_count(world, uhb_site):
    entry = RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 3, 1), recruited=4)
    with pytest.raises(DomainError) as refused:
        recruitment.recruitment_correct(user=world.users["nhs_rd"], entry=entry, recruited=-2)
    assert refused.value.message == "Recruited must be 0 or more."
    entry.refresh_from_db()
    assert entry.recruited == 4


def test_a_site_user_records_for_their_own_site_only(world, uhb_site, coventry_site):
    nhs_rd = world.users["nhs_rd"]
    recruitment.recruitment_record(user=nhs_rd, study_site=uhb_site, month=D(2026, 3, 1), recruited=2)
    with pytest.raises(PermissionDenied) as refused:
        recruitment.recruitment_record(user=nhs_rd, study_site=coventry_site, month=D(2026, 3, 1), recruited=2)
    assert refused.value.message == "You may not record recruitment for Coventry and Warwickshire."
    assert [s.pk for s in recruitment.sites_recordable_by(user=nhs_rd, study=uhb_site.study)] == [uhb_site.pk]
    assert RecruitmentEntry.objects.count() == 1


def test_coordinators_and_the_owner_record_for_every_site_and_others_for_none(world, study, uhb_site, coventry_site):
    recruitment.recruitment_record(
        user=world.users["coordinator"], study_site=coventry_site, month=D(2026, 3, 1), recruited=1
    )
    recruitment.recruitment_record(user=study.owner, study_site=uhb_site, month=D(2026, 3, 1), recruited=1)
    for persona in ("researcher", "aston_admin", "external", "leicester_lead"):
        with pytest.raises(PermissionDenied):
            recruitment.recruitment_record(
                user=world.users[persona], study_site=uhb_site, month=D(2026, 4, 1), recruited=1
            )
        assert recruitment.sites_recordable_by(user=world.users[persona], study=study) == []
    assert RecruitmentEntry.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-03", D(2026, 3, 1)),
        ("3/2026", D(2026, 3, 1)),
        ("03/2026", D(2026, 3, 1)),
        ("2026-03-17", D(2026, 3, 1)),
        ("17/03/2026", D(2026, 3, 1)),
    ],
)
def test_months_are_read_in_every_accepted_form(text, month):
    assert recruitment.month_parse(text) == month


@pytest.mark.parametrize("text", ["2026-13", "March 2026", "", "2026/03", "31/02/2026"])
def test_a_month_that_is_not_one_is_refused(text):
    with pytest.raises(DomainError) as refused:
        recruitment.month_parse(text)
    assert refused.value.message == f"“{text}” is not a month: use YYYY-MM (for example 2026-03), MM/YYYY or a date."


# --- RAG ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "status", "percent"),
    [
        (900, "green", Decimal("90.0")),
        (899, "amber", Decimal("89.9")),
        (700, "amber", Decimal("70.0")),
        (699, "red", Decimal("69.9")),
        (1200, "green", Decimal("120.0")),
        (0, "red", Decimal("0.0")),
    ],
)
def test_rag_thresholds(total, status, percent):
    rag = recruitment.rag_for(total, Decimal(1000))
    assert (rag.status, rag.percent) == (status, percent)


def test_nothing_expected_is_not_rated():
    assert recruitment.rag_for(3, Decimal(0)).status is None
    assert recruitment.rag_for(3, Decimal(0)).reason == "Nothing was expected yet."
    assert recruitment.rag_for(3, None).label == "Not rated"


@pytest.mark.parametrize(("recruited", "status"), [(899, "amber"), (900, "green"), (699, "red")])
def test_a_sites_rag_at_the_boundaries(world, study, recruited, status):
    # Open since August 2025 with 100 a month: 10 whole months to the end of May 2026, so 1000 expected.
    site = StudySiteFactory(study=study, site=world.uhb, target=2000, monthly_target=100, opened_on=D(2025, 8, 1))
    RecruitmentEntryFactory(study_site=site, month=D(2025, 8, 1), recruited=recruited)
    summary = recruitment.study_recruitment_summary(study)
    row = summary.sites[0]
    assert (row.months_open, row.expected_to_date, row.total) == (10, Decimal(1000), recruited)
    assert row.rag.status == status
    assert row.expected_basis == "100 a month × 10 months open"


# --- the summary ------------------------------------------------------------------------------------------


def _uhb_months(site):
    for month, recruited in zip(range(1, 6), (4, 6, 8, 10, 12), strict=True):
        RecruitmentEntryFactory(study_site=site, month=D(2026, month, 1), recruited=recruited)


def test_a_sites_figures_and_forecast(study, uhb_site):
    _uhb_months(uhb_site)  # January to May 2026: 40 in all
    row = recruitment.study_recruitment_summary(study).sites[0]
    assert (row.total, row.target, row.monthly_target, row.months_open) == (40, 100, 5, 5)
    assert (row.recent_rate, row.recent_months, row.expected_to_date) == (Decimal("10.00"), 3, Decimal(25))
    assert (row.rag.status, row.rag.percent) == ("green", Decimal("160.0"))
    # 60 to go at 10 a month from May 2026: six months, so November 2026; planned end December 2027.
    assert (row.forecast.month, row.forecast.reached, row.forecast.months_late) == (D(2026, 11, 1), False, -13)
    assert row.forecast.reason == (
        "60 more at 10.00 a month (the mean of the last 3 recorded months) from May 2026: 6 more months."
    )
    assert row.forecast.against_plan == "13 months before the planned end."


def test_the_forecast_rounds_up_to_a_whole_month(study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 4, 1), recruited=3)
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 5, 1), recruited=4)
    row = recruitment.study_recruitment_summary(study).sites[0]
    # 93 to go at 3.5 a month: 26.6, so 27 months after May 2026.
    assert (row.recent_rate, row.recent_months, row.forecast.month) == (Decimal("3.50"), 2, D(2028, 8, 1))
    assert row.forecast.against_plan == "8 months after the planned end."


def test_the_forecast_counts_on_from_the_last_complete_month_when_months_are_missing(study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 1, 1), recruited=10)
    row = recruitment.study_recruitment_summary(study).sites[0]
    assert (row.recent_rate, row.forecast.month) == (Decimal("10.00"), D(2027, 2, 1))  # May 2026 + 9


def test_a_reached_target_is_dated_when_it_was_reached(study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 2, 1), recruited=60)
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 3, 1), recruited=45)
    forecast = recruitment.study_recruitment_summary(study).sites[0].forecast
    assert (forecast.month, forecast.reached, forecast.reason) == (
        D(2026, 3, 1),
        True,
        "Target of 100 reached in March 2026.",
    )


def test_not_forecastable_says_why(study, uhb_site, coventry_site):
    RecruitmentEntryFactory(study_site=coventry_site, month=D(2026, 4, 1), recruited=0)
    RecruitmentEntryFactory(study_site=coventry_site, month=D(2026, 5, 1), recruited=0)
    rows = {s.site.name: s for s in recruitment.study_recruitment_summary(study).sites}
    assert rows["University Hospitals Birmingham"].forecast.month is None
    assert (
        rows["University Hospitals Birmingham"].forecast.reason == "Not forecastable: no recruitment is recorded yet."
    )
    assert rows["Coventry and Warwickshire"].forecast.reason == (
        "Not forecastable: nobody was recruited in the last 2 recorded months."
    )
    uhb_site.target = None
    uhb_site.save()
    row = recruitment.study_recruitment_summary(study).sites[1]
    assert row.forecast.reason == "Not forecastable: no recruitment target is set."


def test_a_site_without_a_monthly_target_is_expected_pro_rata_over_the_planned_period(study, coventry_site):
    # Target 50 over January 2026 – December 2027 (24 months), 5 of them over by June 2026.
    RecruitmentEntryFactory(study_site=coventry_site, month=D(2026, 3, 1), recruited=8)
    row = recruitment.study_recruitment_summary(study).sites[0]
    assert (row.expected_to_date, row.months_open) == (Decimal("10.42"), 4)
    assert row.expected_basis == "target 50 pro rata: 5 of 24 planned months over"
    assert (row.rag.status, row.rag.percent) == ("amber", Decimal("76.8"))


def test_the_whole_study(study, uhb_site, coventry_site):
    _uhb_months(uhb_site)
    RecruitmentEntryFactory(study_site=coventry_site, month=D(2026, 5, 1), recruited=2)
    summary = recruitment.study_recruitment_summary(study)
    assert (summary.total, summary.target, summary.target_basis) == (42, 300, "the study's target")
    # 300 × 5 / 24 = 62.50 expected; 42 / 62.5 = 67.2%: red.
    assert (summary.expected_to_date, summary.rag.status, summary.rag.percent) == (
        Decimal("62.50"),
        "red",
        Decimal("67.2"),
    )
    # Rate 10 + 2 = 12 a month; 258 to go: 21.5, so 22 months after May 2026.
    assert (summary.recent_rate, summary.forecast.month, summary.forecast.months_late) == (
        Decimal("12.00"),
        D(2028, 3, 1),
        3,
    )
    assert (summary.green_percent, summary.amber_percent) == (90, 70)


def test_closed_sites_add_no_rate_to_the_studys_forecast(study, uhb_site, coventry_site):
    _uhb_months(uhb_site)
    RecruitmentEntryFactory(study_site=coventry_site, month=D(2026, 5, 1), recruited=20)
    coventry_site.status = "closed"
    coventry_site.save()
    assert recruitment.study_recruitment_summary(study).recent_rate == Decimal("10.00")


def test_the_curve_runs_over_the_planned_period_with_the_planned_line(study, uhb_site):
    _uhb_months(uhb_site)
    curve = recruitment.study_recruitment_summary(study).curve
    assert (len(curve), curve[0].month, curve[-1].month) == (24, D(2026, 1, 1), D(2027, 12, 1))
    assert [(p.recruited, p.cumulative, p.planned) for p in curve[:6]] == [
        (4, 4, Decimal("12.5")),
        (6, 10, Decimal("25.0")),
        (8, 18, Decimal("37.5")),
        (10, 28, Decimal("50.0")),
        (12, 40, Decimal("62.5")),
        (0, 40, Decimal("75.0")),
    ]
    assert curve[-1].planned == Decimal("300.0")
    chart = recruitment.recruitment_chart(recruitment.study_recruitment_summary(study))
    assert chart.y_max == 400
    assert len(chart.recruited_points.split()) == 6  # January to June 2026, not beyond today
    assert len(chart.planned_points.split()) == 24


def test_a_study_without_sites_or_dates_has_an_empty_summary(world):
    study = StudyFactory(start_date=None, end_date=None, target_recruitment=None)
    summary = recruitment.study_recruitment_summary(study)
    assert (summary.total, summary.target, summary.sites, summary.curve) == (0, None, [], [])
    assert summary.forecast.reason == "Not forecastable: no recruitment target is set."
    assert recruitment.recruitment_chart(summary) is None
