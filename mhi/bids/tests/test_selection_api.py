"""Selection round operations of the API: values, errors in the house shape, what reviewers see."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP

from mhi.accounts.models import Role
from mhi.accounts.services import api_token_create
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.bids import selection
from mhi.bids.models import Bid, RoundEntry, SelectionRound, Stage
from mhi.bids.tests.factories import BidFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.opportunities.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db

CRITERIA = [{"name": "Quality", "weight": 2, "max_score": 5}, {"name": "Fit", "weight": 1, "max_score": 10}]


def _user(role, org=None, email=None):
    user = UserFactory(**({"email": email} if email else {}))
    MembershipFactory(user=user, role=role, organisation=org)
    if role in (Role.COORDINATOR, Role.INSTITUTION_ADMIN):
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


@pytest.fixture
def w():
    class W:
        pass

    w = W()
    w.aston = OrganisationFactory(name="Aston University", slug="aston")
    w.keele = OrganisationFactory(name="Keele University", slug="keele")
    w.coordinator = _user(Role.COORDINATOR, email="coordinator@example.org")
    w.reviewer = _user(Role.RESEARCHER, w.keele, email="reviewer@keele.example.org")
    w.opportunity = OpportunityFactory(title="PGfAR", cap_per_institution=1)
    w.bid_a = BidFactory(
        title="Asthma", opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.INTERNAL_SELECTION
    )
    w.bid_b = BidFactory(
        title="Diabetes", opportunity=w.opportunity, lead_organisation=w.keele, stage=Stage.INTERNAL_SELECTION
    )
    return w


def _call(client, user, method, path, body=None):
    token = api_token_create(user=user, name="tests")[1]
    headers = {"Authorization": f"Bearer {token}"}
    if body is None:
        return getattr(client, method)(path, headers=headers)
    return getattr(client, method)(path, data=body, content_type="application/json", headers=headers)


def _open(w):
    return selection.round_open(actor=w.coordinator, opportunity=w.opportunity, title="PGfAR round", criteria=CRITERIA)


def test_opening_a_round(client, w):
    response = _call(
        client,
        w.coordinator,
        "post",
        "/api/v1/selection-rounds",
        {"opportunity": w.opportunity.pk, "title": "PGfAR round", "criteria": CRITERIA, "coauthorship_years": 4},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["status"], body["coauthorship_years"], body["organisation"]) == (
        "PGfAR round",
        "open",
        4,
        None,
    )
    assert [c["name"] for c in body["criteria"]] == ["Quality", "Fit"]
    assert [e["bid_title"] for e in body["entries"]] == ["Asthma", "Diabetes"]
    assert body["can_manage"] is True


def test_a_bad_criterion_is_a_422_naming_it(client, w):
    response = _call(
        client,
        w.coordinator,
        "post",
        "/api/v1/selection-rounds",
        {"opportunity": w.opportunity.pk, "title": "R", "criteria": [{"name": "Quality", "weight": 0, "max_score": 5}]},
    )
    assert response.status_code == 422
    message = "Criterion 1 (“Quality”): the weight must be a number greater than 0."
    assert response.json() == {
        "error": {"status": 422, "code": "invalid", "message": message, "fields": {"criteria.0.weight": [message]}}
    }


def test_an_uncapped_opportunity_is_refused(client, w):
    uncapped = OpportunityFactory(title="Open call")
    response = _call(
        client, w.coordinator, "post", "/api/v1/selection-rounds", {"opportunity": uncapped.pk, "title": "R"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "opportunity": ["“Open call” has no cap on bids, so its bids need no internal selection round."]
    }


def test_assigning_a_reviewer_returns_the_conflicts(client, w):
    round = _open(w)
    response = _call(
        client, w.coordinator, "post", f"/api/v1/selection-rounds/{round.pk}/reviewers", {"email": w.reviewer.email}
    )
    assert response.status_code == 201
    entry_b = RoundEntry.objects.get(bid=w.bid_b)
    assert response.json()["conflicts"] == [
        {
            "entry": entry_b.pk,
            "bid": w.bid_b.pk,
            "source": "same_institution",
            "detail": "Researcher at Keele University, the lead organisation",
        }
    ]


def test_a_reviewer_sees_only_entries_without_a_conflict(client, w):
    round = _open(w)
    selection.reviewer_assign(actor=w.coordinator, round=round, user=w.reviewer)
    body = _call(client, w.reviewer, "get", f"/api/v1/selection-rounds/{round.pk}").json()
    assert [e["bid_title"] for e in body["entries"]] == ["Asthma"]
    assert (body["can_manage"], body["is_reviewer"]) == (False, True)
    entry_b = RoundEntry.objects.get(bid=w.bid_b)
    response = _call(
        client,
        w.reviewer,
        "put",
        f"/api/v1/selection-rounds/{round.pk}/entries/{entry_b.pk}/review",
        {"scores": {"Quality": 1, "Fit": 1}},
    )
    assert response.status_code == 404


def test_review_scores_are_validated_naming_the_criterion(client, w):
    round = _open(w)
    selection.reviewer_assign(actor=w.coordinator, round=round, user=w.reviewer)
    entry = RoundEntry.objects.get(bid=w.bid_a)
    path = f"/api/v1/selection-rounds/{round.pk}/entries/{entry.pk}/review"
    response = _call(client, w.reviewer, "put", path, {"scores": {"Quality": 9, "Fit": 1}})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "scores.Quality": ["The score for “Quality” must be a whole number from 0 to 5."]
    }
    response = _call(client, w.reviewer, "put", path, {"scores": {"Quality": 4, "Fit": 5}, "comment": "Solid"})
    assert response.status_code == 200
    assert (response.json()["scores"], response.json()["comment"]) == ({"Quality": 4, "Fit": 5}, "Solid")


def test_results_are_ranked_with_criterion_means(client, w):
    round = _open(w)
    other = _user(Role.RESEARCHER, OrganisationFactory(), email="other@example.org")
    for user in (w.reviewer, other):
        selection.reviewer_assign(actor=w.coordinator, round=round, user=user)
    entry_a = RoundEntry.objects.get(bid=w.bid_a)
    selection.review_submit(actor=w.reviewer, entry=entry_a, scores={"Quality": 5, "Fit": 10})
    selection.review_submit(actor=other, entry=entry_a, scores={"Quality": 3, "Fit": 4})
    body = _call(client, w.coordinator, "get", f"/api/v1/selection-rounds/{round.pk}/results").json()
    assert body["tie_rule"] == selection.TIE_RULE
    assert [(r["bid_title"], r["rank"], r["score"], r["reviews"]) for r in body["results"]] == [
        ("Asthma", 1, 76.67, 2),
        ("Diabetes", None, None, 0),
    ]
    assert body["results"][0]["criteria"] == [
        {"name": "Quality", "max_score": 5, "weight": 2.0, "mean": 4.0},
        {"name": "Fit", "max_score": 10, "weight": 1.0, "mean": 7.0},
    ]
    # Reviewers do not see the results.
    assert _call(client, w.reviewer, "get", f"/api/v1/selection-rounds/{round.pk}/results").status_code == 403


def test_deciding_beyond_the_cap_is_refused_and_changes_nothing(client, w):
    round = _open(w)
    extra = BidFactory(
        title="Stroke", opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.INTERNAL_SELECTION
    )
    entries = [RoundEntry.objects.get(bid=w.bid_a), RoundEntry.objects.create(round=round, bid=extra)]
    response = _call(
        client,
        w.coordinator,
        "post",
        f"/api/v1/selection-rounds/{round.pk}/decide",
        {"selected": [e.pk for e in entries], "rationale": "Both"},
    )
    assert response.status_code == 422
    assert "Aston University has used its only place for this call" in response.json()["error"]["message"]
    assert SelectionRound.objects.get().status == "open"
    assert set(Bid.objects.values_list("stage", flat=True)) == {Stage.INTERNAL_SELECTION}


def test_deciding(client, w):
    round = _open(w)
    a, b = RoundEntry.objects.get(bid=w.bid_a), RoundEntry.objects.get(bid=w.bid_b)
    response = _call(
        client,
        w.coordinator,
        "post",
        f"/api/v1/selection-rounds/{round.pk}/decide",
        {"selected": [a.pk], "rationale": "Best fit", "feedback": {str(b.pk): "Strengthen the team"}},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["rationale"]) == ("decided", "Best fit")
    assert [(e["bid_title"], e["decision"], e["feedback"]) for e in body["entries"]] == [
        ("Asthma", "selected", ""),
        ("Diabetes", "not_selected", "Strengthen the team"),
    ]
    assert dict(Bid.objects.values_list("title", "stage")) == {"Asthma": "full_application", "Diabetes": "unsuccessful"}
