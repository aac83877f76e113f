"""Bid pages: the list and its filters, the board, my bids, starting a bid, one bid, editing with conflicts,
stages, team, partners, documents, comments, statements, reports, cap use and the public awarded page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from mhi.bids.models import Bid, BidComment, BidDocument, BidMember, BidPartner, CapPlace, Stage, StageChange
from mhi.opportunities.models import TeamProposal
from mhi.opportunities.tests.factories import OpportunityFactory

DAY = datetime.timedelta(days=1)
LIST = reverse("bids:list")


def _login(client, world, persona):
    client.force_login(world.users[persona])
    return client


def _text(response) -> str:
    """The page's text, tags and repeated whitespace removed, for asserting what a reader sees."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _titles(response) -> list[str]:
    return [b.title for b in response.context["page_obj"].object_list]


@pytest.fixture
def bids(world):
    """Three bids. "asthma": Aston leads at expression of interest, £100,000, the researcher (Daniel Mercer) a
    co-investigator, University Hospitals Birmingham a partner. "knee": Leicester's idea. "heart": Aston's,
    submitted to UKRI."""
    now = timezone.now()
    nihr = OpportunityFactory(
        title="Research for Patient Benefit", funder_name="NIHR", scheme="RfPB", eoi_deadline=now + 5 * DAY
    )
    ukri = OpportunityFactory(title="Healthy ageing", funder_name="UKRI", closes_at=now + 30 * DAY)
    coordinator = world.users["coordinator"]
    asthma = Bid.objects.create(
        opportunity=nihr,
        title="Asthma self-management app",
        lead_organisation=world.aston,
        lead_person=world.public_person,
        summary="An app that helps adults manage asthma.",
        case="Our secret method.",
        themes=["asthma"],
        stage=Stage.EOI,
        value_requested=Decimal("100000"),
        created_by=coordinator,
    )
    BidMember.objects.create(bid=asthma, person=world.public_person, role="pi", organisation=world.aston)
    BidMember.objects.create(
        bid=asthma, person=world.researcher_person, role="co_investigator", organisation=world.nottingham
    )
    BidPartner.objects.create(bid=asthma, organisation=world.uhb, role="nhs_trust", note="Recruitment")
    knee = Bid.objects.create(
        opportunity=nihr,
        title="Robotic knee surgery",
        lead_organisation=world.leicester,
        themes=["orthopaedics"],
        value_requested=Decimal("20000"),
        created_by=coordinator,
    )
    heart = Bid.objects.create(
        opportunity=ukri,
        title="Heart failure sensor",
        lead_organisation=world.aston,
        stage=Stage.SUBMITTED,
        value_requested=Decimal("500000.50"),
        created_by=coordinator,
    )
    return {"asthma": asthma, "knee": knee, "heart": heart, "nihr": nihr, "ukri": ukri}


# --- the list, board and my bids ----------------------------------------------------------------------------


def test_the_list_shows_the_bids_a_coordinator_sees_most_recently_changed_first(client, world, bids):
    response = _login(client, world, "coordinator").get(LIST)
    assert response.status_code == 200
    assert _titles(response) == ["Heart failure sensor", "Robotic knee surgery", "Asthma self-management app"]
    text = _text(response)
    assert "3 bids" in text
    assert "Asthma self-management app Aston University · Research for Patient Benefit · NIHR" in text
    assert "£500,000.50" in text


def test_the_list_shows_the_researcher_only_their_bid(client, world, bids):
    response = _login(client, world, "researcher").get(LIST)
    assert _titles(response) == ["Asthma self-management app"]
    assert "1 bid" in _text(response)
    assert "Robotic knee surgery" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"stage": "submitted"}, ["Heart failure sensor"]),
        ({"stage": "idea"}, ["Robotic knee surgery"]),
        ({"funder": "UKRI"}, ["Heart failure sensor"]),
        ({"theme": "asthma"}, ["Asthma self-management app"]),
        ({"q": "knee"}, ["Robotic knee surgery"]),
    ],
)
def test_the_list_filters(client, world, bids, params, expected):
    assert _titles(_login(client, world, "coordinator").get(LIST, params)) == expected


def test_the_list_filters_by_an_institution_leading_or_partnering(client, world, bids):
    client = _login(client, world, "coordinator")
    assert _titles(client.get(LIST, {"institution": world.uhb.pk})) == ["Asthma self-management app"]
    assert _titles(client.get(LIST, {"institution": world.leicester.pk})) == ["Robotic knee surgery"]


def test_the_filter_choices_come_from_the_bids_the_user_sees(client, world, bids):
    form = _login(client, world, "researcher").get(LIST).context["form"]
    assert [label for _, label in form.fields["funder"].choices] == ["Any funder", "NIHR"]
    assert [label for _, label in form.fields["institution"].choices] == [
        "Any institution",
        "Aston University",
        "University Hospitals Birmingham",
    ]


def test_the_list_says_when_no_bid_matches(client, world, bids):
    response = _login(client, world, "coordinator").get(LIST, {"q": "nothing like this"})
    assert "0 bids" in _text(response)
    assert "No bids match these filters." in _text(response)


def test_the_list_says_when_there_are_no_bids_yet(client, world, bids):
    text = _text(_login(client, world, "nhs_rd").get(LIST))
    assert "There are no bids you can see yet. Start a bid for an opportunity" in text


def test_the_list_is_paged(client, world, bids):
    for n in range(25):
        Bid.objects.create(opportunity=bids["nihr"], title=f"Bid {n:02d}", lead_organisation=world.aston)
    response = _login(client, world, "coordinator").get(LIST, {"page": 2})
    assert len(_titles(response)) == 3
    assert "Page 2 of 2" in _text(response)


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [LIST, reverse("bids:board"), reverse("bids:mine")])
def test_the_pipeline_pages_read_a_fixed_number_of_queries(client, world, bids, url):
    client = _login(client, world, "researcher")
    before = _queries(client, url)
    for n in range(10):
        bid = Bid.objects.create(opportunity=bids["ukri"], title=f"More {n}", lead_organisation=world.leicester)
        BidMember.objects.create(bid=bid, person=world.researcher_person, role="pi")
    assert _queries(client, url) == before


def test_the_list_links_its_downloads_with_the_filters(client, world, bids):
    body = _login(client, world, "coordinator").get(LIST, {"stage": "idea"}).content.decode()
    assert f'href="{reverse("bids:export")}?stage=idea&amp;format=csv"' in body


def test_the_board_has_a_column_per_stage_with_its_cards(client, world, bids):
    response = _login(client, world, "coordinator").get(reverse("bids:board"))
    columns = {c["stage"]: [b.title for b in c["bids"]] for c in response.context["columns"]}
    assert list(columns) == list(Stage.values)
    assert columns["idea"] == ["Robotic knee surgery"]
    assert columns["eoi"] == ["Asthma self-management app"]
    assert columns["submitted"] == ["Heart failure sensor"]
    assert columns["awarded"] == []
    assert "Expression of interest 1 bid" in _text(response)


def test_the_board_takes_the_filters(client, world, bids):
    response = _login(client, world, "coordinator").get(reverse("bids:board"), {"funder": "UKRI"})
    assert response.context["total"] == 1


def test_my_bids_are_those_i_am_on(client, world, bids):
    response = _login(client, world, "researcher").get(reverse("bids:mine"))
    assert _titles(response) == ["Asthma self-management app"]
    assert _titles(_login(client, world, "leicester_lead").get(reverse("bids:mine"))) == []


# --- one bid ---------------------------------------------------------------------------------------------------


def test_the_detail_page_shows_the_bid_to_its_team(client, world, bids):
    bid = bids["asthma"]
    response = _login(client, world, "researcher").get(bid.get_absolute_url())
    assert response.status_code == 200
    text = _text(response)
    assert "Asthma self-management app" in text
    assert "Expression of interest" in text
    assert "An app that helps adults manage asthma." in text
    assert "Our secret method." in text
    assert "Value requested £100,000" in text
    assert "Daniel Mercer Co-investigator University of Nottingham" in text
    assert "Pat Public Principal investigator Aston University" in text
    assert "University Hospitals Birmingham NHS trust Recruitment" in text
    assert text.index("Pat Public Principal investigator") < text.index("Daniel Mercer Co-investigator")
    assert [s for s, _ in response.context["stages"]] == [
        "internal_selection",
        "outline",
        "full_application",
        "withdrawn",
    ]
    assert reverse("bids:statement", args=[bid.pk]) in response.content.decode()


def test_the_detail_page_does_not_exist_for_others(client, world, bids):
    assert _login(client, world, "leicester_lead").get(bids["asthma"].get_absolute_url()).status_code == 404


def test_the_detail_page_flags_an_overdue_deadline(client, world, bids):
    bid = bids["asthma"]
    bid.opportunity.eoi_deadline = timezone.now() - DAY
    bid.opportunity.save()
    text = _text(_login(client, world, "coordinator").get(bid.get_absolute_url()))
    assert "Expression of interest deadline:" in text
    assert "Overdue" in text


def test_the_detail_page_has_no_overdue_flag_before_the_deadline(client, world, bids):
    assert "Overdue" not in _text(_login(client, world, "coordinator").get(bids["asthma"].get_absolute_url()))


def test_a_collaborator_reads_the_bid_without_the_forms_to_change_it(client, world, bids):
    bid = bids["asthma"]
    bid.members.filter(person=world.researcher_person).update(role="collaborator")
    response = _login(client, world, "researcher").get(bid.get_absolute_url())
    assert response.context["transition_form"] is None
    assert response.context["document_form"] is None
    assert "Edit the bid" not in _text(response)


# --- starting a bid --------------------------------------------------------------------------------------------


def test_starting_a_bid_for_an_opportunity_fills_it_in(client, world, bids):
    response = _login(client, world, "researcher").get(reverse("bids:create"), {"opportunity": bids["nihr"].pk})
    form = response.context["form"]
    assert form.initial["opportunity"] == bids["nihr"].pk
    assert form.initial["title"] == "Research for Patient Benefit"
    assert form.initial["lead_organisation"] == world.nottingham.pk


def test_starting_a_bid(client, world, bids):
    response = _login(client, world, "researcher").post(
        reverse("bids:create"),
        {
            "opportunity": bids["ukri"].pk,
            "title": "Falls prevention at home",
            "lead_organisation": world.nottingham.pk,
            "lead_person": "daniel-mercer",
            "summary": "Exercise at home.",
            "themes": "falls\nfrailty",
            "value_requested": "250000",
            "reminder_days": "14, 3",
        },
    )
    bid = Bid.objects.get(title="Falls prevention at home")
    assert response.status_code == 302
    assert response["Location"] == bid.get_absolute_url()
    assert (bid.stage, bid.lead_person, bid.themes, bid.value_requested, bid.reminder_days) == (
        "idea",
        world.researcher_person,
        ["falls", "frailty"],
        Decimal("250000"),
        [14, 3],
    )
    assert bid.created_by == world.users["researcher"]


def test_starting_a_bid_names_the_fields_to_fix(client, world, bids):
    response = _login(client, world, "researcher").post(
        reverse("bids:create"),
        {"opportunity": bids["ukri"].pk, "lead_organisation": world.nottingham.pk, "lead_person": "nobody-here"},
    )
    assert response.status_code == 200
    text = _text(response)
    assert "There is a problem" in text
    assert "Title: This field is required." in text
    assert "Lead person: No one you can see is called or has the profile address “nobody-here”" in text
    assert not Bid.objects.filter(opportunity=bids["ukri"], lead_organisation=world.nottingham).exists()


def test_reminder_days_must_be_numbers(client, world, bids):
    response = _login(client, world, "researcher").post(
        reverse("bids:create"),
        {"opportunity": bids["ukri"].pk, "title": "T", "lead_organisation": world.nottingham.pk, "reminder_days": "a"},
    )
    assert "“a” is not a number of days" in _text(response)


def test_industry_partners_do_not_start_bids(client, world, bids):
    assert _login(client, world, "external").get(reverse("bids:create")).status_code == 403


def _kept_team(world, opportunity):
    proposal = TeamProposal.objects.create(
        opportunity=opportunity,
        themes=["asthma"],
        constraints={"team_size": 2},
        coverage=[],
        objective=0.5,
        solver_status="optimal",
        created_by=world.users["researcher"],
    )
    proposal.members.set([world.researcher_person, world.public_person])
    return proposal


def test_starting_a_bid_from_a_kept_team_shows_the_team(client, world, bids):
    proposal = _kept_team(world, bids["ukri"])
    response = _login(client, world, "researcher").get(reverse("bids:create"), {"team": proposal.pk})
    assert response.status_code == 200
    text = _text(response)
    assert "Start a bid with a kept team" in text
    assert "Daniel Mercer" in text and "Pat Public" in text


def test_starting_a_bid_from_a_kept_team(client, world, bids):
    proposal = _kept_team(world, bids["ukri"])
    url = reverse("bids:create") + f"?team={proposal.pk}"
    response = _login(client, world, "researcher").post(url, {"title": "Team bid", "lead_organisation": ""})
    bid = Bid.objects.get(title="Team bid")
    assert response["Location"] == bid.get_absolute_url()
    assert bid.team_proposal == proposal
    assert set(bid.members.values_list("person__slug", flat=True)) == {"daniel-mercer", "public-person"}


def test_a_kept_team_of_someone_else_does_not_exist(client, world, bids):
    proposal = _kept_team(world, bids["ukri"])
    response = _login(client, world, "leicester_lead").get(reverse("bids:create"), {"team": proposal.pk})
    assert response.status_code == 404


# --- editing ---------------------------------------------------------------------------------------------------


def test_the_edit_form_carries_the_version_it_was_read_at(client, world, bids):
    bid = bids["asthma"]
    Bid.objects.filter(pk=bid.pk).update(version=4)
    body = _login(client, world, "researcher").get(reverse("bids:edit", args=[bid.pk])).content.decode()
    assert '<input type="hidden" name="version" value="4"' in body


def _edit_data(world, bid, **changes):
    return {
        "version": bid.version,
        "title": bid.title,
        "lead_organisation": bid.lead_organisation_id,
        "lead_person": bid.lead_person.slug if bid.lead_person else "",
        "summary": bid.summary,
        "case": bid.case,
        "themes": "\n".join(bid.themes),
        "value_requested": bid.value_requested or "",
        "reminder_days": ", ".join(str(d) for d in bid.reminder_days),
        **changes,
    }


def test_editing_a_bid(client, world, bids):
    bid = bids["asthma"]
    response = _login(client, world, "researcher").post(
        reverse("bids:edit", args=[bid.pk]), _edit_data(world, bid, title="Asthma app for adults")
    )
    assert response.status_code == 302
    bid.refresh_from_db()
    assert (bid.title, bid.version) == ("Asthma app for adults", 2)


def test_an_edit_from_an_old_version_shows_both_versions_and_saves_nothing(client, world, bids):
    bid = bids["asthma"]
    data = _edit_data(world, bid, title="My title")
    Bid.objects.filter(pk=bid.pk).update(title="Their title", version=2)
    response = _login(client, world, "researcher").post(reverse("bids:edit", args=[bid.pk]), data)
    assert response.status_code == 409
    text = _text(response)
    assert "Someone else saved this bid while you were editing it" in text
    assert "Title Differs My title Their title" in text
    assert '<input type="hidden" name="version" value="2"' in response.content.decode()
    bid.refresh_from_db()
    assert (bid.title, bid.version) == ("Their title", 2)


def test_a_reader_may_not_edit(client, world, bids):
    bid = bids["asthma"]
    bid.members.filter(person=world.researcher_person).update(role="collaborator")
    client = _login(client, world, "researcher")
    assert client.get(reverse("bids:edit", args=[bid.pk])).status_code == 403
    assert client.post(reverse("bids:edit", args=[bid.pk]), _edit_data(world, bid, title="X")).status_code == 403


# --- stages ----------------------------------------------------------------------------------------------------


def test_moving_a_bid_on_records_the_reason(client, world, bids):
    bid = bids["asthma"]
    response = _login(client, world, "researcher").post(
        reverse("bids:transition", args=[bid.pk]), {"to_stage": "withdrawn", "reason": "The PI is leaving."}
    )
    assert response.status_code == 302
    bid.refresh_from_db()
    assert bid.stage == "withdrawn"
    change = StageChange.objects.get(bid=bid)
    assert (change.from_stage, change.to_stage, change.reason) == ("eoi", "withdrawn", "The PI is leaving.")


def test_an_invalid_move_is_refused_with_the_reason(client, world, bids):
    bid = bids["knee"]
    response = _login(client, world, "coordinator").post(
        reverse("bids:transition", args=[bid.pk]), {"to_stage": "awarded"}
    )
    assert response.status_code == 200
    text = _text(response)
    assert "There is a problem" in text
    assert (
        "Move the bid to: A bid at idea cannot move to awarded; from idea it can move to expression of interest, "
        "withdrawn." in text
    )
    bid.refresh_from_db()
    assert bid.stage == "idea"


def test_a_move_needs_a_stage(client, world, bids):
    response = _login(client, world, "coordinator").post(reverse("bids:transition", args=[bids["knee"].pk]), {})
    assert "Move the bid to: This field is required." in _text(response)


def test_only_coordinators_and_lead_admins_are_offered_passing_internal_selection(client, world, bids):
    bid = bids["asthma"]
    Bid.objects.filter(pk=bid.pk).update(stage=Stage.INTERNAL_SELECTION)
    researcher = _login(client, world, "researcher").get(bid.get_absolute_url())
    assert [s for s, _ in researcher.context["stages"]] == ["withdrawn"]
    assert "Pass internal selection" not in _text(researcher)
    coordinator = _login(client, world, "coordinator").get(bid.get_absolute_url())
    assert [s for s, _ in coordinator.context["stages"]] == ["outline", "full_application", "unsuccessful", "withdrawn"]
    assert "Pass internal selection" in _text(coordinator)


# --- team and partners -----------------------------------------------------------------------------------------


def test_adding_a_team_member_by_profile_address(client, world, bids):
    bid = bids["knee"]
    response = _login(client, world, "coordinator").post(
        reverse("bids:team", args=[bid.pk]), {"person": "hidden-person", "role": "collaborator", "organisation": ""}
    )
    assert response.status_code == 302
    assert list(bid.members.values_list("person__slug", "role")) == [("hidden-person", "collaborator")]


def test_adding_someone_unknown_to_the_team_names_the_field(client, world, bids):
    response = _login(client, world, "coordinator").post(
        reverse("bids:team", args=[bids["knee"].pk]), {"person": "Nobody Atall", "role": "collaborator"}
    )
    assert "Person: No one you can see is called or has the profile address “Nobody Atall”" in _text(response)


def test_removing_a_team_member(client, world, bids):
    bid = bids["asthma"]
    member = bid.members.get(person=world.public_person)
    response = _login(client, world, "coordinator").post(reverse("bids:member_remove", args=[bid.pk, member.pk]))
    assert response["Location"] == reverse("bids:team", args=[bid.pk])
    assert list(bid.members.values_list("person__slug", flat=True)) == ["daniel-mercer"]


def test_adding_a_partner(client, world, bids):
    bid = bids["knee"]
    response = _login(client, world, "coordinator").post(
        reverse("bids:partners", args=[bid.pk]),
        {"organisation": world.company.pk, "role": "industry", "note": "Robots"},
    )
    assert response.status_code == 302
    assert list(bid.partners.values_list("organisation__name", "role", "note")) == [
        ("Acme Devices", "industry", "Robots")
    ]


def test_a_partner_needs_a_role(client, world, bids):
    response = _login(client, world, "coordinator").post(
        reverse("bids:partners", args=[bids["knee"].pk]), {"organisation": world.company.pk}
    )
    assert "Role: This field is required." in _text(response)


def test_removing_a_partner(client, world, bids):
    bid = bids["asthma"]
    partner = bid.partners.get()
    _login(client, world, "coordinator").post(reverse("bids:partner_remove", args=[bid.pk, partner.pk]))
    assert bid.partners.count() == 0


# --- documents and comments ------------------------------------------------------------------------------------


def test_the_upload_form_posts_multipart(client, world, bids):
    body = _login(client, world, "researcher").get(bids["asthma"].get_absolute_url()).content.decode()
    assert 'enctype="multipart/form-data"' in body


def test_uploading_and_downloading_a_document(client, world, bids):
    bid = bids["asthma"]
    client = _login(client, world, "researcher")
    upload = SimpleUploadedFile("plan.txt", b"The plan\n", content_type="text/plain")
    response = client.post(reverse("bids:documents", args=[bid.pk]), {"file": upload, "description": "Plan"})
    assert response.status_code == 302
    document = BidDocument.objects.get(bid=bid)
    assert (document.original_name, document.description, document.size) == ("plan.txt", "Plan", 9)
    download = client.get(reverse("bids:document", args=[bid.pk, document.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"The plan\n"


def test_a_disallowed_upload_is_refused_with_the_reason(client, world, bids):
    bid = bids["asthma"]
    upload = SimpleUploadedFile("run.exe", b"MZ...", content_type="application/octet-stream")
    response = _login(client, world, "researcher").post(reverse("bids:documents", args=[bid.pk]), {"file": upload})
    assert response.status_code == 200
    assert "File:" in _text(response)
    assert "exe" in _text(response).lower()
    assert not BidDocument.objects.exists()


@override_settings(MHI_BID_UPLOAD_MAX_BYTES=10)
def test_an_oversized_upload_is_refused_with_the_reason(client, world, bids):
    upload = SimpleUploadedFile("big.txt", b"x" * 11, content_type="text/plain")
    response = _login(client, world, "researcher").post(
        reverse("bids:documents", args=[bids["asthma"].pk]), {"file": upload}
    )
    assert response.status_code == 200
    assert "File:" in _text(response)
    assert not BidDocument.objects.exists()


def test_a_document_of_another_bid_does_not_exist_here(client, world, bids):
    upload = SimpleUploadedFile("plan.txt", b"The plan\n", content_type="text/plain")
    client = _login(client, world, "coordinator")
    client.post(reverse("bids:documents", args=[bids["heart"].pk]), {"file": upload})
    document = BidDocument.objects.get()
    assert client.get(reverse("bids:document", args=[bids["asthma"].pk, document.pk])).status_code == 404


def test_commenting(client, world, bids):
    bid = bids["asthma"]
    response = _login(client, world, "researcher").post(
        reverse("bids:comments", args=[bid.pk]), {"text": "Draft is ready."}
    )
    assert response["Location"] == bid.get_absolute_url() + "#comments"
    assert list(BidComment.objects.values_list("text", "author")) == [("Draft is ready.", world.users["researcher"].pk)]
    assert "Draft is ready." in _text(client.get(bid.get_absolute_url()))


def test_an_empty_comment_names_the_field(client, world, bids):
    response = _login(client, world, "researcher").post(reverse("bids:comments", args=[bids["asthma"].pk]), {})
    assert "Comment: This field is required." in _text(response)


# --- statements ------------------------------------------------------------------------------------------------


def test_the_team_statement_is_shown_as_text_and_downloads_as_markdown(client, world, bids):
    bid = bids["asthma"]
    client = _login(client, world, "researcher")
    response = client.get(reverse("bids:statement", args=[bid.pk]))
    assert "# Team statement: Asthma self-management app" in _text(response)
    assert "Facilities and resources: Asthma self-management app" in _text(response)
    download = client.get(reverse("bids:statement", args=[bid.pk]), {"format": "md"})
    assert download["Content-Type"] == "text/markdown; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="team-statement-bid-{bid.pk}.md"'
    assert download.content.decode().startswith("# Team statement: Asthma self-management app\n")


# --- reports ---------------------------------------------------------------------------------------------------


def test_the_pipeline_page_counts_by_stage_and_institution(client, world, bids):
    response = _login(client, world, "coordinator").get(reverse("bids:pipeline"))
    text = _text(response)
    assert "3 bids, £620,000.50 requested" in text
    assert "Expression of interest 1 £100,000" in text
    assert "Submitted 1 £500,000.50" in text
    assert "Aston University 0 1 £100,000 0 0 0 1 £500,000.50 0 0 0 2 £600,000.50" in text
    grid = {line["total"].institution.name: line["total"].count for line in response.context["grid"]}
    assert grid == {"Aston University": 2, "University of Leicester": 1}


def test_the_pipeline_counts_only_what_the_reader_sees(client, world, bids):
    text = _text(_login(client, world, "researcher").get(reverse("bids:pipeline")))
    assert "1 bid, £100,000 requested" in text


def _decide(bid, stage, when, value_awarded=None):
    Bid.objects.filter(pk=bid.pk).update(stage=stage, value_awarded=value_awarded)
    StageChange.objects.create(bid=bid, from_stage="submitted", to_stage=stage, at=when)


def test_the_success_rates_page(client, world, bids):
    when = datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC)
    _decide(bids["heart"], "awarded", when, Decimal("400000"))
    _decide(bids["knee"], "unsuccessful", when)
    response = _login(client, world, "coordinator").get(reverse("bids:success"), {"by": "funder"})
    text = _text(response)
    assert "NIHR 2025 1 0 0.0% £0" in text
    assert "UKRI 2025 1 1 100.0% £400,000" in text
    by_institution = _text(client.get(reverse("bids:success"), {"by": "institution"}))
    assert "Aston University 2025 1 1 100.0%" in by_institution


def test_the_success_rates_page_says_when_nothing_is_decided(client, world, bids):
    text = _text(_login(client, world, "coordinator").get(reverse("bids:success")))
    assert "No bids you can see have reached an award or an unsuccessful outcome." in text


# --- cap use and awarded bids ----------------------------------------------------------------------------------


def test_cap_use_shows_each_institutions_places(client, world, bids):
    opportunity = OpportunityFactory(title="Capped call", cap_per_institution=2, cap_partnership=3)
    bid = Bid.objects.create(
        opportunity=opportunity, title="Selected bid", lead_organisation=world.aston, stage=Stage.OUTLINE
    )
    CapPlace.objects.create(
        opportunity=opportunity, scope=f"org:{world.aston.pk}", organisation=world.aston, number=1, cap=2, bid=bid
    )
    CapPlace.objects.create(opportunity=opportunity, scope="partnership", number=1, cap=3, bid=bid)
    response = _login(client, world, "coordinator").get(reverse("bids:caps", args=[opportunity.pk]))
    text = _text(response)
    assert "Aston University 1 2 1 1" in text
    assert "The whole partnership 1 3 2 1" in text
    assert "Selected bid Aston University Outline Aston University place 1 of 2; Partnership place 1 of 3" in text


def test_cap_use_is_for_coordinators_and_institution_admins(client, world, bids):
    url = reverse("bids:caps", args=[bids["nihr"].pk])
    assert _login(client, world, "researcher").get(url).status_code == 403
    assert _login(client, world, "aston_admin").get(url).status_code == 200


def test_the_awarded_page_shows_only_summaries_to_anyone(client, world, bids):
    bid = bids["heart"]
    bid.summary = "A sensor for heart failure."
    bid.case = "Confidential design."
    bid.save()
    _decide(bid, "awarded", timezone.now(), Decimal("400000"))
    response = client.get(reverse("bids:awarded"))
    text = _text(response)
    assert response.status_code == 200
    assert "1 awarded bid" in text
    assert "Heart failure sensor Led by Aston University · Healthy ageing · UKRI A sensor for heart failure." in text
    assert "Confidential design." not in text
    assert "Asthma self-management app" not in text
    assert bid.get_absolute_url() not in response.content.decode()


# --- links from other pages ------------------------------------------------------------------------------------


def test_the_opportunity_page_links_to_starting_a_bid_and_cap_use(client, world, bids):
    url = reverse("opportunities:detail", args=[bids["nihr"].pk])
    coordinator = _login(client, world, "coordinator").get(url).content.decode()
    assert f'href="{reverse("bids:create")}?opportunity={bids["nihr"].pk}"' in coordinator
    assert reverse("bids:caps", args=[bids["nihr"].pk]) in coordinator
    researcher = _login(client, world, "researcher").get(url).content.decode()
    assert "Start a bid" in researcher
    assert reverse("bids:caps", args=[bids["nihr"].pk]) not in researcher
    client.logout()
    assert "Start a bid" not in client.get(url).content.decode()


def test_a_kept_team_links_to_starting_a_bid_with_it(client, world, bids):
    proposal = _kept_team(world, bids["ukri"])
    body = _login(client, world, "researcher").get(reverse("opportunities:team_proposal", args=[proposal.pk]))
    assert f'href="{reverse("bids:create")}?team={proposal.pk}"' in body.content.decode()


def test_the_navigation_has_bids(client, world, bids):
    body = _login(client, world, "researcher").get(LIST).content.decode()
    assert f'<a class="govuk-service-navigation__link" href="{LIST}" aria-current="page">' in body
    client.logout()
    anonymous = client.get(reverse("home")).content.decode()
    assert f'<a class="govuk-service-navigation__link" href="{reverse("bids:awarded")}">Bids</a>' in anonymous
