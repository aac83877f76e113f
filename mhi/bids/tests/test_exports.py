"""Bids as files: the filtered list as CSV and XLSX (only what the user may see, never the confidential case),
and the pipeline and success rates as CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from mhi.bids.models import Bid, BidMember, BidPartner, Stage, StageChange
from mhi.opportunities.tests.factories import OpportunityFactory

EXPORT = reverse("bids:export")


@pytest.fixture
def bids(world):
    nihr = OpportunityFactory(
        title="Research for Patient Benefit", funder_name="NIHR", scheme="RfPB", eoi_deadline=None
    )
    mine = Bid.objects.create(
        opportunity=nihr,
        title="Asthma self-management app",
        lead_organisation=world.aston,
        lead_person=world.public_person,
        summary="An app for adults with asthma.",
        case="Our secret method.",
        themes=["asthma", "digital health"],
        stage=Stage.EOI,
        value_requested=Decimal("100000"),
    )
    BidMember.objects.create(bid=mine, person=world.researcher_person, role="co_investigator")
    BidPartner.objects.create(bid=mine, organisation=world.uhb, role="nhs_trust")
    Bid.objects.create(opportunity=nihr, title='=HYPERLINK("http://x")', lead_organisation=world.leicester)
    return {"mine": mine, "nihr": nihr}


def _rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_the_bids_the_user_sees(client, world, bids):
    client.force_login(world.users["researcher"])
    response = client.get(EXPORT, {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mhi-bids-')
    header, *rows = _rows(response)
    assert header[:12] == [
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
    ]
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["title"] == "Asthma self-management app"
    assert row["stage"] == "Expression of interest"
    assert row["funder"] == "NIHR"
    assert row["lead_person"] == "Pat Public"
    assert row["partners"] == "University Hospitals Birmingham (NHS trust)"
    assert row["themes"] == "asthma; digital health"
    assert row["value_requested"] == "100000.00"
    assert row["overdue"] == "no"
    assert row["url"].endswith(f"/bids/{bids['mine'].pk}/")


def test_the_csv_leaves_out_the_confidential_case(client, world, bids):
    client.force_login(world.users["coordinator"])
    body = client.get(EXPORT, {"format": "csv"}).content.decode()
    assert "Our secret method." not in body
    assert "case" not in _rows(client.get(EXPORT, {"format": "csv"}))[0]


def test_the_csv_takes_the_filters(client, world, bids):
    client.force_login(world.users["coordinator"])
    rows = _rows(client.get(EXPORT, {"format": "csv", "stage": "idea"}))
    assert [r[1] for r in rows[1:]] == ['=HYPERLINK("http://x")']


def test_the_xlsx_has_the_same_rows_with_text_kept_as_text(client, world, bids):
    from openpyxl import load_workbook

    client.force_login(world.users["coordinator"])
    response = client.get(EXPORT, {"format": "xlsx"})
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content))["Bids"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "title", "stage")
    titles = sorted(r[1] for r in rows[1:])
    assert titles == ['=HYPERLINK("http://x")', "Asthma self-management app"]
    formula_cell = next(c for c in sheet["B"] if c.value == '=HYPERLINK("http://x")')
    assert formula_cell.data_type == "s"


def test_without_a_format_the_export_is_a_page_offering_both(client, world, bids):
    client.force_login(world.users["coordinator"])
    response = client.get(EXPORT, {"stage": "eoi"})
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "1 bid matches the filters." in " ".join(body.split())
    assert f'href="{EXPORT}?stage=eoi&amp;format=xlsx"' in body


def test_the_pipeline_csv(client, world, bids):
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("bids:pipeline"), {"format": "csv"})
    assert _rows(response) == [
        ["stage", "institution", "bids", "value_requested"],
        ["Idea", "University of Leicester", "1", "0.00"],
        ["Expression of interest", "Aston University", "1", "100000.00"],
    ]


def test_the_success_rates_csv(client, world, bids):
    bid = bids["mine"]
    Bid.objects.filter(pk=bid.pk).update(stage="awarded", value_awarded=Decimal("90000"))
    StageChange.objects.create(
        bid=bid, from_stage="submitted", to_stage="awarded", at=datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC)
    )
    client.force_login(world.users["coordinator"])
    response = client.get(reverse("bids:success"), {"format": "csv", "by": "scheme"})
    assert response["Content-Disposition"].startswith('attachment; filename="mhi-bid-success-rates-by-scheme-')
    assert _rows(response) == [
        ["scheme", "year", "decided", "awarded", "unsuccessful", "success_rate_percent", "value_awarded"],
        ["RfPB", "2025", "1", "1", "0", "100.0", "90000.00"],
    ]
