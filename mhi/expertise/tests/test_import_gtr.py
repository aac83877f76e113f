import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mhi.core.errors import DomainError, ImportFailed
from mhi.directory.tests.factories import OrganisationFactory, PersonFactory
from mhi.expertise.grants import grants_import_file, grants_of
from mhi.expertise.models import Grant, GrantParticipant

DATA = Path(__file__).parent / "data"
PROJECTS = DATA / "gtr_projects.csv"
REFERENCES = ["AH/S002839/1", "AH/L008378/1", "AH/R003246/1", "AH/S012788/1", "AH/K007718/1", "2447282"]
BECKETT_ORCID = "0000-0001-9087-0998"


def _rows() -> list[dict]:
    with PROJECTS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict], *, fieldnames=None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames or list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_it_imports_every_project_as_a_grant_with_its_pi(db):
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert (report.records_seen, report.created, report.updated, report.unchanged, report.skipped) == (6, 6, 0, 0, [])
    assert report.participants_written == 5
    assert sorted(Grant.objects.values_list("reference", flat=True)) == sorted(REFERENCES)
    grant = Grant.objects.get(reference="AH/S012788/1")
    assert grant.funder == "AHRC"
    # GtR's "&quot;" decoded
    assert (
        grant.title
        == '"To Have and To Hold": Understanding the Relationship between Forced Marriage and Modern Slavery.'
    )
    assert (grant.value, grant.currency, grant.source) == (Decimal("202329.00"), "GBP", "gtr")
    assert (grant.start_date, grant.end_date, grant.abstract) == (datetime.date(2020, 1, 27), None, "")
    pi = grant.participants.get()
    assert (pi.role, pi.raw_name, pi.person, pi.organisation) == ("pi", "Helen Ruth McCabe", None, None)
    assert pi.raw_organisation == "Sch of Politics & International Relation, University of Nottingham"


def test_a_studentship_without_a_pi_becomes_a_grant_without_participants(db):
    grants_import_file(path=PROJECTS, format="gtr")
    studentship = Grant.objects.get(reference="2447282")
    assert studentship.value == Decimal("0.00")
    assert studentship.participants.count() == 0


def test_an_end_date_equal_to_the_start_date_is_stored_as_unknown(db, tmp_path):
    rows = _rows()
    rows[1]["EndDate"] = "2016-12-31"  # AH/L008378/1, starting 2014-01-01
    grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr")
    dates = dict(Grant.objects.values_list("reference", "end_date"))
    assert dates == dict.fromkeys(REFERENCES) | {"AH/L008378/1": datetime.date(2016, 12, 31)}


def test_importing_the_same_file_again_changes_nothing(db):
    grants_import_file(path=PROJECTS, format="gtr")
    before = list(Grant.objects.order_by("pk").values())
    participants = list(GrantParticipant.objects.order_by("pk").values())
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert (report.created, report.updated, report.unchanged, report.participants_written) == (0, 0, 6, 0)
    assert list(Grant.objects.order_by("pk").values()) == before
    assert list(GrantParticipant.objects.order_by("pk").values()) == participants


def test_a_changed_title_updates_the_grant_in_place(db, tmp_path):
    grants_import_file(path=PROJECTS, format="gtr")
    grant = Grant.objects.get(reference="AH/R003246/1")
    rows = _rows()
    rows[2]["Title"] = "Small bills and petty finance"
    report = grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 5)
    assert Grant.objects.count() == 6
    changed = Grant.objects.get(pk=grant.pk)
    assert changed.title == "Small bills and petty finance"
    assert changed.updated_at > grant.updated_at
    assert changed.participants.get().pk == grant.participants.get().pk


def test_a_pi_is_matched_to_the_person_with_their_orcid_id(db):
    beckett = PersonFactory(given_name="John", family_name="Beckett", orcid=BECKETT_ORCID)
    PersonFactory(given_name="Damian", family_name="Murphy")  # same name as a PI, no ORCID iD: not guessed
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert report.pis_matched == 2
    matched = GrantParticipant.objects.filter(person__isnull=False)
    assert sorted(matched.values_list("grant__reference", "person_id")) == [
        ("AH/K007718/1", beckett.pk),
        ("AH/L008378/1", beckett.pk),
    ]
    assert [g.reference for g in grants_of(beckett)] == ["AH/L008378/1", "AH/K007718/1"]


def test_a_person_linked_by_hand_stays_linked_when_the_file_has_no_orcid_id(db):
    grants_import_file(path=PROJECTS, format="gtr")
    murphy = PersonFactory(given_name="Damian", family_name="Murphy")
    GrantParticipant.objects.filter(grant__reference="AH/S002839/1").update(person=murphy)
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert report.unchanged == 6
    assert [g.reference for g in grants_of(murphy)] == ["AH/S002839/1"]


def test_the_lead_organisation_is_matched_by_its_exact_name_ignoring_case(db):
    nottingham = OrganisationFactory(name="university of nottingham")
    OrganisationFactory(name="University of Keele")  # Keele University in GtR: a near name is not guessed
    OrganisationFactory(name="University of York")
    OrganisationFactory(name="University of York")  # two with one name: neither is chosen
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert report.lead_organisations_matched == 4
    leads = dict(Grant.objects.values_list("reference", "lead_organisation"))
    assert leads == {
        "AH/S002839/1": None,
        "AH/L008378/1": nottingham.pk,
        "AH/R003246/1": None,
        "AH/S012788/1": nottingham.pk,
        "AH/K007718/1": nottingham.pk,
        "2447282": nottingham.pk,
    }
    assert GrantParticipant.objects.get(grant__reference="AH/L008378/1").organisation == nottingham


def test_a_bad_row_refuses_the_file_naming_row_and_column_and_nothing_is_written(db, tmp_path):
    rows = _rows()
    rows[1]["PI ORCID iD"] = "http://orcid.org/0000-0001-9087-0999"
    rows[3]["AwardPounds"] = "-5"
    rows[4]["StartDate"] = "02/01/2013"
    with pytest.raises(ImportFailed) as caught:
        grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr")
    assert [str(p) for p in caught.value.problems] == [
        "projects.csv, row 3, column “PI ORCID iD”: ORCID iD “http://orcid.org/0000-0001-9087-0999” has a wrong "
        "check digit; please copy it again from orcid.org.",
        "projects.csv, row 5, column “AwardPounds”: “-5” is negative",
        "projects.csv, row 6, column “StartDate”: “02/01/2013” is not a date (expected YYYY-MM-DD)",
    ]
    assert (Grant.objects.count(), GrantParticipant.objects.count()) == (0, 0)


def test_an_end_before_the_start_is_refused(db, tmp_path):
    rows = _rows()
    rows[0]["EndDate"] = "2018-08-09"
    with pytest.raises(ImportFailed) as caught:
        grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr")
    assert (
        str(caught.value) == "projects.csv, row 2, column “EndDate”: ends on 2018-08-09 before it starts on 2018-08-10"
    )


def test_a_reference_listed_twice_is_refused_at_its_second_row(db, tmp_path):
    rows = _rows()
    rows.append(dict(rows[2], Title="Another title"))
    with pytest.raises(ImportFailed) as caught:
        grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr")
    assert str(caught.value) == (
        "projects.csv, row 8, column “ProjectReference”: AH/R003246/1 is also on row 4; list each project once"
    )
    assert Grant.objects.count() == 0


def test_skipping_bad_rows_imports_the_others_and_lists_each_skipped_row(db, tmp_path):
    rows = _rows()
    rows[1]["ProjectReference"] = ""
    rows[3]["AwardPounds"] = "about 200k"
    rows[3]["Title"] = ""
    report = grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr", skip_bad_records=True)
    assert (report.records_seen, report.created, report.skipped_count) == (6, 4, 2)
    assert report.skipped == [
        {
            "record": "row 3",
            "message": "column “ProjectReference”: has no project reference, so a second import could not find it again",
        },
        {
            "record": "row 5 (AH/S012788/1)",
            "message": "column “Title”: has no title; column “AwardPounds”: “about 200k” is not an amount in pounds",
        },
    ]
    assert sorted(Grant.objects.values_list("reference", flat=True)) == sorted(
        ["AH/S002839/1", "AH/R003246/1", "AH/K007718/1", "2447282"]
    )


def test_a_missing_column_refuses_the_file_even_when_skipping(db, tmp_path):
    rows = [{k: v for k, v in row.items() if k != "AwardPounds"} for row in _rows()]
    with pytest.raises(ImportFailed) as caught:
        grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr", skip_bad_records=True)
    assert str(caught.value) == "projects.csv, row 0, column “-”: column missing from the header row (AwardPounds)"
    assert Grant.objects.count() == 0


def test_a_new_pi_name_replaces_the_grants_pi(db, tmp_path):
    grants_import_file(path=PROJECTS, format="gtr")
    rows = _rows()
    rows[0]["PIFirstName"], rows[0]["PISurname"] = "Helena", "Daffern"
    report = grants_import_file(path=_write(tmp_path / "projects.csv", rows), format="gtr")
    assert (report.updated, report.unchanged) == (1, 5)
    grant = Grant.objects.get(reference="AH/S002839/1")
    assert list(grant.participants.values_list("role", "raw_name")) == [("pi", "Helena Daffern")]


def test_a_value_set_by_hand_is_kept_when_the_file_has_none(db):
    grants_import_file(path=PROJECTS, format="gtr")
    Grant.objects.filter(reference="AH/L008378/1").update(end_date=datetime.date(2019, 3, 31))
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert report.unchanged == 6
    assert Grant.objects.get(reference="AH/L008378/1").end_date == datetime.date(2019, 3, 31)


def test_an_unknown_format_is_refused_naming_the_formats(db):
    with pytest.raises(DomainError) as caught:
        grants_import_file(path=PROJECTS, format="researchfish")
    assert caught.value.message == "“researchfish” is not a grants format; choose one of gtr."


def test_the_command_imports_and_reports(db, capsys):
    call_command("import_grants", str(PROJECTS), "--format", "gtr")
    assert capsys.readouterr().out.splitlines() == [
        "Imported gtr_projects.csv: 6 rows: 6 created, 0 updated, 0 unchanged, 0 skipped; 5 participants written; "
        "0 principal investigators found by ORCID iD, 0 lead organisations found by name"
    ]


def test_the_command_prints_progress_for_a_large_file(db, tmp_path, capsys):
    template = _rows()[1]
    rows = [dict(template, ProjectReference=f"AH/X{n:06d}/1") for n in range(1, 2001)]
    call_command("import_grants", str(_write(tmp_path / "large.csv", rows)), "--format", "gtr")
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["1,000 rows…", "2,000 rows…"]
    assert out[2].startswith("Imported large.csv: 2,000 rows: 2,000 created,")
    assert Grant.objects.count() == 2000


def test_the_command_lists_skipped_rows(db, tmp_path, capsys):
    rows = _rows()
    rows[2]["AwardPounds"] = "-1"
    call_command("import_grants", str(_write(tmp_path / "projects.csv", rows)), "--format", "gtr", "--skip-bad-records")
    assert capsys.readouterr().out.splitlines()[1:] == [
        "  skipped row 4 (AH/R003246/1): column “AwardPounds”: “-1” is negative"
    ]
    assert Grant.objects.count() == 5


def test_the_command_refuses_a_bad_file_naming_the_row(db, tmp_path):
    rows = _rows()
    rows[2]["AwardPounds"] = "-1"
    with pytest.raises(CommandError) as caught:
        call_command("import_grants", str(_write(tmp_path / "projects.csv", rows)), "--format", "gtr")
    assert str(caught.value) == (
        "Nothing was written: 1 problem(s) found.\n  projects.csv, row 4, column “AwardPounds”: “-1” is negative"
    )
    assert Grant.objects.count() == 0


def test_a_grant_entered_by_hand_only_has_its_empty_fields_filled(db):
    Grant.objects.create(funder="AHRC", reference="AH/L008378/1", title="Hidden Histories centre", source="manual")
    report = grants_import_file(path=PROJECTS, format="gtr")
    assert (report.created, report.updated, report.unchanged) == (5, 1, 0)
    grant = Grant.objects.get(reference="AH/L008378/1")
    assert (grant.title, grant.value, grant.source) == ("Hidden Histories centre", Decimal("808089.00"), "manual")
    assert list(grant.participants.values_list("raw_name", flat=True)) == ["John Beckett"]
