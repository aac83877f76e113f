"""A generic works CSV, for publication lists kept by hand or exported from a reference manager: one work a
row, in the columns docs/csv-formats.md describes, read a row at a time into the WorkRecords the other
readers produce."""

import re
from collections.abc import Iterator
from pathlib import Path

from django.core.exceptions import ValidationError

from mhi.core.errors import RowProblem
from mhi.core.imports import CsvRow, ImportProblems, csv_rows
from mhi.core.validators import orcid_normalise, validate_orcid
from mhi.expertise.importers.base import (
    RAW_NAME_MAX,
    VENUE_MAX,
    AuthorRecord,
    FileUnreadable,
    RecordStream,
    WorkRecord,
    clean_text,
    doi_normalise,
    pmid_normalise,
    unique,
    year_from,
)

SOURCE = "csv"
REQUIRED = ["title"]
# "Jane Smith <0000-0002-1825-0097>" or "Jane Smith"; the iD may also be written as an orcid.org URL.
AUTHOR_RE = re.compile(r"^(?P<name>[^<>]*?)\s*(?:<(?P<orcid>[^<>]*)>)?$")


def csv_rows_in_order(path: Path, *, required: list[str]) -> Iterator[CsvRow | RowProblem]:
    """`csv_rows`, with each bad row's problem yielded where the row was, for the caller to refuse or skip.

    A problem with the file as a whole (a missing column, not UTF-8) means no row after it is known, so it
    is raised as FileUnreadable.
    """
    problems = ImportProblems()
    reported = 0

    def new_problems() -> Iterator[RowProblem]:
        nonlocal reported
        for problem in problems.problems[reported:]:
            reported += 1
            if problem.row == 0:
                where = f" ({problem.column})" if problem.column != "-" else ""
                raise FileUnreadable(f"{problem.message}{where}")
            yield problem

    for row in csv_rows(path, required=required, problems=problems):
        yield from new_problems()
        yield row
    yield from new_problems()


def csv_works_records(path: Path) -> RecordStream:
    for item in csv_rows_in_order(path, required=REQUIRED):
        if isinstance(item, RowProblem):
            yield WorkRecord(label=f"row {item.row}", source=SOURCE, problems=[("-", item.message)])
        else:
            yield work_record(item)


def work_record(row: CsvRow) -> WorkRecord:
    doi, pmid = doi_normalise(row.get("doi")), pmid_normalise(row.get("pmid"))
    key = doi or (f"PMID {pmid}" if pmid else "")
    record = WorkRecord(label=f"row {row.number} ({key})" if key else f"row {row.number}", source=SOURCE)
    record.doi, record.pmid = doi, pmid
    record.title = clean_text(row.get("title"))
    record.abstract = clean_text(row.get("abstract"))
    record.year, problem = year_from(row.get("year"))
    if problem:
        record.problems.append(("year", problem))
    record.venue = clean_text(row.get("venue"))[:VENUE_MAX]
    record.topics = unique(clean_text(topic) for topic in row.get("topics").split(";"))
    record.authors = _authors(row, record.problems)
    return record


def _authors(row: CsvRow, problems: list[tuple[str, str]]) -> list[AuthorRecord]:
    cells = [cell.strip() for cell in row.get("authors").split(";")]
    cells = [cell for cell in cells if cell]
    listed = [cell.strip() for cell in row.get("author_orcids").split(";")] if row.get("author_orcids") else []
    if listed and len(listed) != len(cells):
        problems.append(
            (
                "author_orcids",
                f"lists {len(listed)} ORCID iDs for {len(cells)} authors; give one per author, "
                "leaving it empty between the semicolons for an author without one",
            )
        )
        listed = []
    authors = []
    for position, cell in enumerate(cells, start=1):
        match = AUTHOR_RE.match(cell)
        if match is None:
            problems.append(("authors", f"author {position} “{cell}” is not “Name” or “Name <ORCID iD>”"))
            continue
        name = clean_text(match.group("name"))
        in_name, in_column = _orcid(match.group("orcid")), _orcid(listed[position - 1] if listed else "")
        if not name:
            problems.append(("authors", f"author {position} has no name"))
            continue
        if in_name and in_column and in_name != in_column:
            problems.append(
                ("author_orcids", f"author {position} ({name}) is given ORCID iD {in_name} and also {in_column}")
            )
            continue
        orcid = in_name or in_column
        if orcid:
            try:
                validate_orcid(orcid)
            except ValidationError as exc:
                # Unlike the publishers' files, this file was written by someone who can correct the iD, and
                # a wrong iD would match the work to somebody else.
                column = "authors" if in_name else "author_orcids"
                problems.append((column, f"author {position} ({name}): {exc.messages[0]}"))
                continue
        authors.append(AuthorRecord(position=position, raw_name=name[:RAW_NAME_MAX], orcid=orcid))
    return authors


def _orcid(value: str | None) -> str:
    """The iD in its short dashed form, as far as it can be put in one; validation says what is wrong."""
    if not value or not value.strip():
        return ""
    orcid = orcid_normalise(value)
    if len(orcid) == 16 and "-" not in orcid:
        orcid = "-".join(orcid[i : i + 4] for i in range(0, 16, 4))
    return orcid
