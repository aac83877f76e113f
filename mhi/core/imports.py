"""The import framework: read a CSV file into rows that remember their line, collect every problem
with file, row and column, refuse the whole file when any row is bad, and measure how far into its file
an import has read."""

import csv
import io
from collections.abc import Iterator
from contextvars import ContextVar
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
        handle = io.TextIOWrapper(open_for_import(path), encoding="utf-8-sig", newline="")
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


class _ImportFile(io.BufferedReader):
    """A file opened by an import's reader; it remembers how far it was read once it is closed."""

    position_at_close = 0

    def position(self) -> int:
        return self.position_at_close if self.closed else self.tell()

    def close(self) -> None:
        if not self.closed:
            self.position_at_close = self.tell()
        super().close()


class ReadPosition:
    """How far an import has read into its file, in bytes of the file as stored: for a gzip file, of the
    compressed bytes; for a folder, summed over the files opened so far.

    Readers are generators called as `reader(path)` that open their file deep inside a parser, so instead
    of every reader taking a parameter, each file opened with `open_for_import` inside `with ReadPosition()`
    is counted by it. The position runs up to a buffer's length ahead of the record being parsed, which is
    close enough for a percentage.
    """

    def __init__(self):
        self._files: list[_ImportFile] = []
        self._token = None

    @property
    def bytes_read(self) -> int:
        return sum(file.position() for file in self._files)

    def __enter__(self) -> "ReadPosition":
        self._token = _measuring.set(self)
        return self

    def __exit__(self, *exc_info) -> None:
        _measuring.reset(self._token)


_measuring: ContextVar[ReadPosition | None] = ContextVar("import_read_position", default=None)


def open_for_import(path: Path) -> io.BufferedReader:
    """The file opened for reading as bytes, counted by the ReadPosition measuring at the time, if any."""
    handle = _ImportFile(io.FileIO(path, "rb"))
    position = _measuring.get()
    if position is not None:
        position._files.append(handle)
    return handle
