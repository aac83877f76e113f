"""Selection round pages: opening a round, assigning reviewers, scoring, the results and the decision."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.bids import selection
from mhi.bids.models import Bid, CapPlace, Review, ReviewConflict, RoundEntry, SelectionRound, Stage
from mhi.bids.tests.factories import BidFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.opportunities.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def _user(role, org=None, email=None):
    user = UserFactory(**({"email": email} if email else {}))
    MembershipFactory(user=user, role=role, organisation=org)
    if role in (Role.COORDINATOR, Role.INSTITUTION_ADMIN):  # they must have a second factor to do anything
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
    w.reviewer = _user(Role.RESEARCHER, OrganisationFactory(name="Nottingham"), email="reviewer@nottingham.example.org")
    w.aston_reviewer = _user(Role.RESEARCHER, w.aston, email="reviewer@aston.example.org")
    w.opportunity = OpportunityFactory(title="PGfAR", cap_per_institution=1)
    w.bid_a = BidFactory(
        title="Asthma", opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.INTERNAL_SELECTION
    )
    w.bid_b = BidFactory(
        title="Diabetes", opportunity=w.opportunity, lead_organisation=w.keele, stage=Stage.INTERNAL_SELECTION
    )
    return w


def _open(w):
    round = selection.round_open(
        actor=w.coordinator,
        opportunity=w.opportunity,
        title="PGfAR round",
        criteria=[{"name": "Quality", "weight": 2, "max_score": 5}, {"name": "Fit", "weight": 1, "max_score": 10}],
    )
    return round


def _create_data(w, **extra):
    data = {"title": "PGfAR round", "opportunity": w.opportunity.pk, "organisation": "", "coauthorship_years": "3"}
    for i in range(6):
        data.update({f"criterion_{i}_name": "", f"criterion_{i}_weight": "", f"criterion_{i}_max_score": ""})
    data.update({"criterion_0_name": "Quality", "criterion_0_weight": "2", "criterion_0_max_score": "5"})
    data.update({"criterion_2_name": "Team", "criterion_2_weight": "1", "criterion_2_max_score": "10"})
    data.update(extra)
    return data


def test_a_coordinator_opens_a_round_with_criteria_rows(client, w):
    client.force_login(w.coordinator)
    response = client.post(reverse("bids:round_create"), _create_data(w))
    round = SelectionRound.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bids:round_reviewers", args=[round.pk])
    assert round.criteria == [
        {"name": "Quality", "weight": 2, "max_score": 5, "description": ""},
        {"name": "Team", "weight": 1, "max_score": 10, "description": ""},
    ]
    assert sorted(round.entries.values_list("bid__title", flat=True)) == ["Asthma", "Diabetes"]


def test_a_bad_criterion_is_named_in_the_error_summary(client, w):
    client.force_login(w.coordinator)
    response = client.post(reverse("bids:round_create"), _create_data(w, criterion_2_weight="0"))
    assert response.status_code == 200
    assert SelectionRound.objects.count() == 0
    assert (
        '<a href="#id_criterion_2_weight">Criterion 3: weight: Criterion 3 (“Team”): the weight must be a number '
        "greater than 0.</a>" in response.content.decode()
    )


def test_a_round_with_no_bids_is_refused_on_the_page(client, w):
    client.force_login(w.coordinator)
    empty = OpportunityFactory(title="Empty call", cap_partnership=2)
    response = client.post(reverse("bids:round_create"), _create_data(w, opportunity=empty.pk))
    assert response.status_code == 200
    assert "No bids for “Empty call” are in internal selection" in response.content.decode()


def test_an_institution_admin_opens_only_their_institutions_round(client, w):
    admin = _user(Role.INSTITUTION_ADMIN, w.aston, email="admin@aston.example.org")
    client.force_login(admin)
    response = client.post(reverse("bids:round_create"), _create_data(w, organisation=w.keele.pk))
    assert response.status_code == 200  # Keele is not a choice for Aston's admin
    assert SelectionRound.objects.count() == 0
    response = client.post(reverse("bids:round_create"), _create_data(w, organisation=w.aston.pk))
    assert response.status_code == 302
    assert list(SelectionRound.objects.get().entries.values_list("bid__title", flat=True)) == ["Asthma"]


def test_assigning_a_reviewer_shows_the_conflicts_found(client, w):
    round = _open(w)
    client.force_login(w.coordinator)
    response = client.post(
        reverse("bids:round_reviewers", args=[round.pk]), {"email": "reviewer@aston.example.org"}, follow=True
    )
    page = response.content.decode()
    assert "reviewer@aston.example.org assigned. 1 conflicts of interest found." in page
    assert "Researcher at Aston University, the lead organisation" in page
    assert ReviewConflict.objects.get().entry.bid == w.bid_a


def test_assigning_an_unknown_email_names_the_field(client, w):
    round = _open(w)
    client.force_login(w.coordinator)
    response = client.post(reverse("bids:round_reviewers", args=[round.pk]), {"email": "nobody@example.org"})
    assert (
        '<a href="#id_email">Reviewer&#x27;s email address: No active user has the email address nobody@example.org.</a>'
        in response.content.decode()
    )


def test_a_reviewer_scores_an_entry(client, w):
    round = _open(w)
    selection.reviewer_assign(actor=w.coordinator, round=round, user=w.reviewer)
    entry = RoundEntry.objects.get(bid=w.bid_a)
    client.force_login(w.reviewer)
    url = reverse("bids:review", args=[round.pk, entry.pk])
    response = client.post(url, {"action": "review", "score_0": "4", "score_1": "7", "comment": "Good"})
    assert response.status_code == 302
    assert list(Review.objects.values_list("scores", "comment")) == [({"Quality": 4, "Fit": 7}, "Good")]
    response = client.post(url, {"action": "review", "score_0": "6", "score_1": ""})
    page = response.content.decode()
    assert '<a href="#id_score_0">Quality: The score for “Quality” must be 5 or less.</a>' in page
    assert '<a href="#id_score_1">Fit: Give a score for “Fit”, from 0 to 10.</a>' in page


def test_a_conflicted_entry_is_hidden_from_the_reviewer(client, w):
    round = _open(w)
    selection.reviewer_assign(actor=w.coordinator, round=round, user=w.aston_reviewer)
    client.force_login(w.aston_reviewer)
    page = client.get(reverse("bids:round", args=[round.pk])).content.decode()
    assert "Diabetes" in page
    assert "Asthma" not in page
    entry = RoundEntry.objects.get(bid=w.bid_a)
    assert client.get(reverse("bids:review", args=[round.pk, entry.pk])).status_code == 404


def test_a_reviewer_declares_a_conflict_on_the_page(client, w):
    round = _open(w)
    selection.reviewer_assign(actor=w.coordinator, round=round, user=w.reviewer)
    entry = RoundEntry.objects.get(bid=w.bid_b)
    client.force_login(w.reviewer)
    url = reverse("bids:review", args=[round.pk, entry.pk])
    response = client.post(url, {"action": "declare", "conflict-detail": "My former student leads it"})
    assert response.status_code == 302
    assert list(ReviewConflict.objects.values_list("source", "detail")) == [("declared", "My former student leads it")]
    assert client.get(url).status_code == 404


def test_the_round_page_shows_ranked_results_to_managers(client, w):
    round = _open(w)
    selection.reviewer_assign(actor=w.coordinator, round=round, user=w.reviewer)
    for bid, scores in ((w.bid_a, {"Quality": 5, "Fit": 10}), (w.bid_b, {"Quality": 1, "Fit": 2})):
        selection.review_submit(actor=w.reviewer, entry=RoundEntry.objects.get(bid=bid), scores=scores)
    client.force_login(w.coordinator)
    page = client.get(reverse("bids:round", args=[round.pk])).content.decode()
    assert page.index("Asthma") < page.index("Diabetes")
    assert ">100.0<" in page
    assert ">20.0<" in page  # (2 × 1/5 + 1 × 2/10) / 3 × 100
    assert selection.TIE_RULE in page


def test_deciding_on_the_page_moves_the_bids(client, w):
    round = _open(w)
    a, b = RoundEntry.objects.get(bid=w.bid_a), RoundEntry.objects.get(bid=w.bid_b)
    client.force_login(w.coordinator)
    response = client.post(
        reverse("bids:round_decide", args=[round.pk]),
        {
            "selected": [str(a.pk)],
            "rationale": "Best fit",
            f"feedback_{a.pk}": "Go ahead",
            f"feedback_{b.pk}": "Not now",
        },
    )
    assert response.status_code == 302
    assert dict(Bid.objects.values_list("title", "stage")) == {"Asthma": "full_application", "Diabetes": "unsuccessful"}
    assert list(RoundEntry.objects.order_by("bid_id").values_list("decision", "feedback")) == [
        ("selected", "Go ahead"),
        ("not_selected", "Not now"),
    ]


def test_a_full_cap_refuses_the_decision_with_its_message(client, w):
    round = _open(w)
    extra = BidFactory(
        title="Stroke", opportunity=w.opportunity, lead_organisation=w.aston, stage=Stage.INTERNAL_SELECTION
    )
    entry = RoundEntry.objects.create(round=round, bid=extra)
    a = RoundEntry.objects.get(bid=w.bid_a)
    client.force_login(w.coordinator)
    response = client.post(
        reverse("bids:round_decide", args=[round.pk]), {"selected": [str(a.pk), str(entry.pk)], "rationale": "Both"}
    )
    assert response.status_code == 200
    assert "Aston University has used its only place for this call" in response.content.decode()
    assert set(Bid.objects.values_list("stage", flat=True)) == {Stage.INTERNAL_SELECTION}
    assert CapPlace.objects.count() == 0
    assert SelectionRound.objects.get().status == "open"


def test_the_decide_form_needs_a_rationale(client, w):
    round = _open(w)
    client.force_login(w.coordinator)
    response = client.post(reverse("bids:round_decide", args=[round.pk]), {"selected": []})
    assert '<a href="#id_rationale">Rationale: Say why the panel decided as it did.</a>' in response.content.decode()


def test_the_round_list_takes_the_same_queries_however_many_rounds(client, w, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _open(w)
    client.force_login(w.coordinator)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("bids:rounds")).status_code == 200
    for n in range(3):
        SelectionRound.objects.create(opportunity=OpportunityFactory(cap_partnership=1), title=f"Round {n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("bids:rounds")).content.decode()
    assert page.count('class="govuk-link" href="/bids/rounds/') == 4
