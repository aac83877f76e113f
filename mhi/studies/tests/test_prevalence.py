"""The prevalence table: CSV loads (all or nothing, every bad row named), upsert, the shipped default, the pages
and the command (S1)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from mhi.core.errors import ImportFailed, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.studies import prevalence
from mhi.studies.models import PrevalenceFigure
from mhi.studies.tests.factories import IcbFactory, PrevalenceFigureFactory

pytestmark = pytest.mark.django_db

HEADER = "condition_key,condition,area_code,area_name,percent,population_basis,year,source\n"


@pytest.fixture
def bsol():
    return IcbFactory(name="NHS Birmingham and Solihull Integrated Care Board", ods_code="QHL")


def _csv(*rows: str) -> str:
    return HEADER + "".join(row + "\n" for row in rows)


def test_load_creates_then_upserts(world, bsol):
    text = _csv(
        "diabetes,Diabetes (17+),ENG,England,7.5,aged 17 and over,2022-23,QOF",
        "diabetes,Diabetes (17+),qhl,,8.9,aged 17 and over,2022-23,QOF",
    )
    result = prevalence.prevalence_load(user=world.users["coordinator"], text=text)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    local = PrevalenceFigure.objects.get(area_code="QHL")
    assert (local.percent, local.area_name, local.indicative) == (
        Decimal("8.9000"),
        "NHS Birmingham and Solihull Integrated Care Board",
        False,
    )
    assert local.loaded_by == world.users["coordinator"]
    PrevalenceFigureFactory(condition_key="asthma", condition="Asthma", percent="6.5")
    again = prevalence.prevalence_load(
        user=world.users["aston_admin"], text=_csv("diabetes,Diabetes (17+),QHL,,9.1,aged 17 and over,2023-24,QOF")
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 0)
    assert again.summary() == "0 prevalence figures added, 1 replaced, 0 unchanged."
    assert PrevalenceFigure.objects.get(area_code="QHL").percent == Decimal("9.1000")
    assert PrevalenceFigure.objects.get(condition_key="diabetes", area_code="ENG").percent == Decimal("7.5000")
    assert PrevalenceFigure.objects.count() == 3  # asthma left alone
    assert AuditEvent.objects.filter(content_type__model="prevalencefigure").count() == 3


def test_bad_rows_are_all_named_and_nothing_written(world, bsol):
    PrevalenceFigureFactory(percent="7.5")
    text = _csv(
        "diabetes,Diabetes,ENG,England,8.0,,2023-24,QOF",
        "copd,COPD,XYZ,,1.9,,2023-24,QOF",
        "asthma,Asthma,ENG,,six,,2023-24,QOF",
        "ckd,CKD,ENG,,101,,2023-24,QOF",
        "hf,,ENG,,1.0,,2023-24,QOF",
        "diabetes,Diabetes again,eng,,8.1,,2023-24,QOF",
    )
    with pytest.raises(ImportFailed) as failed:
        prevalence.prevalence_load(user=world.users["coordinator"], text=text, name="bad.csv")
    assert [str(p) for p in failed.value.problems] == [
        "bad.csv, row 3, column “area_code”: unknown area code “XYZ”: use an ICB's ODS code or ENG",
        "bad.csv, row 4, column “percent”: “six” is not a number",
        "bad.csv, row 5, column “percent”: 101 is outside 0–100",
        "bad.csv, row 6, column “condition”: empty condition",
        "bad.csv, row 7, column “condition_key”: duplicate of row 2: the same condition_key and area_code",
    ]
    assert PrevalenceFigure.objects.count() == 1
    assert PrevalenceFigure.objects.get().percent == Decimal("7.5000")
    assert AuditEvent.objects.filter(content_type__model="prevalencefigure").count() == 0


def test_missing_column_and_empty_file(world):
    with pytest.raises(ImportFailed) as failed:
        prevalence.prevalence_load(user=world.users["coordinator"], text="condition_key,percent\nx,1\n", name="a.csv")
    assert str(failed.value.problems[0]) == (
        "a.csv, row 0, column “condition, area_code, area_name, population_basis, year, source”: "
        "column missing from the header row"
    )
    with pytest.raises(ImportFailed) as failed:
        prevalence.prevalence_load(user=world.users["coordinator"], text=HEADER, name="a.csv")
    assert failed.value.problems[0].message == "has no rows of figures"


@pytest.mark.parametrize("persona", ["leicester_lead", "researcher", "nhs_rd", "external"])
def test_only_coordinators_and_institution_admins_load(world, persona):
    with pytest.raises(PermissionDenied):
        prevalence.prevalence_load(user=world.users[persona], text=_csv("a,A,ENG,,1,,,S"))
    assert PrevalenceFigure.objects.count() == 0


def test_default_is_shipped_with_named_sources_and_marked_indicative():
    result = prevalence.prevalence_load_default()
    assert (result.created, result.updated) == (3, 0)
    figures = {f.condition_key: f for f in PrevalenceFigure.objects.all()}
    assert {k: (f.percent, f.area_code, f.year, f.indicative) for k, f in figures.items()} == {
        "hypertension": (Decimal("13.9000"), "ENG", "2017-18", True),
        "depression": (Decimal("9.9000"), "ENG", "2017-18", True),
        "obesity": (Decimal("9.8000"), "ENG", "2017-18", True),
    }
    assert all(
        "pharmafield.co.uk/healthcare/annual-report-on-gp-activity-in-england" in f.source for f in figures.values()
    )
    assert prevalence.prevalence_load_default().unchanged == 3


def test_command(tmp_path, bsol, capsys):
    call_command("load_prevalence", "--default")
    path = tmp_path / "p.csv"
    path.write_text(_csv("diabetes,Diabetes (17+),QHL,,8.9,aged 17 and over,2022-23,QOF"), encoding="utf-8")
    call_command("load_prevalence", str(path))
    assert capsys.readouterr().out == (
        "3 prevalence figures added, 0 replaced, 0 unchanged.\n1 prevalence figures added, 0 replaced, 0 unchanged.\n"
    )
    path.write_text(_csv("diabetes,Diabetes (17+),QHL,,-1,,,QOF"), encoding="utf-8")
    with pytest.raises(CommandError) as failed:
        call_command("load_prevalence", str(path))
    assert str(failed.value) == (
        "Nothing was loaded: 1 problem(s) found.\n  p.csv, row 2, column “percent”: -1 is outside 0–100"
    )
    with pytest.raises(CommandError, match="Give either a CSV file or --default."):
        call_command("load_prevalence")


def test_table_page_states_source_year_and_indicative(client):
    response = client.get(reverse("studies:prevalence"))
    assert "No prevalence figures loaded; an admin can load them from CSV." in response.content.decode()
    prevalence.prevalence_load_default()
    html = client.get(reverse("studies:prevalence")).content.decode()
    assert "13.9%" in html and "2017-18" in html and "indicative" in html
    assert "Load prevalence figures from CSV" not in html


def test_upload_page(client, world, bsol):
    client.force_login(world.users["aston_admin"])
    good = SimpleUploadedFile("p.csv", _csv("diabetes,Diabetes (17+),QHL,,8.9,,2022-23,QOF").encode())
    response = client.post(reverse("studies:prevalence_upload"), {"file": good})
    assert response.status_code == 302 and response["Location"] == reverse("studies:prevalence")
    bad = SimpleUploadedFile("p.csv", _csv("diabetes,Diabetes (17+),QHL,,8.9,,2022-23,QOF", "x,X,NOPE,,1,,,S").encode())
    html = client.post(reverse("studies:prevalence_upload"), {"file": bad}).content.decode()
    assert "The file was not loaded" in html
    assert "Row 3, column “area_code”: unknown area code “NOPE”: use an ICB&#x27;s ODS code or ENG" in html
    assert PrevalenceFigure.objects.count() == 1
    client.force_login(world.users["researcher"])
    assert client.get(reverse("studies:prevalence_upload")).status_code == 403


def test_api_upload_refuses_bad_rows(client, world):
    headers = {"Authorization": f"Bearer {world.tokens['coordinator']}"}
    bad = SimpleUploadedFile("p.csv", _csv("a,A,ENG,,abc,,,S").encode())
    response = client.post("/api/v1/prevalence", {"file": bad}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"file": ["p.csv, row 2, column “percent”: “abc” is not a number"]}
    assert PrevalenceFigure.objects.count() == 0
    good = SimpleUploadedFile("p.csv", _csv("a,A,ENG,,1.25,,2024,S").encode())
    response = client.post("/api/v1/prevalence", {"file": good}, headers=headers)
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "summary": "1 prevalence figures added, 0 replaced, 0 unchanged.",
    }
    listed = client.get("/api/v1/prevalence").json()
    assert listed == [
        {
            "condition_key": "a",
            "condition": "A",
            "area_code": "ENG",
            "area_name": "England",
            "percent": "1.2500",
            "population_basis": "",
            "year": "2024",
            "source": "S",
            "indicative": False,
        }
    ]
