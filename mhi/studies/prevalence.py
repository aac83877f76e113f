"""The prevalence table behind reach estimates: loaded from CSV by coordinators and institution admins.

CSV columns: condition_key, condition, area_code (an ICB's ODS code from the directory, or ENG), area_name,
percent, population_basis, year, source; optionally `indicative` (yes/no). A load is all-or-nothing: every bad
row is named (row number and column) and nothing is written unless every row is good. A good file replaces the
figures of the conditions and areas it names (an upsert on condition_key + area_code) and leaves the others.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from mhi.core.audit import audit_save
from mhi.core.errors import ImportFailed, PermissionDenied, RowProblem
from mhi.core.imports import CsvRow, ImportProblems
from mhi.directory.models import Organisation
from mhi.studies import access
from mhi.studies.models import PrevalenceFigure

ENGLAND = "ENG"
COLUMNS = ["condition_key", "condition", "area_code", "area_name", "percent", "population_basis", "year", "source"]
DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_FILE = DATA_DIR / "prevalence_default.csv"
MAX_BYTES = 2 * 1024 * 1024
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class PrevalenceLoad:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return f"{self.created} prevalence figures added, {self.updated} replaced, {self.unchanged} unchanged."


def figures():
    """Every figure, England's first within each condition."""
    return PrevalenceFigure.objects.order_by("condition_key", "-area_code")


def figures_for_condition(condition_key: str) -> dict[str, PrevalenceFigure]:
    """The figures of one condition, keyed by area code."""
    if not condition_key:
        return {}
    return {f.area_code: f for f in PrevalenceFigure.objects.filter(condition_key__iexact=condition_key)}


def conditions() -> list[tuple[str, str]]:
    """(condition_key, condition) pairs in the table, one per key."""
    seen: dict[str, str] = {}
    for key, name in PrevalenceFigure.objects.order_by("condition_key", "-area_code").values_list(
        "condition_key", "condition"
    ):
        seen.setdefault(key, name)
    return list(seen.items())


def _rows(text: str, name: str, problems: ImportProblems) -> list[CsvRow]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        problems.add(None, "-", f"is not a readable CSV file: {exc}", file=name)
        return []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        problems.add(None, ", ".join(missing), "column missing from the header row", file=name)
        return []
    rows = []
    try:
        for index, values in enumerate(reader, start=2):
            if None in values:
                problems.add(CsvRow(name, index, {}), "-", "this row has more cells than the header")
                continue
            if not any((v or "").strip() for v in values.values()):
                continue  # a blank line
            rows.append(CsvRow(name, index, values))
    except csv.Error as exc:
        problems.add(None, "-", f"is not a readable CSV file: {exc}", file=name)
    if not rows and not problems.problems:
        problems.add(None, "-", "has no rows of figures", file=name)
    return rows


def _percent(row: CsvRow, problems: ImportProblems) -> Decimal | None:
    text = row.get("percent").rstrip("%").strip()
    if not text:
        problems.add(row, "percent", "empty percent")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.add(row, "percent", f"“{row.get('percent')}” is not a number")
        return None
    if not value.is_finite():
        problems.add(row, "percent", f"“{row.get('percent')}” is not a number")
        return None
    if value < 0 or value > 100:
        problems.add(row, "percent", f"{text} is outside 0–100")
        return None
    if value != value.quantize(Decimal("0.0001")):
        problems.add(row, "percent", f"{text} has more than 4 decimal places")
        return None
    return value


def parse_prevalence(text: str, *, name: str = "prevalence.csv", indicative: bool | None = None) -> list[dict]:
    """The rows of a prevalence CSV as field dicts; ImportFailed naming every bad row and column otherwise."""
    problems = ImportProblems()
    rows = _rows(text, name, problems)
    icbs = {
        o.ods_code.upper(): o
        for o in Organisation.objects.filter(kind=Organisation.Kind.ICB).exclude(ods_code=None).only("ods_code", "name")
    }
    seen: dict[tuple[str, str], int] = {}
    out = []
    for row in rows:
        key = row.get("condition_key")
        condition = row.get("condition")
        area = row.get("area_code").upper()
        ok = True
        if not condition:
            problems.add(row, "condition", "empty condition")
            ok = False
        if not key:
            problems.add(row, "condition_key", "empty condition key")
            ok = False
        elif slugify(key) != key.lower() or len(key) > 120:
            problems.add(row, "condition_key", f"“{key}” is not a key: use lower-case letters, digits, - and _")
            ok = False
        if not area:
            problems.add(row, "area_code", "empty area code: use an ICB's ODS code or ENG")
            ok = False
        elif area != ENGLAND and area not in icbs:
            problems.add(row, "area_code", f"unknown area code “{row.get('area_code')}”: use an ICB's ODS code or ENG")
            ok = False
        percent = _percent(row, problems)
        if not row.get("source"):
            problems.add(row, "source", "empty source: say where the figure comes from")
            ok = False
        flag = indicative
        if "indicative" in row.values and indicative is None:
            text_flag = row.get("indicative").lower()
            if text_flag in _TRUE:
                flag = True
            elif text_flag in _FALSE:
                flag = False
            else:
                problems.add(row, "indicative", f"“{row.get('indicative')}” is not yes or no")
                ok = False
        for column, limit in (
            ("condition", 200),
            ("area_name", 200),
            ("population_basis", 100),
            ("year", 20),
            ("source", 500),
        ):
            if len(row.get(column)) > limit:
                problems.add(row, column, f"longer than {limit} characters")
                ok = False
        if key and area:
            pair = (key.lower(), area)
            if pair in seen:
                problems.add(
                    row, "condition_key", f"duplicate of row {seen[pair]}: the same condition_key and area_code"
                )
                ok = False
            else:
                seen[pair] = row.number
        if not ok or percent is None:
            continue
        area_name = row.get("area_name") or ("England" if area == ENGLAND else icbs[area].name)
        out.append(
            {
                "condition_key": key.lower(),
                "condition": condition,
                "area_code": area,
                "area_name": area_name,
                "percent": percent,
                "population_basis": row.get("population_basis"),
                "year": row.get("year"),
                "source": row.get("source"),
                "indicative": bool(flag),
            }
        )
    problems.raise_if_any()
    return out


def decode_upload(data: bytes, *, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise ImportFailed([RowProblem(file=name, row=0, column="-", message="is larger than 2 MB")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([RowProblem(file=name, row=0, column="-", message="is not a UTF-8 CSV file")]) from None


def prevalence_load(
    *, user, text: str, name: str = "prevalence.csv", indicative: bool | None = None, check_permission: bool = True
) -> PrevalenceLoad:
    """Validate every row, then upsert them all in one transaction, audited. Nothing is written on a problem."""
    if check_permission and not access.may_load_prevalence(user):
        raise PermissionDenied("Only coordinators and institution admins may load prevalence figures.")
    rows = parse_prevalence(text, name=name, indicative=indicative)
    actor = user if getattr(user, "is_authenticated", False) else None
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {
            (f.condition_key, f.area_code): f
            for f in PrevalenceFigure.objects.select_for_update().filter(
                condition_key__in={r["condition_key"] for r in rows}
            )
        }
        for fields in rows:
            figure = existing.get((fields["condition_key"], fields["area_code"]))
            if figure is not None and all(getattr(figure, k) == v for k, v in fields.items()):
                unchanged += 1
                continue
            is_new = figure is None
            figure = figure or PrevalenceFigure()
            audit_save(
                instance=figure, actor=actor, source=f"prevalence:{name}"[:100], fields={**fields, "loaded_by": actor}
            )
            if is_new:
                created += 1
            else:
                updated += 1
    return PrevalenceLoad(created=created, updated=updated, unchanged=unchanged)


def prevalence_load_default(*, actor=None) -> PrevalenceLoad:
    """Load the shipped default (mhi/studies/data/prevalence_default.csv): national figures marked indicative."""
    if not DEFAULT_FILE.exists():
        raise ImportFailed(
            [RowProblem(file=DEFAULT_FILE.name, row=0, column="-", message="no default is shipped (see SOURCES.md)")]
        )
    text = DEFAULT_FILE.read_text(encoding="utf-8-sig")
    return prevalence_load(user=actor, text=text, name=DEFAULT_FILE.name, indicative=True, check_permission=False)


def default_shipped() -> bool:
    return DEFAULT_FILE.exists()
