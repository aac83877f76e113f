"""Recruitment pages and API: the form (limited to the user's sites), refusals shown with the exact message and
nothing written, the upload result page, the CSV download, and the API's 201/409/422. "Today": 15 June 2026."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
        title="Heart failure at home",
        nct_id="NCT01234567",
        target_recruitment=300,
        start_date=D(2026, 1, 1),
        end_date=D(2027, 12, 31),
    )


@pytest.fixture
def uhb_site(world, study):
    return StudySiteFactory(study=study, site=world.uhb, target=100, monthly_target=5, opened_on=D(2026, 1, 1))


@pytest.fixture
def coventry_site(study):
    trust = TrustFactory(name="Coventry and Warwickshire", ods_code="RKB")
    return StudySiteFactory(study=study, site=trust, target=50, opened_on=D(2026, 1, 1))


def _as(client, world, persona):
    client.force_login(world.users[persona])
    return client


def _url(study, name="studies:recruitment"):
    return reverse(name, args=[study.pk])


def _crumbs(response) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', response.content.decode(), re.S).group(0)
    return re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]*)">([^<]*)</a>', nav)


# --- the page ---------------------------------------------------------------------------------------------


def test_the_pages_lead_back_to_the_studies_and_the_study(client, world, study, uhb_site):
    client = _as(client, world, "coordinator")
    crumbs = [("/studies/", "Studies"), (f"/studies/{study.pk}/", "Heart failure at home")]
    assert _crumbs(client.get(f"/studies/{study.pk}/recruitment/")) == crumbs
    upload = client.get(f"/studies/{study.pk}/recruitment/upload/")
    assert _crumbs(upload) == [*crumbs, (f"/studies/{study.pk}/recruitment/", "Recruitment")]


def test_the_page_shows_sites_rag_forecast_chart_and_thresholds(client, world, study, uhb_site, coventry_site):
    for month, recruited in zip(range(1, 6), (4, 6, 8, 10, 12), strict=True):
        RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, month, 1), recruited=recruited)
    page = _as(client, world, "researcher").get(_url(study)).content.decode()
    assert (
        "green</strong> at 90% or more, <strong>amber</strong> from 70% to under 90%, <strong>red</strong> under 70%"
        in page
    )
    assert (
        '<strong class="govuk-tag govuk-tag--green">Green</strong><br><span class="govuk-body-s">160.0% of expected'
        in page
    )
    assert 'November 2026<br><span class="govuk-body-s">13 months before the planned end.' in page
    assert "Not forecastable: no recruitment is recorded yet." in page  # Coventry
    assert '<title id="chart-title">Cumulative recruitment for Heart failure at home</title>' in page
    assert "Recruitment by month" in page
    assert "Record a month" not in page  # the researcher records for no site


def test_the_form_offers_only_the_site_users_own_site(client, world, study, uhb_site, coventry_site):
    response = _as(client, world, "nhs_rd").get(_url(study))
    choices = [label for _, label in response.context["form"].fields["study_site"].choices]
    assert choices == ["University Hospitals Birmingham (RRK)"]
    coordinator = _as(client, world, "coordinator").get(_url(study))
    assert [label for _, label in coordinator.context["form"].fields["study_site"].choices] == [
        "Coventry and Warwickshire (RKB)",
        "University Hospitals Birmingham (RRK)",
    ]


def test_a_site_user_records_a_month_for_their_site(client, world, study, uhb_site):
    response = _as(client, world, "nhs_rd").post(
        _url(study), {"study_site": uhb_site.pk, "month": "2026-05", "recruited": "7"}, follow=True
    )
    assert "7 recruited in May 2026 at University Hospitals Birmingham recorded." in response.content.decode()
    assert list(RecruitmentEntry.objects.values_list("month", "recruited", "source")) == [(D(2026, 5, 1), 7, "form")]


def test_a_site_user_may_not_post_for_another_site(client, world, study, uhb_site, coventry_site):
    response = _as(client, world, "nhs_rd").post(
        _url(study), {"study_site": coventry_site.pk, "month": "2026-05", "recruited": "7"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["study_site"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert RecruitmentEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("month", "recruited", "field", "message"),
    [
        ("2026-05", "-1", "recruited", "Recruited must be 0 or more."),
        ("2026-07", "3", "month", "July 2026 is in the future: recruitment can be recorded up to June 2026."),
        ("May", "3", "month", "“May” is not a month: use YYYY-MM (for example 2026-03), MM/YYYY or a date."),
    ],
)
def test_the_form_refuses_bad_input_with_the_reason(client, world, study, uhb_site, month, recruited, field, message):
    response = _as(client, world, "nhs_rd").post(
        _url(study), {"study_site": uhb_site.pk, "month": month, "recruited": recruited}
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert RecruitmentEntry.objects.count() == 0


def test_the_form_refuses_a_month_twice_unless_it_is_a_correction(client, world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 5, 1), recruited=4)
    client = _as(client, world, "nhs_rd")
    response = client.post(_url(study), {"study_site": uhb_site.pk, "month": "2026-05", "recruited": "9"})
    assert response.context["form"].errors["month"] == [
        "May 2026 is already recorded for University Hospitals Birmingham (4 recruited); "
        "correct it instead of entering it again."
    ]
    assert list(RecruitmentEntry.objects.values_list("recruited", flat=True)) == [4]
    response = client.post(
        _url(study), {"study_site": uhb_site.pk, "month": "2026-05", "recruited": "9", "correct": "on"}, follow=True
    )
    assert "May 2026 at University Hospitals Birmingham corrected from 4 to 9." in response.content.decode()
    assert list(RecruitmentEntry.objects.values_list("recruited", flat=True)) == [9]


def test_those_who_record_for_no_site_may_not_post(client, world, study, uhb_site):
    response = _as(client, world, "researcher").post(
        _url(study), {"study_site": uhb_site.pk, "month": "2026-05", "recruited": "1"}
    )
    assert response.status_code == 403
    assert RecruitmentEntry.objects.count() == 0


# --- upload and download -------------------------------------------------------------------------------------


def _file(text):
    return SimpleUploadedFile("edge.csv", text.encode(), content_type="text/csv")


def test_the_upload_page_shows_what_was_recorded(client, world, study, uhb_site):
    response = _as(client, world, "nhs_rd").post(
        _url(study, "studies:recruitment_upload"), {"file": _file("Site Code,Month,Recruited\nRRK,2026-04,3\n")}
    )
    page = response.content.decode()
    assert "1 month recorded, 0 replaced, 0 unchanged, from 1 row of edge.csv." in page
    assert "replace existing months" not in page.lower().split("<form")[1]  # a site user is not offered it
    assert list(RecruitmentEntry.objects.values_list("month", "recruited")) == [(D(2026, 4, 1), 3)]


def test_the_upload_page_names_every_bad_row_and_records_nothing(client, world, study, uhb_site):
    text = "Site Code,Month,Recruited\nRRK,2026-04,3\nRRK,2026-04,5\n"
    response = _as(client, world, "coordinator").post(_url(study, "studies:recruitment_upload"), {"file": _file(text)})
    page = response.content.decode()
    assert "The file was not recorded" in page
    assert (
        "Row 3, column “Month”: University Hospitals Birmingham, April 2026 is also on row 2: a month is entered once."
        in page
    )
    assert RecruitmentEntry.objects.count() == 0


def test_a_manager_replaces_months_from_the_page(client, world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 4, 1), recruited=2)
    response = _as(client, world, "coordinator").post(
        _url(study, "studies:recruitment_upload"),
        {"file": _file("Site Code,Month,Recruited\nRRK,2026-04,3\n"), "replace": "on"},
    )
    assert "Replaced (was 2)" in response.content.decode()
    assert list(RecruitmentEntry.objects.values_list("recruited", flat=True)) == [3]


def test_the_csv_download(client, world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 4, 1), recruited=2)
    response = _as(client, world, "researcher").get(_url(study, "studies:recruitment_csv"))
    assert response["Content-Disposition"] == f'attachment; filename="study-{study.pk}-recruitment.csv"'
    assert response.content.decode("utf-8-sig") == (
        "Study,Site Code,Site Name,Month,Recruited\r\nNCT01234567,RRK,University Hospitals Birmingham,2026-04,2\r\n"
    )


# --- the API ------------------------------------------------------------------------------------------------


def _api(client, world, persona, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {world.tokens[persona]}"}
    return getattr(client, method)(path, headers=headers, **kwargs)


def _post(client, world, study, body, persona="nhs_rd"):
    return _api(
        client,
        world,
        persona,
        "post",
        f"/api/v1/studies/{study.pk}/recruitment",
        data=body,
        content_type="application/json",
    )


def test_the_api_records_a_month_by_ods_code_or_site_id(client, world, study, uhb_site):
    response = _post(client, world, study, {"site": "rrk", "month": "2026-05", "recruited": 6})
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("site_code", "site_name", "month", "recruited", "source")} == {
        "site_code": "RRK",
        "site_name": "University Hospitals Birmingham",
        "month": "2026-05",
        "recruited": 6,
        "source": "api",
    }
    response = _post(client, world, study, {"site_id": world.uhb.pk, "month": "2026-04", "recruited": 2})
    assert response.status_code == 201
    assert RecruitmentEntry.objects.count() == 2


def test_the_api_answers_409_for_a_month_already_recorded(client, world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 5, 1), recruited=4)
    response = _post(client, world, study, {"site": "RRK", "month": "2026-05", "recruited": 6})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "May 2026 is already recorded for University Hospitals Birmingham (4 recruited); "
        "correct it instead of entering it again."
    )
    assert list(RecruitmentEntry.objects.values_list("recruited", flat=True)) == [4]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"site": "RRK", "month": "2026-05", "recruited": -3}, "recruited", "Recruited must be 0 or more."),
        (
            {"site": "RRK", "month": "2026-05", "recruited": 10**12},
            "recruited",
            "Recruited must be at most 100,000 in a month at one site.",
        ),
        (
            {"site": "RRK", "month": "2026-07", "recruited": 3},
            "month",
            "July 2026 is in the future: recruitment can be recorded up to June 2026.",
        ),
        (
            {"site": "RRK", "month": "05/2026", "recruited": 3},
            "month",
            "“05/2026” is not a month: use YYYY-MM, for example 2026-03.",
        ),
        (
            {"site": "RKB", "month": "2026-05", "recruited": 3},
            "site",
            "This study has no the site with ODS code “RKB”.",
        ),
        ({"month": "2026-05", "recruited": 3}, "site", "Name the site: its ODS code (site) or its id (site_id)."),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(client, world, study, uhb_site, body, field, message):
    response = _post(client, world, study, body)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {field: [message]}
    assert RecruitmentEntry.objects.count() == 0


def test_the_api_refuses_a_site_user_for_another_site(client, world, study, uhb_site, coventry_site):
    response = _post(client, world, study, {"site": "RKB", "month": "2026-05", "recruited": 3})
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You may not record recruitment for Coventry and Warwickshire."


def test_the_api_corrects_a_month(client, world, study, uhb_site):
    entry = RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 5, 1), recruited=4)
    path = f"/api/v1/studies/{study.pk}/recruitment/{entry.pk}"
    response = _api(client, world, "nhs_rd", "put", path, data={"recruited": 5}, content_type="application/json")
    assert (response.status_code, response.json()["recruited"]) == (200, 5)
    response = _api(client, world, "nhs_rd", "put", path, data={"recruited": -1}, content_type="application/json")
    assert (response.status_code, response.json()["error"]["fields"]) == (
        422,
        {"recruited": ["Recruited must be 0 or more."]},
    )
    entry.refresh_from_db()
    assert entry.recruited == 5


def test_the_api_summary(client, world, study, uhb_site):
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 4, 1), recruited=10)
    RecruitmentEntryFactory(study_site=uhb_site, month=D(2026, 5, 1), recruited=20)
    body = _api(client, world, "external", "get", f"/api/v1/studies/{study.pk}/recruitment").json()
    site = body["summary"]["sites"][0]
    assert (site["total"], site["months_open"], site["expected_to_date"], site["rag"]["status"]) == (
        30,
        5,
        "25",
        "green",
    )
    assert site["forecast"] == {
        "month": "2026-10",
        "reason": "70 more at 15.00 a month (the mean of the last 2 recorded months) from May 2026: 5 more months.",
        "reached": False,
        "planned_end": "2027-12",
        "months_late": -14,
    }
    assert [(e["month"], e["recruited"]) for e in body["entries"]] == [("2026-04", 10), ("2026-05", 20)]


def test_the_api_upload_is_all_or_nothing(client, world, study, uhb_site):
    path = f"/api/v1/studies/{study.pk}/recruitment/upload"
    bad = _api(
        client,
        world,
        "nhs_rd",
        "post",
        path,
        data={"file": _file("Site Code,Month,Recruited\nRRK,2026-04,3\nRRK,2026-05,-1\n")},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"] == {
        "file": ["edge.csv, row 3, column “Recruited”: Recruited must be 0 or more."]
    }
    assert RecruitmentEntry.objects.count() == 0
    good = _api(
        client, world, "nhs_rd", "post", path, data={"file": _file("Site Code,Month,Recruited\nRRK,2026-04,3\n")}
    )
    assert (good.status_code, good.json()["summary"]) == (
        200,
        "1 month recorded, 0 replaced, 0 unchanged, from 1 row of edge.csv.",
    )
