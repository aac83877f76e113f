"""Uniquip import and export: encodings, headers, row problems, all or nothing, matching by ID, derived IDs, exact
round trips (all 21 columns, and the real St Andrews file), the open-data feed and the commands."""

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.expertise.lexical_search import lexical_search
from mhi.resources import uniquip
from mhi.resources.models import UNIQUIP_COLUMNS, Resource, ResourceStatus
from mhi.resources.tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
ST_ANDREWS = DATA / "st-andrews-equipment.csv"
COLUMNS = [column for column, _ in UNIQUIP_COLUMNS]
FIELDS = [field for _, field in UNIQUIP_COLUMNS]
# The St Andrews rows refused: ten contact emails ending in "Ê" (a non-breaking space garbled by an encoding) and a
# description with a control character (\x16).
ST_ANDREWS_BAD_ROWS = [112, 254, 426, 443, 476, 484, 485, 511, 536, 563, 576]

# Two resources with every Uniquip column filled: accents, a dash, commas, quotes and line breaks.
FULL_ROWS = [
    [
        "equipment",
        "LS-0001",
        "Zeiss LSM 880 confocal, “Airyscan”",
        'Live-cell imaging; lasers 405, 488 and 561 nm.\nBook "Room 2" for training.\n\nAsk Jürgen first.',
        "FAC-IMG",
        "Confocal microscopy",
        "https://www.wikidata.org/wiki/Q1321",
        "Zoë Ångström",
        "+44 116 252 2522",
        "https://le.ac.uk/imaging",
        "imaging@le.ac.uk",
        "Seán O'Brien",
        "+44 116 252 0000",
        "https://le.ac.uk/imaging/team",
        "sean.obrien@le.ac.uk",
        "https://le.ac.uk/images/lsm880.jpg",
        "Core Biotechnology Services",
        "Main campus, Leicester",
        "Adrian Building, room 1.02",
        "Full service, with training",
        "https://le.ac.uk/cbs/lsm880",
    ],
    [
        "facility",
        "FAC-IMG",
        "Advanced Imaging Facility",
        "Microscopes, a cryo-EM and image analysis.\r\nOpen 9–5, Monday–Friday.",
        "",
        "Microscopy, image analysis",
        "Leicester",
        "Dr Æthelred Smith",
        "0116 252 1234",
        "http://le.ac.uk/aif",
        "aif@le.ac.uk",
        "Ana Núñez",
        "0116 252 9999",
        "https://le.ac.uk/aif/contact",
        "ana.nunez@le.ac.uk",
        "https://le.ac.uk/images/aif.png",
        "Department of Molecular & Cell Biology",
        "Main campus",
        "Henry Wellcome Building",
        "Self service after induction, £45/hour",
        "https://le.ac.uk/aif",
    ],
]


def _csv(rows, *, header=COLUMNS, encoding="utf-8") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _import(organisation, data: bytes, *, filename="equipment.csv", **kwargs):
    return uniquip.uniquip_import(actor=None, organisation=organisation, path_or_file=data, filename=filename, **kwargs)


def _problems(exc_info) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.message) for p in exc_info.value.problems]


def _uniquip_values(organisation) -> list[list[str]]:
    return [
        [getattr(r, f) for f in FIELDS]
        for r in Resource.objects.filter(organisation=organisation).order_by("uniquip_id")
    ]


def _export(organisation) -> bytes:
    return uniquip.uniquip_export_csv(
        resources=Resource.objects.filter(organisation=organisation).order_by("uniquip_id")
    )


@pytest.fixture
def leicester():
    return OrganisationFactory(name="University of Leicester", slug="leicester")


@pytest.fixture
def st_andrews():
    return OrganisationFactory(name="University of St Andrews", slug="st-andrews")


# --- the real St Andrews file -----------------------------------------------------------------------------------


def test_the_st_andrews_file_is_refused_whole_naming_each_bad_row_and_column(st_andrews):
    with pytest.raises(ImportFailed) as exc_info:
        uniquip.uniquip_import(actor=None, organisation=st_andrews, path_or_file=ST_ANDREWS)
    problems = _problems(exc_info)
    assert [(row, column) for row, column, _ in problems] == [
        (row, "Description" if row == 484 else "Contact Email") for row in ST_ANDREWS_BAD_ROWS
    ]
    assert problems[0][2] == "“gsd@st-andrews.ac.ukÊ” is not an email address: “ukÊ” is not a top-level domain"
    assert problems[5][2] == "contains a control character, which cannot be stored; remove it"
    assert str(exc_info.value.problems[0]) == (
        "st-andrews-equipment.csv, row 112, column “Contact Email”: “gsd@st-andrews.ac.ukÊ” is not an email "
        "address: “ukÊ” is not a top-level domain"
    )
    assert Resource.objects.count() == 0


def test_the_st_andrews_file_imports_its_good_rows_when_asked_to_skip_the_bad(st_andrews):
    report = uniquip.uniquip_import(actor=None, organisation=st_andrews, path_or_file=ST_ANDREWS, skip_invalid=True)
    assert report.summary() == "623 rows: 612 created, 0 updated, 0 unchanged, 11 skipped"
    assert (report.encoding, report.derived_ids, report.unknown_columns) == ("cp1252", 612, [])
    assert report.skipped_rows == ST_ANDREWS_BAD_ROWS
    assert Resource.objects.filter(organisation=st_andrews).count() == 612
    first = Resource.objects.get(organisation=st_andrews, description="INDIGO2 COMPUTER RJ")
    assert {f: getattr(first, f) for f in FIELDS if getattr(first, f)} == {
        "uniquip_type": "equipment",
        "uniquip_id": uniquip.derived_id(
            {
                "Description": "INDIGO2 COMPUTER RJ",
                "Site Location": "St Andrews",
                "Contact Telephone": "441334 463744",
                "Contact URL": "https://www.st-andrews.ac.uk/maths/",
                "Contact Email": "maths@st-andrews.ac.uk",
                "Location": "https://en.wikipedia.org/wiki/St_Andrews",
                "Department": "Maths/Creem",
            }
        ),
        "name": "INDIGO2 COMPUTER RJ",
        "description": "INDIGO2 COMPUTER RJ",
        "site_location": "St Andrews",
        "contact_telephone": "441334 463744",
        "contact_url": "https://www.st-andrews.ac.uk/maths/",
        "contact_email": "maths@st-andrews.ac.uk",
        "location": "https://en.wikipedia.org/wiki/St_Andrews",
        "department": "Maths/Creem",
    }
    # Identical rows are told apart by their order.
    clusters = sorted(Resource.objects.filter(name="NETWORK CLUSTER").values_list("uniquip_id", flat=True))
    base = min(clusters, key=len)
    assert clusters == [base, f"{base}-2", f"{base}-3"]


def test_importing_the_st_andrews_file_again_changes_nothing(st_andrews):
    uniquip.uniquip_import(actor=None, organisation=st_andrews, path_or_file=ST_ANDREWS, skip_invalid=True)
    events = AuditEvent.objects.count()
    report = uniquip.uniquip_import(actor=None, organisation=st_andrews, path_or_file=ST_ANDREWS, skip_invalid=True)
    assert report.summary() == "623 rows: 0 created, 0 updated, 612 unchanged, 11 skipped"
    assert AuditEvent.objects.count() == events


def test_the_st_andrews_catalogue_round_trips_exactly(st_andrews):
    uniquip.uniquip_import(actor=None, organisation=st_andrews, path_or_file=ST_ANDREWS, skip_invalid=True)
    first = _export(st_andrews)
    fresh = OrganisationFactory()
    assert _import(fresh, first).summary() == "612 rows: 612 created, 0 updated, 0 unchanged, 0 skipped"
    assert _export(fresh) == first
    assert _uniquip_values(fresh) == _uniquip_values(st_andrews)
    # Into the same organisation: every row is matched by its ID and nothing changes.
    assert _import(st_andrews, first).summary() == "612 rows: 0 created, 0 updated, 612 unchanged, 0 skipped"


# --- all 21 columns -----------------------------------------------------------------------------------------------


def test_every_column_round_trips_exactly_through_csv(leicester):
    report = _import(leicester, _csv(FULL_ROWS))
    assert report.summary() == "2 rows: 2 created, 0 updated, 0 unchanged, 0 skipped"
    first = _export(leicester)
    stored = sorted((row[:] for row in FULL_ROWS), key=lambda row: row[1])  # as exported: by ID
    stored[0][3] = "Microscopes, a cryo-EM and image analysis.\nOpen 9–5, Monday–Friday."  # CRLF in a value → LF
    assert first == _csv(stored)
    assert _uniquip_values(leicester) == stored
    fresh = OrganisationFactory()
    _import(fresh, first)
    assert _export(fresh) == first
    assert _uniquip_values(fresh) == stored


def test_every_column_round_trips_exactly_through_xlsx(leicester):
    _import(leicester, _csv(FULL_ROWS))
    first = _export(leicester)
    xlsx = uniquip.uniquip_export_xlsx(resources=Resource.objects.filter(organisation=leicester))
    fresh = OrganisationFactory()
    report = _import(fresh, xlsx, filename="equipment.xlsx")
    assert (report.summary(), report.encoding) == ("2 rows: 2 created, 0 updated, 0 unchanged, 0 skipped", "xlsx")
    assert _export(fresh) == first
    assert _uniquip_values(fresh) == _uniquip_values(leicester)


def test_the_export_has_exactly_the_uniquip_columns_in_order(leicester):
    ResourceFactory(organisation=leicester, name="Autoclave", uniquip_id="A1", manufacturer="Priorclave")
    rows = list(csv.reader(io.StringIO(_export(leicester).decode("utf-8"), newline="")))
    assert rows == [COLUMNS, ["equipment", "A1", "Autoclave", *[""] * 18]]


def test_an_xlsx_export_keeps_text_that_looks_like_a_formula_or_a_number_as_text(leicester):
    ResourceFactory(organisation=leicester, name="=SUM(A1:A2)", uniquip_id="007", contact_telephone="01162522522")
    xlsx = uniquip.uniquip_export_xlsx(resources=Resource.objects.filter(organisation=leicester))
    fresh = OrganisationFactory()
    _import(fresh, xlsx, filename="equipment.xlsx")
    assert _uniquip_values(fresh) == _uniquip_values(leicester)


# --- encodings and headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "read_as"),
    [("utf-8", b"", "utf-8"), ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"), ("cp1252", b"", "cp1252")],
)
def test_utf8_utf8_with_a_bom_and_windows_1252_read_the_same(leicester, encoding, bom, read_as):
    rows = [["equipment", "X1", "Centrifuge – Müller’s", "Rotor £500, “fast”"]]
    report = _import(leicester, bom + _csv(rows, header=["Type", "ID", "Name", "Description"], encoding=encoding))
    assert report.encoding == read_as
    resource = Resource.objects.get()
    assert (resource.name, resource.description) == ("Centrifuge – Müller’s", "Rotor £500, “fast”")


def test_a_utf16_file_is_refused_with_what_to_do(leicester):
    with pytest.raises(ImportFailed) as exc_info:
        _import(leicester, "Name\nX\n".encode("utf-16"))
    assert _problems(exc_info) == [
        (0, "-", "is saved as UTF-16 (Excel's “Unicode text”); save it as “CSV UTF-8” instead")
    ]


def test_headers_match_ignoring_case_and_spaces_and_unknown_columns_are_reported(leicester):
    data = _csv(
        [["Mass spectrometer", "MS1", "  chemistry ", "ignored", "x@le.ac.uk"]],
        header=["  NAME", "id", "department", "Asset value", "contact_email"],
    )
    report = _import(leicester, data)
    assert (report.summary(), report.unknown_columns) == (
        "1 rows: 1 created, 0 updated, 0 unchanged, 0 skipped",
        ["Asset value"],
    )
    resource = Resource.objects.get()
    assert (resource.name, resource.uniquip_id, resource.department, resource.contact_email) == (
        "Mass spectrometer",
        "MS1",
        "chemistry",
        "x@le.ac.uk",
    )


def test_a_file_without_a_name_or_description_column_is_refused(leicester):
    with pytest.raises(ImportFailed) as exc_info:
        _import(leicester, _csv([["MS1", "Chemistry"]], header=["ID", "Department"]))
    assert _problems(exc_info) == [
        (1, "Name", "the header row has neither a Name nor a Description column: is the first row the column names?")
    ]


def test_a_file_separated_by_semicolons_is_refused_saying_so(leicester):
    with pytest.raises(ImportFailed) as exc_info:
        _import(leicester, b"Name;ID\r\nAutoclave;A1\r\n")
    assert _problems(exc_info)[0][2].endswith(
        "are the columns separated by semicolons or tabs? Save the file as CSV, with commas."
    )


def test_an_xlsx_file_made_in_a_spreadsheet_reads_numbers_and_dates_as_text(leicester):
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name ", "ID", "Contact Telephone", "Service Level", "Notes"])
    sheet.append(["Autoclave", 1001, 441334463800, datetime.datetime(2024, 5, 1), "bought 2019"])
    sheet.append([None, None, None, None, None])
    sheet.append(["Fume hood", 1002.5, None, True, None])
    buffer = io.BytesIO()
    book.save(buffer)
    report = _import(leicester, buffer.getvalue(), filename="kit.xlsx")
    assert (report.summary(), report.unknown_columns) == (
        "2 rows: 2 created, 0 updated, 0 unchanged, 0 skipped",
        ["Notes"],
    )
    assert list(Resource.objects.order_by("name").values_list("uniquip_id", "contact_telephone", "service_level")) == [
        ("1001", "441334463800", "2024-05-01"),
        ("1002.5", "", "TRUE"),
    ]


def test_a_column_given_twice_is_refused(leicester):
    with pytest.raises(ImportFailed) as exc_info:
        _import(leicester, _csv([["A", "B"]], header=["Name", "name "]))
    assert _problems(exc_info) == [(1, "Name", "the column appears twice (cells 1 and 2)")]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "is not a readable XLSX file (BadZipFile)"),
        (b"\x81\x8d\x90 bytes no text encoding gives", "binary.csv", None),
    ],
)
def test_an_unreadable_file_is_refused(leicester, data, filename, message):
    with pytest.raises(ImportFailed) as exc_info:
        _import(leicester, data, filename=filename)
    [(row, column, text)] = _problems(exc_info)
    assert (row, column) == (0, "-")
    if message:
        assert text == message
    else:
        assert text.startswith("is neither UTF-8 nor Windows-1252 text: ")


# --- rows ------------------------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_with_its_column_and_nothing_is_written(leicester):
    header = ["Type", "ID", "Name", "Description", "Contact Email", "Web Address", "Photo"]
    rows = [
        ["equipment", "OK1", "Good one", "", "", "https://le.ac.uk", ""],
        ["gadget", "B1", "Bad type", "", "", "", ""],
        ["", "B2", "Bad email", "", "not-an-email", "", ""],
        ["", "B3", "Bad link", "", "", "javascript:alert(1)", "ftp://le.ac.uk/x.jpg"],
        ["", "B4", "", "", "", "", ""],
        ["", "B5", "N" * 301, "", "", "", ""],
        ["", "OK1", "Same ID", "", "", "", ""],
        ["", "B7", "Extra cell", "", "", "", "", "surprise"],
    ]
    with pytest.raises(ImportFailed) as exc_info:
        _import(leicester, _csv(rows, header=header))
    assert _problems(exc_info) == [
        (3, "Type", "“gadget” is not a Uniquip type; use equipment or facility"),
        (4, "Contact Email", "“not-an-email” is not an email address"),
        (5, "Web Address", "“javascript:alert(1)” is not a web address; it should start with https:// or http://"),
        (5, "Photo", "“ftp://le.ac.uk/x.jpg” is not a web address; it should start with https:// or http://"),
        (6, "Name", "give a Name or a Description: a row needs one of them"),
        (7, "Name", "Ensure this value has at most 300 characters (it has 301)."),
        (8, "ID", "the ID “OK1” is also on row 2"),
        (9, "-", "this row has more cells than the header row"),
    ]
    assert Resource.objects.count() == 0


def test_skipping_invalid_rows_imports_the_good_ones_and_lists_the_rest(leicester):
    rows = [["G1", "Good", ""], ["B1", "Bad", "nope"], ["G2", "Also good", "a@le.ac.uk"]]
    report = _import(leicester, _csv(rows, header=["ID", "Name", "Contact Email"]), skip_invalid=True)
    assert report.summary() == "3 rows: 2 created, 0 updated, 0 unchanged, 1 skipped"
    assert [str(p) for p in report.skipped] == [
        "equipment.csv, row 3, column “Contact Email”: “nope” is not an email address"
    ]
    assert sorted(Resource.objects.values_list("uniquip_id", flat=True)) == ["G1", "G2"]


def test_empty_rows_and_empty_trailing_cells_are_passed_over(leicester):
    data = b"Name,ID\r\nAutoclave,A1,,\r\n,\r\n\r\nFume hood,F1\r\n"
    assert _import(leicester, data).summary() == "2 rows: 2 created, 0 updated, 0 unchanged, 0 skipped"


def test_a_row_without_a_name_is_named_by_the_first_line_of_its_description(leicester):
    long_line = "Spectrometer " + "x" * 400
    rows = [["D1", "", "\nPlate reader\nSecond line"], ["D2", "", long_line]]
    _import(leicester, _csv(rows, header=["ID", "Name", "Description"]))
    names = dict(Resource.objects.values_list("uniquip_id", "name"))
    assert names["D1"] == "Plate reader"
    assert names["D2"] == long_line[:299] + "…"
    assert len(names["D2"]) == 300


def test_a_web_address_without_a_scheme_is_stored_with_https(leicester):
    _import(leicester, _csv([["W1", "Lathe", "www.le.ac.uk/workshop"]], header=["ID", "Name", "Web Address"]))
    assert Resource.objects.get().web_address == "https://www.le.ac.uk/workshop"


def test_a_derived_id_does_not_depend_on_column_order_or_empty_columns(leicester):
    one = _csv([["Autoclave", "Chemistry"]], header=["Name", "Department"])
    two = _csv([["", "Chemistry", "Autoclave"]], header=["Building", "Department", "Name"])
    assert _import(leicester, one).summary() == "1 rows: 1 created, 0 updated, 0 unchanged, 0 skipped"
    assert _import(leicester, two).summary() == "1 rows: 0 created, 0 updated, 1 unchanged, 0 skipped"
    assert Resource.objects.get().uniquip_id == uniquip.derived_id({"Name": "Autoclave", "Department": "Chemistry"})
    assert Resource.objects.get().uniquip_id.startswith("mhi-")


# --- matching existing resources ----------------------------------------------------------------------------------


def test_rows_update_the_resource_with_their_id_changing_only_the_columns_given(leicester):
    kept = ResourceFactory(
        organisation=leicester, uniquip_id="A1", name="Autoclave", building="Old building", manufacturer="Priorclave"
    )
    same = ResourceFactory(organisation=leicester, uniquip_id="A2", name="Fume hood", building="Lab 2")
    elsewhere = ResourceFactory(uniquip_id="A1", name="Someone else's", building="Theirs")
    data = _csv(
        [["A1", "Autoclave", "New building"], ["A2", "Fume hood", "Lab 2"], ["A3", "Oven", ""]],
        header=["ID", "Name", "Building"],
    )
    report = _import(leicester, data)
    assert report.summary() == "3 rows: 1 created, 1 updated, 1 unchanged, 0 skipped"
    kept.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (kept.building, kept.manufacturer, elsewhere.building) == ("New building", "Priorclave", "Theirs")
    assert [r.pk for r in report.updated] == [kept.pk]
    assert same.pk not in [r.pk for r in report.updated + report.created]
    event = AuditEvent.objects.filter(object_id=str(kept.pk), action=AuditEvent.Action.UPDATE).get()
    assert (event.source, event.changes) == (
        "Uniquip import equipment.csv",
        {"building": ["Old building", "New building"]},
    )


def test_an_empty_cell_empties_the_field_and_a_missing_column_keeps_the_name(leicester):
    resource = ResourceFactory(organisation=leicester, uniquip_id="A1", name="Autoclave 2", department="Chemistry")
    _import(leicester, _csv([["A1", "Autoclave", ""]], header=["ID", "Description", "Department"]))
    resource.refresh_from_db()
    assert (resource.name, resource.description, resource.department) == ("Autoclave 2", "Autoclave", "")


def test_what_an_import_adds_is_found_by_its_words_at_once(leicester):
    report = _import(
        leicester, _csv([["C1", "Cryostat", "Sectioning frozen tissue"]], header=["ID", "Name", "Description"])
    )
    assert [h.object_id for h in lexical_search(kind="resource", query="cryostat")] == [report.created[0].pk]


# --- who may import -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("coordinator", True), ("aston_admin", True), ("leicester_lead", False), ("researcher", False)],
)
def test_coordinators_and_the_institutions_admins_import_its_catalogue(world, persona, allowed):
    data = _csv([["A1", "Autoclave"]], header=["ID", "Name"])
    user = world.users[persona]
    if allowed:
        report = uniquip.uniquip_import(actor=user, organisation=world.aston, path_or_file=data, filename="a.csv")
        assert report.summary() == "1 rows: 1 created, 0 updated, 0 unchanged, 0 skipped"
        assert AuditEvent.objects.get(object_id=str(report.created[0].pk)).actor == user
    else:
        with pytest.raises(PermissionDenied):
            uniquip.uniquip_import(actor=user, organisation=world.aston, path_or_file=data, filename="a.csv")


def test_an_institution_admin_cannot_import_into_another_institution(world):
    with pytest.raises(PermissionDenied):
        uniquip.uniquip_import(
            actor=world.users["aston_admin"], organisation=world.leicester, path_or_file=b"Name\nX\n", filename="a.csv"
        )


def test_a_file_too_large_is_refused(leicester, monkeypatch):
    monkeypatch.setattr(uniquip, "MAX_BYTES", 10)
    with pytest.raises(DomainError) as exc_info:
        _import(leicester, b"Name\nAutoclave\n", filename="big.csv")
    assert (exc_info.value.field, exc_info.value.message) == ("file", "“big.csv” is larger than 0 MB.")


# --- open data and the commands ---------------------------------------------------------------------------------


def test_the_open_data_feed_is_the_institutions_catalogue_without_retired_resources(leicester):
    ResourceFactory(organisation=leicester, uniquip_id="B", name="Bench centrifuge")
    ResourceFactory(organisation=leicester, uniquip_id="A", name="Autoclave", status=ResourceStatus.MAINTENANCE)
    ResourceFactory(organisation=leicester, uniquip_id="R", name="Retired lathe", status=ResourceStatus.RETIRED)
    ResourceFactory(uniquip_id="X", name="Another institution's")
    rows = list(csv.reader(io.StringIO(uniquip.opendata_csv(organisation=leicester).decode("utf-8"), newline="")))
    assert [(r[1], r[2]) for r in rows] == [("ID", "Name"), ("A", "Autoclave"), ("B", "Bench centrifuge")]


def test_the_import_command_reports_what_it_did(st_andrews, capsys):
    call_command("import_uniquip", str(ST_ANDREWS), "--organisation", "st-andrews", "--skip-invalid")
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        "Imported st-andrews-equipment.csv into University of St Andrews: "
        "623 rows: 612 created, 0 updated, 0 unchanged, 11 skipped",
        "  612 rows had no ID and were given one derived from their values",
    ]
    assert len(out) == 2 + 11
    assert out[2].startswith("  skipped st-andrews-equipment.csv, row 112, column “Contact Email”: ")


def test_the_import_command_refuses_a_file_with_bad_rows_and_writes_nothing(st_andrews):
    with pytest.raises(CommandError) as exc_info:
        call_command("import_uniquip", str(ST_ANDREWS), "--organisation", "st-andrews")
    lines = str(exc_info.value).splitlines()
    assert lines[0] == "Nothing was imported: 11 problem(s) found."
    assert len(lines) == 1 + 11 + 1
    assert Resource.objects.count() == 0


def test_the_import_command_needs_a_known_organisation():
    with pytest.raises(CommandError, match="No organisation has the slug “nowhere”."):
        call_command("import_uniquip", str(ST_ANDREWS), "--organisation", "nowhere")


def test_the_export_command_writes_csv_and_xlsx(leicester, tmp_path):
    ResourceFactory(organisation=leicester, uniquip_id="A", name="Autoclave")
    ResourceFactory(organisation=leicester, uniquip_id="R", name="Retired", status=ResourceStatus.RETIRED)
    call_command("export_uniquip", "--organisation", "leicester", "--output", str(tmp_path / "out.csv"))
    assert (tmp_path / "out.csv").read_bytes() == uniquip.opendata_csv(organisation=leicester)
    call_command(
        "export_uniquip", "--organisation", "leicester", "--include-retired", "--output", str(tmp_path / "out.xlsx")
    )
    fresh = OrganisationFactory()
    report = _import(fresh, (tmp_path / "out.xlsx").read_bytes(), filename="out.xlsx")
    assert sorted(r.uniquip_id for r in report.created) == ["A", "R"]
