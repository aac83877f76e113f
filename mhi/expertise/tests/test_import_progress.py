"""How far into its file an import job has read: bytes_read of bytes_total, and the percentage the job page shows."""

import csv
import gzip
import io
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from mhi.core.errors import ImportFailed
from mhi.core.imports import ReadPosition, open_for_import
from mhi.expertise.grants import grants_import_file
from mhi.expertise.models import ImportJob
from mhi.expertise.services import works_import_file
from mhi.expertise.tests.test_import_openalex import generated_works

DATA = Path(__file__).parent / "data"
GTR_ROWS = 2000


def _gzipped(source: Path, target: Path) -> Path:
    with source.open("rb") as plain, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(plain, packed)
    return target


def _job(format: str, name: str) -> ImportJob:
    return ImportJob.objects.create(format=format, file=f"imports/{name}", original_name=name)


@pytest.fixture
def gtr_2000(tmp_path) -> tuple[Path, list[int]]:
    """A GtR file of 2,000 projects, and the byte offset at which each of its lines ends."""
    with (DATA / "gtr_projects.csv").open(encoding="utf-8", newline="") as handle:
        template = next(csv.DictReader(handle))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(template), lineterminator="\n")
    writer.writeheader()
    writer.writerows(dict(template, ProjectReference=f"AH/X{n:06d}/1") for n in range(1, GTR_ROWS + 1))
    content = out.getvalue().encode()
    path = tmp_path / "large.csv"
    path.write_bytes(content)
    ends, offset = [], 0
    for line in content.splitlines(keepends=True):
        offset += len(line)
        ends.append(offset)
    return path, ends


@pytest.mark.parametrize(
    ("format", "name"),
    [
        ("openalex", "openalex_works.jsonl"),
        ("openalex", "openalex_page.json"),
        ("openalex", "openalex_works.jsonl.gz"),
        ("pubmed", "pubmed_articles.xml"),
        ("pubmed", "pubmed_articles.xml.gz"),
        ("jats", "jats/journal.pone.0146913.xml"),
        ("csv", "works.csv"),
    ],
)
def test_a_finished_works_job_has_read_all_of_its_file(db, tmp_path, format, name):
    path = DATA / name
    if name.endswith(".gz"):
        path = _gzipped(DATA / name.removesuffix(".gz"), tmp_path / Path(name).name)
    job = _job(format, path.name)
    works_import_file(path=path, format=format, job=job)
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.bytes_read, job.bytes_total) == (path.stat().st_size, path.stat().st_size)


def test_a_finished_grants_job_has_read_all_of_its_file(db):
    path = DATA / "gtr_projects.csv"
    job = _job("gtr", path.name)
    grants_import_file(path=path, format="gtr", job=job)
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 6)
    assert (job.bytes_read, job.bytes_total) == (path.stat().st_size, path.stat().st_size)


def test_a_grants_job_records_how_far_it_has_read_at_each_progress_point(db, gtr_2000):
    path, line_ends = gtr_2000
    job = _job("gtr", path.name)
    seen = []

    def progress(report):
        seen.append((report.records_seen, *ImportJob.objects.values_list("bytes_read", "bytes_total").get(pk=job.pk)))

    grants_import_file(path=path, format="gtr", job=job, on_progress=progress)
    size = path.stat().st_size
    assert [(rows, total) for rows, _, total in seen] == [(500, size), (1000, size), (1500, size), (2000, size)]
    for rows, bytes_read, _ in seen:
        # Row N is line N + 1 (after the header); the reader has read it, and at most one buffer beyond.
        assert line_ends[rows] <= bytes_read <= line_ends[rows] + io.DEFAULT_BUFFER_SIZE
    job.refresh_from_db()
    assert (job.status, job.created, job.bytes_read, job.bytes_total) == ("done", GTR_ROWS, size, size)


def test_a_gzipped_file_is_measured_in_its_compressed_bytes(db, tmp_path):
    path = _gzipped(generated_works(tmp_path / "works_2000.jsonl", 2000), tmp_path / "works_2000.jsonl.gz")
    job = _job("openalex", path.name)
    seen = []

    def progress(report):
        seen.append(ImportJob.objects.values_list("bytes_read", flat=True).get(pk=job.pk))

    works_import_file(path=path, format="openalex", job=job, on_progress=progress)
    size = path.stat().st_size
    assert size < (tmp_path / "works_2000.jsonl").stat().st_size // 4
    assert len(seen) == 4
    assert seen == sorted(seen)
    assert 0 < seen[0] < size
    job.refresh_from_db()
    assert (job.status, job.bytes_read, job.bytes_total) == ("done", size, size)


def test_a_failed_job_keeps_how_far_it_read(db, gtr_2000, tmp_path):
    path, line_ends = gtr_2000
    bad = tmp_path / "bad.csv"
    bad.write_bytes(path.read_bytes().replace(b"AH/X001000/1,", b",", 1))  # row 1001 without a reference
    job = _job("gtr", bad.name)
    with pytest.raises(ImportFailed, match="row 1001"):
        grants_import_file(path=bad, format="gtr", job=job)
    job.refresh_from_db()
    assert (job.status, job.created, job.bytes_total) == ("failed", 0, bad.stat().st_size)
    assert job.bytes_read == bad.stat().st_size  # read on to the end, finding any other problems


def test_files_opened_outside_an_import_are_not_measured(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"x" * 10)
    with open_for_import(path) as handle:
        handle.read()
    with ReadPosition() as position:
        with open_for_import(path) as handle:
            handle.read(4)
            assert position.bytes_read == 4
        with open_for_import(path) as handle:
            handle.read()
    assert position.bytes_read == 14  # the first file as far as it was read before closing, then the second


def _running_job(world, *, bytes_read: int, bytes_total: int) -> ImportJob:
    return ImportJob.objects.create(
        format="gtr",
        file="imports/projects.csv",
        original_name="projects.csv",
        status="running",
        records_seen=1500,
        bytes_read=bytes_read,
        bytes_total=bytes_total,
        created_by=world.users["aston_admin"],
    )


def test_the_job_page_shows_the_share_of_the_file_read_while_running(client, world):
    job = _running_job(world, bytes_read=4_200, bytes_total=10_000)
    client.force_login(world.users["aston_admin"])
    body = client.get(reverse("expertise:import_job", args=[job.pk])).content.decode()
    assert "42% of the file read" in body
    assert '<progress class="govuk-!-width-full govuk-!-margin-bottom-1" max="100" value="42"' in body
    assert "hx-trigger" in body


def test_the_polled_fragment_carries_the_percentage(client, world):
    job = _running_job(world, bytes_read=2_999, bytes_total=3_000)
    client.force_login(world.users["aston_admin"])
    body = client.get(reverse("expertise:import_job", args=[job.pk]), headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith('<div id="progress"')
    assert "99% of the file read" in body  # rounded down: 100% only once all of it is read


def test_a_job_whose_size_is_not_known_yet_shows_no_percentage(client, world):
    job = _running_job(world, bytes_read=0, bytes_total=0)
    client.force_login(world.users["aston_admin"])
    body = client.get(reverse("expertise:import_job", args=[job.pk])).content.decode()
    assert "of the file read" not in body
    assert "<progress" not in body
