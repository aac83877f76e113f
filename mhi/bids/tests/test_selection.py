"""Internal selection rounds: opening, conflicts of interest, scoring, ranking, the decision and its outcome."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.bids import selection
from mhi.bids.models import (
    BidEvent,
    CapPlace,
    MemberRole,
    Review,
    ReviewConflict,
    RoundEntry,
    SelectionRound,
    Stage,
    StageChange,
)
from mhi.bids.services import CapExceeded
from mhi.bids.tests.factories import BidFactory, BidMemberFactory
from mhi.core.audit import audit_events_for
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory
from mhi.expertise.models import Authorship, Work
from mhi.expertise.selectors import coauthors_within
from mhi.opportunities.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

CRITERIA = [
    {"name": "Quality", "weight": 2, "max_score": 5},
    {"name": "Fit", "weight": 1, "max_score": 10},
]


def _user(role, org=None, email=None):
    user = UserFactory(**({"email": email} if email else {}))
    MembershipFactory(user=user, role=role, organisation=org)
    return user


@pytest.fixture
def w():
    class W:
        pass

    w = W()
    w.aston = OrganisationFactory(name="Aston University", slug="aston")
    w.leicester = OrganisationFactory(name="University of Leicester", slug="leicester")
    w.coordinator = _user(Role.COORDINATOR, email="coordinator@example.org")
    w.aston_admin = _user(Role.INSTITUTION_ADMIN, w.aston, email="admin@aston.example.org")
    w.opportunity = OpportunityFactory(title="PGfAR", cap_per_institution=2)
    w.pi = PersonFactory(given_name="Pat", family_name="Public")
    w.bid_a = BidFactory(
        title="Asthma", opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.INTERNAL_SELECTION
    )
    BidMemberFactory(bid=w.bid_a, person=w.pi, role=MemberRole.PI)
    w.bid_b = BidFactory(
        title="Diabetes", opportunity=w.opportunity, lead_organisation=w.leicester, stage=Stage.INTERNAL_SELECTION
    )
    w.bid_c = BidFactory(
        title="Stroke", opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.INTERNAL_SELECTION
    )
    return w


def _open(w, **kwargs):
    args = {"actor": w.coordinator, "opportunity": w.opportunity, "title": "PGfAR round", "criteria": CRITERIA}
    return selection.round_open(**{**args, **kwargs})


def _reviewer(org, email):
    return _user(Role.RESEARCHER, org, email=email)


def _entry(round, bid):
    return RoundEntry.objects.get(round=round, bid=bid)


# --- opening ------------------------------------------------------------------------------------------------


def test_round_takes_the_opportunitys_bids_in_internal_selection(w):
    BidFactory(opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.EOI)
    BidFactory(opportunity=OpportunityFactory(cap_partnership=1), stage=Stage.INTERNAL_SELECTION)
    round = _open(w)
    assert sorted(round.entries.values_list("bid__title", flat=True)) == ["Asthma", "Diabetes", "Stroke"]
    assert round.criteria == [
        {"name": "Quality", "weight": 2, "max_score": 5, "description": ""},
        {"name": "Fit", "weight": 1, "max_score": 10, "description": ""},
    ]
    assert list(w.bid_a.events.filter(kind=BidEvent.Kind.SELECTION).values_list("message", flat=True)) == [
        "Entered the internal selection round “PGfAR round”"
    ]


def test_an_institutions_round_takes_only_the_bids_it_leads(w):
    round = _open(w, actor=w.aston_admin, organisation=w.aston)
    assert sorted(round.entries.values_list("bid__title", flat=True)) == ["Asthma", "Stroke"]


def test_bids_in_another_open_round_are_left_out(w):
    _open(w, actor=w.aston_admin, organisation=w.aston)
    round = _open(w, title="Partnership round")
    assert list(round.entries.values_list("bid__title", flat=True)) == ["Diabetes"]


def test_an_institution_admin_may_not_open_a_partnership_or_another_institutions_round(w):
    with pytest.raises(PermissionDenied, match="their own institution only"):
        _open(w, actor=w.aston_admin)
    with pytest.raises(PermissionDenied, match="their own institution only"):
        _open(w, actor=w.aston_admin, organisation=w.leicester)


def test_a_researcher_may_not_open_a_round(w):
    with pytest.raises(PermissionDenied, match="Only coordinators and institution admins"):
        _open(w, actor=_reviewer(w.leicester, "r@example.org"))


def test_an_uncapped_opportunity_needs_no_round(w):
    uncapped = OpportunityFactory(title="Open call")
    BidFactory(opportunity=uncapped, stage=Stage.INTERNAL_SELECTION)
    with pytest.raises(DomainError) as exc:
        _open(w, opportunity=uncapped)
    assert exc.value.message == "“Open call” has no cap on bids, so its bids need no internal selection round."
    assert exc.value.field == "opportunity"
    assert SelectionRound.objects.count() == 0


def test_a_round_with_no_bids_is_refused_with_the_reason(w):
    with pytest.raises(DomainError) as exc:
        _open(w, actor=w.coordinator, organisation=OrganisationFactory(name="Keele University"))
    assert exc.value.message == (
        "No bids for “PGfAR” led by Keele University are in internal selection and outside other open rounds. "
        "Move bids to internal selection first."
    )


@pytest.mark.parametrize(
    ("criteria", "field", "message"),
    [
        ([{"name": "Quality", "weight": 0, "max_score": 5}], "criteria.0.weight", "Criterion 1 (“Quality”): the weight must be a number greater than 0."),
        ([{"name": "Quality", "weight": 1, "max_score": 5}, {"name": "Fit", "weight": 1, "max_score": 0}], "criteria.1.max_score", "Criterion 2 (“Fit”): the maximum score must be a whole number from 1 to 100."),
        ([{"name": "Quality", "weight": 1, "max_score": 2.5}], "criteria.0.max_score", "Criterion 1 (“Quality”): the maximum score must be a whole number from 1 to 100."),
        ([{"name": " ", "weight": 1, "max_score": 5}], "criteria.0.name", "Criterion 1: give it a name."),
        ([{"name": "Fit", "weight": 1, "max_score": 5}, {"name": "fit", "weight": "x", "max_score": 5}], "criteria.1.name", "Criterion 2 (“fit”): another criterion has the same name."),
        ([], "criteria", "Give at least one criterion to score bids against."),
    ],
)  # fmt: skip
def test_criteria_are_validated_naming_the_criterion(w, criteria, field, message):
    with pytest.raises(DomainError) as exc:
        _open(w, criteria=criteria)
    assert (exc.value.field, exc.value.message) == (field, message)


def test_default_criteria_and_fractional_weights(w):
    round = _open(
        w, actor=w.aston_admin, organisation=w.aston, criteria=[{"name": "Quality", "weight": "1.5", "max_score": "4"}]
    )
    assert round.criteria == [{"name": "Quality", "weight": 1.5, "max_score": 4, "description": ""}]
    default = _open(w, title="Defaults", criteria=None)
    assert [c["name"] for c in default.criteria] == ["Quality of the idea", "Fit to the call", "Strength of the team"]


def test_reviews_due_in_the_past_is_refused(w):
    with pytest.raises(DomainError, match="must be in the future") as exc:
        _open(w, reviews_due=timezone.now() - datetime.timedelta(days=1))
    assert exc.value.field == "reviews_due"


# --- reviewers and conflicts ----------------------------------------------------------------------------------


def _conflicts(reviewer):
    return sorted((c.entry.bid.title, c.source, c.detail) for c in ReviewConflict.objects.filter(reviewer=reviewer))


def test_a_reviewer_with_a_role_at_the_lead_organisation_is_conflicted(w):
    round = _open(w)
    reviewer = selection.reviewer_assign(actor=w.coordinator, round=round, user=_reviewer(w.aston, "r@aston.ac.uk"))
    assert _conflicts(reviewer) == [
        ("Asthma", "same_institution", "Researcher at Aston University, the lead organisation"),
        ("Stroke", "same_institution", "Researcher at Aston University, the lead organisation"),
    ]


def test_a_reviewer_affiliated_with_the_lead_organisation_is_conflicted(w):
    round = _open(w)
    user = _reviewer(OrganisationFactory(), "r@example.org")
    AffiliationFactory(person=PersonFactory(user=user), organisation=w.leicester)
    # A past affiliation is no conflict.
    AffiliationFactory(person=user.person, organisation=w.aston, is_primary=False, end_date=datetime.date(2020, 1, 1))
    reviewer = selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    assert _conflicts(reviewer) == [
        ("Diabetes", "same_institution", "Affiliated with University of Leicester, the lead organisation")
    ]


def test_a_reviewer_on_the_team_is_conflicted(w):
    round = _open(w)
    user = _reviewer(OrganisationFactory(), "pi@example.org")
    w.pi.user = user
    w.pi.save()
    w.bid_b.created_by = user
    w.bid_b.save()
    reviewer = selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    assert _conflicts(reviewer) == [
        ("Asthma", "team_member", "On the bid's team: principal investigator on the bid"),
        ("Diabetes", "team_member", "On the bid's team: created the bid"),
    ]


def _work(year, *people):
    work = Work.objects.create(title=f"Work {year}", year=year, source=Work.Source.MANUAL)
    for position, person in enumerate(people, start=1):
        Authorship.objects.create(
            work=work, position=position, raw_name=str(person), person=person, match_status=Authorship.Match.MATCHED
        )
    return work


def test_recent_coauthorship_with_the_team_is_a_conflict(w):
    round = _open(w, coauthorship_years=3)
    user = _reviewer(OrganisationFactory(), "r@example.org")
    person = PersonFactory(user=user)
    since = timezone.localdate().year - 3
    _work(since, person, w.pi)
    reviewer = selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    assert _conflicts(reviewer) == [
        ("Asthma", "coauthorship", f"Co-authored work published in {since} or later with Pat Public")
    ]


def test_older_coauthorship_is_no_conflict(w):
    round = _open(w, coauthorship_years=3)
    user = _reviewer(OrganisationFactory(), "r@example.org")
    _work(timezone.localdate().year - 4, PersonFactory(user=user), w.pi)
    reviewer = selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    assert _conflicts(reviewer) == []


def test_coauthors_within_reads_matched_authorships_since_the_year():
    a, b, c, d = PersonFactory(), PersonFactory(), PersonFactory(), PersonFactory()
    _work(2024, a, b, c)
    _work(2019, a, d)
    unmatched = _work(2025, a)
    Authorship.objects.create(work=unmatched, position=2, raw_name="D", person=d, match_status=Authorship.Match.REVIEW)
    assert coauthors_within(person_ids=[a.pk, d.pk], since_year=2020) == {a.pk: {b.pk, c.pk}, d.pk: set()}


def test_a_conflicted_reviewer_cannot_see_or_score_the_entry(w):
    round = _open(w)
    user = _reviewer(w.aston, "r@aston.ac.uk")
    selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    assert [e.bid.title for e in selection.entries_visible_to(user=user, round=round)] == ["Diabetes"]
    with pytest.raises(Http404):
        selection.entry_for_review(user=user, round=round, entry_id=_entry(round, w.bid_a).pk)
    with pytest.raises(PermissionDenied, match="conflict of interest"):
        selection.review_submit(actor=user, entry=_entry(round, w.bid_a), scores={"Quality": 1, "Fit": 1})


def test_a_team_change_after_assignment_is_caught_when_scoring(w):
    round = _open(w)
    user = _reviewer(OrganisationFactory(), "r@example.org")
    selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    BidMemberFactory(bid=w.bid_b, person=PersonFactory(user=user, given_name="Rev", family_name="Iewer"))
    with pytest.raises(PermissionDenied, match="co-investigator on the bid"):
        selection.review_submit(actor=user, entry=_entry(round, w.bid_b), scores={"Quality": 1, "Fit": 1})
    assert ReviewConflict.objects.filter(reviewer__user=user, source="team_member").count() == 1


def test_a_reviewer_declares_a_conflict_and_their_review_is_withdrawn(w):
    round = _open(w)
    user = _reviewer(OrganisationFactory(), "r@example.org")
    selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    entry = _entry(round, w.bid_b)
    selection.review_submit(actor=user, entry=entry, scores={"Quality": 5, "Fit": 5})
    selection.reviewer_declare_conflict(actor=user, entry=entry, detail="I supervised the PI")
    assert Review.objects.count() == 0
    assert [e.bid.title for e in selection.entries_visible_to(user=user, round=round)] == ["Asthma", "Stroke"]
    assert _conflicts(round.reviewers.get()) == [("Diabetes", "declared", "I supervised the PI")]


def test_assigning_twice_or_an_external_user_is_refused(w):
    round = _open(w)
    user = _reviewer(OrganisationFactory(), "r@example.org")
    selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    with pytest.raises(DomainError, match="r@example.org is already a reviewer of this round."):
        selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    external = _user(Role.EXTERNAL, OrganisationFactory(kind="industry"), email="x@acme.example.com")
    with pytest.raises(DomainError, match="has no role in the partnership"):
        selection.reviewer_assign(actor=w.coordinator, round=round, user=external)


def test_only_managers_assign_reviewers(w):
    round = _open(w)
    with pytest.raises(PermissionDenied):
        selection.reviewer_assign(actor=w.aston_admin, round=round, user=_reviewer(w.leicester, "r@example.org"))


# --- scoring ------------------------------------------------------------------------------------------------


@pytest.fixture
def scored(w):
    round = _open(w)
    r1 = _reviewer(OrganisationFactory(), "r1@example.org")
    r2 = _reviewer(OrganisationFactory(), "r2@example.org")
    for user in (r1, r2):
        selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    return round, r1, r2


@pytest.mark.parametrize(
    ("scores", "field", "message"),
    [
        ({"Quality": 3}, "scores.Fit", "Give a score for “Fit”, from 0 to 10."),
        ({"Quality": 6, "Fit": 1}, "scores.Quality", "The score for “Quality” must be a whole number from 0 to 5."),
        ({"Quality": 2.5, "Fit": 1}, "scores.Quality", "The score for “Quality” must be a whole number from 0 to 5."),
        ({"Quality": -1, "Fit": 1}, "scores.Quality", "The score for “Quality” must be a whole number from 0 to 5."),
        ({"Quality": 1, "Fit": 1, "Team": 1}, "scores", "“Team” is not a criterion of this round."),
    ],
)
def test_scores_are_validated_naming_the_criterion(w, scored, scores, field, message):
    round, r1, _ = scored
    with pytest.raises(DomainError) as exc:
        selection.review_submit(actor=r1, entry=_entry(round, w.bid_a), scores=scores)
    assert (exc.value.field, exc.value.message) == (field, message)


def test_a_review_can_be_changed_while_open(w, scored):
    round, r1, _ = scored
    entry = _entry(round, w.bid_a)
    selection.review_submit(actor=r1, entry=entry, scores={"Quality": 1, "Fit": 1}, comment="Thin")
    selection.review_submit(actor=r1, entry=entry, scores={"Quality": 4, "Fit": 8}, comment="Better")
    assert list(Review.objects.values_list("scores", "comment")) == [({"Quality": 4, "Fit": 8}, "Better")]


def test_someone_not_assigned_cannot_review(w, scored):
    round, _, _ = scored
    with pytest.raises(PermissionDenied, match="Only the round's reviewers"):
        selection.review_submit(actor=w.coordinator, entry=_entry(round, w.bid_a), scores={"Quality": 1, "Fit": 1})


def test_results_are_ranked_by_mean_weighted_score(w, scored):
    round, r1, r2 = scored
    selection.review_submit(actor=r1, entry=_entry(round, w.bid_a), scores={"Quality": 5, "Fit": 10})  # 100
    selection.review_submit(actor=r2, entry=_entry(round, w.bid_a), scores={"Quality": 3, "Fit": 4})  # 53.33
    selection.review_submit(actor=r1, entry=_entry(round, w.bid_b), scores={"Quality": 5, "Fit": 0})  # 66.67
    results = selection.round_results(round=round)
    assert [(r.bid.title, r.rank, r.score, r.review_count) for r in results] == [
        ("Asthma", 1, 76.67, 2),
        ("Diabetes", 2, 66.67, 1),
        ("Stroke", None, None, 0),
    ]
    assert [(c.name, c.mean) for c in results[0].criteria] == [("Quality", 4.0), ("Fit", 7.0)]
    assert [(c.name, c.mean) for c in results[2].criteria] == [("Quality", None), ("Fit", None)]


def test_ties_are_broken_by_more_reviews_then_bid_number(w, scored):
    round, r1, r2 = scored
    for user in (r1, r2):
        selection.review_submit(actor=user, entry=_entry(round, w.bid_c), scores={"Quality": 5, "Fit": 5})
    selection.review_submit(actor=r1, entry=_entry(round, w.bid_b), scores={"Quality": 5, "Fit": 5})
    selection.review_submit(actor=r2, entry=_entry(round, w.bid_a), scores={"Quality": 5, "Fit": 5})
    results = selection.round_results(round=round)
    assert [(r.bid.title, r.rank, r.score) for r in results] == [
        ("Stroke", 1, 83.33),
        ("Asthma", 2, 83.33),
        ("Diabetes", 3, 83.33),
    ]
    assert [r.tie_note for r in results] == [
        "",
        "Same score as “Stroke”; ranked below it for fewer reviews (1 to 2).",
        f"Same score as “Asthma”; ranked below it for the same number of reviews and a higher bid number "
        f"({w.bid_b.pk} after {w.bid_a.pk}).",
    ]


# --- the decision -------------------------------------------------------------------------------------------


def test_deciding_moves_the_selected_on_and_the_others_to_unsuccessful(w, scored):
    round, r1, _ = scored
    selection.review_submit(actor=r1, entry=_entry(round, w.bid_a), scores={"Quality": 5, "Fit": 10})
    selection.review_submit(actor=r1, entry=_entry(round, w.bid_b), scores={"Quality": 0, "Fit": 0})
    a, b, c = (_entry(round, bid) for bid in (w.bid_a, w.bid_b, w.bid_c))
    selection.round_decide(
        actor=w.coordinator,
        round=round,
        selected=[a.pk],
        rationale="Strongest case",
        feedback={a.pk: "Well done", b.pk: "Weak fit"},
    )
    round.refresh_from_db()
    assert (round.status, round.rationale, round.decided_by) == ("decided", "Strongest case", w.coordinator)
    for bid in (w.bid_a, w.bid_b, w.bid_c):
        bid.refresh_from_db()
    assert [w.bid_a.stage, w.bid_b.stage, w.bid_c.stage] == [Stage.FULL_APPLICATION, "unsuccessful", "unsuccessful"]
    assert StageChange.objects.get(bid=w.bid_b).reason == "Not selected in PGfAR round"
    assert StageChange.objects.get(bid=w.bid_a).reason == "Selected in PGfAR round"
    assert list(
        RoundEntry.objects.filter(round=round).order_by("bid_id").values_list("decision", "rank", "score", "feedback")
    ) == [("selected", 1, 100.0, "Well done"), ("not_selected", 2, 0.0, "Weak fit"), ("not_selected", None, None, "")]
    assert list(w.bid_b.events.filter(kind="selection").values_list("message", flat=True)) == [
        "Not selected in the internal selection round “PGfAR round”",
        "Entered the internal selection round “PGfAR round”",
    ]
    assert CapPlace.objects.filter(bid=w.bid_a).count() == 1
    decided = audit_events_for(round).filter(action="update").get()
    assert (decided.actor, decided.changes["status"], decided.changes["rationale"]) == (
        w.coordinator,
        ["open", "decided"],
        ["", "Strongest case"],
    )
    assert audit_events_for(b).filter(action="update").get().changes["decision"] == ["pending", "not_selected"]


def test_selecting_more_than_the_cap_allows_changes_nothing(w):
    w.opportunity.cap_per_institution = 1
    w.opportunity.save()
    round = _open(w)
    a, c = _entry(round, w.bid_a), _entry(round, w.bid_c)
    with pytest.raises(CapExceeded, match="Aston University has used its only place for this call"):
        selection.round_decide(actor=w.coordinator, round=round, selected=[a.pk, c.pk], rationale="Both")
    round.refresh_from_db()
    assert round.status == "open"
    assert sorted(RoundEntry.objects.values_list("decision", flat=True)) == ["pending"] * 3
    assert set(type(w.bid_a).objects.values_list("stage", flat=True)) == {Stage.INTERNAL_SELECTION}
    assert CapPlace.objects.count() == 0
    assert BidEvent.objects.filter(message__startswith="Selected").count() == 0


def test_deciding_needs_a_rationale_and_entries_of_the_round(w):
    round = _open(w)
    with pytest.raises(DomainError) as exc:
        selection.round_decide(actor=w.coordinator, round=round, selected=[], rationale=" ")
    assert exc.value.field == "rationale"
    with pytest.raises(DomainError, match="Entry 999999 is not in this round."):
        selection.round_decide(actor=w.coordinator, round=round, selected=[999999], rationale="x")


def test_a_decided_round_cannot_be_reviewed_or_decided_again(w, scored):
    round, r1, _ = scored
    selection.round_decide(actor=w.coordinator, round=round, selected=[], rationale="None good enough")
    with pytest.raises(DomainError, match="has been decided: reviewing is no longer possible"):
        selection.review_submit(actor=r1, entry=_entry(round, w.bid_a), scores={"Quality": 1, "Fit": 1})
    with pytest.raises(DomainError, match="deciding it again"):
        selection.round_decide(actor=w.coordinator, round=round, selected=[], rationale="Again")


def test_only_managers_decide(w):
    round = _open(w)
    with pytest.raises(PermissionDenied):
        selection.round_decide(actor=w.aston_admin, round=round, selected=[], rationale="x")


def test_applicants_see_the_outcome_and_feedback_of_decided_rounds(w):
    round = _open(w)
    member = UserFactory()
    MembershipFactory(user=member, role=Role.RESEARCHER, organisation=w.aston)
    w.pi.user = member
    w.pi.save()
    assert selection.outcomes_for_bid(user=member, bid=w.bid_a) == []  # open: nothing to tell yet
    a = _entry(round, w.bid_a)
    selection.round_decide(
        actor=w.coordinator, round=round, selected=[a.pk], rationale="Panel notes", feedback={a.pk: "Strong team"}
    )
    outcomes = selection.outcomes_for_bid(user=member, bid=w.bid_a)
    assert [(o.round.title, o.decision, o.feedback) for o in outcomes] == [("PGfAR round", "selected", "Strong team")]
    assert selection.outcomes_for_bid(user=_reviewer(w.leicester, "o@example.org"), bid=w.bid_a) == []


# --- visibility ---------------------------------------------------------------------------------------------


def test_rounds_are_visible_to_managers_and_reviewers_only(w):
    aston_round = _open(w, actor=w.aston_admin, organisation=w.aston)
    partnership = _open(w, title="Partnership")
    reviewer = _reviewer(OrganisationFactory(), "r@example.org")
    selection.reviewer_assign(actor=w.coordinator, round=partnership, user=reviewer)
    assert set(selection.rounds_visible_to(user=w.coordinator)) == {aston_round, partnership}
    assert list(selection.rounds_visible_to(user=w.aston_admin)) == [aston_round]
    assert list(selection.rounds_visible_to(user=reviewer)) == [partnership]
    assert list(selection.rounds_visible_to(user=_reviewer(w.aston, "x@example.org"))) == []
    with pytest.raises(Http404):
        selection.round_for(user=reviewer, pk=aston_round.pk)
