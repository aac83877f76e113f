"""The bids API: bids, their partners, team, documents, comments and activity; stage moves; conflicts with both
versions; statements; cap use; reports; awarded bids in public. Who may do what is the matrix's
(tests/access/bids_api.py); here are the behaviours and the exact shapes."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from mhi.bids.models import Bid, BidComment, BidDocument, BidEvent, BidMember, BidPartner, StageChange
from mhi.opportunities.dates import LONDON
from mhi.opportunities.tests.factories import OpportunityFactory

URL = "/api/v1/bids"
DAY = datetime.timedelta(days=1)


def _auth(world, persona):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


def _get(client, world, persona, path, params=None):
    return client.get(path, params or {}, headers=_auth(world, persona))


def _send(client, world, persona, method, path, body=None):
    return getattr(client, method)(
        path, data=body or {}, content_type="application/json", headers=_auth(world, persona)
    )


@pytest.fixture
def bid(world):
    """Aston's bid for an NIHR call whose full application closes on 3 July 2099 at 4pm; the researcher is a
    co-investigator, UHB the NHS partner."""
    opportunity = OpportunityFactory(
        title="Research for Patient Benefit",
        funder_name="NIHR",
        scheme="RfPB",
        closes_at=datetime.datetime(2099, 7, 3, 16, 0, tzinfo=LONDON),
    )
    bid = Bid.objects.create(
        opportunity=opportunity,
        title="Inhalers for all",
        lead_organisation=world.aston,
        lead_person=world.public_person,
        summary="Better inhaler technique.",
        case="Confidential case.",
        themes=["asthma"],
        stage="full_application",
        value_requested=Decimal("250000"),
        created_by=world.users["coordinator"],
    )
    BidPartner.objects.create(bid=bid, organisation=world.uhb, role="nhs_trust", note="Recruits patients")
    BidMember.objects.create(
        bid=bid, person=world.researcher_person, role="co_investigator", organisation=world.nottingham
    )
    return bid


# --- listing, reading --------------------------------------------------------------------------------------


def test_the_list_has_the_bids_one_may_see_paginated(client, world, bid):
    Bid.objects.create(opportunity=bid.opportunity, title="Leicester's own", lead_organisation=world.leicester)
    body = _get(client, world, "researcher", URL).json()
    assert body["count"] == 1
    assert body["items"] == [
        {
            "id": bid.pk,
            "title": "Inhalers for all",
            "opportunity": {
                "id": bid.opportunity_id,
                "title": "Research for Patient Benefit",
                "funder_name": "NIHR",
                "scheme": "RfPB",
            },
            "lead_organisation": {"slug": "aston", "name": "Aston University"},
            "lead_person": {"slug": "public-person", "display_name": "Pat Public"},
            "stage": "full_application",
            "stage_label": "Full application",
            "value_requested": "250000.00",
            "value_awarded": None,
            "themes": ["asthma"],
            "deadline_field": "closes_at",
            "deadline": "2099-07-03T15:00:00Z",
            "overdue": False,
            "version": 1,
            "updated_at": body["items"][0]["updated_at"],
            "url": f"/bids/{bid.pk}/",
        }
    ]
    everyone = _get(client, world, "coordinator", URL, {"limit": 1}).json()
    assert (everyone["count"], len(everyone["items"])) == (2, 1)


def test_the_list_takes_the_pipelines_filters(client, world, bid):
    Bid.objects.create(
        opportunity=OpportunityFactory(funder_name="MRC"), title="MRC bid", lead_organisation=world.aston
    )
    titles = lambda params: [b["title"] for b in _get(client, world, "coordinator", URL, params).json()["items"]]  # noqa: E731
    assert titles({"funder": "MRC"}) == ["MRC bid"]
    assert titles({"stage": "full_application"}) == ["Inhalers for all"]
    assert titles({"institution": "uhb"}) == ["Inhalers for all"]
    assert titles({"opportunity": bid.opportunity_id}) == ["Inhalers for all"]


def test_the_list_reads_the_same_number_of_rows_however_many_bids(client, world, bid, django_assert_max_num_queries):
    def count_queries(n_more):
        for i in range(n_more):
            Bid.objects.create(
                opportunity=bid.opportunity,
                title=f"B{i}",
                lead_organisation=world.aston,
                lead_person=world.hidden_person,
            )
        _get(client, world, "aston_admin", URL)  # the token's first use records when it was used
        with django_assert_max_num_queries(100) as captured:
            assert _get(client, world, "aston_admin", URL, {"limit": 50}).status_code == 200
        return len(captured.captured_queries)

    assert count_queries(1) == count_queries(10)


def test_an_unknown_institution_filter_is_a_422_naming_it(client, world, bid):
    response = _get(client, world, "coordinator", URL, {"institution": "atlantis"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"institution": ["No organisation “atlantis”."]}


def test_an_overdue_bid_is_flagged(client, world, bid):
    bid.opportunity.closes_at = timezone.now() - DAY
    bid.opportunity.save()
    assert _get(client, world, "coordinator", f"{URL}/{bid.pk}").json()["overdue"] is True


def test_the_detail_has_the_team_partners_and_what_one_may_do(client, world, bid):
    body = _get(client, world, "researcher", f"{URL}/{bid.pk}").json()
    assert (body["summary"], body["case"], body["reminder_days"]) == (
        "Better inhaler technique.",
        "Confidential case.",
        [14, 7, 1],
    )
    assert body["allowed_next_stages"] == ["submitted", "withdrawn"]
    assert body["partners"] == [
        {
            "id": bid.partners.get().pk,
            "organisation": {"slug": "uhb", "name": "University Hospitals Birmingham"},
            "role": "nhs_trust",
            "role_label": "NHS trust",
            "note": "Recruits patients",
        }
    ]
    assert body["members"] == [
        {
            "id": bid.members.get().pk,
            "person": {"slug": "daniel-mercer", "display_name": "Daniel Mercer"},
            "role": "co_investigator",
            "role_label": "Co-investigator",
            "organisation": {"slug": "nottingham", "name": "University of Nottingham"},
        }
    ]
    assert body["permissions"] == {
        "can_edit": True,
        "can_comment": True,
        "can_pass_selection": False,
        "is_reviewer": False,
    }
    assert body["created_by"] == "coordinator@example.org"


def test_a_bid_one_may_not_see_does_not_exist(client, world, bid):
    response = _get(client, world, "leicester_lead", f"{URL}/{bid.pk}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get(f"{URL}/{bid.pk}").status_code == 401


# --- creating and changing ----------------------------------------------------------------------------------


def test_a_bid_is_started_with_its_partners_and_team(client, world):
    opportunity = OpportunityFactory(title="Call")
    response = _send(
        client,
        world,
        "researcher",
        "post",
        URL,
        {
            "opportunity": opportunity.pk,
            "title": "Asthma apps",
            "lead_organisation": "nottingham",
            "lead_person": "daniel-mercer",
            "value_requested": "120000.50",
            "reminder_days": [10, 2],
            "partners": [{"organisation": "uhb", "role": "nhs_trust", "note": "Clinics"}],
            "members": [{"person": "daniel-mercer", "role": "pi", "organisation": "nottingham"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    bid = Bid.objects.get(pk=body["id"])
    assert (bid.title, bid.lead_organisation, bid.lead_person, bid.created_by) == (
        "Asthma apps",
        world.nottingham,
        world.researcher_person,
        world.users["researcher"],
    )
    assert (body["stage"], body["value_requested"], body["reminder_days"], body["version"]) == (
        "idea",
        "120000.50",
        [10, 2],
        1,
    )
    assert [(p["organisation"]["slug"], p["role"]) for p in body["partners"]] == [("uhb", "nhs_trust")]
    assert [(m["person"]["slug"], m["role"]) for m in body["members"]] == [("daniel-mercer", "pi")]


def _kept_team(world, opportunity):
    """A team the researcher kept for the opportunity: Daniel Mercer (covers the first theme) and Pat Public."""
    from mhi.opportunities.models import TeamProposal

    first, second = world.researcher_person, world.public_person
    proposal = TeamProposal.objects.create(
        opportunity=opportunity,
        brief="",
        themes=["asthma", "inhalers"],
        constraints={"team_size": 2},
        coverage=[
            {"theme": "asthma", "person": first.pk, "similarity": 0.6},
            {"theme": "inhalers", "person": second.pk, "similarity": 0.5},
        ],
        objective=1.1,
        solver_status="optimal",
        created_by=world.users["researcher"],
    )
    proposal.members.set([first, second])
    return proposal


def test_a_bid_is_started_from_a_kept_team(client, world):
    opportunity = OpportunityFactory(title="Asthma call")
    proposal = _kept_team(world, opportunity)
    response = _send(
        client,
        world,
        "researcher",
        "post",
        URL,
        {"opportunity": opportunity.pk, "team_proposal": proposal.pk, "summary": "Inhaler coaching."},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["lead_organisation"]["slug"], body["lead_person"]["slug"]) == (
        "Asthma call",
        "nottingham",
        "daniel-mercer",
    )
    assert (body["team_proposal"], body["summary"], body["themes"]) == (
        proposal.pk,
        "Inhaler coaching.",
        ["asthma", "inhalers"],
    )
    assert [(m["person"]["slug"], m["role"]) for m in body["members"]] == [
        ("daniel-mercer", "pi"),
        ("public-person", "co_investigator"),
    ]
    assert [(p["organisation"]["slug"], p["role"]) for p in body["partners"]] == [("aston", "university")]


def test_a_kept_team_for_another_opportunity_is_refused(client, world):
    proposal = _kept_team(world, OpportunityFactory())
    other = OpportunityFactory()
    response = _send(client, world, "researcher", "post", URL, {"opportunity": other.pk, "team_proposal": proposal.pk})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["team_proposal"]
    assert Bid.objects.count() == 0


def test_a_kept_team_one_may_not_see_is_refused(client, world):
    opportunity = OpportunityFactory()
    proposal = _kept_team(world, opportunity)
    response = _send(
        client, world, "nhs_rd", "post", URL, {"opportunity": opportunity.pk, "team_proposal": proposal.pk}
    )
    assert response.json()["error"]["fields"] == {"team_proposal": [f"No kept team {proposal.pk}."]}


def test_starting_a_bid_names_the_field_that_is_wrong(client, world):
    opportunity = OpportunityFactory()
    response = _send(
        client,
        world,
        "researcher",
        "post",
        URL,
        {"opportunity": opportunity.pk, "title": "T", "lead_organisation": "x"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"lead_organisation": ["No organisation “x”."]}
    response = _send(
        client, world, "researcher", "post", URL, {"opportunity": 999_999, "title": "T", "lead_organisation": "aston"}
    )
    assert response.json()["error"]["fields"] == {"opportunity": ["No opportunity 999999."]}


def test_industry_partners_do_not_start_bids(client, world):
    opportunity = OpportunityFactory()
    response = _send(
        client,
        world,
        "external",
        "post",
        URL,
        {"opportunity": opportunity.pk, "title": "T", "lead_organisation": "acme"},
    )
    assert response.status_code == 403
    assert Bid.objects.count() == 0


def test_a_change_names_its_version_and_raises_it(client, world, bid):
    response = _send(
        client, world, "researcher", "patch", f"{URL}/{bid.pk}", {"version": 1, "title": "Inhalers for everyone"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["version"]) == ("Inhalers for everyone", 2)
    bid.refresh_from_db()
    assert (bid.title, bid.version) == ("Inhalers for everyone", 2)


def test_a_change_without_its_version_is_refused(client, world, bid):
    response = _send(client, world, "researcher", "patch", f"{URL}/{bid.pk}", {"title": "No version"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["version"]


def test_a_stale_change_is_a_409_with_both_versions(client, world, bid):
    assert (
        _send(
            client, world, "coordinator", "patch", f"{URL}/{bid.pk}", {"version": 1, "title": "Coordinator's"}
        ).status_code
        == 200
    )
    response = _send(client, world, "researcher", "patch", f"{URL}/{bid.pk}", {"version": 1, "title": "Researcher's"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "fields"}
    assert (error["status"], error["code"]) == (409, "conflict")
    fields = error["fields"]
    assert fields["current_version"] == 2
    assert fields["current"]["title"] == "Coordinator's"
    assert fields["submitted"]["title"] == "Researcher's"
    assert fields["title"] == [error["message"]]
    bid.refresh_from_db()
    assert (bid.title, bid.version) == ("Coordinator's", 2)


def test_an_allowed_move_changes_the_stage_and_records_it(client, world, bid):
    response = _send(
        client, world, "researcher", "post", f"{URL}/{bid.pk}/transition", {"to_stage": "submitted", "reason": "Sent"}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["allowed_next_stages"]) == (
        "submitted",
        ["awarded", "unsuccessful", "withdrawn"],
    )
    change = StageChange.objects.get(bid=bid)
    assert (change.from_stage, change.to_stage, change.actor, change.reason) == (
        "full_application",
        "submitted",
        world.users["researcher"],
        "Sent",
    )


def test_a_move_that_is_not_allowed_is_a_422_with_the_reason(client, world, bid):
    response = _send(client, world, "researcher", "post", f"{URL}/{bid.pk}/transition", {"to_stage": "awarded"})
    assert response.status_code == 422
    message = (
        "A bid at full application cannot move to awarded; from full application it can move to submitted, withdrawn."
    )
    assert response.json()["error"] == {
        "status": 422,
        "code": "invalid",
        "message": message,
        "fields": {"to_stage": [message]},
    }
    assert Bid.objects.get(pk=bid.pk).stage == "full_application"


def test_an_unknown_stage_is_a_422_naming_the_field(client, world, bid):
    response = _send(client, world, "researcher", "post", f"{URL}/{bid.pk}/transition", {"to_stage": "funded"})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["to_stage"]


# --- partners and team --------------------------------------------------------------------------------------


def test_partners_are_added_and_removed(client, world, bid):
    response = _send(
        client,
        world,
        "researcher",
        "post",
        f"{URL}/{bid.pk}/partners",
        {"organisation": "leicester", "role": "university"},
    )
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["organisation"], added["role"], added["note"]) == (
        {"slug": "leicester", "name": "University of Leicester"},
        "university",
        "",
    )
    assert [
        p["organisation"]["slug"] for p in _get(client, world, "researcher", f"{URL}/{bid.pk}/partners").json()
    ] == ["uhb", "leicester"]
    response = _send(client, world, "researcher", "delete", f"{URL}/{bid.pk}/partners/{added['id']}")
    assert response.json() == {"id": added["id"], "deleted": True}
    assert list(bid.partners.values_list("organisation__slug", flat=True)) == ["uhb"]


def test_removing_a_partner_of_another_bid_is_a_404(client, world, bid):
    other = Bid.objects.create(opportunity=bid.opportunity, title="Other", lead_organisation=world.aston)
    partner = BidPartner.objects.create(bid=other, organisation=world.leicester, role="university")
    response = _send(client, world, "coordinator", "delete", f"{URL}/{bid.pk}/partners/{partner.pk}")
    assert response.status_code == 404
    assert BidPartner.objects.filter(pk=partner.pk).exists()


def test_members_are_added_and_removed(client, world, bid):
    response = _send(
        client, world, "aston_admin", "post", f"{URL}/{bid.pk}/members", {"person": "public-person", "role": "pi"}
    )
    assert response.status_code == 201, response.content
    added = response.json()
    assert (added["person"]["slug"], added["role_label"], added["organisation"]) == (
        "public-person",
        "Principal investigator",
        {"slug": "aston", "name": "Aston University"},  # no organisation given: their primary affiliation
    )
    assert [m["person"]["slug"] for m in _get(client, world, "aston_admin", f"{URL}/{bid.pk}/members").json()] == [
        "public-person",
        "daniel-mercer",
    ]
    assert _send(client, world, "aston_admin", "delete", f"{URL}/{bid.pk}/members/{added['id']}").json() == {
        "id": added["id"],
        "deleted": True,
    }
    assert bid.members.count() == 1


def test_a_person_one_may_not_see_cannot_be_added(client, world, bid):
    response = _send(
        client,
        world,
        "researcher",
        "post",
        f"{URL}/{bid.pk}/members",
        {"person": "hidden-person", "role": "collaborator"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"person": ["No person “hidden-person” in the directory."]}


# --- documents -----------------------------------------------------------------------------------------------


def _upload(client, world, persona, bid, name="case.txt", content=b"Our case for support.\n"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"{URL}/{bid.pk}/documents",
        data={"file": SimpleUploadedFile(name, content), "description": "Case for support"},
        headers=_auth(world, persona),
    )


def test_a_document_is_uploaded_listed_downloaded_and_deleted(client, world, bid):
    response = _upload(client, world, "researcher", bid)
    assert response.status_code == 201, response.content
    uploaded = response.json()
    assert (uploaded["original_name"], uploaded["size"], uploaded["description"], uploaded["uploaded_by"]) == (
        "case.txt",
        22,
        "Case for support",
        "researcher@nottingham.example.org",
    )
    listed = _get(client, world, "aston_admin", f"{URL}/{bid.pk}/documents").json()
    assert [d["id"] for d in listed] == [uploaded["id"]]
    download = _get(client, world, "aston_admin", f"{URL}/{bid.pk}/documents/{uploaded['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"Our case for support.\n"
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    deleted = _send(client, world, "researcher", "delete", f"{URL}/{bid.pk}/documents/{uploaded['id']}")
    assert deleted.json() == {"id": uploaded["id"], "deleted": True}
    assert BidDocument.objects.count() == 0


def test_a_disallowed_upload_is_refused_before_storage(client, world, bid):
    response = _upload(client, world, "researcher", bid, name="run.exe", content=b"MZ\x90\x00")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert BidDocument.objects.count() == 0


def test_a_document_of_another_bid_is_a_404(client, world, bid):
    uploaded = _upload(client, world, "coordinator", bid).json()
    other = Bid.objects.create(opportunity=bid.opportunity, title="Other", lead_organisation=world.aston)
    assert _get(client, world, "coordinator", f"{URL}/{other.pk}/documents/{uploaded['id']}").status_code == 404


# --- comments, activity, statements ---------------------------------------------------------------------------


def test_comments_are_added_and_listed_oldest_first(client, world, bid):
    first = _send(client, world, "researcher", "post", f"{URL}/{bid.pk}/comments", {"text": "Costings?"})
    assert first.status_code == 201, first.content
    _send(client, world, "aston_admin", "post", f"{URL}/{bid.pk}/comments", {"text": "Done."})
    listed = _get(client, world, "coordinator", f"{URL}/{bid.pk}/comments").json()
    assert [(c["author"], c["text"]) for c in listed] == [
        ("researcher@nottingham.example.org", "Costings?"),
        ("admin@aston.example.org", "Done."),
    ]


def test_an_empty_comment_is_refused(client, world, bid):
    response = _send(client, world, "researcher", "post", f"{URL}/{bid.pk}/comments", {"text": ""})
    assert response.status_code == 422
    assert list(response.json()["error"]["fields"]) == ["text"]
    assert BidComment.objects.count() == 0


def test_a_reviewer_reads_but_does_not_comment(client, world, bid):
    from mhi.bids.models import RoundEntry, RoundReviewer, SelectionRound

    selection_round = SelectionRound.objects.create(opportunity=bid.opportunity, title="Round 1")
    RoundEntry.objects.create(round=selection_round, bid=bid)
    RoundReviewer.objects.create(round=selection_round, user=world.users["leicester_lead"])
    assert _get(client, world, "leicester_lead", f"{URL}/{bid.pk}").json()["permissions"]["is_reviewer"] is True
    response = _send(client, world, "leicester_lead", "post", f"{URL}/{bid.pk}/comments", {"text": "Hm."})
    assert response.status_code == 403
    assert (
        response.json()["error"]["message"]
        == "Reviewers read a bid without commenting on it; give feedback in your review."
    )


def test_the_activity_log_lists_what_happened_newest_first(client, world, bid):
    BidEvent.objects.create(bid=bid, kind="created", actor=world.users["coordinator"], message="Bid started")
    BidEvent.objects.create(bid=bid, kind="reminder", message="Reminder sent to 2 people")
    events = _get(client, world, "researcher", f"{URL}/{bid.pk}/events").json()
    assert [(e["kind"], e["kind_label"], e["message"], e["actor"]) for e in events] == [
        ("reminder", "Reminder sent", "Reminder sent to 2 people", None),
        ("created", "Created", "Bid started", "coordinator@example.org"),
    ]


def test_the_team_statement_is_markdown_from_the_profiles(client, world, bid):
    body = _get(client, world, "researcher", f"{URL}/{bid.pk}/statements/team").json()
    assert (body["bid"], body["kind"]) == (bid.pk, "team")
    assert body["markdown"].startswith(
        "# Team statement: Inhalers for all\n\nFor Research for Patient Benefit, led by Aston University.\n\n"
        "## Pat Public — Lead person\n\nAston University\n\n## Daniel Mercer — Co-investigator\n\n"
        "University of Nottingham\n"
    )


# --- cap use, reports, awarded ----------------------------------------------------------------------------------


def test_the_facilities_statement_comes_from_the_catalogue(client, world, bid):
    body = _get(client, world, "researcher", f"{URL}/{bid.pk}/statements/facilities").json()
    assert (body["bid"], body["kind"]) == (bid.pk, "facilities")
    assert body["markdown"].startswith(f"# Facilities and resources: {bid.title}\n\n## {bid.lead_organisation.name}\n")
    assert "Nothing in the MHI Hub resources catalogue yet." in body["markdown"]


def test_cap_use_counts_places_per_institution_and_for_the_partnership(client, world, bid):
    from mhi.bids.models import CapPlace

    opportunity = bid.opportunity
    opportunity.cap_per_institution, opportunity.cap_partnership = 1, 3
    opportunity.save()
    leicester = Bid.objects.create(
        opportunity=opportunity, title="Leicester's", lead_organisation=world.leicester, stage="outline"
    )
    Bid.objects.create(opportunity=opportunity, title="Gone", lead_organisation=world.leicester, stage="withdrawn")
    for held in (bid, leicester):
        org = held.lead_organisation
        CapPlace.objects.create(
            opportunity=opportunity, scope=f"org:{org.pk}", organisation=org, number=1, cap=1, bid=held
        )
    CapPlace.objects.create(opportunity=opportunity, scope="partnership", number=1, cap=3, bid=bid)
    CapPlace.objects.create(opportunity=opportunity, scope="partnership", number=2, cap=3, bid=leicester)
    rows = _get(client, world, "aston_admin", f"/api/v1/opportunities/{opportunity.pk}/cap-use").json()
    assert rows == [
        {
            "organisation": {"slug": "aston", "name": "Aston University"},
            "used": 1,
            "cap": 1,
            "remaining": 0,
            "is_full": True,
            "bids": 1,
        },
        {
            "organisation": {"slug": "leicester", "name": "University of Leicester"},
            "used": 1,
            "cap": 1,
            "remaining": 0,
            "is_full": True,
            "bids": 1,
        },
        {"organisation": None, "used": 2, "cap": 3, "remaining": 1, "is_full": False, "bids": 2},
    ]


def test_cap_use_is_for_coordinators_and_institution_admins(client, world, bid):
    response = _get(client, world, "researcher", f"/api/v1/opportunities/{bid.opportunity_id}/cap-use")
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Only coordinators and institution admins see the use of an opportunity's caps."
    )
    assert _get(client, world, "coordinator", "/api/v1/opportunities/999999/cap-use").status_code == 404


def test_the_pipeline_report(client, world, bid):
    body = _get(client, world, "researcher", f"{URL}/pipeline").json()
    assert body["rows"] == [
        {
            "stage": "full_application",
            "institution": {"slug": "aston", "name": "Aston University"},
            "count": 1,
            "value": "250000.00",
        }
    ]
    assert body["by_institution"] == [
        {"institution": {"slug": "aston", "name": "Aston University"}, "count": 1, "value": "250000.00"}
    ]
    assert (body["count"], body["value"]) == (1, "250000.00")
    assert [s["stage"] for s in body["by_stage"] if s["count"]] == ["full_application"]


def test_the_success_rates_report(client, world, bid):
    Bid.objects.filter(pk=bid.pk).update(stage="awarded", value_awarded=Decimal("200000"))
    StageChange.objects.create(
        bid=bid, from_stage="submitted", to_stage="awarded", at=datetime.datetime(2026, 3, 1, tzinfo=LONDON)
    )
    rows = _get(client, world, "aston_admin", f"{URL}/success-rates", {"by": "institution"}).json()
    assert rows == [
        {
            "key": "Aston University",
            "year": 2026,
            "decided": 1,
            "awarded": 1,
            "rate": "1.0000",
            "value_awarded": "200000.00",
        }
    ]
    bad = _get(client, world, "aston_admin", f"{URL}/success-rates", {"by": "colour"})
    assert bad.status_code == 422
    assert list(bad.json()["error"]["fields"]) == ["by"]


def test_awarded_bids_are_public_summaries_only(client, world, bid):
    Bid.objects.filter(pk=bid.pk).update(stage="awarded")
    body = client.get(f"{URL}/awarded").json()
    assert body == {
        "count": 1,
        "items": [
            {
                "id": bid.pk,
                "title": "Inhalers for all",
                "lead_organisation": {"slug": "aston", "name": "Aston University"},
                "opportunity": "Research for Patient Benefit",
                "funder": "NIHR",
                "summary": "Better inhaler technique.",
            }
        ],
    }
