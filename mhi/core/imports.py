"""The import framework: read a CSV file into rows that remember their line, collect every problem
with file, row and column, and refuse the whole file when any row is bad."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

from mhi.core.errors import ImportFailed, RowProblem


@dataclass
class CsvRow:
    file: str
    number: int  # 1-based line in the file, counting the header as row 1
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


@dataclass
class ImportProblems:
    problems: list[RowProblem] = field(default_factory=list)

    def add(self, row: CsvRow | None, column: str, message: str, *, file: str = "") -> None:
        self.problems.append(
            RowProblem(file=row.file if row else file, row=row.number if row else 0, column=column, message=message)
        )

    def add_validation_error(self, row: CsvRow, error: ValidationError, columns: dict[str, str]) -> None:
        """Name the CSV column for each model field that failed; `columns` maps field → column."""
        for field_name, messages in error.message_dict.items():
            column = columns.get(field_name, field_name)
            for message in messages:
                self.add(row, column, message)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ImportFailed(self.problems)


def csv_rows(path: Path, *, required: list[str], problems: ImportProblems) -> Iterator[CsvRow]:
    """Rows of a UTF-8 CSV file; a missing file or column is reported once and yields nothing."""
    name = path.name
    if not path.exists():
        problems.add(None, "-", f"file not found at {path}", file=name)
        return
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        problems.add(None, "-", f"cannot be read: {exc}", file=name)
        return
    with handle:
        try:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                problems.add(None, ", ".join(missing), "column missing from the header row", file=name)
                return
            for index, values in enumerate(reader, start=2):
                if None in values:
                    problems.add(CsvRow(name, index, {}), "-", "this row has more cells than the header")
                    continue
                yield CsvRow(name, index, values)
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.add(None, "-", f"is not a readable UTF-8 CSV file: {exc}", file=name)
