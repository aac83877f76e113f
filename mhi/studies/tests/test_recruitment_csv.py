"""The EDGE-like CSV upload and download: all or nothing, every bad row named, and a round trip.
"Today" is fixed at 15 June 2026."""

import datetime

import pytest

from mhi.core.errors import ImportFailed, PermissionDenied
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
    return StudyFactory(title="Heart failure at home", nct_id="NCT01234567", start_date=D(2026, 1, 1))


@pytest.fixture
def uhb_site(world, study):
    return StudySiteFactory(study=study, site=world.uhb, opened_on=D(2026, 1, 1))


@pytest.fixture
def coventry_site(study):
    trust = TrustFactory(name="Coventry and Warwickshire", ods_code="RKB")
    return StudySiteFactory(study=study, site=trust, opened_on=D(2026, 2, 1))


def _upload(user, study, text, **kwargs):
    return recruitment.recruitment_upload(user=user, study=study, data=text.encode(), filename="edge.csv", **kwargs)


def _problems(failed):
    return [(p.row, p.column, p.message) for p in failed.value.problems]


def test_it_records_every_row_in_the_accepted_layouts(world, study, uhb_site, coventry_site):
    text = (
        "Study,Site Code,Site Name,Month,Participants\n"
        "NCT01234567,RRK,University Hospitals Birmingham,2026-03,4\n"
        "Heart failure at home,rrk,,04/2026,6\n"
        ",,Coventry and Warwickshire,01/05/2026,0\n"
    )
    report = _upload(world.users["coordinator"], study, text)
    assert report.summary() == "3 months recorded, 0 replaced, 0 unchanged, from 3 rows of edge.csv."
    assert sorted(RecruitmentEntry.objects.values_list("study_site__site__name", "month", "recruited", "source")) == [
        ("Coventry and Warwickshire", D(2026, 5, 1), 0, "csv"),
        ("University Hospitals Birmingham", D(2026, 3, 1), 4, "csv"),
        ("University Hospitals Birmingham", D(2026, 4, 1), 6, "csv"),
    ]


def test_count_is_accepted_for_recruited_and_a_bom_is_ignored(world, study, uhb_site):
    report = recruitment.recruitment_upload(
        user=world.users["nhs_rd"],
        study=study,
        data="\ufeffsite code,month,COUNT\r\nRRK,2026-02,3\r\n".encode(),
        filename="x.csv",
    )
    assert [(e.month, e.recruited) for e in report.recorded] == [(D(2026, 2, 1), 3)]


def test_a_file_with_bad_rows_is_refused_whole_with_every_row_named(world, study, uhb_site, coventry_site):
    TrustFactory(name="Sandwell and West Birmingham", ods_code="RXK")
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 1, 1), recruited=5)
    text = (
        "Site Code,Month,Recruited,Study\n"
        "RRK,2026-02,3,\n"  # fine on its own
        "ZZZ,2026-02,3,\n"
        "RXK,2026-02,3,\n"
        "RRK,2026-03,-2,\n"
        "RRK,2026-07,3,\n"
        "RRK,2026-02,4,\n"
        "RRK,2026-01,6,\n"
        "RKB,2026-01,1,\n"
        "RKB,March 2026,1,\n"
        "RKB,2026-04,lots,\n"
        "RKB,2026-05,1,NCT09999999\n"
        "RKB,2026-06,3000000000,\n"
    )
    with pytest.raises(ImportFailed) as failed:
        _upload(world.users["coordinator"], study, text)
    assert _problems(failed) == [
        (3, "Site Code", "No site has the ODS code “ZZZ”."),
        (4, "Site Code", "Sandwell and West Birmingham (RXK) is not a site of this study."),
        (5, "Recruited", "Recruited must be 0 or more."),
        (6, "Month", "July 2026 is in the future: recruitment can be recorded up to June 2026."),
        (7, "Month", "University Hospitals Birmingham, February 2026 is also on row 2: a month is entered once."),
        (
            8,
            "Month",
            "January 2026 is already recorded for University Hospitals Birmingham (5 recruited). "
            "Choose “replace existing months” to replace it.",
        ),
        (9, "Month", "January 2026 is before Coventry and Warwickshire opened (1 February 2026)."),
        (10, "Month", "“March 2026” is not a month: use YYYY-MM (for example 2026-03), MM/YYYY or a date."),
        (11, "Recruited", "“lots” is not a whole number."),
        (12, "Study", "“NCT09999999” is not this study (NCT01234567)."),
        (13, "Recruited", "Recruited must be at most 100,000 in a month at one site."),
    ]
    assert str(failed.value.problems[0]) == "edge.csv, row 3, column “Site Code”: No site has the ODS code “ZZZ”."
    assert list(RecruitmentEntry.objects.values_list("month", "recruited")) == [(D(2026, 1, 1), 5)]


def test_a_site_user_may_not_upload_rows_for_another_site(world, study, uhb_site, coventry_site):
    text = "Site Code,Month,Recruited\nRRK,2026-03,2\nRKB,2026-03,2\n"
    with pytest.raises(ImportFailed) as failed:
        _upload(world.users["nhs_rd"], study, text)
    assert _problems(failed) == [(3, "Site Code", "You may not record recruitment for Coventry and Warwickshire.")]
    assert RecruitmentEntry.objects.count() == 0


def test_a_site_user_is_not_offered_replacing(world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 3, 1), recruited=5)
    with pytest.raises(ImportFailed) as failed:
        _upload(world.users["nhs_rd"], study, "Site Code,Month,Recruited\nRRK,2026-03,2\n")
    assert _problems(failed) == [
        (2, "Month", "March 2026 is already recorded for University Hospitals Birmingham (5 recruited).")
    ]
    with pytest.raises(PermissionDenied) as refused:
        _upload(world.users["nhs_rd"], study, "Site Code,Month,Recruited\nRRK,2026-03,2\n", replace=True)
    assert refused.value.message == "Only the study's coordinators and owner may replace months already recorded."
    assert list(RecruitmentEntry.objects.values_list("recruited", flat=True)) == [5]


def test_a_manager_may_replace_existing_months(world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 3, 1), recruited=5)
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 4, 1), recruited=7)
    text = "Site Code,Month,Recruited\nRRK,2026-03,6\nRRK,2026-04,7\nRRK,2026-05,1\n"
    report = _upload(study.owner, study, text, replace=True)
    assert [(e.month, e.recruited, old) for e, old in report.replaced] == [(D(2026, 3, 1), 6, 5)]
    assert [e.month for e in report.unchanged] == [D(2026, 4, 1)]
    assert [e.month for e in report.recorded] == [D(2026, 5, 1)]
    assert sorted(RecruitmentEntry.objects.values_list("month", "recruited")) == [
        (D(2026, 3, 1), 6),
        (D(2026, 4, 1), 7),
        (D(2026, 5, 1), 1),
    ]


def test_users_who_record_for_no_site_may_not_upload(world, study, uhb_site):
    with pytest.raises(PermissionDenied) as refused:
        _upload(world.users["researcher"], study, "Site Code,Month,Recruited\nRRK,2026-03,2\n")
    assert refused.value.message == "You may not record recruitment for any site of this study."


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Month,Recruited\n2026-03,1\n", (0, "Site Code or Site Name", "column missing from the header row")),
        ("Site Code,Recruited\nRRK,1\n", (0, "Month", "column missing from the header row")),
        (
            "Site Code,Month\nRRK,2026-03\n",
            (0, "Recruited (or Participants, Count)", "column missing from the header row"),
        ),
        ("Site Code,Month,Recruited\n", (0, "-", "has no rows under its header")),
        ("Site Code,Month,Recruited\nRRK,2026-03,1,extra\n", (2, "-", "this row has more cells than the header")),
    ],
)
def test_a_malformed_file_is_refused_with_the_reason(world, study, uhb_site, text, problem):
    with pytest.raises(ImportFailed) as failed:
        _upload(world.users["coordinator"], study, text)
    assert _problems(failed) == [problem]
    assert RecruitmentEntry.objects.count() == 0


def test_the_download_is_the_upload_layout_and_round_trips(world, study, uhb_site, coventry_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 2, 1), recruited=3)
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 1, 1), recruited=5)
    RecruitmentEntryFactory(study_site=coventry_site, month=D(2026, 3, 1), recruited=0)
    text = recruitment.recruitment_csv(study)
    assert text == (
        "Study,Site Code,Site Name,Month,Recruited\r\n"
        "NCT01234567,RKB,Coventry and Warwickshire,2026-03,0\r\n"
        "NCT01234567,RRK,University Hospitals Birmingham,2026-01,5\r\n"
        "NCT01234567,RRK,University Hospitals Birmingham,2026-02,3\r\n"
    )
    before = sorted(RecruitmentEntry.objects.values_list("study_site_id", "month", "recruited"))
    RecruitmentEntry.objects.all().delete()
    report = _upload(world.users["coordinator"], study, text)
    assert len(report.recorded) == 3
    assert sorted(RecruitmentEntry.objects.values_list("study_site_id", "month", "recruited")) == before
    assert recruitment.recruitment_csv(study) == text
