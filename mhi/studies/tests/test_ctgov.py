"""Importing ClinicalTrials.gov files: each format's mapping on real files, matching UK sites, and malformed
files refused with the file and field named and nothing written."""

import datetime
import json
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import ImportFailed
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.studies import ctgov
from mhi.studies.models import Study, StudySite
from mhi.studies.tests.factories import StudyFactory, TrustFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "ctgov"


def _file(name: str) -> tuple[str, bytes]:
    return name, (DATA / name).read_bytes()


@pytest.fixture
def coordinator(db):
    user = UserFactory(email="coord@example.org")
    MembershipFactory(user=user, role=Role.COORDINATOR, organisation=None)
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


@pytest.fixture
def trusts(db):
    return {
        "RRK": TrustFactory(name="University Hospitals Birmingham NHS Foundation Trust", ods_code="RRK", slug="uhb"),
        "RX1": TrustFactory(name="Nottingham University Hospitals NHS Trust", ods_code="RX1", slug="nuh"),
    }


# --- each format on the real files ------------------------------------------------------------------------------


def test_legacy_xml_maps_every_field_and_matches_birmingham_and_nottingham(coordinator, trusts):
    result = ctgov.ctgov_import(user=coordinator, files=[_file("NCT01207388.xml")])
    study = Study.objects.get()
    assert study.title == (
        "Confirmatory Phase II Study of Blinatumomab (MT103) in Patients With Minimal Residual Disease of "
        "B-precursor Acute Lymphoblastic Leukemia (ALL)"
    )
    assert (study.nct_id, study.acronym, study.other_ids) == ("NCT01207388", "BLAST", "MT103-203")
    assert (study.phase, study.study_type, study.target_recruitment) == ("2", "interventional", 116)
    assert (study.sponsor_name, study.sponsor_class) == ("Amgen Research (Munich) GmbH", "commercial")
    assert study.chief_investigator == "Ralf Bargou, MD"
    assert (study.start_date, study.end_date) == (datetime.date(2010, 11, 1), datetime.date(2019, 1, 31))
    assert study.conditions == "B-cell Acute Lymphoblastic Leukemia"
    assert study.design == "Model: Single Group Assignment; Masking: None (Open Label)"
    assert study.eligibility_summary.startswith("Ages: 18 years and over. Sex: All.\n\nInclusion Criteria:")
    assert study.status == "closed"
    assert (study.source, study.owner) == ("ctgov_xml", coordinator)
    assert len(study.source_sha256) == 64
    item = result.studies[0]
    assert item.enrollment_words == "116 (actual)"
    assert [(m.facility, m.site.ods_code, m.how) for m in item.matched] == [
        ("1605 - Queen Elizabeth Hospital", "RRK", "hospital"),
        ("1607 - Nottingham City Hospital NHS Trust", "RX1", "hospital"),
    ]
    assert [(m.facility, m.city) for m in item.unmatched] == [
        ("1602 - Bristol Royal Infirmary", "Bristol"),
        ("1604 - University Hospital of Wales", "Cardiff"),
        ("1601 - Royal Free Hospital", "London"),
    ]
    assert sorted(StudySite.objects.values_list("site__ods_code", "status")) == [
        ("RRK", "planned"),
        ("RX1", "planned"),
    ]


def test_legacy_xml_academic_with_anticipated_enrolment(coordinator):
    result = ctgov.ctgov_import(user=coordinator, files=[_file("NCT01339988.xml")])
    study = result.studies[0].study
    assert study.title == (
        "Busulfan and Cyclophosphamide Instead of Total Boby Irradiation (TBI) and Cyclophosphamide for "
        "Hematological Malignancies Hematocrit (HCT)"
    )
    assert (study.phase, study.target_recruitment, study.sponsor_class) == ("4", 10, "academic")
    assert result.studies[0].enrollment_words == "10 (anticipated)"
    assert (study.start_date, study.end_date) == (datetime.date(2011, 6, 1), datetime.date(2019, 6, 30))
    assert result.studies[0].notes == [
        "ClinicalTrials.gov gives the lead sponsor's class as “Other”, which covers universities, hospitals and "
        "charities alike; it is recorded as academic."
    ]


def test_legacy_xml_phase_2_3(coordinator):
    study = ctgov.ctgov_import(user=coordinator, files=[_file("NCT02654730.xml")]).studies[0].study
    assert (study.phase, study.acronym, study.target_recruitment) == ("2_3", "SAFEPRIM-II", 61)
    assert study.sponsor_name == "London School of Hygiene and Tropical Medicine"


def test_a_uk_facility_outside_the_directory_is_reported_not_guessed(coordinator, trusts):
    item = ctgov.ctgov_import(user=coordinator, files=[_file("NCT01841593.xml")]).studies[0]
    assert item.matched == []
    assert [(m.facility, m.city) for m in item.unmatched] == [("St Stephen's AIDS Trust", "London")]
    assert StudySite.objects.count() == 0


def test_api_v2_json(coordinator):
    item = ctgov.ctgov_import(user=coordinator, files=[_file("NCT03630471.json")]).studies[0]
    study = item.study
    assert study.title == (
        "Effectiveness of a Problem-solving Intervention for Common Adolescent Mental Health Problems in India"
    )
    assert (study.nct_id, study.acronym, study.other_ids) == ("NCT03630471", "PRIDE", "SANPRIDE_002")
    assert (study.phase, study.target_recruitment, item.enrollment_words) == ("na", 250, "250 (actual)")
    assert (study.sponsor_name, study.sponsor_class) == ("Sangath", "academic")
    assert (study.start_date, study.end_date) == (datetime.date(2018, 8, 20), datetime.date(2019, 2, 28))
    assert study.chief_investigator == "Vikram Patel, PhD"
    assert study.design == "Allocation: Randomized; Model: Parallel; Masking: Double"
    assert study.source == "ctgov_json"


def test_api_v2_json_industry_is_commercial(coordinator):
    study = ctgov.ctgov_import(user=coordinator, files=[_file("NCT03418623.json")]).studies[0].study
    assert (study.phase, study.sponsor_class, study.target_recruitment) == ("2", "commercial", 24)
    assert study.sponsor_name == "Laboratorio Farmaceutico Ct S.r.l."
    assert (study.start_date, study.end_date) == (datetime.date(2018, 3, 8), datetime.date(2020, 3, 13))


def test_api_v2_json_estimated_is_anticipated_and_observational(coordinator):
    item = ctgov.ctgov_import(user=coordinator, files=[_file("NCT06171568.json")]).studies[0]
    assert item.enrollment_words == "400 (anticipated)"
    assert (item.study.study_type, item.study.phase) == ("observational", "na")
    assert item.study.title == "Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes"
    assert (item.study.start_date, item.study.end_date) == (datetime.date(2024, 2, 1), datetime.date(2025, 2, 1))


def test_classic_full_studies_response_json(coordinator):
    item = ctgov.ctgov_import(user=coordinator, files=[_file("NCT04780763.json")]).studies[0]
    study = item.study
    assert study.nct_id == "NCT04780763"
    assert study.title.startswith("Effect of 4-week Oral Administration of a Fermented Dairy Product")
    assert (study.phase, study.sponsor_class, study.sponsor_name) == ("na", "commercial", "Danone Research")
    assert (study.target_recruitment, item.enrollment_words) == (168, "168 (anticipated)")
    assert (study.start_date, study.end_date) == (datetime.date(2021, 3, 4), datetime.date(2021, 7, 31))
    assert study.other_ids == "NU391; S64737"
    assert study.chief_investigator == "Rim HASSOUNA, PhD"
    assert study.eligibility_summary.startswith("Ages: 20 years to 30 years. Sex: Female.")
    assert study.source == "ctgov_json"


@pytest.mark.parametrize(
    ("values", "phase"),
    [
        (["PHASE1"], "1"),
        (["PHASE1", "PHASE2"], "1_2"),
        (["Phase 1/Phase 2"], "1_2"),
        (["PHASE2", "PHASE3"], "2_3"),
        (["Phase 2/Phase 3"], "2_3"),
        (["EARLY_PHASE1"], "early_1"),
        (["Early Phase 1"], "early_1"),
        (["Phase 0"], "early_1"),
        (["NA"], "na"),
        (["N/A"], "na"),
        (["Not Applicable"], "na"),
        ([], "na"),
        (["Phase 3"], "3"),
        (["PHASE4"], "4"),
    ],
)
def test_every_phase_spelling(values, phase):
    assert ctgov.phase_from_ctgov(values) == phase


@pytest.mark.parametrize(
    ("raw", "end", "day"),
    [
        ("2019-03", False, datetime.date(2019, 3, 1)),
        ("2019-03", True, datetime.date(2019, 3, 31)),
        ("2019-03-15", False, datetime.date(2019, 3, 15)),
        ("March 2019", False, datetime.date(2019, 3, 1)),
        ("February 2020", True, datetime.date(2020, 2, 29)),
        ("March 15, 2019", True, datetime.date(2019, 3, 15)),
    ],
)
def test_ctgov_dates(raw, end, day):
    assert ctgov.parse_ctgov_date(raw, end=end) == day


@pytest.mark.parametrize(
    ("raw", "klass"),
    [
        ("INDUSTRY", "commercial"),
        ("Industry", "commercial"),
        ("NIH", "other"),
        ("FED", "other"),
        ("U.S. Fed", "other"),
        ("OTHER_GOV", "other"),
        ("OTHER", "academic"),
        ("NETWORK", "academic"),
    ],
)
def test_sponsor_classes(raw, klass):
    assert ctgov.sponsor_class_from_ctgov(raw)[0] == klass


# --- malformed files: refused, nothing written ------------------------------------------------------------------


def _v2(**changes) -> bytes:
    doc = json.loads((DATA / "NCT03630471.json").read_bytes())
    for path, value in changes.items():
        node = doc["protocolSection"]
        *parents, last = path.split("__")
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(last)
        else:
            node[last] = value
    return json.dumps(doc).encode()


def _refused(coordinator, files) -> list[str]:
    before = (Study.objects.count(), StudySite.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ImportFailed) as caught:
        ctgov.ctgov_import(user=coordinator, files=files)
    assert (Study.objects.count(), StudySite.objects.count(), AuditEvent.objects.count()) == before
    return [str(p) for p in caught.value.problems]


def test_a_file_that_is_neither_json_nor_xml(coordinator):
    assert _refused(coordinator, [("notes.txt", b"NCT01207388 is a study")]) == [
        "notes.txt: The file is neither JSON nor XML; upload a ClinicalTrials.gov record (API v2 JSON or the legacy "
        "XML)."
    ]


def test_broken_json(coordinator):
    assert _refused(coordinator, [("bad.json", b'{"protocolSection": ')]) == [
        "bad.json: The file is not valid JSON (Expecting value: line 1 column 21 (char 20))."
    ]


def test_json_of_another_shape(coordinator):
    assert _refused(coordinator, [("other.json", b'{"hello": 1}')]) == [
        "other.json: This JSON is not a ClinicalTrials.gov study: it has neither “protocolSection” (API v2) nor "
        "“FullStudiesResponse” (the classic API)."
    ]


def test_xml_with_the_wrong_root(coordinator):
    assert _refused(coordinator, [("feed.xml", b"<rss><channel/></rss>")]) == [
        "feed.xml: The XML's root element is <rss>; a ClinicalTrials.gov record's is <clinical_study>."
    ]


def test_xml_entities_are_refused(coordinator):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><clinical_study>&a;</clinical_study>'
    assert _refused(coordinator, [("bomb.xml", bomb)]) == [
        "bomb.xml: The XML uses entities or a DTD, which are not accepted."
    ]


def test_no_nct_number(coordinator):
    data = _v2(identificationModule__nctId=None)
    assert _refused(coordinator, [("no-id.json", data)]) == [
        "no-id.json, field “protocolSection.identificationModule.nctId”: There is no NCT number; a "
        "ClinicalTrials.gov record must have one."
    ]


def test_a_bad_date(coordinator):
    data = _v2(statusModule__startDateStruct__date="Spring 2018")
    assert _refused(coordinator, [("bad-date.json", data)]) == [
        "bad-date.json, field “protocolSection.statusModule.startDateStruct.date”: “Spring 2018” is not a date "
        "ClinicalTrials.gov writes (like 2019-03, 2019-03-15, March 2019 or March 15, 2019)."
    ]


def test_a_bad_xml_date_and_phase_are_both_named(coordinator):
    data = (DATA / "NCT01339988.xml").read_bytes()
    data = data.replace(b"<start_date>June 2011</start_date>", b"<start_date>31/06/2011</start_date>")
    data = data.replace(b"<phase>Phase 4</phase>", b"<phase>Phase 5</phase>")
    assert _refused(coordinator, [("NCT01339988.xml", data)]) == [
        "NCT01339988.xml, field “phase”: “Phase 5” is not a ClinicalTrials.gov phase.",
        "NCT01339988.xml, field “start_date”: “31/06/2011” is not a date ClinicalTrials.gov writes (like 2019-03, "
        "2019-03-15, March 2019 or March 15, 2019).",
    ]


def test_a_batch_with_one_bad_file_writes_nothing(coordinator, trusts):
    problems = _refused(coordinator, [_file("NCT01207388.xml"), _file("NCT03630471.json"), ("x.txt", b"hello")])
    assert problems == [
        "x.txt: The file is neither JSON nor XML; upload a ClinicalTrials.gov record (API v2 JSON or the legacy XML)."
    ]


def test_the_same_study_twice_in_a_batch(coordinator):
    problems = _refused(coordinator, [_file("NCT03630471.json"), ("copy.json", _file("NCT03630471.json")[1])])
    assert problems == [
        "copy.json, field “NCT number”: NCT03630471 is also in NCT03630471.json; upload each study once."
    ]


def test_an_nct_number_already_in_the_hub_is_refused_unless_updating(coordinator, trusts):
    StudyFactory(nct_id="NCT01207388", title="Old title", owner=coordinator)
    problems = _refused(coordinator, [_file("NCT03630471.json"), _file("NCT01207388.xml")])
    assert problems == [
        "NCT01207388.xml, field “NCT number”: NCT01207388 is already in the hub (“Old title”); choose to update "
        "existing studies to replace it from this file."
    ]
    assert Study.objects.count() == 1
    result = ctgov.ctgov_import(user=coordinator, files=[_file("NCT01207388.xml")], update=True)
    study = Study.objects.get(nct_id="NCT01207388")
    assert (len(result.created), len(result.updated)) == (0, 1)
    assert (study.title[:32], study.version, study.source) == ("Confirmatory Phase II Study of B", 2, "ctgov_xml")
    assert StudySite.objects.filter(study=study).count() == 2


def test_updating_a_study_someone_else_owns_is_refused(coordinator, trusts):
    researcher = UserFactory()
    MembershipFactory(user=researcher, role=Role.RESEARCHER, organisation=OrganisationFactory(kind="university"))
    StudyFactory(nct_id="NCT01207388", title="Old title", owner=coordinator)
    assert _refused_by(researcher) == [
        "NCT01207388.xml, field “NCT number”: NCT01207388 is already in the hub and only coordinators and its owner "
        "may update it."
    ]


def _refused_by(user):
    with pytest.raises(ImportFailed) as caught:
        ctgov.ctgov_import(user=user, files=[_file("NCT01207388.xml")], update=True)
    return [str(p) for p in caught.value.problems]


def test_a_dry_run_writes_nothing(coordinator, trusts):
    result = ctgov.ctgov_import(user=coordinator, files=[_file("NCT01207388.xml")], dry_run=True)
    assert result.dry_run is True
    assert [m.site.ods_code for m in result.studies[0].matched] == ["RRK", "RX1"]
    assert (Study.objects.count(), StudySite.objects.count()) == (0, 0)


def test_the_import_is_audited(coordinator, trusts):
    ctgov.ctgov_import(user=coordinator, files=[_file("NCT01207388.xml")])
    assert AuditEvent.objects.filter(action="create", source="ClinicalTrials.gov import").count() == 1
    assert AuditEvent.objects.filter(action="create").count() == 3  # the study and two sites


# --- the command, the page and the API ---------------------------------------------------------------------------


def test_the_command(coordinator, trusts, capsys):
    call_command("import_ctgov", str(DATA / "NCT01207388.xml"), str(DATA / "NCT03630471.json"))
    out = capsys.readouterr().out
    assert "Imported 2 new and 0 updated studies." in out
    assert "UK facility not matched: 1602 - Bristol Royal Infirmary, Bristol" in out
    assert Study.objects.get(nct_id="NCT01207388").owner == coordinator


def test_the_command_refuses_a_bad_file(coordinator, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<rss/>")
    with pytest.raises(CommandError) as caught:
        call_command("import_ctgov", str(DATA / "NCT03630471.json"), str(bad))
    assert str(caught.value) == (
        "Nothing was imported: 1 problem(s) found.\n"
        "  bad.xml: The XML's root element is <rss>; a ClinicalTrials.gov record's is <clinical_study>."
    )
    assert Study.objects.count() == 0


def test_the_import_page(client, coordinator, trusts):
    client.force_login(coordinator)
    files = [SimpleUploadedFile(n, d) for n, d in (_file("NCT01207388.xml"), _file("NCT03630471.json"))]
    response = client.post(reverse("studies:import"), {"files": files})
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 added, 0 updated" in html
    assert "1605 - Queen Elizabeth Hospital, Birmingham → University Hospitals Birmingham NHS Foundation Trust" in html
    assert "NCT01207388: 1601 - Royal Free Hospital, London" in html
    assert "116 (actual)" in html
    assert Study.objects.count() == 2


def test_the_import_page_refuses_a_bad_file(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("studies:import"), {"files": [SimpleUploadedFile("x.xml", b"<rss/>")]})
    assert "Nothing was imported" in response.content.decode()
    assert "x.xml: The XML&#x27;s root element is &lt;rss&gt;" in response.content.decode()
    assert Study.objects.count() == 0


def test_the_import_api(client, coordinator, trusts):
    client.force_login(coordinator)
    response = client.post("/api/v1/studies/import", {"files": [SimpleUploadedFile(*_file("NCT01207388.xml"))]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"], body["dry_run"]) == (1, 0, False)
    item = body["studies"][0]
    assert (item["nct_id"], item["sponsor_class"], item["target_recruitment"], item["enrollment_type"]) == (
        "NCT01207388",
        "commercial",
        116,
        "actual",
    )
    assert [m["site_slug"] for m in item["matched"]] == ["uhb", "nuh"]
    assert len(item["unmatched"]) == 3


def test_the_import_api_refuses_with_every_problem(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/api/v1/studies/import",
        {"files": [SimpleUploadedFile("a.txt", b"hi"), SimpleUploadedFile("b.xml", b"<rss/>")]},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["files"] == [
        "a.txt: The file is neither JSON nor XML; upload a ClinicalTrials.gov record (API v2 JSON or the legacy XML).",
        "b.xml: The XML's root element is <rss>; a ClinicalTrials.gov record's is <clinical_study>.",
    ]
    assert Study.objects.count() == 0
