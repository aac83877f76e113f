"""Writes to bids: creating, editing with versions, stage moves with their rules, team and partners, comments.
Each records an audit event and an activity-log entry; refusals name the field and write nothing."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.bids import services
from mhi.bids.models import Bid, BidComment, BidEvent, BidMember, BidPartner, CapPlace, StageChange
from mhi.bids.tests.factories import (
    BidFactory,
    BidMemberFactory,
    BidPartnerFactory,
    RoundEntryFactory,
    RoundReviewerFactory,
)
from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import (
    AffiliationFactory,
    PartnerInstitutionFactory,
    PersonFactory,
)
from mhi.opportunities.models import TeamProposal
from mhi.opportunities.tests.factories import OpportunityFactory

DAY = datetime.timedelta(days=1)


def _audits(model, action=None):
    qs = AuditEvent.objects.filter(content_type=ContentType.objects.get_for_model(model))
    return qs.filter(action=action) if action else qs


@pytest.fixture
def call(db):
    return OpportunityFactory(title="Research for Patient Benefit", funder_name="NIHR")


@pytest.fixture
def bid(world, call):
    """Aston's bid at the idea stage, started by the researcher (who is on its team as its creator)."""
    return services.bid_create(
        actor=world.users["researcher"],
        opportunity=call,
        title="Inhalers for all",
        lead_organisation=world.aston,
        value_requested=Decimal("250000"),
    )


def _at(bid, stage):
    Bid.objects.filter(pk=bid.pk).update(stage=stage)
    bid.refresh_from_db()
    return bid


# --- creating --------------------------------------------------------------------------------------------------


def test_it_creates_a_bid_with_its_partners_and_team(world, call):
    researcher = world.users["researcher"]

    bid = services.bid_create(
        actor=researcher,
        opportunity=call,
        title="  Inhalers   for all ",
        lead_organisation=world.aston,
        lead_person=world.public_person,
        summary="Better inhaler technique.",
        themes=["Asthma", " asthma ", "COPD"],
        value_requested="250,000",
        reminder_days=[1, 14, 7, 7],
        partners=[(world.uhb, "nhs_trust", "Recruits patients")],
        members=[(world.public_person, "pi", None), (world.researcher_person, "co_investigator", world.nottingham)],
    )

    bid.refresh_from_db()
    assert (bid.title, bid.stage, bid.version, bid.created_by) == ("Inhalers for all", "idea", 1, researcher)
    assert bid.themes == ["Asthma", "COPD"]
    assert bid.value_requested == Decimal("250000.00")
    assert bid.reminder_days == [14, 7, 1]
    assert [(p.organisation, p.role, p.note) for p in bid.partners.all()] == [
        (world.uhb, "nhs_trust", "Recruits patients")
    ]
    members = {m.person: (m.role, m.organisation) for m in bid.members.all()}
    # The PI's organisation defaults to their primary affiliation.
    assert members == {
        world.public_person: ("pi", world.aston),
        world.researcher_person: ("co_investigator", world.nottingham),
    }
    assert [(s.from_stage, s.to_stage, s.actor) for s in bid.stage_changes.all()] == [("", "idea", researcher)]
    event = bid.events.get()
    assert (event.kind, event.actor) == ("created", researcher)
    assert event.message == "Daniel Mercer started the bid for “Research for Patient Benefit”"
    assert _audits(Bid, "create").get().object_id == str(bid.pk)
    assert _audits(BidPartner, "create").count() == 1
    assert _audits(BidMember, "create").count() == 2


@pytest.mark.parametrize("persona", ["external", "anonymous"])
def test_industry_partners_and_anonymous_visitors_do_not_create_bids(world, call, persona):
    from django.contrib.auth.models import AnonymousUser

    actor = world.users[persona] or AnonymousUser()

    with pytest.raises(PermissionDenied):
        services.bid_create(actor=actor, opportunity=call, title="T", lead_organisation=world.aston)

    assert Bid.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": "   "}, "title", "Enter the bid's title."),
        ({"value_requested": "-1"}, "value_requested", "The value requested cannot be negative."),
        (
            {"value_requested": "lots"},
            "value_requested",
            "The value requested must be an amount in pounds, like 250000.",
        ),
        (
            {"reminder_days": [400]},
            "reminder_days",
            "Reminder days must be between 0 and 365 days before the deadline.",
        ),
        ({"themes": [f"t{i}" for i in range(21)]}, "themes", "Give at most 20 themes (there are 21)."),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(world, call, changes, field, message):
    values = {"title": "A bid", "lead_organisation": world.aston, **changes}

    with pytest.raises(DomainError) as refused:
        services.bid_create(actor=world.users["researcher"], opportunity=call, **values)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert Bid.objects.count() == 0


def test_an_industry_organisation_cannot_lead_a_bid(world, call):
    with pytest.raises(DomainError) as refused:
        services.bid_create(
            actor=world.users["researcher"], opportunity=call, title="T", lead_organisation=world.company
        )

    assert refused.value.field == "lead_organisation"
    assert refused.value.message == (
        "Acme Devices is industry, which cannot lead a bid; choose a university, NHS trust or other public body as "
        "the lead and add Acme Devices as a partner."
    )


def test_a_call_led_by_a_partner_university_refuses_another_lead(world):
    call = OpportunityFactory(lead_must_be_partner_university=True)
    PartnerInstitutionFactory(organisation=world.leicester)

    with pytest.raises(DomainError) as refused:
        services.bid_create(actor=world.users["researcher"], opportunity=call, title="T", lead_organisation=world.aston)
    bid = services.bid_create(
        actor=world.users["researcher"], opportunity=call, title="T", lead_organisation=world.leicester
    )

    assert refused.value.message == "This call must be led by a partner university, and Aston University is not one."
    assert bid.lead_organisation == world.leicester


def test_the_same_person_twice_is_refused_naming_them(world, call):
    with pytest.raises(DomainError) as refused:
        services.bid_create(
            actor=world.users["researcher"],
            opportunity=call,
            title="T",
            lead_organisation=world.aston,
            members=[(world.public_person, "pi", None), (world.public_person, "collaborator", None)],
        )

    assert (refused.value.field, refused.value.message) == (
        "person",
        "Pat Public is already on the team, as principal investigator.",
    )
    assert Bid.objects.count() == 0


def test_the_lead_organisation_is_not_also_a_partner(world, call):
    with pytest.raises(DomainError) as refused:
        services.bid_create(
            actor=world.users["researcher"],
            opportunity=call,
            title="T",
            lead_organisation=world.aston,
            partners=[(world.aston, "university", "")],
        )

    assert refused.value.message == "Aston University leads this bid, so it is not added again as a partner."


def test_a_bid_starts_from_a_kept_team(world, call):
    trust_person = AffiliationFactory(organisation=world.uhb, person=PersonFactory(slug="trudy-trust")).person
    proposal = TeamProposal.objects.create(
        opportunity=call,
        themes=["asthma"],
        coverage=[{"theme": "asthma", "person": world.researcher_person.pk}, {"theme": "x", "person": trust_person.pk}],
        objective=1.0,
        solver_status="optimal",
        created_by=world.users["researcher"],
    )
    proposal.members.set([trust_person, world.researcher_person, world.public_person])

    bid = services.bid_from_team_proposal(actor=world.users["researcher"], proposal=proposal)

    assert (bid.title, bid.lead_organisation, bid.lead_person, bid.team_proposal) == (
        "Research for Patient Benefit",
        world.nottingham,
        world.researcher_person,
        proposal,
    )
    assert bid.themes == ["asthma"]
    assert sorted((m.person.slug, m.role, m.organisation.slug) for m in bid.members.all()) == [
        ("daniel-mercer", "pi", "nottingham"),
        ("public-person", "co_investigator", "aston"),
        ("trudy-trust", "co_investigator", "uhb"),
    ]
    assert sorted((p.organisation.slug, p.role) for p in bid.partners.all()) == [
        ("aston", "university"),
        ("uhb", "nhs_trust"),
    ]


def test_someone_elses_kept_team_is_refused(world, call):
    proposal = TeamProposal.objects.create(
        opportunity=call, objective=1.0, solver_status="optimal", created_by=world.users["coordinator"]
    )

    with pytest.raises(PermissionDenied):
        services.bid_from_team_proposal(actor=world.users["researcher"], proposal=proposal)


# --- editing ---------------------------------------------------------------------------------------------------


def test_it_updates_fields_and_bumps_the_version(world, bid):
    researcher = world.users["researcher"]

    updated = services.bid_update(
        actor=researcher, bid=bid, version=1, fields={"title": "Inhalers for everyone", "summary": "Short."}
    )

    bid.refresh_from_db()
    assert (bid.title, bid.summary, bid.version) == ("Inhalers for everyone", "Short.", 2)
    assert updated.version == 2
    event = bid.events.filter(kind="updated").get()
    assert event.message == "Daniel Mercer changed title, non-confidential summary"
    assert event.data == {"fields": ["title", "summary"]}
    audit = _audits(Bid, "update").get()
    assert audit.changes == {
        "title": ["Inhalers for all", "Inhalers for everyone"],
        "summary": ["", "Short."],
        "version": [1, 2],
    }


def test_saving_identical_values_records_nothing(world, bid):
    services.bid_update(
        actor=world.users["researcher"],
        bid=bid,
        version=1,
        fields={"title": "Inhalers for all", "value_requested": "250000.00", "themes": []},
    )

    bid.refresh_from_db()
    assert bid.version == 1
    assert bid.events.filter(kind="updated").count() == 0
    assert _audits(Bid, "update").count() == 0


def test_a_stale_version_is_refused_with_both_versions(world, bid):
    services.bid_update(actor=world.users["coordinator"], bid=bid, version=1, fields={"title": "Theirs"})

    with pytest.raises(services.BidConflict) as conflict:
        services.bid_update(
            actor=world.users["researcher"],
            bid=bid,
            version=1,
            fields={"title": "Mine", "value_requested": "250000", "summary": "New summary"},
        )

    refused = conflict.value
    assert refused.status_code == 409
    assert refused.current_version == 2
    assert refused.fields == ["title", "summary"]
    assert refused.current == {"title": "Theirs", "value_requested": "250000.00", "summary": ""}
    assert refused.submitted == {"title": "Mine", "value_requested": "250000.00", "summary": "New summary"}
    assert refused.message == (
        "Someone else changed this bid while you were editing it (you started from version 1; it is now version 2). "
        "Their values differ from yours in: title, non-confidential summary. Check both versions and save again."
    )
    bid.refresh_from_db()
    assert (bid.title, bid.summary, bid.version) == ("Theirs", "", 2)
    assert bid.events.filter(kind="updated").count() == 1


def test_a_value_awarded_is_refused_before_the_award(world, bid):
    with pytest.raises(DomainError) as refused:
        services.bid_update(actor=world.users["researcher"], bid=bid, version=1, fields={"value_awarded": "10"})

    assert refused.value.field == "value_awarded"
    assert refused.value.message == "A value awarded is recorded only once the bid is awarded; it is at idea."


def test_a_field_that_is_not_editable_is_refused(world, bid):
    with pytest.raises(DomainError) as refused:
        services.bid_update(actor=world.users["researcher"], bid=bid, version=1, fields={"stage": "awarded"})

    assert (refused.value.field, refused.value.message) == ("stage", "“stage” cannot be changed here.")


@pytest.mark.parametrize("persona", ["leicester_lead", "nhs_rd", "external"])
def test_people_off_the_bid_cannot_edit_it(world, bid, persona):
    with pytest.raises(PermissionDenied):
        services.bid_update(actor=world.users[persona], bid=bid, version=1, fields={"title": "No"})

    bid.refresh_from_db()
    assert bid.title == "Inhalers for all"


def test_a_collaborator_views_but_does_not_edit(world, bid):
    user = UserFactory()
    BidMemberFactory(bid=bid, person=PersonFactory(user=user), role="collaborator")

    with pytest.raises(PermissionDenied) as refused:
        services.bid_update(actor=user, bid=bid, version=1, fields={"title": "No"})

    assert refused.value.message == (
        "Only the bid's PI, co-investigators, lead person and creator, admins of its lead organisation and "
        "coordinators change it."
    )


# --- stages ----------------------------------------------------------------------------------------------------


def test_a_transition_records_who_when_and_why(world, bid):
    researcher = world.users["researcher"]
    before = timezone.now()

    moved = services.bid_transition(actor=researcher, bid=bid, to_stage="eoi", reason="Ready")

    bid.refresh_from_db()
    assert (bid.stage, bid.version, moved.version) == ("eoi", 2, 2)
    assert bid.stage_changed_at >= before
    change = bid.stage_changes.get(to_stage="eoi")
    assert (change.from_stage, change.actor, change.reason, change.at) == (
        "idea",
        researcher,
        "Ready",
        bid.stage_changed_at,
    )
    event = bid.events.get(kind="stage")
    assert event.message == "Daniel Mercer moved the bid from idea to expression of interest: Ready"
    assert event.data == {"from_stage": "idea", "to_stage": "eoi", "reason": "Ready", "places": [], "released": []}
    assert _audits(Bid, "update").get().changes["stage"] == ["idea", "eoi"]


def test_a_transition_not_allowed_is_refused_naming_what_is(world, bid):
    with pytest.raises(DomainError) as refused:
        services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="submitted")

    assert refused.value.field == "to_stage"
    assert refused.value.message == (
        "A bid at idea cannot move to submitted; from idea it can move to expression of interest, withdrawn."
    )
    bid.refresh_from_db()
    assert (bid.stage, bid.version, bid.stage_changes.count()) == ("idea", 1, 1)


def test_a_final_stage_goes_nowhere(world, bid):
    _at(bid, "withdrawn")

    with pytest.raises(DomainError) as refused:
        services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="eoi")

    assert refused.value.message == "The bid is withdrawn, a final stage; it cannot move to expression of interest."


def test_an_unknown_stage_is_refused(world, bid):
    with pytest.raises(DomainError) as refused:
        services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="won")

    assert refused.value.message == "“won” is not a stage; choose one of expression of interest, withdrawn."


def test_an_uncapped_call_may_skip_internal_selection(world, bid):
    _at(bid, "eoi")

    services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="full_application")

    assert Bid.objects.get(pk=bid.pk).stage == "full_application"
    assert CapPlace.objects.count() == 0


def test_a_capped_call_may_not_skip_internal_selection(world):
    call = OpportunityFactory(title="Capped call", cap_partnership=5)
    bid = _at(BidFactory(opportunity=call, lead_organisation=world.aston, created_by=world.users["researcher"]), "eoi")

    with pytest.raises(DomainError) as refused:
        services.bid_transition(actor=world.users["coordinator"], bid=bid, to_stage="outline")

    assert refused.value.message == (
        "“Capped call” limits how many bids each institution or the partnership may submit, so a bid at expression "
        "of interest must go through internal selection before outline."
    )


def test_an_award_records_the_value(world, bid):
    _at(bid, "submitted")

    services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="awarded", value_awarded="240000")

    bid.refresh_from_db()
    assert (bid.stage, bid.value_awarded) == ("awarded", Decimal("240000.00"))
    assert (
        bid.events.get(kind="stage").message
        == "Daniel Mercer moved the bid from submitted to awarded, awarded £240,000"
    )


def test_a_value_awarded_with_another_outcome_is_refused(world, bid):
    _at(bid, "submitted")

    with pytest.raises(DomainError) as refused:
        services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="unsuccessful", value_awarded="1")

    assert (refused.value.field, refused.value.message) == (
        "value_awarded",
        "A value awarded is recorded only when the bid moves to awarded, not to unsuccessful.",
    )
    assert Bid.objects.get(pk=bid.pk).stage == "submitted"


def test_the_team_does_not_pass_its_own_bid_through_selection(world, bid):
    _at(bid, "internal_selection")

    with pytest.raises(PermissionDenied):
        services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="full_application")
    with pytest.raises(PermissionDenied):
        services.bid_pass_selection(actor=world.users["researcher"], bid=bid)
    services.bid_transition(actor=world.users["researcher"], bid=bid, to_stage="withdrawn")

    assert Bid.objects.get(pk=bid.pk).stage == "withdrawn"


@pytest.mark.parametrize(("outline_deadline", "stage"), [(True, "outline"), (False, "full_application")])
def test_passing_selection_goes_to_the_next_deadline(world, outline_deadline, stage):
    now = timezone.now()
    call = OpportunityFactory(outline_deadline=now + 10 * DAY if outline_deadline else None, closes_at=now + 40 * DAY)
    bid = _at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection")

    services.bid_pass_selection(actor=world.users["aston_admin"], bid=bid)

    bid.refresh_from_db()
    assert bid.stage == stage
    assert bid.stage_changes.get().reason == "Passed internal selection"


def test_passing_selection_takes_a_place_for_the_institution_and_the_partnership(world):
    call = OpportunityFactory(cap_per_institution=2, cap_partnership=3)
    bid = _at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection")

    services.bid_pass_selection(actor=world.users["coordinator"], bid=bid)

    places = [(p.scope, p.organisation, p.number, p.cap, p.taken_by) for p in CapPlace.objects.filter(bid=bid)]
    assert sorted(places, key=lambda p: p[0]) == [
        (f"org:{world.aston.pk}", world.aston, 1, 2, world.users["coordinator"]),
        ("partnership", None, 1, 3, world.users["coordinator"]),
    ]
    assert bid.events.get(kind="stage").data["places"] == [
        {"scope": f"org:{world.aston.pk}", "number": 1, "cap": 2},
        {"scope": "partnership", "number": 1, "cap": 3},
    ]


def test_a_full_institution_cap_refuses_and_writes_nothing(world):
    call = OpportunityFactory(cap_per_institution=2)
    for _ in range(2):
        services.bid_pass_selection(
            actor=world.users["coordinator"],
            bid=_at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection"),
        )
    third = _at(BidFactory(opportunity=call, lead_organisation=world.aston, title="Third"), "internal_selection")

    with pytest.raises(services.CapExceeded) as refused:
        services.bid_pass_selection(actor=world.users["coordinator"], bid=third)

    assert refused.value.message == (
        "Aston University has used both of its 2 places for this call: “Third” cannot pass internal selection "
        "until a bid holding a place is withdrawn or unsuccessful."
    )
    third.refresh_from_db()
    assert (third.stage, third.version, third.stage_changes.count(), third.events.count()) == (
        "internal_selection",
        1,
        0,
        0,
    )
    assert CapPlace.objects.count() == 2


def test_a_full_partnership_cap_leaves_no_institution_place_behind(world):
    call = OpportunityFactory(cap_per_institution=2, cap_partnership=1)
    services.bid_pass_selection(
        actor=world.users["coordinator"],
        bid=_at(BidFactory(opportunity=call, lead_organisation=world.leicester), "internal_selection"),
    )
    aston_bid = _at(BidFactory(opportunity=call, lead_organisation=world.aston, title="Aston's"), "internal_selection")

    with pytest.raises(services.CapExceeded) as refused:
        services.bid_pass_selection(actor=world.users["coordinator"], bid=aston_bid)

    assert refused.value.message == (
        "The partnership has used its only place for this call: “Aston's” cannot pass internal selection until a "
        "bid holding a place is withdrawn or unsuccessful."
    )
    assert CapPlace.objects.filter(bid=aston_bid).count() == 0
    assert Bid.objects.get(pk=aston_bid.pk).stage == "internal_selection"


def test_withdrawing_after_selection_frees_the_places(world):
    call = OpportunityFactory(cap_per_institution=1, cap_partnership=1)
    first = _at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection")
    services.bid_pass_selection(actor=world.users["coordinator"], bid=first)

    services.bid_transition(actor=world.users["coordinator"], bid=first, to_stage="withdrawn", reason="No PI")
    second = _at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection")
    services.bid_pass_selection(actor=world.users["coordinator"], bid=second)

    assert list(CapPlace.objects.values_list("bid", "number")) == [(second.pk, 1), (second.pk, 1)]
    assert sorted(first.events.get(message__contains="withdrawn").data["released"]) == [
        f"org:{world.aston.pk}",
        "partnership",
    ]
    assert _audits(CapPlace, "delete").count() == 2


def test_an_unsuccessful_outcome_frees_the_places(world):
    call = OpportunityFactory(cap_per_institution=1)
    bid = _at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection")
    services.bid_pass_selection(actor=world.users["coordinator"], bid=bid)  # to full application: no outline
    services.bid_transition(actor=world.users["coordinator"], bid=bid, to_stage="submitted")

    services.bid_transition(actor=world.users["coordinator"], bid=bid, to_stage="unsuccessful")

    assert CapPlace.objects.count() == 0
    assert Bid.objects.get(pk=bid.pk).version == 4


def test_a_bid_holding_an_institutions_place_keeps_its_lead(world):
    call = OpportunityFactory(cap_per_institution=2)
    bid = _at(BidFactory(opportunity=call, lead_organisation=world.aston), "internal_selection")
    services.bid_pass_selection(actor=world.users["coordinator"], bid=bid)

    with pytest.raises(DomainError) as refused:
        services.bid_update(
            actor=world.users["coordinator"], bid=bid, version=2, fields={"lead_organisation": world.leicester}
        )

    assert (refused.value.field, refused.value.message) == (
        "lead_organisation",
        "This bid holds one of Aston University's places for the call, so its lead organisation cannot change; "
        "withdraw it and start a new bid led by University of Leicester.",
    )
    assert Bid.objects.get(pk=bid.pk).lead_organisation == world.aston


def test_passing_selection_needs_internal_selection(world, bid):
    with pytest.raises(DomainError) as refused:
        services.bid_pass_selection(actor=world.users["coordinator"], bid=bid)

    assert refused.value.message == "Only a bid at internal selection can pass it; this one is at idea."


# --- partners and team -----------------------------------------------------------------------------------------


def test_it_adds_and_removes_a_partner(world, bid):
    researcher = world.users["researcher"]

    partner = services.partner_add(actor=researcher, bid=bid, organisation=world.uhb, role="nhs_trust", note="Trials")
    services.partner_remove(actor=researcher, bid=bid, partner_id=partner.pk)

    assert bid.partners.count() == 0
    assert [e.message for e in bid.events.filter(kind="partner").order_by("id")] == [
        "Daniel Mercer added University Hospitals Birmingham as a partner (nhs trust)",
        "Daniel Mercer removed University Hospitals Birmingham as a partner",
    ]
    assert [a.action for a in _audits(BidPartner).order_by("id")] == ["create", "delete"]


def test_a_partner_twice_is_refused(world, bid):
    BidPartnerFactory(bid=bid, organisation=world.uhb)

    with pytest.raises(DomainError) as refused:
        services.partner_add(actor=world.users["researcher"], bid=bid, organisation=world.uhb, role="nhs_trust")

    assert refused.value.message == "University Hospitals Birmingham is already a partner on this bid."


def test_it_adds_and_removes_a_member(world, bid):
    researcher = world.users["researcher"]

    member = services.member_add(actor=researcher, bid=bid, person=world.public_person, role="pi")
    services.member_remove(actor=researcher, bid=bid, member_id=member.pk)

    assert (member.organisation, bid.members.count()) == (world.aston, 0)
    assert [e.message for e in bid.events.filter(kind="member").order_by("id")] == [
        "Daniel Mercer added Pat Public to the team as principal investigator",
        "Daniel Mercer removed Pat Public from the team",
    ]


def test_a_second_pi_is_refused_naming_the_first(world, bid):
    BidMemberFactory(bid=bid, person=world.public_person, role="pi")

    with pytest.raises(DomainError) as refused:
        services.member_add(actor=world.users["researcher"], bid=bid, person=world.hidden_person, role="pi")

    assert (refused.value.field, refused.value.message) == (
        "role",
        "Pat Public is already the principal investigator; a bid has one. Add Hid Den in another role, or remove "
        "Pat Public first.",
    )


def test_the_one_pi_constraint_becomes_a_clear_error(world, bid):
    """Should the check before pass (a concurrent add), the database constraint gives the same refusal."""
    BidMemberFactory(bid=bid, person=world.public_person, role="pi")
    member = BidMember(bid=bid, person=world.hidden_person, role="pi")

    with pytest.raises(DomainError) as refused:
        services._member_save(member, actor=world.users["researcher"])

    assert refused.value.field == "role"
    assert refused.value.message.startswith("Pat Public is already the principal investigator")


def test_a_person_already_on_the_team_is_refused(world, bid):
    BidMemberFactory(bid=bid, person=world.public_person, role="collaborator")

    with pytest.raises(DomainError) as refused:
        services.member_add(actor=world.users["researcher"], bid=bid, person=world.public_person, role="pi")

    assert refused.value.message == "Pat Public is already on the team, as collaborator."


def test_removing_someone_not_on_the_team_is_refused(world, bid):
    with pytest.raises(DomainError) as refused:
        services.member_remove(actor=world.users["researcher"], bid=bid, member_id=999999)

    assert (refused.value.field, refused.value.message) == ("member", "That person is not on this bid's team.")


# --- comments --------------------------------------------------------------------------------------------------


def test_the_team_comments(world, bid):
    comment = services.comment_add(actor=world.users["researcher"], bid=bid, text="  Looks good  ")

    assert (comment.text, comment.author) == ("Looks good", world.users["researcher"])
    assert bid.events.get(kind="comment").message == "Daniel Mercer commented"
    assert _audits(BidComment, "create").count() == 1


def test_an_empty_comment_is_refused(world, bid):
    with pytest.raises(DomainError) as refused:
        services.comment_add(actor=world.users["researcher"], bid=bid, text="  ")

    assert (refused.value.field, refused.value.message) == ("text", "Write the comment.")


def test_a_reviewer_reads_but_does_not_comment(world):
    entry = RoundEntryFactory(bid__lead_organisation=world.aston)
    reviewer = RoundReviewerFactory(round=entry.round).user
    MembershipFactory(user=reviewer, role="researcher", organisation=world.leicester)

    with pytest.raises(PermissionDenied) as refused:
        services.comment_add(actor=reviewer, bid=entry.bid, text="Nice")

    assert refused.value.message == "Reviewers read a bid without commenting on it; give feedback in your review."
    assert BidEvent.objects.filter(kind="comment").count() == 0
    assert StageChange.objects.count() == 0
