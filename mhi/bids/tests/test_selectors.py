"""Who sees a bid and what they may do with it, for every kind of user; the list's filters; public awarded bids;
cap use. A user who may not see a bid gets nothing, not even that it exists."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.bids import selectors
from mhi.bids.models import Stage
from mhi.bids.selectors import BidFilters, BidPermissions
from mhi.bids.tests.factories import (
    BidEventFactory,
    BidFactory,
    BidMemberFactory,
    BidPartnerFactory,
    CapPlaceFactory,
    ReviewConflictFactory,
    RoundEntryFactory,
    RoundReviewerFactory,
)
from mhi.directory.tests.factories import OrganisationFactory, PersonFactory
from mhi.opportunities.tests.factories import OpportunityFactory

NOTHING = BidPermissions()
EVERYTHING = BidPermissions(can_view=True, can_edit=True, can_comment=True, can_pass_selection=True)
EDITS = BidPermissions(can_view=True, can_edit=True, can_comment=True)
READS_AND_COMMENTS = BidPermissions(can_view=True, can_comment=True)
REVIEWS = BidPermissions(can_view=True, is_reviewer=True)

# Every kind of user, and what each may do with Aston's bid (UHB its partner).
EXPECTED = {
    "coordinator": EVERYTHING,
    "lead_org_admin": EVERYTHING,
    "creator": EDITS,
    "lead_person": EDITS,
    "pi": EDITS,
    "co_investigator": EDITS,
    "collaborator": READS_AND_COMMENTS,
    "partner_org_admin": READS_AND_COMMENTS,
    "other_admin": NOTHING,
    "researcher_elsewhere": NOTHING,
    "researcher_at_partner": NOTHING,
    "external": NOTHING,
    "anonymous": NOTHING,
    "reviewer": REVIEWS,
    "reviewer_with_conflict": NOTHING,
    "inactive_member": NOTHING,
}


def _user_at(role, organisation):
    user = UserFactory()
    MembershipFactory(user=user, role=role, organisation=organisation)
    return user


def _member(bid, role, **user_kwargs):
    user = UserFactory(**user_kwargs)
    BidMemberFactory(bid=bid, person=PersonFactory(user=user), role=role)
    return user


@pytest.fixture
def scene(world):
    """Aston's bid for a capped call, in internal selection, with UHB as partner, and a user of every kind."""
    call = OpportunityFactory(title="Capped call", funder_name="NIHR", cap_per_institution=2)
    creator = world.users["researcher"]
    lead_person_user = UserFactory()
    bid = BidFactory(
        opportunity=call,
        title="Inhalers for all",
        lead_organisation=world.aston,
        lead_person=PersonFactory(user=lead_person_user),
        stage=Stage.INTERNAL_SELECTION,
        created_by=creator,
    )
    BidPartnerFactory(bid=bid, organisation=world.uhb, role="nhs_trust")
    entry = RoundEntryFactory(round__opportunity=call, bid=bid)
    reviewer = RoundReviewerFactory(round=entry.round, user=_user_at(Role.RESEARCHER, world.leicester))
    conflicted = RoundReviewerFactory(round=entry.round, user=_user_at(Role.RESEARCHER, world.aston))
    ReviewConflictFactory(entry=entry, reviewer=conflicted, source="same_institution", detail="Aston")
    users = {
        "coordinator": world.users["coordinator"],
        "lead_org_admin": world.users["aston_admin"],
        "creator": creator,
        "lead_person": lead_person_user,
        "pi": _member(bid, "pi"),
        "co_investigator": _member(bid, "co_investigator"),
        "collaborator": _member(bid, "collaborator"),
        "partner_org_admin": _user_at(Role.INSTITUTION_ADMIN, world.uhb),
        "other_admin": _user_at(Role.INSTITUTION_ADMIN, world.leicester),
        "researcher_elsewhere": world.users["leicester_lead"],
        "researcher_at_partner": world.users["nhs_rd"],
        "external": world.users["external"],
        "anonymous": AnonymousUser(),
        "reviewer": reviewer.user,
        "reviewer_with_conflict": conflicted.user,
        "inactive_member": _member(bid, "co_investigator", is_active=False),
    }
    return bid, users


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_kind_of_user_has_exactly_its_permissions(scene, persona):
    bid, users = scene

    assert selectors.bid_permissions(user=users[persona], bid=bid) == EXPECTED[persona]


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_the_bid_is_listed_only_for_those_who_may_see_it(scene, persona):
    bid, users = scene

    listed = list(selectors.bids_visible_to(user=users[persona]))

    assert listed == ([bid] if EXPECTED[persona].can_view else [])


@pytest.mark.parametrize("persona", sorted(p for p, perms in EXPECTED.items() if not perms.can_view))
def test_the_bid_does_not_exist_for_everyone_else(scene, persona):
    bid, users = scene

    with pytest.raises(Http404):
        selectors.bid_for(user=users[persona], pk=bid.pk)


def test_bid_for_gives_the_bid_to_its_team(scene):
    bid, users = scene

    assert selectors.bid_for(user=users["pi"], pk=bid.pk) == bid
    with pytest.raises(Http404):
        selectors.bid_for(user=users["pi"], pk="not-a-number")


def test_a_user_with_many_routes_to_a_bid_sees_it_once(world):
    bid = BidFactory(lead_organisation=world.aston, created_by=world.users["aston_admin"])
    BidPartnerFactory(bid=bid, organisation=OrganisationFactory())
    for role in ("pi", "collaborator"):
        BidMemberFactory(bid=bid, role=role, person=PersonFactory(user=UserFactory()))
    BidMemberFactory(bid=bid, role="co_investigator", person=PersonFactory(user=world.users["aston_admin"]))

    assert list(selectors.bids_visible_to(user=world.users["aston_admin"])) == [bid]


def test_listing_visible_bids_is_one_query(world, django_assert_num_queries):
    for _ in range(5):
        BidFactory(lead_organisation=world.aston)
    user = world.users["aston_admin"]
    selectors.user_is_coordinator(user)  # the roles are cached on the user for the request

    with django_assert_num_queries(1):
        titles = [
            (b.title, b.opportunity.title, b.lead_organisation.name) for b in selectors.bids_visible_to(user=user)
        ]

    assert len(titles) == 5


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("coordinator", True),
        ("aston_admin", True),
        ("leicester_lead", True),
        ("researcher", True),
        ("nhs_rd", True),
        ("external", False),
        ("anonymous", False),
    ],
)
def test_who_may_start_a_bid(world, persona, may):
    assert selectors.user_may_create_bid(world.users[persona] or AnonymousUser()) is may


# --- filters ---------------------------------------------------------------------------------------------------


@pytest.fixture
def pipeline(world):
    nihr = OpportunityFactory(title="RfPB", funder_name="NIHR", themes=["Mental health"])
    ukri = OpportunityFactory(title="Healthy ageing", funder_name="UKRI")
    bids = {
        "aston": BidFactory(opportunity=nihr, lead_organisation=world.aston, title="Apps for anxiety", stage="eoi"),
        "leicester": BidFactory(
            opportunity=ukri, lead_organisation=world.leicester, title="Falls in care homes", themes=["Ageing"]
        ),
        "nottingham": BidFactory(
            opportunity=ukri,
            lead_organisation=world.nottingham,
            title="Hip recovery",
            summary="Physiotherapy after anxiety-free surgery",
            created_by=world.users["researcher"],
        ),
    }
    BidPartnerFactory(bid=bids["leicester"], organisation=world.aston, role="university")
    return bids


def _titles(qs):
    return sorted(b.title for b in qs)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Apps for anxiety", "Falls in care homes", "Hip recovery"]),
        ({"stage": "eoi"}, ["Apps for anxiety"]),
        ({"funder": "ukri"}, ["Falls in care homes", "Hip recovery"]),
        ({"theme": "ageing"}, ["Falls in care homes"]),
        ({"theme": "mental health"}, ["Apps for anxiety"]),  # the call's theme
        ({"q": "anxiety"}, ["Apps for anxiety", "Hip recovery"]),
        ({"q": "anxiety apps"}, ["Apps for anxiety"]),
        ({"mine": True}, []),
    ],
)
def test_the_filters(world, pipeline, filters, expected):
    qs = selectors.bids_filtered(user=world.users["coordinator"], filters=BidFilters(**filters))

    assert _titles(qs) == expected


def test_the_institution_filter_takes_lead_and_partner_bids(world, pipeline):
    qs = selectors.bids_filtered(user=world.users["coordinator"], filters=BidFilters(institution=world.aston.pk))

    assert _titles(qs) == ["Apps for anxiety", "Falls in care homes"]


def test_the_opportunity_filter(world, pipeline):
    filters = BidFilters(opportunity=pipeline["aston"].opportunity_id)

    assert _titles(selectors.bids_filtered(user=world.users["coordinator"], filters=filters)) == ["Apps for anxiety"]


def test_filters_never_widen_what_the_user_sees(world, pipeline):
    filters = BidFilters(funder="UKRI")

    assert _titles(selectors.bids_filtered(user=world.users["aston_admin"], filters=filters)) == ["Falls in care homes"]
    assert _titles(selectors.bids_filtered(user=world.users["external"], filters=BidFilters())) == []


def test_mine_is_the_bids_the_user_is_on(world, pipeline):
    BidMemberFactory(bid=pipeline["aston"], person=world.researcher_person, role="collaborator")

    assert _titles(selectors.my_bids(user=world.users["researcher"])) == ["Apps for anxiety", "Hip recovery"]
    assert _titles(
        selectors.bids_filtered(user=world.users["researcher"], filters=BidFilters(mine=True, stage="eoi"))
    ) == ["Apps for anxiety"]
    assert _titles(selectors.my_bids(user=world.users["aston_admin"])) == []
    assert _titles(selectors.my_bids(user=AnonymousUser())) == []


# --- public, caps, timeline ------------------------------------------------------------------------------------


def test_only_awarded_bids_are_public(world):
    awarded = BidFactory(stage=Stage.AWARDED, title="Won", summary="What it does.", value_awarded=100)
    for stage in Stage.values:
        if stage != Stage.AWARDED:
            BidFactory(stage=stage)

    assert [(b.title, b.summary) for b in selectors.awarded_bids_public()] == [("Won", "What it does.")]
    assert selectors.awarded_bids_public().get().pk == awarded.pk


def test_cap_use_per_institution_and_for_the_partnership(world):
    call = OpportunityFactory(cap_per_institution=2, cap_partnership=3)
    held = BidFactory(opportunity=call, lead_organisation=world.aston, stage=Stage.OUTLINE)
    CapPlaceFactory(bid=held)
    CapPlaceFactory(bid=held, organisation=None, scope="partnership", cap=3)
    BidFactory(opportunity=call, lead_organisation=world.aston, stage=Stage.INTERNAL_SELECTION)
    BidFactory(opportunity=call, lead_organisation=world.leicester, stage=Stage.EOI)
    BidFactory(opportunity=call, lead_organisation=world.leicester, stage=Stage.WITHDRAWN)
    BidFactory(lead_organisation=world.nottingham)  # another call

    rows = [
        (r.organisation, r.used, r.cap, r.bids, r.remaining, r.is_full) for r in selectors.cap_use(opportunity=call)
    ]

    assert rows == [
        (world.aston, 1, 2, 2, 1, False),
        (world.leicester, 0, 2, 1, 2, False),
        (None, 1, 3, 3, 2, False),
    ]


def test_cap_use_of_an_uncapped_call(world):
    call = OpportunityFactory()
    BidFactory(opportunity=call, lead_organisation=world.aston)

    rows = [
        (r.organisation, r.used, r.cap, r.bids, r.remaining, r.is_full) for r in selectors.cap_use(opportunity=call)
    ]

    assert rows == [(world.aston, 0, None, 1, None, False), (None, 0, None, 1, None, False)]


def test_the_timeline_is_newest_first(world):
    bid = BidFactory()
    first, second = BidEventFactory(bid=bid, message="First"), BidEventFactory(bid=bid, message="Second")
    BidEventFactory(message="Another bid's")

    assert selectors.bid_timeline(bid=bid) == [second, first]
