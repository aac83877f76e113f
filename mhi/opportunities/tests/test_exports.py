"""The opportunities list as an XLSX spreadsheet: the CSV's columns, dates as dates, formulas defused."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from mhi.opportunities.dates import LONDON
from mhi.opportunities.exports import EXPORT_COLUMNS
from mhi.opportunities.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def test_the_filtered_list_downloads_as_xlsx(client):
    closes = datetime.datetime(2099, 7, 3, 16, 30, tzinfo=LONDON)
    OpportunityFactory(
        title='=HYPERLINK("http://evil")', kind="funding_call", closes_at=closes, value_max=Decimal("500000")
    )
    OpportunityFactory(title="A consultation", kind="consultation")
    response = client.get(reverse("opportunities:list"), {"kind": "funding_call", "format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == EXPORT_COLUMNS
    assert len(rows) == 2  # the consultation is filtered out
    row = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert row["title"] == '=HYPERLINK("http://evil")'  # kept as text, not written as a formula
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert row["closes"] == datetime.datetime(2099, 7, 3, 16, 30)  # UK time, a real date
    assert row["value_max"] == 500000
    assert row["cap_per_institution"] is None
