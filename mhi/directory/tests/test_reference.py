import csv
import shutil

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mhi.core.errors import ImportFailed
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation, OrganisationRelation, PartnerInstitution, Person
from mhi.directory.reference import REFERENCE_DIR, reference_load
from mhi.directory.selectors import headline_figures


@pytest.fixture
def ref_dir(tmp_path):
    target = tmp_path / "reference"
    shutil.copytree(REFERENCE_DIR, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def _edit(path, row_number, column, value):
    """Set one cell; row_number counts the header as row 1, as the error messages do."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[row_number - 1][header.index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def test_it_loads_the_real_partnership(db):
    reference_load()
    kinds = Organisation.Kind
    assert Organisation.objects.filter(kind=kinds.NHS_TRUST).count() == 40
    assert Organisation.objects.filter(kind=kinds.ICB).count() == 11
    assert Organisation.objects.filter(kind=kinds.LOCAL_GOVERNMENT).count() == 65
    assert Organisation.objects.filter(kind=kinds.RESEARCH_INFRASTRUCTURE).count() == 23
    assert PartnerInstitution.objects.count() == 7
    figures = headline_figures(user=None)
    assert figures.population_served == 10_830_400
    assert (figures.partner_universities, figures.nhs_trusts, figures.icbs, figures.research_infrastructure) == (
        7,
        40,
        11,
        23,
    )


def test_it_links_identifiers_hosts_partners_and_leads(db):
    reference_load()
    aston = Organisation.objects.get(ukprn="10007759")
    assert (aston.name, aston.ror_id, aston.postcode, aston.region) == (
        "Aston University",
        "05j0ve876",
        "B4 7ET",
        "west_midlands",
    )
    uhb = Organisation.objects.get(ods_code="RRK")
    assert uhb.icb.ods_code == "QHL"
    brc = Organisation.objects.get(name="NIHR Leicester Biomedical Research Centre")
    assert brc.infrastructure_type == "brc"
    assert list(brc.relations_out.filter(kind="hosted_by").values_list("target__ods_code", flat=True)) == ["RWE"]
    assert set(brc.relations_out.filter(kind="partner").values_list("target__name", flat=True)) == {
        "University of Leicester",
        "Loughborough University",
        "University Hospitals of Northamptonshire NHS Group",
    }
    arc = Organisation.objects.get(name="NIHR Applied Research Collaboration West Midlands")
    assert arc.relations_out.get(target__name="University of Warwick").note == "academic lead"
    chair = PartnerInstitution.objects.get(is_chair=True)
    assert (chair.organisation.short_name, chair.lead.display_name) == ("Loughborough", "Prof Mark Lewis")
    leads = set(Person.objects.filter(partnership_leads__isnull=False).values_list("family_name", flat=True))
    assert leads == {"Hilton", "Adams", "Walsh", "Baker", "Lewis", "Atherton", "Kumar"}


def test_a_second_run_changes_nothing(db):
    reference_load()
    events = AuditEvent.objects.count()
    ids = set(Organisation.objects.values_list("id", "updated_at"))
    report = reference_load()
    assert report.changed is False
    assert report.summary().startswith("created: none; updated: none;")
    assert AuditEvent.objects.count() == events
    assert set(Organisation.objects.values_list("id", "updated_at")) == ids


def test_a_changed_file_updates_rows_in_place(db, ref_dir):
    reference_load(directory=ref_dir)
    trust = Organisation.objects.get(ods_code="RBK")
    _edit(ref_dir / "nhs_trusts_midlands.csv", 4, "name", "Walsall Healthcare NHS Trust (renamed)")
    report = reference_load(directory=ref_dir)
    trust_after = Organisation.objects.get(ods_code="RBK")
    assert trust_after.pk == trust.pk
    assert trust_after.name == "Walsall Healthcare NHS Trust (renamed)"
    assert dict(report.updated) == {"nhs_trust": 1}
    event = AuditEvent.objects.filter(object_id=str(trust.pk), action="update").get()
    assert event.changes == {"name": ["Walsall Healthcare NHS Trust", "Walsall Healthcare NHS Trust (renamed)"]}
    assert event.source == "mhi load-reference"


def test_a_relation_dropped_from_the_file_is_removed(db, ref_dir):
    reference_load(directory=ref_dir)
    brc_name = "NIHR Leicester Biomedical Research Centre"
    with (ref_dir / "research_infrastructure.csv").open(encoding="utf-8") as handle:
        row_number = next(i for i, row in enumerate(csv.reader(handle), start=1) if row[0] == brc_name)
    _edit(ref_dir / "research_infrastructure.csv", row_number, "partner_universities", "University of Leicester")
    report = reference_load(directory=ref_dir)
    assert report.relations_removed == 1
    assert not OrganisationRelation.objects.filter(
        subject__name=brc_name, target__name="Loughborough University"
    ).exists()


@pytest.mark.parametrize(
    ("file", "row", "column", "value", "message"),
    [
        ("nhs_trusts_midlands.csv", 5, "ods_code", "R?S", "ODS code “R?S” is not an NHS ODS code"),
        ("nhs_trusts_midlands.csv", 3, "postcode", "NOT A CODE", "Postcode “NOT A CODE” is not a UK postcode"),
        ("universities.csv", 2, "ukprn", "999", "UKPRN “999” is not a UK Provider Reference Number"),
        ("universities.csv", 3, "ror_id", "https://ror.org/XYZ", "ROR id “xyz” is not a ROR identifier"),
        ("universities.csv", 4, "latitude", "north", "“north” is not a number"),
        ("icbs_midlands.csv", 2, "population_census2021_derived", "lots", "“lots” is not a whole number"),
        ("research_infrastructure.csv", 2, "host_ods_code", "ZZZ", "“ZZZ” is not the ODS code of a trust"),
        ("population_la_midlands.csv", 6, "ons_region", "Wales", "“Wales” is not East Midlands or West Midlands"),
    ],
)
def test_a_bad_row_fails_the_whole_load_naming_file_row_and_column(db, ref_dir, file, row, column, value, message):
    _edit(ref_dir / file, row, column, value)
    with pytest.raises(ImportFailed) as exc:
        reference_load(directory=ref_dir)
    problem = next(p for p in exc.value.problems if p.file == file)
    assert (problem.file, problem.row, problem.column) == (file, row, column)
    assert problem.message.startswith(message)
    assert Organisation.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_bad_row_on_reload_leaves_the_loaded_data_untouched(db, ref_dir):
    reference_load(directory=ref_dir)
    before = list(Organisation.objects.order_by("id").values_list("id", "name", "ods_code"))
    _edit(ref_dir / "nhs_trusts_midlands.csv", 2, "name", "Changed name")
    _edit(ref_dir / "nhs_trusts_midlands.csv", 3, "ods_code", "!!")
    with pytest.raises(ImportFailed):
        reference_load(directory=ref_dir)
    assert list(Organisation.objects.order_by("id").values_list("id", "name", "ods_code")) == before


def test_a_duplicate_identifier_in_the_file_is_refused(db, ref_dir):
    _edit(ref_dir / "universities.csv", 3, "ukprn", "10007759")
    with pytest.raises(ImportFailed) as exc:
        reference_load(directory=ref_dir)
    assert str(exc.value.problems[0]) == "universities.csv, row 3, column “ukprn”: 10007759 is already used in row 2"


def test_a_missing_column_is_named(db, ref_dir):
    path = ref_dir / "icbs_midlands.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("icb_ons_code", "ons", 1), encoding="utf-8")
    with pytest.raises(ImportFailed) as exc:
        reference_load(directory=ref_dir)
    assert (
        str(exc.value.problems[0])
        == "icbs_midlands.csv, row 0, column “icb_ons_code”: column missing from the header row"
    )


def test_the_command_reports_problems_and_writes_nothing(db, ref_dir):
    _edit(ref_dir / "nhs_trusts_midlands.csv", 5, "ods_code", "R?S")
    with pytest.raises(CommandError) as exc:
        call_command("load_reference", "--dir", str(ref_dir))
    assert "Nothing was loaded: 1 problem(s) found." in str(exc.value)
    assert "nhs_trusts_midlands.csv, row 5, column “ods_code”" in str(exc.value)
    assert Organisation.objects.count() == 0
