import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mhi.core.errors import DomainError, ImportFailed
from mhi.core.models import AuditEvent
from mhi.opportunities import services
from mhi.opportunities.dates import LONDON
from mhi.opportunities.forms import OpportunityForm
from mhi.opportunities.models import Opportunity
from mhi.opportunities.tests.factories import OpportunityFactory

DATA = Path(__file__).parent / "data"
NOW = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=LONDON)
HEADER = "title,funder,link,opens,closes,value_min,value_max,themes,nhs_partner_required,cap_per_institution\n"


def _form(data: dict, *, instance=None, now=NOW) -> OpportunityForm:
    base = {"kind": "funding_call", "title": "A call", "funder_name": "NIHR", "min_partner_universities": "0"}
    return OpportunityForm(data={**base, **data}, instance=instance, now=now)


def _csv(tmp_path, body: str, name="calls.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


# --- the form ------------------------------------------------------------------------------------------


def test_form_takes_dates_in_uk_time(db):
    form = _form({"opens_at": "2026-03-03T16:00", "closes_at": "2026-07-03T16:00", "themes": "AI\nhealth data\nai"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["opens_at"] == datetime.datetime(2026, 3, 3, 16, 0, tzinfo=datetime.UTC)
    assert form.cleaned_data["closes_at"] == datetime.datetime(2026, 7, 3, 15, 0, tzinfo=datetime.UTC)
    assert form.cleaned_data["themes"] == ["AI", "health data"]


def test_form_refuses_a_closing_date_in_the_past_when_adding(db):
    form = _form({"closes_at": "2026-03-01T16:00"}, now=datetime.datetime(2026, 3, 10, 9, 0, tzinfo=LONDON))
    assert not form.is_valid()
    assert form.errors["closes_at"] == ["The closing date 1 March 2026 is in the past."]


def test_form_names_the_time_when_the_closing_date_passed_earlier_today(db):
    form = _form({"closes_at": "2026-03-10T09:00"}, now=datetime.datetime(2026, 3, 10, 10, 0, tzinfo=LONDON))
    assert not form.is_valid()
    assert form.errors["closes_at"] == ["The closing date 10 March 2026, 9am is in the past."]


def test_form_allows_a_past_closing_date_when_editing(db):
    opportunity = OpportunityFactory(closes_at=datetime.datetime(2025, 12, 1, 16, 0, tzinfo=LONDON))
    form = _form({"closes_at": "2025-12-01T16:00"}, instance=opportunity)
    assert form.is_valid(), form.errors


def test_form_refuses_dates_out_of_order_with_the_reason(db):
    form = _form(
        {"opens_at": "2026-03-03T16:00", "outline_deadline": "2026-03-01T12:00", "closes_at": "2026-04-01T16:00"}
    )
    assert not form.is_valid()
    assert form.errors["outline_deadline"] == [
        "The outline deadline (Sunday 1 March 2026, midday) is before the opening date (Tuesday 3 March 2026, 4pm)."
    ]


def test_form_refuses_a_minimum_value_above_the_maximum(db):
    form = _form({"value_min": "500000", "value_max": "100000"})
    assert not form.is_valid()
    assert form.errors["value_min"] == ["The minimum value £500,000 is more than the maximum value £100,000."]


def test_form_refuses_a_negative_cap(db):
    form = _form({"cap_per_institution": "-1"})
    assert not form.is_valid()
    assert form.errors["cap_per_institution"] == ["Ensure this value is greater than or equal to 0."]


def test_form_refuses_a_duplicate_link_naming_the_one_listed(db):
    OpportunityFactory(title="Research for Patient Benefit 60", link="https://www.nihr.ac.uk/rfpb-60/")
    form = _form({"title": "Another title", "link": "http://nihr.ac.uk/rfpb-60"})
    assert not form.is_valid()
    assert form.errors["link"] == [
        "An opportunity with this link is already listed: “Research for Patient Benefit 60”."
    ]


def test_form_refuses_the_same_title_from_the_same_funder(db):
    OpportunityFactory(title="Research for Patient Benefit 60", funder_name="NIHR")
    form = _form({"title": "research for patient benefit — 60", "funder_name": "nihr"})
    assert not form.is_valid()
    assert form.errors["title"] == ["“Research for Patient Benefit 60” from NIHR is already listed."]


def test_editing_an_opportunity_is_not_a_duplicate_of_itself(db):
    opportunity = OpportunityFactory(title="Call", link="https://example.org/call")
    form = _form({"title": "Call", "link": "https://example.org/call"}, instance=opportunity)
    assert form.is_valid(), form.errors


def test_create_service_refuses_a_past_closing_date_too(world):
    with pytest.raises(DomainError) as caught:
        services.opportunity_create(
            actor=world.users["coordinator"],
            data={"title": "Late", "funder_name": "NIHR", "closes_at": datetime.datetime(2026, 1, 1, tzinfo=LONDON)},
            now=NOW,
        )
    assert (caught.value.field, caught.value.message) == (
        "closes_at",
        "The closing date 1 January 2026 is in the past.",
    )


def test_create_and_update_are_audited(world):
    coordinator = world.users["coordinator"]
    opportunity = services.opportunity_create(
        actor=coordinator, data={"title": "Call", "funder_name": "NIHR", "themes": ["AI"]}
    )
    services.opportunity_update(actor=coordinator, opportunity=opportunity, data={"cap_per_institution": 2})
    events = list(AuditEvent.objects.filter(object_id=str(opportunity.pk)).order_by("id"))
    assert [(e.action, e.actor_id) for e in events] == [("create", coordinator.pk), ("update", coordinator.pk)]
    assert events[1].changes == {"cap_per_institution": [None, 2]}
    assert events[0].changes["themes"] == [None, ["AI"]]


# --- CSV import ----------------------------------------------------------------------------------------


def test_csv_import_reads_every_column(world):
    report = services.opportunities_import_csv(
        actor=world.users["aston_admin"], path=DATA / "opportunities.csv", now=NOW
    )
    assert (report.rows, len(report.created), report.duplicates) == (2, 2, [])
    awards = Opportunity.objects.get(title="Healthy ageing partnership awards")
    assert awards.kind == "funding_call"
    assert awards.funder_name == "Example Council"
    assert awards.themes == ["healthy ageing", "multimorbidity"]
    assert awards.opens_at == datetime.datetime(2026, 1, 10, 0, 0, tzinfo=LONDON)
    assert awards.eoi_deadline == datetime.datetime(2026, 2, 1, 12, 0, tzinfo=LONDON)
    assert awards.closes_at == datetime.datetime(2026, 3, 3, 16, 0, tzinfo=LONDON)
    assert (awards.value_min, awards.value_max) == (Decimal("500000.00"), Decimal("2000000.00"))
    assert (awards.requires_nhs_partner, awards.requires_industry_partner) == (True, True)
    assert (awards.requires_local_government_partner, awards.lead_must_be_partner_university) == (False, True)
    assert (awards.min_partner_universities, awards.cap_per_institution, awards.cap_partnership) == (3, 2, 4)
    assert (awards.source, awards.created_by) == ("csv", world.users["aston_admin"])
    consultation = Opportunity.objects.get(kind="consultation")
    # A deadline given as a day alone closes at the end of that day.
    assert consultation.closes_at == datetime.datetime(2026, 2, 27, 23, 59, tzinfo=LONDON)
    assert (consultation.cap_per_institution, consultation.min_partner_universities) == (None, 0)
    assert AuditEvent.objects.filter(source="CSV import opportunities.csv", action="create").count() == 2


def test_csv_import_is_all_or_nothing_naming_row_and_column(world, tmp_path):
    path = _csv(
        tmp_path,
        "Good call,NIHR,https://example.org/good,,2026-03-01,,,,,\n"
        "Bad dates,NIHR,https://example.org/bad,2026-04-01,2026-03-01 16:00,,,,,\n"
        "Bad money,NIHR,https://example.org/money,,2026-03-01,lots,,,maybe,-2\n",
    )
    with pytest.raises(ImportFailed) as caught:
        services.opportunities_import_csv(actor=world.users["coordinator"], path=path, now=NOW)
    assert [str(p) for p in caught.value.problems] == [
        "calls.csv, row 3, column “closes”: The closing date (Sunday 1 March 2026, 4pm) is before the opening "
        "date (Wednesday 1 April 2026, midnight).",
        "calls.csv, row 4, column “value_min”: “lots” is not an amount in pounds, for example 250000",
        "calls.csv, row 4, column “nhs_partner_required”: “maybe” should be yes or no",
        "calls.csv, row 4, column “cap_per_institution”: “-2” is not a whole number of at least 0",
    ]
    assert Opportunity.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_csv_import_refuses_a_past_closing_date_naming_the_row(world, tmp_path):
    path = _csv(tmp_path, "Old call,NIHR,,,2026-01-14 16:00,,,,,\n")
    with pytest.raises(ImportFailed) as caught:
        services.opportunities_import_csv(actor=world.users["coordinator"], path=path, now=NOW)
    assert [str(p) for p in caught.value.problems] == [
        "calls.csv, row 2, column “closes”: The closing date 14 January 2026 is in the past."
    ]


def test_csv_import_refuses_a_row_without_a_title_or_funder(world, tmp_path):
    path = _csv(tmp_path, ",NIHR,,,,,,,,\nA call,,,,,,,,,\n")
    with pytest.raises(ImportFailed) as caught:
        services.opportunities_import_csv(actor=world.users["coordinator"], path=path, now=NOW)
    assert [(p.row, p.column, p.message) for p in caught.value.problems] == [
        (2, "title", "This field cannot be blank."),
        (3, "funder", "This field cannot be blank."),
    ]


def test_csv_import_with_skip_bad_rows_adds_the_good_and_lists_the_bad(world, tmp_path):
    path = _csv(tmp_path, "Good call,NIHR,,,2026-03-01,,,,,\nBad money,NIHR,,,2026-03-01,lots,,,,\n")
    report = services.opportunities_import_csv(actor=world.users["coordinator"], path=path, now=NOW, skip_bad_rows=True)
    assert [o.title for o in report.created] == ["Good call"]
    assert [(p.row, p.column) for p in report.skipped] == [(3, "value_min")]
    assert report.summary() == "2 rows: 1 added, 0 already listed, 1 bad rows skipped"


def test_csv_import_refuses_a_missing_column_even_when_skipping(world, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("title,closes\nA call,2026-03-01\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as caught:
        services.opportunities_import_csv(actor=world.users["coordinator"], path=path, skip_bad_rows=True)
    assert str(caught.value.problems[0]) == "calls.csv, row 0, column “funder”: column missing from the header row"


def test_csv_duplicates_are_counted_not_added(world, tmp_path):
    OpportunityFactory(title="Listed call", funder_name="NIHR", link="https://example.org/listed")
    path = _csv(
        tmp_path,
        "Same link,UKRI,https://www.example.org/listed/,,2026-03-01,,,,,\n"
        "Listed call,nihr,,,2026-03-01,,,,,\n"
        "New call,NIHR,https://example.org/new,,2026-03-01,,,,,\n"
        "New call again,NIHR,https://example.org/new?utm_source=mail,,2026-03-01,,,,,\n",
    )
    report = services.opportunities_import_csv(actor=world.users["coordinator"], path=path, now=NOW)
    assert [o.title for o in report.created] == ["New call"]
    assert report.duplicates == [
        (2, "already listed as “Listed call”"),
        (3, "already listed as “Listed call”"),
        (5, "repeats row 4"),
    ]
    assert Opportunity.objects.count() == 2


def test_importing_the_same_file_twice_adds_nothing_the_second_time(world):
    coordinator = world.users["coordinator"]
    services.opportunities_import_csv(actor=coordinator, path=DATA / "opportunities.csv", now=NOW)
    again = services.opportunities_import_csv(actor=coordinator, path=DATA / "opportunities.csv", now=NOW)
    assert (len(again.created), len(again.duplicates)) == (0, 2)
    assert Opportunity.objects.count() == 2


def test_only_coordinators_and_institution_admins_import(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.opportunities_import_csv(actor=world.users["researcher"], path=DATA / "opportunities.csv")


def test_the_command_imports_as_a_user_when_asked(world, tmp_path):
    path = _csv(tmp_path, "A call,NIHR,,,2099-03-01,,,,,\n")
    call_command("import_opportunities", str(path), "--as", "admin@aston.example.org")
    assert Opportunity.objects.get().created_by == world.users["aston_admin"]


def test_the_command_refuses_a_user_who_may_not_import(world, tmp_path):
    path = _csv(tmp_path, "A call,NIHR,,,2099-03-01,,,,,\n")
    with pytest.raises(CommandError, match="Only coordinators and institution admins import opportunities."):
        call_command("import_opportunities", str(path), "--as", "researcher@nottingham.example.org")


def test_the_command_reports_every_problem_and_writes_nothing(db, tmp_path):
    path = _csv(tmp_path, "Bad money,NIHR,,,2099-03-01,lots,,,,\n")
    with pytest.raises(CommandError) as caught:
        call_command("import_opportunities", str(path))
    assert str(caught.value) == (
        "Nothing was written: 1 problem(s) found.\n"
        "  calls.csv, row 2, column “value_min”: “lots” is not an amount in pounds, for example 250000"
    )
    assert Opportunity.objects.count() == 0


def test_the_command_prints_what_it_added(db, tmp_path, capsys):
    path = _csv(tmp_path, "A call,NIHR,https://example.org/a,,2099-03-01,,,,,\nA call,NIHR,,,2099-03-01,,,,,\n")
    call_command("import_opportunities", str(path))
    assert capsys.readouterr().out == (
        "Imported calls.csv: 2 rows: 1 added, 1 already listed\n  row 3 not added: repeats row 2\n"
    )
    assert Opportunity.objects.get().source == "csv"


def test_saving_the_same_values_written_another_way_records_no_change(world):
    coordinator = world.users["coordinator"]
    opportunity = services.opportunity_create(
        actor=coordinator,
        data={
            "title": "Call",
            "funder_name": "NIHR",
            "closes_at": datetime.datetime(2099, 6, 30, 16, 0, tzinfo=LONDON),
            "value_max": Decimal("250000"),
        },
    )
    form = _form({"title": "Call", "closes_at": "2099-06-30T16:00", "value_max": "250000"}, instance=opportunity)
    assert form.is_valid(), form.errors
    services.opportunity_update(actor=coordinator, opportunity=opportunity, data=form.cleaned_data)
    assert list(AuditEvent.objects.filter(object_id=str(opportunity.pk)).values_list("action", flat=True)) == ["create"]
