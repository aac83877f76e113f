"""Gateway to Research files uploaded on the import page and through the API, imported by a task."""

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from mhi.expertise.models import Grant, ImportJob

DATA = Path(__file__).parent / "data"
PROJECTS = DATA / "gtr_projects.csv"
REFERENCES = ["2447282", "AH/K007718/1", "AH/L008378/1", "AH/R003246/1", "AH/S002839/1", "AH/S012788/1"]


def _upload(content: bytes, name: str = "projects.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _with_bad_award(row_index: int = 2) -> bytes:
    """The projects file with one row's award negative: row 4 of the file (AH/R003246/1) by default."""
    rows = list(csv.DictReader(io.StringIO(PROJECTS.read_text(encoding="utf-8"))))
    rows[row_index]["AwardPounds"] = "-1"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _post_page(client, content: bytes, *, skip: bool = False, capture=None):
    data = {"format": "gtr", "file": _upload(content)}
    if skip:
        data["skip_bad_records"] = "on"
    with capture(execute=True):
        return client.post(reverse("expertise:imports"), data)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_it_offers_the_gtr_format_on_the_import_page(client, world):
    client.force_login(world.users["aston_admin"])
    choices = client.get(reverse("expertise:imports")).context["form"].fields["format"].choices
    assert choices == [
        ("openalex", "OpenAlex JSON / JSON Lines"),
        ("pubmed", "PubMed XML"),
        ("jats", "JATS XML"),
        ("csv", "Generic works CSV"),
        ("gtr", "Gateway to Research projects CSV"),
    ]


def test_an_admin_uploads_a_gtr_csv_and_the_task_imports_its_grants(
    client, world, media, django_capture_on_commit_callbacks
):
    client.force_login(world.users["aston_admin"])
    response = _post_page(client, PROJECTS.read_bytes(), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("expertise:import_job", args=[job.pk])
    job.refresh_from_db()
    assert (job.format, job.status, job.created_by) == ("gtr", "done", world.users["aston_admin"])
    assert (job.records_seen, job.created, job.updated, job.unchanged, job.skipped) == (6, 6, 0, 0, 0)
    assert (job.report, job.error) == ([], "")
    assert sorted(Grant.objects.values_list("reference", flat=True)) == REFERENCES
    assert Path(job.file.path).is_relative_to(media)
    body = client.get(reverse("expertise:import_job", args=[job.pk])).content.decode()
    assert "Gateway to Research projects CSV import" in body
    assert "100% of the file read" in body
    assert "hx-trigger" not in body


def test_the_same_file_uploaded_again_leaves_every_grant_unchanged(
    client, world, media, django_capture_on_commit_callbacks
):
    client.force_login(world.users["coordinator"])
    _post_page(client, PROJECTS.read_bytes(), capture=django_capture_on_commit_callbacks)
    _post_page(client, PROJECTS.read_bytes(), capture=django_capture_on_commit_callbacks)
    second = ImportJob.objects.order_by("pk").last()
    assert (second.status, second.created, second.updated, second.unchanged) == ("done", 0, 0, 6)
    assert Grant.objects.count() == 6


def test_a_malformed_row_fails_the_job_naming_the_row_and_writes_no_grant(
    client, world, media, django_capture_on_commit_callbacks
):
    client.force_login(world.users["coordinator"])
    _post_page(client, _with_bad_award(), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.status, job.records_seen, job.created, job.updated, job.unchanged) == ("failed", 6, 0, 0, 0)
    assert job.error == "projects.csv, row 4, column “AwardPounds”: “-1” is negative"
    assert job.report == [{"record": "row 4", "message": "column “AwardPounds”: “-1” is negative"}]
    assert job.finished_at is not None
    assert Grant.objects.count() == 0
    body = client.get(reverse("expertise:import_job", args=[job.pk])).content.decode()
    assert "Nothing was imported" in body
    assert "column “AwardPounds”: “-1” is negative" in body


def test_skipping_bad_records_imports_the_other_rows_and_lists_the_bad_one(
    client, world, media, django_capture_on_commit_callbacks
):
    client.force_login(world.users["aston_admin"])
    _post_page(client, _with_bad_award(), skip=True, capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.status, job.skip_bad_records, job.records_seen, job.created, job.skipped) == ("done", True, 6, 5, 1)
    assert job.report == [{"record": "row 4 (AH/R003246/1)", "message": "column “AwardPounds”: “-1” is negative"}]
    assert sorted(Grant.objects.values_list("reference", flat=True)) == [r for r in REFERENCES if r != "AH/R003246/1"]
    body = client.get(reverse("expertise:import_job", args=[job.pk])).content.decode()
    assert "Skipped records" in body
    assert "row 4 (AH/R003246/1)" in body


def test_a_grants_file_that_is_not_csv_is_refused_naming_the_field(client, world, media):
    client.force_login(world.users["aston_admin"])
    response = client.post(reverse("expertise:imports"), {"format": "gtr", "file": _upload(b"{}", "projects.json")})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["“projects.json” does not look like a gtr file: expected .csv."]
    }
    assert ImportJob.objects.count() == 0


def test_the_api_takes_a_gtr_csv_and_the_task_imports_it(client, world, media, django_capture_on_commit_callbacks):
    headers = {"Authorization": f"Bearer {world.tokens['coordinator']}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports", data={"format": "gtr", "file": _upload(PROJECTS.read_bytes())}, headers=headers
        )
    assert response.status_code == 202
    created = response.json()
    assert (created["format"], created["original_name"], created["status"]) == ("gtr", "projects.csv", "queued")
    detail = client.get(f"/api/v1/imports/{created['id']}", headers=headers).json()
    size = PROJECTS.stat().st_size
    assert {k: detail[k] for k in ("status", "records_seen", "created", "updated", "unchanged", "skipped")} == {
        "status": "done",
        "records_seen": 6,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert (detail["bytes_read"], detail["bytes_total"], detail["report"], detail["error"]) == (size, size, [], "")
    assert Grant.objects.count() == 6


def test_the_api_reports_a_malformed_row_on_the_failed_job(client, world, media, django_capture_on_commit_callbacks):
    headers = {"Authorization": f"Bearer {world.tokens['aston_admin']}"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports", data={"format": "gtr", "file": _upload(_with_bad_award())}, headers=headers
        )
    detail = client.get(f"/api/v1/imports/{response.json()['id']}", headers=headers).json()
    assert (detail["status"], detail["created"], detail["error"]) == (
        "failed",
        0,
        "projects.csv, row 4, column “AwardPounds”: “-1” is negative",
    )
    assert Grant.objects.count() == 0


@pytest.mark.parametrize("persona", ["researcher", "leicester_lead", "nhs_rd", "external"])
def test_people_who_are_not_admins_cannot_upload_grants_on_the_page(client, world, media, persona):
    client.force_login(world.users[persona])
    response = client.post(reverse("expertise:imports"), {"format": "gtr", "file": _upload(PROJECTS.read_bytes())})
    assert response.status_code == 403
    assert (ImportJob.objects.count(), Grant.objects.count()) == (0, 0)


def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_imported(client, world, media):
    response = client.post(reverse("expertise:imports"), {"format": "gtr", "file": _upload(PROJECTS.read_bytes())})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert (ImportJob.objects.count(), Grant.objects.count()) == (0, 0)


def test_a_researcher_cannot_upload_grants_through_the_api(client, world, media):
    response = client.post(
        "/api/v1/imports",
        data={"format": "gtr", "file": _upload(PROJECTS.read_bytes())},
        headers={"Authorization": f"Bearer {world.tokens['researcher']}"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only coordinators and institution admins import works and grants."
    assert (ImportJob.objects.count(), Grant.objects.count()) == (0, 0)


def test_the_api_asks_an_anonymous_caller_for_credentials(client, world, media):
    response = client.post("/api/v1/imports", data={"format": "gtr", "file": _upload(PROJECTS.read_bytes())})
    assert response.status_code == 401
    assert (ImportJob.objects.count(), Grant.objects.count()) == (0, 0)


def test_an_admin_sees_only_their_own_grants_jobs(client, world, media, django_capture_on_commit_callbacks):
    client.force_login(world.users["coordinator"])
    _post_page(client, PROJECTS.read_bytes(), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    client.force_login(world.users["aston_admin"])
    assert client.get(reverse("expertise:import_job", args=[job.pk])).status_code == 404
    assert list(client.get(reverse("expertise:imports")).context["page_obj"].object_list) == []
