"""The opportunities list as a file: CSV (the import's column names, so a file can be edited and imported
again elsewhere) or XLSX (the same columns, dates as real dates, for spreadsheets). Dates are UK time."""

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
    "kind",
    "status",
    "funder",
    "scheme",
    "link",
    "themes",
    "opens",
    "eoi_deadline",
    "outline_deadline",
    "closes",
    "value_min",
    "value_max",
    "nhs_partner_required",
    "industry_partner_required",
    "local_government_partner_required",
    "lead_must_be_partner_university",
    "min_partner_universities",
    "cap_per_institution",
    "cap_partnership",
    "summary",
    "url",
]
DATE_COLUMNS = {"opens", "eoi_deadline", "outline_deadline", "closes"}


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def export_rows(qs):
    """One list per opportunity, in EXPORT_COLUMNS order: dates as naive UK-time datetimes, None for empty."""
    for o in qs[:EXPORT_LIMIT]:
        yield [
            o.pk,
            o.title,
            o.kind,
            o.status,
            o.funder_name,
            o.scheme,
            o.link,
            "; ".join(o.themes),
            *(
                to_london(d).replace(tzinfo=None) if d else None
                for d in (o.opens_at, o.eoi_deadline, o.outline_deadline, o.closes_at)
            ),
            o.value_min,
            o.value_max,
            _yes(o.requires_nhs_partner),
            _yes(o.requires_industry_partner),
            _yes(o.requires_local_government_partner),
            _yes(o.lead_must_be_partner_university),
            o.min_partner_universities,
            o.cap_per_institution,
            o.cap_partnership,
            o.summary,
            settings.SITE_URL + o.get_absolute_url(),
        ]


def _filename(suffix: str) -> str:
    return f'attachment; filename="mhi-opportunities-{timezone.localdate().isoformat()}.{suffix}"'


def csv_response(qs) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _filename("csv")
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    for row in export_rows(qs):
        writer.writerow(
            ["" if v is None else v.strftime("%Y-%m-%d %H:%M") if hasattr(v, "strftime") else v for v in row]
        )
    return response


def _text_cell(cell_class, sheet, value: str):
    """A cell that holds text starting with "=" as text: openpyxl would otherwise write it as a formula."""
    cell = cell_class(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_response(qs) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Opportunities")
    sheet.append(EXPORT_COLUMNS)
    for row in export_rows(qs):
        sheet.append([_text_cell(WriteOnlyCell, sheet, v) if isinstance(v, str) and v[:1] == "=" else v for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = _filename("xlsx")
    return response
