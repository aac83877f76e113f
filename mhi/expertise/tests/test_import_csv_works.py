import csv
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from mhi.core.errors import ImportFailed
from mhi.directory.tests.factories import PersonFactory
from mhi.expertise.models import Authorship, ImportJob, Work
from mhi.expertise.services import works_import_file

DATA = Path(__file__).parent / "data"
WORKS = DATA / "works.csv"


def _rows() -> list[dict]:
    with WORKS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_it_imports_each_row_as_a_work_with_its_fields_normalised(db):
    report = works_import_file(path=WORKS, format="csv")
    assert (report.records_seen, report.created, report.updated, report.unchanged, report.skipped) == (4, 4, 0, 0, [])
    assert report.authorships_written == 9
    work = Work.objects.get(doi="10.1111/j.1365-2656.2008.01382.x")
    assert (work.pmid, work.year, work.venue, work.source) == ("18416713", 2008, "Journal of Animal Ecology", "csv")
    assert work.title == "A web resource for the UK's long‐term individual‐based time‐series (LITS) data"
    assert work.abstract.startswith("Online data resources are becoming increasingly important for ecologists.")
    assert work.topics == [
        "Species Distribution and Climate Change",
        "Isotope Analysis in Ecology",
        "Plant and animal studies",
    ]
    assert list(work.authorships.values_list("position", "raw_name", "orcid")) == [
        (1, "Owen R. Jones", "0000-0001-5720-4686"),
        (2, "Tim Clutton‐Brock", "0000-0001-8110-8969"),
        (3, "Tim Coulson", "0000-0001-9371-9003"),
        (4, "H. Charles J. Godfray", "0000-0001-8859-7232"),
    ]


def test_a_doi_url_is_stored_as_the_doi_and_author_orcids_go_to_authors_in_order(db):
    works_import_file(path=WORKS, format="csv")
    work = Work.objects.get(doi="10.1002/ldr.687")
    assert list(work.authorships.values_list("raw_name", "orcid")) == [
        ("G. Gisladottir", "0000-0002-4309-2414"),
        ("M. Stocking", ""),
    ]


def test_a_work_with_only_a_pmid_is_imported(db):
    works_import_file(path=WORKS, format="csv")
    work = Work.objects.get(pmid="12460500")
    assert (work.doi, work.year, work.topics) == (
        None,
        2002,
        ["Conservation, Biodiversity, and Resource Management", "Forest Management and Policy"],
    )


def test_importing_the_same_file_again_changes_nothing(db):
    works_import_file(path=WORKS, format="csv")
    before = list(Work.objects.order_by("pk").values())
    authorships = list(Authorship.objects.order_by("pk").values_list("pk", "work_id", "raw_name"))
    report = works_import_file(path=WORKS, format="csv")
    assert (report.created, report.updated, report.unchanged, report.authorships_written) == (0, 0, 4, 0)
    assert list(Work.objects.order_by("pk").values()) == before
    assert list(Authorship.objects.order_by("pk").values_list("pk", "work_id", "raw_name")) == authorships


def test_a_changed_title_updates_the_work_found_by_its_doi(db, tmp_path):
    works_import_file(path=WORKS, format="csv")
    work = Work.objects.get(doi="10.1016/s0048-9697(99)00312-5")
    rows = _rows()
    rows[2]["title"] = "Financing incentives for biodiversity"
    report = works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 3)
    assert Work.objects.get(pk=work.pk).title == "Financing incentives for biodiversity"


def test_a_row_without_a_doi_or_pmid_refuses_the_file_naming_the_row(db, tmp_path):
    rows = _rows()
    rows[2]["doi"] = ""
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv")
    assert [str(p) for p in caught.value.problems] == [
        "works.csv, row 4: has no DOI, PMID or OpenAlex id, so a second import could not find it again"
    ]
    assert (Work.objects.count(), Authorship.objects.count()) == (0, 0)


def test_skipping_bad_rows_imports_the_others_and_lists_each_skipped_row(db, tmp_path):
    rows = _rows()
    rows[1]["pmid"] = "PMC123"
    rows[2]["doi"] = ""
    report = works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv", skip_bad_records=True)
    assert (report.records_seen, report.created, report.skipped_count) == (4, 2, 2)
    assert report.skipped == [
        {"record": "row 3 (10.1002/ldr.687)", "message": "PMID “PMC123” is not a PubMed id (expected digits only)"},
        {"record": "row 4", "message": "has no DOI, PMID or OpenAlex id, so a second import could not find it again"},
    ]
    assert sorted(Work.objects.values_list("pmid", flat=True)) == ["12460500", "18416713"]


def test_an_orcid_id_with_a_wrong_check_digit_refuses_the_row_naming_the_author(db, tmp_path):
    rows = _rows()
    rows[0]["authors"] = "Owen R. Jones <0000-0001-5720-4687>; Tim Coulson"
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv")
    problem = caught.value.problems[0]
    assert (problem.record, problem.column) == ("row 2 (10.1111/j.1365-2656.2008.01382.x)", "authors")
    assert problem.message == (
        "author 1 (Owen R. Jones): ORCID iD “0000-0001-5720-4687” has a wrong check digit; "
        "please copy it again from orcid.org."
    )
    assert Work.objects.count() == 0


def test_author_orcids_must_give_one_entry_per_author(db, tmp_path):
    rows = _rows()
    rows[1]["author_orcids"] = "0000-0002-4309-2414"
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv")
    assert str(caught.value) == (
        "works.csv, row 3 (10.1002/ldr.687): lists 1 ORCID iDs for 2 authors; give one per author, "
        "leaving it empty between the semicolons for an author without one"
    )


def test_an_author_given_two_different_orcid_ids_is_refused(db, tmp_path):
    rows = _rows()
    rows[1]["authors"] = "G. Gisladottir <0000-0001-5720-4686>; M. Stocking"
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv")
    assert caught.value.problems[0].message == (
        "author 1 (G. Gisladottir) is given ORCID iD 0000-0001-5720-4686 and also 0000-0002-4309-2414"
    )


def test_authors_are_matched_to_people_by_orcid_id(db):
    jones = PersonFactory(given_name="Owen", family_name="Jones", orcid="0000-0001-5720-4686")
    report = works_import_file(path=WORKS, format="csv")
    assert (report.matched, report.review, report.unmatched) == (1, 0, 8)
    assert list(Authorship.objects.filter(person=jones).values_list("work__pmid", "match_status")) == [
        ("18416713", "matched")
    ]


def test_a_file_without_a_title_column_is_refused(db, tmp_path):
    rows = [{k: v for k, v in row.items() if k != "title"} for row in _rows()]
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write(tmp_path / "works.csv", rows), format="csv", skip_bad_records=True)
    assert str(caught.value) == "works.csv: column missing from the header row (title)"
    assert Work.objects.count() == 0


def test_a_row_with_more_cells_than_the_header_is_named(db, tmp_path):
    path = tmp_path / "works.csv"
    path.write_text("title,doi\nA study,10.5555/one\nAnother study,10.5555/two,extra\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=path, format="csv")
    assert str(caught.value) == "works.csv, row 3: this row has more cells than the header"


def test_the_command_accepts_the_csv_format(db, capsys):
    call_command("import_works", str(WORKS), "--format", "csv")
    assert capsys.readouterr().out.splitlines() == [
        "Imported works.csv: 4 records: 4 created, 0 updated, 0 unchanged, 0 skipped; 9 authorships written "
        "(0 matched, 0 to review, 9 not in the directory)"
    ]


def test_a_works_csv_uploaded_on_the_page_is_imported(
    client, world, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.users["coordinator"])
    upload = SimpleUploadedFile("works.csv", WORKS.read_bytes(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("expertise:imports"), {"format": "csv", "file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.format, job.status, job.records_seen, job.created) == ("csv", "done", 4, 4)
    assert Work.objects.filter(source="csv").count() == 4
