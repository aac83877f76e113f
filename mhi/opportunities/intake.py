"""Reading one opportunity record (a CSV row, a JSON object, a feed item) into model fields.

The same column names are used by the CSV import (docs/csv-formats.md) and by the simple JSON feed format,
so a value means the same thing wherever it comes from. Nothing here writes to the database.
"""

import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mhi.opportunities.dates import parse_london
from mhi.opportunities.models import Kind, themes_normalise

# column → model field, in the order the documentation lists them.
COLUMNS = {
    "title": "title",
    "kind": "kind",
    "funder": "funder_name",
    "funder_organisation": "funder_organisation",
    "scheme": "scheme",
    "summary": "summary",
    "full_text": "full_text",
    "link": "link",
    "themes": "themes",
    "opens": "opens_at",
    "eoi_deadline": "eoi_deadline",
    "outline_deadline": "outline_deadline",
    "closes": "closes_at",
    "value_min": "value_min",
    "value_max": "value_max",
    "nhs_partner_required": "requires_nhs_partner",
    "industry_partner_required": "requires_industry_partner",
    "local_government_partner_required": "requires_local_government_partner",
    "lead_must_be_partner_university": "lead_must_be_partner_university",
    "min_partner_universities": "min_partner_universities",
    "cap_per_institution": "cap_per_institution",
    "cap_partnership": "cap_partnership",
    "external_id": "external_id",
}
FIELD_COLUMNS = {f: c for c, f in COLUMNS.items()}
DATE_COLUMNS = {"opens": False, "eoi_deadline": True, "outline_deadline": True, "closes": True}  # → end of day?
BOOLEAN_COLUMNS = (
    "nhs_partner_required",
    "industry_partner_required",
    "local_government_partner_required",
    "lead_must_be_partner_university",
)
INTEGER_COLUMNS = ("min_partner_universities", "cap_per_institution", "cap_partnership")
MONEY_COLUMNS = ("value_min", "value_max")
TEXT_COLUMNS = ("title", "funder", "scheme", "summary", "full_text", "link", "external_id")

_TRUE = {"yes", "y", "true", "1", "required"}
_FALSE = {"no", "n", "false", "0", ""}
_KINDS = {**{k.value: k.value for k in Kind}, **{k.label.lower(): k.value for k in Kind}, "tender": Kind.PARTNERING}


@dataclass
class RecordValues:
    """The model fields a record gave (only those present) and a (column, message) for each bad value."""

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | decimal.Decimal):
        return str(value)
    if not isinstance(value, str):
        raise ValueError("should be text")
    return value.strip()


def theme_list(value) -> list[str]:
    """Themes from a list, or from text separated by semicolons or new lines."""
    if value is None:
        return []
    if isinstance(value, list):
        return themes_normalise(_text(v) for v in value)
    return themes_normalise(re.split(r"[;\n]", _text(value)))


def money(value) -> decimal.Decimal | None:
    """£1,250,000 or 1250000.50 as pounds; empty is None."""
    if isinstance(value, bool):
        raise ValueError("should be an amount in pounds, for example 250000")
    if isinstance(value, int | float):
        value = str(value)
    text = _text(value).replace(",", "").replace("£", "").replace("GBP", "").strip()
    if not text:
        return None
    try:
        amount = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ValueError(f"“{value}” is not an amount in pounds, for example 250000") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"“{value}” is not an amount in pounds of at least 0")
    if amount >= decimal.Decimal("1e12"):
        raise ValueError(f"“{value}” is more than £1,000,000,000,000")
    return amount.quantize(decimal.Decimal("0.01"))


def whole_number(value) -> int | None:
    if isinstance(value, bool):
        raise ValueError("should be a whole number")
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"“{text}” is not a whole number of at least 0")
        number = int(text)
    if number < 0 or number > 32767:
        raise ValueError(f"{number} is not a whole number from 0 to 32767")
    return number


def yes_no(value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"“{value}” should be yes or no")


def kind_value(value) -> str:
    text = _text(value).lower()
    if text in _KINDS:
        return _KINDS[text]
    raise ValueError(f"“{value}” is not a kind; use funding_call, consultation or partnering")


def record_values(
    get: Callable[[str], Any], *, present: Callable[[str], bool], organisation_by_slug=None
) -> RecordValues:
    """Read the columns a record has. `get(column)` gives a value, `present(column)` whether the record has
    the column at all (so an absent column leaves the field alone, and an empty one clears it)."""
    out = RecordValues()
    for column, field_name in COLUMNS.items():
        if not present(column):
            continue
        raw = get(column)
        try:
            if column in TEXT_COLUMNS:
                value = _text(raw)
            elif column == "kind":
                value = kind_value(raw) if _text(raw) else Kind.FUNDING_CALL
            elif column == "themes":
                value = theme_list(raw)
            elif column in DATE_COLUMNS:
                text = _text(raw)
                value = parse_london(text, end_of_day=DATE_COLUMNS[column]) if text else None
            elif column in MONEY_COLUMNS:
                value = money(raw)
            elif column in BOOLEAN_COLUMNS:
                value = yes_no(raw)
            elif column in INTEGER_COLUMNS:
                value = whole_number(raw)
                if value is None and column == "min_partner_universities":
                    value = 0
            elif column == "funder_organisation":
                slug = _text(raw)
                value = None
                if slug:
                    value = organisation_by_slug(slug) if organisation_by_slug else None
                    if value is None:
                        raise ValueError(f"no organisation in the directory has the slug “{slug}”")
            else:  # pragma: no cover - every column is handled above
                continue
        except ValueError as exc:
            out.problems.append((column, str(exc)))
            continue
        out.fields[field_name] = value
    return out
