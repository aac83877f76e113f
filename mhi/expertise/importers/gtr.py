"""Gateway to Research (UKRI) project-search CSV exports: one GrantRecord per project row, read a row at a
time, with every problem named by its column; `mhi.expertise.grants.grants_import_file` writes them."""

import datetime
import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError

from mhi.core.errors import RowProblem
from mhi.core.imports import CsvRow
from mhi.core.validators import orcid_normalise, validate_orcid
from mhi.expertise.importers.base import RAW_NAME_MAX, clean_text
from mhi.expertise.importers.csv_works import csv_rows_in_order

SOURCE = "gtr"
REQUIRED = [
    "FundingOrgName",
    "ProjectReference",
    "LeadROName",
    "PISurname",
    "PIFirstName",
    "PI ORCID iD",
    "Title",
    "StartDate",
    "EndDate",
    "AwardPounds",
]
# Grant.reference and Grant.funder; GrantParticipant.raw_organisation. Grant.value holds 12 digits of pounds.
REFERENCE_MAX, FUNDER_MAX, RAW_ORGANISATION_MAX = 100, 200, 300
LARGEST_AWARD = Decimal("999999999999.99")


@dataclass
class ParticipantRecord:
    role: str
    raw_name: str
    raw_organisation: str = ""
    orcid: str = ""


@dataclass
class GrantRecord:
    row: int
    # How messages name the record: "row 12 (AH/S004025/1)".
    label: str
    source: str = SOURCE
    funder: str = ""
    reference: str = ""
    title: str = ""
    value: Decimal | None = None
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    lead_organisation_name: str = ""
    participants: list[ParticipantRecord] = field(default_factory=list)
    # (column, message) for each reason the row cannot be imported; "-" for the row as a whole.
    problems: list[tuple[str, str]] = field(default_factory=list)


def gtr_records(path: Path) -> Iterator[GrantRecord]:
    for item in csv_rows_in_order(path, required=REQUIRED):
        if isinstance(item, RowProblem):
            yield GrantRecord(row=item.row, label=f"row {item.row}", problems=[("-", item.message)])
        else:
            yield grant_record(item)


def text(value: str) -> str:
    """GtR writes HTML entities into its text (“&quot;To Have and To Hold&quot;”): decoded, one line."""
    return html.unescape(clean_text(value))


def grant_record(row: CsvRow) -> GrantRecord:
    reference = row.get("ProjectReference")
    record = GrantRecord(row=row.number, label=f"row {row.number} ({reference})" if reference else f"row {row.number}")
    problems = record.problems
    record.reference, record.funder = reference, text(row.get("FundingOrgName"))
    if not reference:
        problems.append(("ProjectReference", "has no project reference, so a second import could not find it again"))
    elif len(reference) > REFERENCE_MAX:
        problems.append(("ProjectReference", f"is longer than {REFERENCE_MAX} characters"))
    if not record.funder:
        problems.append(("FundingOrgName", "has no funder"))
    elif len(record.funder) > FUNDER_MAX:
        problems.append(("FundingOrgName", f"is longer than {FUNDER_MAX} characters"))
    record.title = text(row.get("Title"))
    if not record.title:
        problems.append(("Title", "has no title"))
    record.start_date = _date(row, "StartDate", problems)
    end_date = _date(row, "EndDate", problems)
    if record.start_date and end_date and end_date < record.start_date:
        problems.append(("EndDate", f"ends on {end_date} before it starts on {record.start_date}"))
    # The exports this reader was written for (SOURCES.md §4) copied StartDate into EndDate for every row, so
    # an end date equal to the start date is that copy, not a one-day project: the end date is unknown.
    record.end_date = None if end_date == record.start_date else end_date
    record.value = _pounds(row, problems)
    record.lead_organisation_name = text(row.get("LeadROName"))
    pi = _pi(row, record.lead_organisation_name, problems)
    if pi is not None:
        record.participants.append(pi)
    return record


def _date(row: CsvRow, column: str, problems: list) -> datetime.date | None:
    value = row.get(column)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        problems.append((column, f"“{value}” is not a date (expected YYYY-MM-DD)"))
        return None


def _pounds(row: CsvRow, problems: list) -> Decimal | None:
    value = row.get("AwardPounds").replace(",", "")
    if not value:
        return None
    try:
        pounds = Decimal(value)
    except InvalidOperation:
        pounds = None
    if pounds is None or not pounds.is_finite():
        problems.append(("AwardPounds", f"“{row.get('AwardPounds')}” is not an amount in pounds"))
        return None
    if pounds < 0:
        problems.append(("AwardPounds", f"“{row.get('AwardPounds')}” is negative"))
        return None
    if pounds > LARGEST_AWARD:
        problems.append(("AwardPounds", f"“{row.get('AwardPounds')}” is larger than an award can be"))
        return None
    return pounds.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _pi(row: CsvRow, organisation: str, problems: list) -> ParticipantRecord | None:
    """The principal investigator, or None for a project without one (GtR's studentships name a student)."""
    name = text(" ".join(row.get(c) for c in ("PIFirstName", "PIOtherNames", "PISurname")))
    value = row.get("PI ORCID iD")
    orcid = ""
    if value:
        try:
            validate_orcid(value)
            orcid = orcid_normalise(value)
        except ValidationError as exc:
            problems.append(("PI ORCID iD", exc.messages[0]))
        if not name:
            problems.append(("PISurname", "has a PI ORCID iD but no PI name"))
    if not name:
        return None
    department = text(row.get("Department"))
    raw_organisation = ", ".join(part for part in (department, organisation) if part)
    return ParticipantRecord(
        role="pi", raw_name=name[:RAW_NAME_MAX], raw_organisation=raw_organisation[:RAW_ORGANISATION_MAX], orcid=orcid
    )
