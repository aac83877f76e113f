"""Bids as files: the filtered list as CSV or XLSX (the same columns; dates as real dates in the spreadsheet),
and the partnership pipeline and success rates as CSV beside their tables. Dates are UK time.

The list leaves out the confidential case for support: a file travels further than a page."""

import csv
import io

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from mhi.opportunities.dates import to_london

EXPORT_LIMIT = 5000
EXPORT_COLUMNS = [
    "id",
    "title",
    "stage",
    "opportunity",
    "funder",
    "scheme",
    "lead_organisation",
    "lead_person",
    "partners",
    "themes",
    "value_requested",
    "value_awarded",
    "deadline",
    "overdue",
    "stage_changed",
    "updated",
    "summary",
    "url",
]


def _naive_london(value):
    return to_london(value).replace(tzinfo=None) if value else None


def export_rows(qs, *, now=None):
    """One list per bid, in EXPORT_COLUMNS order: dates as naive UK-time datetimes, None for empty."""
    now = now or timezone.now()
    bids = qs.select_related("opportunity", "lead_organisation", "lead_person").prefetch_related(
        "partners__organisation"
    )
    for bid in bids[:EXPORT_LIMIT]:
        yield [
            bid.pk,
            bid.title,
            bid.get_stage_display(),
            bid.opportunity.title,
            bid.opportunity.funder_name,
            bid.opportunity.scheme,
            bid.lead_organisation.name,
            bid.lead_person.display_name if bid.lead_person else "",
            "; ".join(f"{p.organisation.name} ({p.get_role_display()})" for p in bid.partners.all()),
            "; ".join(bid.themes or []),
            bid.value_requested,
            bid.value_awarded,
            _naive_london(bid.deadline()),
            "yes" if bid.is_overdue(now) else "no",
            _naive_london(bid.stage_changed_at),
            _naive_london(bid.updated_at),
            bid.summary,
            settings.SITE_URL + bid.get_absolute_url(),
        ]


def _filename(name: str, suffix: str) -> str:
    return f'attachment; filename="mhi-{name}-{timezone.localdate().isoformat()}.{suffix}"'


def _csv_cell(value):
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def _csv(name: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _filename(name, "csv")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return response


def csv_response(qs) -> HttpResponse:
    return _csv("bids", EXPORT_COLUMNS, export_rows(qs))


def _text_cell(cell_class, sheet, value: str):
    """A cell that holds text starting with "=" as text: openpyxl would otherwise write it as a formula."""
    cell = cell_class(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_response(qs) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Bids")
    sheet.append(EXPORT_COLUMNS)
    for row in export_rows(qs):
        sheet.append([_text_cell(WriteOnlyCell, sheet, v) if isinstance(v, str) and v[:1] == "=" else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = _filename("bids", "xlsx")
    return response


PIPELINE_COLUMNS = ["stage", "institution", "bids", "value_requested"]


def pipeline_csv_response(summary) -> HttpResponse:
    """One row per (stage, lead institution) with bids, in pipeline order, as the page's table has them."""
    rows = ([row.stage_label, row.institution.name, row.count, row.value] for row in summary.rows)
    return _csv("bid-pipeline", PIPELINE_COLUMNS, rows)


SUCCESS_COLUMNS = ["year", "decided", "awarded", "unsuccessful", "success_rate_percent", "value_awarded"]


def success_csv_response(rows, *, by: str) -> HttpResponse:
    lines = ([r.key, r.year, r.decided, r.awarded, r.unsuccessful, r.percent, r.value_awarded] for r in rows)
    return _csv(f"bid-success-rates-by-{by}", [by, *SUCCESS_COLUMNS], lines)
