"""What every works importer produces: one `WorkRecord` per work, named so a problem can point at it,
plus the normalising and checking that all formats share."""

import datetime
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.utils import timezone
from django.utils.html import strip_tags

from mhi.core.errors import RowProblem
from mhi.core.imports import open_for_import
from mhi.core.validators import ORCID_RE, orcid_normalise

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_RE = re.compile(r"^\d{1,20}$")
OPENALEX_ID_RE = re.compile(r"^W\d{1,18}$")
DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
EARLIEST_YEAR = 1800
GZIP_MAGIC = b"\x1f\x8b"

# Longest values the Work and Authorship columns hold; longer free text is cut, longer identifiers are errors.
VENUE_MAX, WORK_TYPE_MAX, RAW_NAME_MAX = 500, 50, 300


@dataclass
class AuthorRecord:
    position: int
    raw_name: str
    # Structured names when the source has them (PubMed, JATS); matching splits `raw_name` otherwise.
    family_name: str = ""
    given_name: str = ""
    # Other spellings the source gives (OpenAlex's disambiguated display name), tried when matching.
    other_names: list[str] = field(default_factory=list)
    orcid: str = ""
    raw_affiliation: str = ""
    institution_rors: list[str] = field(default_factory=list)

    def signature(self) -> tuple:
        """What decides whether a work's author list changed."""
        return (self.position, self.raw_name, self.orcid, self.raw_affiliation, tuple(self.institution_rors))


@dataclass
class WorkRecord:
    # How messages name the record: "line 12 (W2741809807)", "PMID 29456894", "article 3".
    label: str
    source: str
    title: str = ""
    abstract: str = ""
    year: int | None = None
    publication_date: datetime.date | None = None
    doi: str | None = None
    pmid: str | None = None
    openalex_id: str | None = None
    venue: str = ""
    work_type: str = ""
    topics: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    authors: list[AuthorRecord] = field(default_factory=list)
    # (field, message) pairs found while reading, before validation: unreadable JSON, a bad date, ...
    problems: list[tuple[str, str]] = field(default_factory=list)
    # Set for records of a kind this importer does not take (a PubMed book); always skipped, never an error.
    unsupported: str = ""


class FileUnreadable(Exception):
    """The file cannot be read past `line` (not well-formed XML, not the expected format), so no record
    after it is known: the whole import stops, whatever skip_bad_records says."""

    def __init__(self, message: str, *, line: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line


class RecordProblem(RowProblem):
    """A problem with one record of a works file, named the way the file's users name records."""

    def __init__(self, *, file: str, record: str, column: str, message: str):
        super().__init__(file=file, row=0, column=column, message=message)
        self.record = record

    def __str__(self) -> str:
        return f"{self.file}, {self.record}: {self.message}" if self.record else f"{self.file}: {self.message}"

    def as_dict(self) -> dict:
        return {"file": self.file, "record": self.record, "column": self.column, "message": self.message}


def open_text(path: Path) -> IO[str]:
    """The file as UTF-8 text, gunzipped when it is gzip (OpenAlex snapshots ship as .gz parts)."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig")


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, gunzipped when it is gzip; a job's progress is measured in the file as stored."""
    handle = open_for_import(path)
    return _GzipFile(fileobj=handle) if handle.peek(2)[:2] == GZIP_MAGIC else handle


class _GzipFile(gzip.GzipFile):
    """A GzipFile that closes the file it reads (GzipFile leaves a file object it was given open)."""

    def close(self) -> None:
        source = self.fileobj
        try:
            super().close()
        finally:
            if source is not None:
                source.close()


def clean_text(value) -> str:
    """One line of text: markup removed, runs of whitespace collapsed."""
    if not value:
        return ""
    text = str(value)
    return " ".join((strip_tags(text) if "<" in text else text).split())


def doi_normalise(value) -> str | None:
    if not value:
        return None
    doi = str(value).strip()
    for prefix in DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
            break
    return doi.strip().lower() or None


def pmid_normalise(value) -> str | None:
    """ "https://pubmed.ncbi.nlm.nih.gov/29456894" or " 29456894 " → "29456894"; anything else is kept
    as given so validation can name it."""
    if value is None or value == "":
        return None
    pmid = str(value).strip().rstrip("/")
    for prefix in ("https://pubmed.ncbi.nlm.nih.gov/", "http://pubmed.ncbi.nlm.nih.gov/", "pmid:"):
        if pmid.lower().startswith(prefix):
            pmid = pmid[len(prefix) :]
            break
    return pmid.strip() or None


def orcid_or_blank(value) -> str:
    """An ORCID iD in its short form, or "" when the source's value is not one. A malformed iD is not a
    reason to refuse the work: it is dropped, and the author can still be matched by name."""
    if not value:
        return ""
    orcid = orcid_normalise(str(value))
    if len(orcid) == 16 and "-" not in orcid:
        orcid = "-".join(orcid[i : i + 4] for i in range(0, 16, 4))
    return orcid if ORCID_RE.match(orcid) else ""


def unique(values) -> list[str]:
    """Non-empty values in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def record_problems(record: WorkRecord) -> list[tuple[str, str]]:
    """(field, message) for each reason the record cannot be imported; empty when it can."""
    problems = list(record.problems)
    if any(name == "-" for name, _ in problems):
        return problems  # not readable as a record at all: nothing more to say about its fields
    if not record.title:
        problems.append(("title", "has no title"))
    latest = timezone.localdate().year + 1
    if record.year is not None and not EARLIEST_YEAR <= record.year <= latest:
        problems.append(("year", f"year {record.year} is not plausible (expected {EARLIEST_YEAR} to {latest})"))
    if record.doi is not None and (not DOI_RE.match(record.doi) or len(record.doi) > 255):
        problems.append(("doi", f"DOI “{record.doi}” is not a DOI (expected 10.NNNN/…)"))
    if record.pmid is not None and not PMID_RE.match(record.pmid):
        problems.append(("pmid", f"PMID “{record.pmid}” is not a PubMed id (expected digits only)"))
    if record.openalex_id is not None and not OPENALEX_ID_RE.match(record.openalex_id):
        problems.append(("openalex_id", f"OpenAlex id “{record.openalex_id}” is not a work id (expected W and digits)"))
    if not (record.doi or record.pmid or record.openalex_id):
        problems.append(("doi", "has no DOI, PMID or OpenAlex id, so a second import could not find it again"))
    return problems


def year_from(value) -> tuple[int | None, str]:
    """(year, problem) from a year as the source writes it: 2018, "2018", "1998 Dec-1999 Jan"."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, ""
    match = re.match(r"^\s*(\d{4})", str(value))
    if not match:
        return None, f"year “{value}” is not a year"
    return int(match.group(1)), ""


def date_from_iso(value) -> tuple[datetime.date | None, str]:
    if not value:
        return None, ""
    try:
        return datetime.date.fromisoformat(str(value)), ""
    except ValueError:
        return None, f"publication date “{value}” is not a date (expected YYYY-MM-DD)"


RecordStream = Iterator[WorkRecord]
