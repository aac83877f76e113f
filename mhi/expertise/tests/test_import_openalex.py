import json
import shutil
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from mhi.core.errors import ImportFailed
from mhi.expertise.models import Authorship, ImportJob, Work
from mhi.expertise.services import works_import_file

DATA = Path(__file__).parent / "data"
SNAPSHOT = DATA / "openalex_works.jsonl"
PAGE = DATA / "openalex_page.json"


def _lines(path=SNAPSHOT) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write_lines(path, works) -> Path:
    path.write_text("".join(json.dumps(w, ensure_ascii=False) + "\n" for w in works), encoding="utf-8")
    return path


def generated_works(path: Path, count: int, *, bad_line: int | None = None) -> Path:
    """A JSON Lines snapshot of `count` OpenAlex-shaped works (about 1.4 KB each), written a line at a time."""
    words = [
        "health",
        "research",
        "partnership",
        "midlands",
        "trial",
        "cohort",
        "outcome",
        "patients",
        "clinical",
        "data",
    ]
    with path.open("w", encoding="utf-8") as handle:
        for n in range(1, count + 1):
            work = {
                "id": f"https://openalex.org/W{9_000_000 + n}",
                "doi": f"https://doi.org/10.5555/MHI.{n}",
                "title": f"Generated work {n}",
                "publication_year": 2020 if n != bad_line else 1700,
                "publication_date": "2020-05-01",
                "type": "article",
                "primary_location": {"source": {"display_name": "Journal of Generated Results"}},
                "topics": [{"display_name": "Health Services Research"}],
                "abstract_inverted_index": {w: [i, i + 10, i + 20, i + 30] for i, w in enumerate(words)},
                "authorships": [
                    {
                        "author_position": position,
                        "author": {"display_name": f"Author {n}-{k}", "orcid": None},
                        "raw_author_name": f"Author {n}-{k}",
                        "raw_affiliation_strings": ["University of Warwick, Coventry, UK"],
                        "institutions": [{"ror": "https://ror.org/01a77tt86"}],
                    }
                    for k, position in enumerate(("first", "middle", "last"), start=1)
                ],
            }
            handle.write(json.dumps(work) + "\n")
    return path


@pytest.fixture(scope="module")
def works_2000(tmp_path_factory):
    return generated_works(tmp_path_factory.mktemp("generated") / "works_2000.jsonl", 2000)


def test_it_imports_a_snapshot_with_its_fields_normalised(db):
    report = works_import_file(path=SNAPSHOT, format="openalex")
    assert (report.records_seen, report.created, report.updated, report.unchanged, report.skipped) == (6, 6, 0, 0, [])
    assert Work.objects.count() == 6
    work = Work.objects.get(openalex_id="W2059915410")
    assert work.title == "A web resource for the UK's long‐term individual‐based time‐series (LITS) data"
    assert (work.doi, work.pmid, work.year, str(work.publication_date)) == (
        "10.1111/j.1365-2656.2008.01382.x",
        "18416713",
        2008,
        "2008-04-14",
    )
    assert (work.venue, work.work_type, work.source) == ("Journal of Animal Ecology", "article", "openalex")
    assert work.abstract.startswith(
        "Online data resources are becoming increasingly important for ecologists. However,"
    )
    assert work.topics == [
        "Species Distribution and Climate Change",
        "Isotope Analysis in Ecology",
        "Plant and animal studies",
    ]
    # MeSH headings repeat once per qualifier in OpenAlex; each is kept once.
    assert work.mesh_terms == [
        "Databases, Factual",
        "Internet",
        "Animals",
        "Ecology",
        "Female",
        "Male",
        "United Kingdom",
        "Vertebrates",
    ]
    assert Work.objects.get(openalex_id="W2041234663").abstract == ""


def test_it_keeps_the_byline_order_orcids_affiliations_and_rors(db):
    works_import_file(path=SNAPSHOT, format="openalex")
    authorships = list(Authorship.objects.filter(work__openalex_id="W2059915410").order_by("position"))
    assert [(a.position, a.raw_name) for a in authorships] == [
        (1, "Owen R. Jones"),
        (2, "Tim Clutton‐Brock"),
        (3, "Tim Coulson"),
        (4, "H. Charles J. Godfray"),
    ]
    godfray = authorships[3]
    assert godfray.orcid == "0000-0001-8859-7232"
    assert godfray.institution_rors == ["052gg0110", "041kmwe10"]
    assert godfray.raw_affiliation == (
        "NERC Centre for Population Biology, Division of Biology, Imperial College London, Silwood Park Campus, "
        "Ascot, Berks. SL5 7PY, UK; Present address: Department of Zoology, University of Oxford, South Parks Road, "
        "Oxford OX1 3PS, UK."
    )
    assert {a.match_status for a in authorships} == {"unmatched"}
    assert Authorship.objects.count() == 14


def test_it_reads_an_api_results_page(db):
    report = works_import_file(path=PAGE, format="openalex")
    assert (report.records_seen, report.created) == (2, 2)
    state_of_oa = Work.objects.get(openalex_id="W2741809807")
    assert (state_of_oa.doi, state_of_oa.pmid, state_of_oa.year) == ("10.7717/peerj.4375", "29456894", 2018)
    assert state_of_oa.abstract.split()[:12] == [
        "Despite",
        "growing",
        "interest",
        "in",
        "Open",
        "Access",
        "(OA)",
        "to",
        "scholarly",
        "literature,",
        "there",
        "is",
    ]
    assert len(state_of_oa.abstract.split()) == 258
    assert state_of_oa.authorships.count() == 9
    assert Work.objects.get(openalex_id="W2755950973").abstract == ""


def test_it_lowercases_dois_strips_markup_and_falls_back_to_concepts(db, tmp_path):
    work = json.loads(PAGE.read_text())["results"][1]
    work |= {"doi": "https://doi.org/10.7717/PEERJ.4375", "title": "The state of <i>OA</i>", "topics": []}
    works_import_file(path=_write_lines(tmp_path / "one.jsonl", [work]), format="openalex")
    stored = Work.objects.get()
    assert (stored.doi, stored.title) == ("10.7717/peerj.4375", "The state of OA")
    assert stored.topics[:3] == ["Citation", "License", "Scholarly communication"]


def test_a_second_import_of_the_same_file_changes_nothing(db):
    works_import_file(path=SNAPSHOT, format="openalex")
    before = list(Work.objects.values_list("id", "updated_at").order_by("id"))
    authorship_ids = set(Authorship.objects.values_list("id", flat=True))
    report = works_import_file(path=SNAPSHOT, format="openalex")
    assert (report.created, report.updated, report.unchanged, report.authorships_written) == (0, 0, 6, 0)
    assert list(Work.objects.values_list("id", "updated_at").order_by("id")) == before
    assert set(Authorship.objects.values_list("id", flat=True)) == authorship_ids


def test_a_changed_title_updates_the_work_in_place_and_keeps_its_authorships(db, tmp_path):
    works_import_file(path=SNAPSHOT, format="openalex")
    work = Work.objects.get(openalex_id="W2012599372")
    authorship_ids = list(work.authorships.values_list("id", flat=True))
    works = _lines()
    works[2]["title"] = "The Millennium Project: health and environmental sustainability"
    report = works_import_file(path=_write_lines(tmp_path / "changed.jsonl", works), format="openalex")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    work.refresh_from_db()
    assert work.title == "The Millennium Project: health and environmental sustainability"
    assert list(work.authorships.values_list("id", flat=True)) == authorship_ids


def test_a_changed_author_list_replaces_only_that_works_authorships(db, tmp_path):
    works_import_file(path=SNAPSHOT, format="openalex")
    others = set(Authorship.objects.exclude(work__openalex_id="W2119164383").values_list("id", flat=True))
    works = _lines()
    works[0]["authorships"] = works[0]["authorships"][:1]
    report = works_import_file(path=_write_lines(tmp_path / "fewer.jsonl", works), format="openalex")
    assert (report.updated, report.unchanged, report.authorships_written) == (1, 5, 1)
    work = Work.objects.get(openalex_id="W2119164383")
    assert list(work.authorships.values_list("raw_name", flat=True)) == ["G. Gisladottir"]
    assert set(Authorship.objects.exclude(work=work).values_list("id", flat=True)) == others


def test_a_malformed_record_refuses_the_file_naming_the_record(db, tmp_path):
    works = _lines()
    works[2]["doi"] = "https://doi.org/not-a-doi"
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write_lines(tmp_path / "bad.jsonl", works), format="openalex")
    assert str(caught.value) == "bad.jsonl, line 3 (W2012599372): DOI “not-a-doi” is not a DOI (expected 10.NNNN/…)"
    assert (Work.objects.count(), Authorship.objects.count()) == (0, 0)


def test_a_bad_record_after_written_batches_still_leaves_nothing_written(db, tmp_path):
    path = generated_works(tmp_path / "late.jsonl", 1200, bad_line=1100)
    latest = timezone.localdate().year + 1
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=path, format="openalex")
    assert str(caught.value) == (
        f"late.jsonl, line 1100 (W9001100): year 1700 is not plausible (expected 1800 to {latest})"
    )
    assert (Work.objects.count(), Authorship.objects.count()) == (0, 0)


def test_skip_mode_leaves_out_bad_records_and_lists_them(db, tmp_path):
    works = _lines()
    works[2]["doi"] = "https://doi.org/not-a-doi"
    works[4]["title"] = works[4]["display_name"] = ""
    path = _write_lines(tmp_path / "bad.jsonl", works)
    path.write_text(path.read_text() + "{not json\n")
    report = works_import_file(path=path, format="openalex", skip_bad_records=True)
    assert (report.records_seen, report.created) == (7, 4)
    assert report.skipped == [
        {"record": "line 3 (W2012599372)", "message": "DOI “not-a-doi” is not a DOI (expected 10.NNNN/…)"},
        {"record": "line 5 (W4254361891)", "message": "has no title"},
        {"record": "line 7", "message": "is not valid JSON: Expecting property name enclosed in double quotes"},
    ]
    assert not Work.objects.filter(openalex_id__in=["W2012599372", "W4254361891"]).exists()


def test_two_openalex_works_with_one_doi_are_a_conflict(db, tmp_path):
    works = _lines()[:2]
    works[1]["doi"] = works[0]["doi"]
    with pytest.raises(ImportFailed) as caught:
        works_import_file(path=_write_lines(tmp_path / "twins.jsonl", works), format="openalex")
    assert str(caught.value) == (
        "twins.jsonl, line 2 (W2059915410): its DOI matches a work whose OpenAlex id is W2119164383, not W2059915410"
    )
    assert Work.objects.count() == 0


def test_a_5000_work_snapshot_imports_in_bounded_memory(db, tmp_path):
    path = generated_works(tmp_path / "works_5000.jsonl", 5000)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        report = works_import_file(path=path, format="openalex")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.created, report.authorships_written) == (5000, 15000)
    assert Work.objects.count() == 5000
    # Batches of 500 keep the peak near 4 MB whatever the file's length; the file alone is 7 MB, and its
    # parsed records held at once would take several times that.
    assert size > 7_000_000
    assert peak < 6_000_000, f"peak {peak:,} bytes"


def test_a_job_gets_progress_counters_and_a_final_status(db, works_2000):
    job = ImportJob.objects.create(format="openalex", file="imports/works_2000.jsonl", original_name="works_2000.jsonl")
    seen = []

    def progress(report):
        seen.append(ImportJob.objects.values_list("status", "records_seen", "created").get(pk=job.pk))

    works_import_file(path=works_2000, format="openalex", job=job, on_progress=progress)
    assert seen == [("running", 500, 500), ("running", 1000, 1000), ("running", 1500, 1500), ("running", 2000, 2000)]
    job.refresh_from_db()
    assert (job.status, job.records_seen, job.created, job.updated, job.unchanged, job.skipped) == (
        "done",
        2000,
        2000,
        0,
        0,
        0,
    )
    assert job.started_at <= job.finished_at
    assert (job.report, job.error) == ([], "")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: counters show at commit")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_another_connection_sees_the_counters_before_the_file_commits(works_2000):
    job = ImportJob.objects.create(format="openalex", file="imports/works_2000.jsonl", original_name="works_2000.jsonl")
    seen = []

    def progress(report):
        page = connections.create_connection("default")
        try:
            with page.cursor() as cursor:
                cursor.execute("SELECT status, records_seen FROM expertise_importjob WHERE id = %s", [job.pk])
                status, records_seen = cursor.fetchone()
                cursor.execute("SELECT count(*) FROM expertise_work")
                seen.append((status, records_seen, cursor.fetchone()[0]))
        finally:
            page.close()

    works_import_file(path=works_2000, format="openalex", job=job, on_progress=progress)
    # The works themselves stay invisible until the whole file is in.
    assert seen == [("running", 500, 0), ("running", 1000, 0), ("running", 1500, 0), ("running", 2000, 0)]
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 2000)


def test_a_record_of_the_wrong_shape_is_a_bad_record_not_a_crash(db, tmp_path):
    works = _lines()
    works[1]["authorships"] = [{"author": "Owen R. Jones"}]
    report = works_import_file(
        path=_write_lines(tmp_path / "odd.jsonl", works), format="openalex", skip_bad_records=True
    )
    assert report.skipped == [
        {
            "record": "line 2 (W2059915410)",
            "message": "is not shaped like an OpenAlex work ('str' object has no attribute 'get')",
        }
    ]
    assert report.created == 5


def test_a_failed_job_says_which_record_and_counts_nothing_written(db, tmp_path):
    works = _lines()
    works[1]["publication_year"] = 2999
    job = ImportJob.objects.create(format="openalex", file="imports/bad.jsonl", original_name="bad.jsonl")
    with pytest.raises(ImportFailed):
        works_import_file(path=_write_lines(tmp_path / "bad.jsonl", works), format="openalex", job=job)
    job.refresh_from_db()
    latest = timezone.localdate().year + 1
    message = f"year 2999 is not plausible (expected 1800 to {latest})"
    assert (job.status, job.records_seen, job.created) == ("failed", 6, 0)
    assert job.report == [{"record": "line 2 (W2059915410)", "message": message}]
    assert job.error == f"bad.jsonl, line 2 (W2059915410): {message}"
    assert job.finished_at is not None


def test_the_command_prints_progress_and_the_report(db, works_2000, capsys):
    call_command("import_works", str(works_2000), "--format", "openalex")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "1,000 records…",
        "2,000 records…",
        "Imported works_2000.jsonl: 2,000 records: 2,000 created, 0 updated, 0 unchanged, 0 skipped; "
        "6,000 authorships written (0 matched, 0 to review, 6,000 not in the directory)",
    ]


def test_the_command_refuses_a_bad_file_and_says_nothing_was_written(db, tmp_path):
    works = _lines()
    works[3]["title"] = works[3]["display_name"] = None
    path = _write_lines(tmp_path / "bad.jsonl", works)
    with pytest.raises(CommandError) as caught:
        call_command("import_works", str(path), "--format", "openalex")
    assert str(caught.value) == (
        "Nothing was written: 1 problem(s) found.\n  bad.jsonl, line 4 (W2041234663): has no title"
    )
    assert Work.objects.count() == 0


def test_the_command_skips_and_lists_bad_records_when_asked(db, tmp_path, capsys):
    works = _lines()
    works[3]["title"] = works[3]["display_name"] = None
    path = _write_lines(tmp_path / "bad.jsonl", works)
    call_command("import_works", str(path), "--format", "openalex", "--skip-bad-records")
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ["  skipped line 4 (W2041234663): has no title"]
    assert Work.objects.count() == 5


def test_a_gzipped_snapshot_is_read_like_the_plain_one(db, tmp_path):
    import gzip

    target = tmp_path / "part_000.gz"
    with SNAPSHOT.open("rb") as source, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(source, packed)
    assert works_import_file(path=target, format="openalex").created == 6
