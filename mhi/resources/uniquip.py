"""Uniquip files in and out: importing an organisation's equipment catalogue from CSV or XLSX, exporting it, and
the open-data feed (one institution's catalogue as equipment.data.ac.uk harvests it).

Reading a file
- CSV in UTF-8 (with or without a byte-order mark) or, failing that, Windows-1252 (as Excel saves "CSV" on
  Windows); XLSX (the first sheet). The first row names the columns. Column names are matched to the 21 Uniquip
  columns (models.UNIQUIP_COLUMNS) ignoring case, spaces, "_" and "-" ("contact email" is "Contact Email"); any
  subset of them may be given. Other columns are listed in the report and otherwise left alone. Empty rows are
  passed over. Row numbers in the report count the header as row 1, as a spreadsheet numbers them.
- Values are cleaned as a form's are (mhi.resources.services.uniquip_value): stripped, line breaks stored as "\\n",
  Type as equipment or facility (empty is equipment), email addresses and web addresses checked.

Which resource a row is
- Rows are matched to the organisation's resources by ID. A row with an ID already in the catalogue updates that
  resource, with the columns the file has only: a column the file does not have leaves the field as it is, an
  empty cell empties it. Resources missing from the file are left alone (an import adds and updates; retiring a
  resource is done on its page).
- A row without an ID is given one derived from its other values: "mhi-" and the first 16 hex digits of the
  SHA-256 of its non-empty Uniquip values (as JSON, keyed by column name, sorted), so importing the same file
  again matches the same rows, wherever the columns are and whichever empty columns it has. Rows with identical
  values (real catalogues have them: St Andrews lists three "NETWORK CLUSTER"s) are told apart by their order:
  the second is "<id>-2", the third "<id>-3". Editing such a row in the file makes it a new resource; giving the
  rows IDs avoids that, and an export gives every row its ID.
- A row needs a Name or a Description. Without a Name, the first line of the Description is the name (cut to
  300 characters with "…"): legacy asset registers such as St Andrews' give only a short description. The
  ID, when given, may appear once in a file.

All or nothing: unless `skip_invalid`, any bad row refuses the file (ImportFailed naming every row, column and
problem) and nothing is written. With `skip_invalid` the good rows are imported and the bad ones listed in the
report. A file that cannot be read, or has neither a Name nor a Description column, is always refused.

Writing a file: exactly the 21 Uniquip columns in their order, every row with its ID. CSV is UTF-8 without a
byte-order mark (as open data is published; Excel users get XLSX), "excel" dialect (commas, CRLF between rows,
quotes where needed; a line break inside a value is "\\n" inside quotes). Exporting, importing that file and
exporting again gives the same bytes: values are written as an import stores them (a value stored another way,
through the admin say, is written stripped, with "\n" line breaks and without control characters). Values are written as they are: a CSV cell starting "=" is not guarded
against spreadsheet formulas (that would change the data); in XLSX every cell is written as text.
"""

import codecs
import csv
import datetime
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from mhi.core.audit import audit_record, audit_snapshot
from mhi.core.errors import Conflict, DomainError, ImportFailed, PermissionDenied, RowProblem
from mhi.core.imports import CsvRow, ImportProblems
from mhi.core.models import AuditEvent
from mhi.resources import selectors
from mhi.resources.models import UNIQUIP_COLUMNS, Resource, ResourceStatus
from mhi.resources.search import resources_searchable
from mhi.resources.services import CONTROL_CHARACTERS, FIELD_COLUMNS, text_clean, uniquip_value

MAX_BYTES = 20 * 1024 * 1024
COLUMNS = tuple(column for column, _ in UNIQUIP_COLUMNS)
COLUMN_FIELDS = dict(UNIQUIP_COLUMNS)
NAME_LENGTH = Resource._meta.get_field("name").max_length
# Fields an import never sets, left out of its validation (one query per row saved for the organisation).
_NOT_IMPORTED = [f.name for f in Resource._meta.concrete_fields if f.name not in COLUMN_FIELDS.values()]
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-\ufeff]+", "", name).casefold()


_COLUMN_BY_KEY = {_header_key(column): column for column in COLUMNS}


@dataclass
class UniquipImportReport:
    file: str
    rows: int = 0  # rows with anything in them, after the header
    created: list[Resource] = field(default_factory=list)
    updated: list[Resource] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[RowProblem] = field(default_factory=list)  # the problems of the rows left out
    unknown_columns: list[str] = field(default_factory=list)
    derived_ids: int = 0  # rows without an ID, given one derived from their values
    encoding: str = ""  # what a CSV file was read as; "xlsx" for a spreadsheet

    @property
    def skipped_rows(self) -> list[int]:
        return sorted({p.row for p in self.skipped})

    def summary(self) -> str:
        parts = [
            f"{len(self.created)} created",
            f"{len(self.updated)} updated",
            f"{self.unchanged} unchanged",
            f"{len(self.skipped_rows)} skipped",
        ]
        return f"{self.rows} rows: " + ", ".join(parts)


# --- reading ------------------------------------------------------------------------------------------------


def _refuse(file: str, message: str, *, column: str = "-", row: int = 0):
    raise ImportFailed([RowProblem(file=file, row=row, column=column, message=message)])


def _decode(data: bytes, *, file: str) -> tuple[str, str]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _refuse(file, "is saved as UTF-16 (Excel's “Unicode text”); save it as “CSV UTF-8” instead")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            _refuse(file, f"starts as UTF-8 but is not: {exc}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        _refuse(file, f"is neither UTF-8 nor Windows-1252 text: {exc}")


def _csv_table(data: bytes, *, file: str) -> tuple[list[list[str]], str]:
    text, encoding = _decode(data, file=file)
    try:
        return list(csv.reader(io.StringIO(text, newline=""))), encoding
    except csv.Error as exc:
        _refuse(file, f"is not a readable CSV file: {exc}")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _xlsx_table(data: bytes, *, file: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of error for a file it cannot read
        _refuse(file, f"is not a readable XLSX file ({type(exc).__name__})")
    try:
        if not book.worksheets:
            _refuse(file, "has no sheets")
        return [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _read_bytes(path_or_file) -> bytes:
    if isinstance(path_or_file, bytes):
        return path_or_file
    if isinstance(path_or_file, str | Path):
        return Path(path_or_file).read_bytes()
    if hasattr(path_or_file, "chunks"):  # an uploaded file
        return b"".join(path_or_file.chunks())
    return path_or_file.read()


def _is_xlsx(data: bytes, filename: str) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"


@dataclass
class _Header:
    columns: dict[int, str]  # cell index → Uniquip column
    unknown: dict[int, str]  # cell index → the heading as written
    width: int


def _header(cells: list[str], *, file: str) -> _Header:
    columns, unknown, seen = {}, {}, {}
    for index, heading in enumerate(cells):
        heading = heading.strip().lstrip("\ufeff")
        if not heading:
            continue
        column = _COLUMN_BY_KEY.get(_header_key(heading))
        if column is None:
            unknown[index] = heading
            continue
        if column in seen:
            _refuse(file, f"the column appears twice (cells {seen[column] + 1} and {index + 1})", column=column, row=1)
        seen[column] = index
        columns[index] = column
    if "Name" not in seen and "Description" not in seen:
        hint = "is the first row the column names?"
        if any(";" in c or "\t" in c for c in cells):
            hint = "are the columns separated by semicolons or tabs? Save the file as CSV, with commas."
        _refuse(file, f"the header row has neither a Name nor a Description column: {hint}", column="Name", row=1)
    return _Header(columns, unknown, len(cells))


def derived_id(values: dict[str, str]) -> str:
    """The ID of a row that has none, from its non-empty Uniquip values (column → text)."""
    given = {column: values[column] for column in sorted(values) if column != "ID" and values[column]}
    digest = hashlib.sha256(json.dumps(given, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()
    return f"mhi-{digest[:16]}"


def name_from_description(description: str) -> str:
    first = next((line.strip() for line in description.split("\n") if line.strip()), "")
    return first if len(first) <= NAME_LENGTH else first[: NAME_LENGTH - 1].rstrip() + "…"


@dataclass
class _Row:
    number: int
    uniquip_id: str
    derived: bool  # the ID was derived from the row's values
    fields: dict  # model field → value, for the columns the file has (and a name from the description)


def _rows(table: list[list[str]], header: _Header, *, file: str, problems: ImportProblems) -> list[_Row]:
    rows: list[_Row] = []
    occurrences: dict[str, int] = {}
    ids_in_file: dict[str, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = CsvRow(file, number, {})
        if any(c.strip() for c in cells[header.width :]):
            problems.add(row, "-", "this row has more cells than the header row")
            continue
        raw = {column: (cells[i] if i < len(cells) else "") for i, column in header.columns.items()}
        fields, bad = {}, False
        for column, value in raw.items():
            stored, problem = uniquip_value(COLUMN_FIELDS[column], value)
            if problem:
                problems.add(row, column, problem)
                bad = True
            fields[COLUMN_FIELDS[column]] = stored
        if bad:
            continue
        if not fields.get("name"):
            if not fields.get("description"):
                problems.add(row, "Name", "give a Name or a Description: a row needs one of them")
                continue
            fields["name"] = name_from_description(fields["description"])
        uniquip_id = fields.get("uniquip_id", "")
        derived = not uniquip_id
        if derived:
            base = derived_id({column: text_clean(value) for column, value in raw.items()})
            occurrences[base] = occurrences.get(base, 0) + 1
            uniquip_id = base if occurrences[base] == 1 else f"{base}-{occurrences[base]}"
        if uniquip_id in ids_in_file:
            problems.add(row, "ID", f"the ID “{uniquip_id}” is also on row {ids_in_file[uniquip_id]}")
            continue
        ids_in_file[uniquip_id] = number
        fields["uniquip_id"] = uniquip_id
        rows.append(_Row(number, uniquip_id, derived, fields))
    return rows


# --- importing ----------------------------------------------------------------------------------------------


def uniquip_import(
    *, actor, organisation, path_or_file, filename: str = "", skip_invalid: bool = False
) -> UniquipImportReport:
    """Import a Uniquip CSV or XLSX file into `organisation`'s catalogue (see the module's docstring).
    `actor` None is the command line (`mhi import-uniquip`), which may always import."""
    try:
        with transaction.atomic():
            return _import(
                actor=actor,
                organisation=organisation,
                path_or_file=path_or_file,
                filename=filename,
                skip_invalid=skip_invalid,
            )
    except IntegrityError:
        # Only another import adding the same ID at the same moment gets here: the rows were checked.
        raise Conflict(
            f"Another import into {organisation}'s catalogue added the same resources at the same time; nothing "
            "was written. Import the file again."
        ) from None


def _import(*, actor, organisation, path_or_file, filename: str, skip_invalid: bool) -> UniquipImportReport:
    if actor is not None and not selectors.user_may_import_for(user=actor, organisation=organisation):
        raise PermissionDenied("Only coordinators and the institution's admins import its catalogue.")
    file = filename or (Path(path_or_file).name if isinstance(path_or_file, str | Path) else "upload")
    try:
        data = _read_bytes(path_or_file)
    except OSError as exc:
        _refuse(file, f"cannot be read: {exc}")
    if len(data) > MAX_BYTES:
        raise DomainError(f"“{file}” is larger than {MAX_BYTES // (1024 * 1024)} MB.", field="file")
    if not data.strip():
        _refuse(file, "is empty")
    if _is_xlsx(data, file):
        table, encoding = _xlsx_table(data, file=file), "xlsx"
    else:
        table, encoding = _csv_table(data, file=file)
    if not table:
        _refuse(file, "is empty")
    header = _header(table[0], file=file)
    report = UniquipImportReport(file=file, encoding=encoding)
    report.rows = sum(1 for cells in table[1:] if any(c.strip() for c in cells))
    problems = ImportProblems()
    rows = _rows(table, header, file=file, problems=problems)
    report.unknown_columns = [header.unknown[i] for i in sorted(header.unknown)]
    report.derived_ids = sum(1 for row in rows if row.derived)
    has_name_column = "Name" in header.columns.values()

    existing = {r.uniquip_id: r for r in Resource.objects.filter(organisation=organisation)}
    planned: list[tuple[Resource, dict | None]] = []  # (resource, its snapshot before, None when new)
    for row in rows:
        resource = existing.get(row.uniquip_id)
        before = None if resource is None else audit_snapshot(resource)
        fields = dict(row.fields)
        if resource is None:
            resource = Resource(organisation=organisation)
        elif not has_name_column:
            fields.pop("name")  # a name derived from the description replaces only a name the file gives
        for name, value in fields.items():
            setattr(resource, name, value)
        if before is not None and audit_snapshot(resource) == before:
            report.unchanged += 1
            continue
        try:
            # The fields' own rules; the rows' IDs were checked above, and the import touches no other field.
            resource.full_clean(exclude=_NOT_IMPORTED, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            problems.add_validation_error(CsvRow(file, row.number, {}), exc, {**FIELD_COLUMNS, "__all__": "-"})
            continue
        planned.append((resource, before))
    if problems.problems:
        if not skip_invalid:
            raise ImportFailed(sorted(problems.problems, key=lambda p: p.row))
        report.skipped = sorted(problems.problems, key=lambda p: p.row)

    source = f"Uniquip import {file}"[:100]
    for resource, before in planned:
        resource.save()
        audit_record(
            instance=resource,
            action=AuditEvent.Action.CREATE if before is None else AuditEvent.Action.UPDATE,
            before=before,
            actor=actor,
            source=source,
        )
        (report.created if before is None else report.updated).append(resource)
    resources_searchable(ids=[r.pk for r in report.created + report.updated])
    return report


# --- exporting ----------------------------------------------------------------------------------------------


def _exported(value) -> str:
    """A value as an import would store it, so export → import → export gives the same bytes even for a value
    written some other way (through the admin, say): stripped, line breaks "\n", no control characters."""
    return text_clean(CONTROL_CHARACTERS.sub("", "" if value is None else str(value)))


def uniquip_values(resource: Resource) -> list[str]:
    """The resource's Uniquip values, in column order."""
    return [_exported(getattr(resource, field_name)) for _, field_name in UNIQUIP_COLUMNS]


def uniquip_export_csv(*, resources) -> bytes:
    """The resources as a Uniquip CSV file, in the order given."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for resource in resources:
        writer.writerow(uniquip_values(resource))
    return buffer.getvalue().encode("utf-8")


def uniquip_export_xlsx(*, resources) -> bytes:
    """The resources as a Uniquip spreadsheet (one sheet, "Uniquip"), every cell text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Uniquip")

    def text(value: str):
        if not value:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # never a formula or a number, whatever the text looks like
        return cell

    sheet.append([text(c) for c in COLUMNS])
    for resource in resources:
        sheet.append([text(v) for v in uniquip_values(resource)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def opendata_resources(*, organisation):
    return (
        Resource.objects.filter(organisation=organisation)
        .exclude(status=ResourceStatus.RETIRED)
        .order_by("name", "uniquip_id", "pk")
    )


def opendata_csv(*, organisation) -> bytes:
    """The institution's open-data feed: its catalogue, retired resources left out, as Uniquip CSV."""
    return uniquip_export_csv(resources=opendata_resources(organisation=organisation))
