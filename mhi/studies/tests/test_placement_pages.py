"""Site placement with the database: candidates from feasibility answers and profiles, the service (access,
validation, audit), the pages and the API."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.studies.models import PlacementRun
from mhi.studies.placement import candidates_for, placement_run_create
from mhi.studies.tests.factories import (
    FeasibilityInviteFactory,
    FeasibilityRequestFactory,
    FeasibilityResponseFactory,
    SiteProfileFactory,
    StudyFactory,
    StudySiteFactory,
    TrustFactory,
)

pytestmark = pytest.mark.django_db


def _trust(name, **profile):
    site = TrustFactory(name=name, slug=name.lower().replace(" ", "-"))
    if profile:
        SiteProfileFactory(organisation=site, **profile)
    return site


def _two_site_study(suffix="", **fields):
    """Alpha answered "Interested", 6 a month from the start; Beta is planned, 5 a month from its profile.
    Together 11 a month: 66 by the end of June 2027 (index 5); Alpha alone reaches 60 in October (index 9)."""
    study = StudyFactory(target_recruitment=60, start_date=datetime.date(2027, 1, 1), **fields)
    alpha = _trust(f"Alpha{suffix} Trust", monthly_capacity=8, setup_cost=Decimal("12000"))
    beta = _trust(f"Beta{suffix} Trust", monthly_capacity=5, setup_cost=Decimal("8000"))
    FeasibilityResponseFactory(
        invite__request__study=study,
        invite__site=alpha,
        monthly_recruitment=6,
        earliest_start=datetime.date(2027, 1, 1),
    )
    StudySiteFactory(study=study, site=beta, status="planned", opened_on=None)
    return study, alpha, beta


def _coordinator():
    user = UserFactory()
    MembershipFactory(user=user, role=Role.COORDINATOR, organisation=None)
    return user


@dataclass
class _Reach:
    eligible: int | None
    missing: list


def test_candidates_come_from_the_latest_answers_then_profiles(monkeypatch):
    study = StudyFactory(start_date=datetime.date(2027, 1, 1))
    old = FeasibilityRequestFactory(study=study)
    request = FeasibilityRequestFactory(study=study)
    yes = _trust("Yes Trust", monthly_capacity=4, setup_cost=Decimal("12000"))
    maybe = _trust("Maybe Trust", monthly_capacity=9)
    no = _trust("No Trust", monthly_capacity=9)
    silent = _trust("Silent Trust", monthly_capacity=3)
    withdrawn = _trust("Withdrawn Trust", monthly_capacity=9)
    planned = _trust("Planned Trust", monthly_capacity=5, setup_cost=Decimal("7500.50"))
    bare = _trust("Bare Trust")
    closed = _trust("Closed Trust", monthly_capacity=9)
    FeasibilityResponseFactory(invite__request=old, invite__site=no, interest="yes", monthly_recruitment=20)
    FeasibilityResponseFactory(
        invite__request=request, invite__site=yes, monthly_recruitment=6, earliest_start=datetime.date(2027, 3, 15)
    )
    FeasibilityResponseFactory(invite__request=request, invite__site=maybe, interest="maybe")
    FeasibilityResponseFactory(invite__request=request, invite__site=no, interest="no")
    FeasibilityInviteFactory(request=request, site=silent)
    FeasibilityInviteFactory(request=request, site=withdrawn, status="withdrawn")
    StudySiteFactory(study=study, site=planned, status="planned", opened_on=datetime.date(2027, 2, 1))
    StudySiteFactory(study=study, site=bare, status="selected", opened_on=None)
    StudySiteFactory(study=study, site=closed, status="closed", opened_on=None)
    monkeypatch.setattr(
        "mhi.studies.placement.reach_estimates",
        lambda *, study, sites: {
            s.pk: _Reach(150 if s.pk == yes.pk else None, ["A catchment population"]) for s in sites
        },
    )

    found = candidates_for(study)

    assert (found.start, found.start_basis, found.request_id) == (
        datetime.date(2027, 1, 1),
        "the study's planned start (1 January 2027)",
        request.pk,
    )
    rows = [
        (c.name, c.rate, c.monthly_cap, c.monthly, c.start_month, c.total_cap, c.cost, c.rate_source, c.start_source)
        for c in found.candidates
    ]
    answered = found.candidates[2].rate_source
    assert rows == [
        (
            "Planned Trust",
            5,
            None,
            5,
            1,
            None,
            Decimal("7500.50"),
            "Site profile: delivery capacity (planned)",
            "Opened 1 Feb 2027",
        ),
        (
            "Silent Trust",
            3,
            None,
            3,
            0,
            None,
            None,
            "Site profile: delivery capacity (invited, not answered yet)",
            "From the study's first month (no start date given)",
        ),
        (
            "Yes Trust",
            6,
            4,
            4,
            3,
            150,
            Decimal("12000.00"),
            answered,
            "Feasibility answer: earliest start 15 Mar 2027",
        ),
    ]
    assert answered.startswith("Feasibility answer (") and answered.endswith(
        ", capped by its delivery capacity of 4 a month"
    )
    assert found.candidates[2].total_cap_source == "Reach estimate: 150 eligible patients"
    assert found.candidates[0].total_cap_source == "No reach estimate (A catchment population)"
    assert [(lo.name, lo.reason) for lo in found.left_out] == [
        (
            "Bare Trust",
            "No estimate of participants a month: no answer gave one and its profile has no delivery capacity.",
        ),
        ("Maybe Trust", "It answered “Possibly”."),
        ("No Trust", "It answered “Not interested”."),
        ("Withdrawn Trust", "Its feasibility invite was withdrawn."),
    ]


def test_without_reach_figures_no_total_cap_is_set():
    study, _, _ = _two_site_study()
    found = candidates_for(study)
    assert [c.total_cap for c in found.candidates] == [None, None]
    assert all(c.total_cap_source.startswith("No reach estimate (") for c in found.candidates)


def test_a_run_is_solved_kept_and_audited():
    study, alpha, beta = _two_site_study()
    run = placement_run_create(user=study.owner, study=study, objective="soonest")
    assert (run.solver_status, run.target, run.horizon_months, run.max_sites, run.budget) == (
        "optimal",
        60,
        60,
        None,
        None,
    )
    assert run.result["chosen"] == [alpha.pk, beta.pk]
    assert (run.result["completion_index"], run.result["completion_date"]) == (5, "2027-06-30")
    assert run.result["curve"][:6] == [11, 22, 33, 44, 55, 66]
    assert run.result["cost"] == "20000.00"
    assert [c["name"] for c in run.candidates] == ["Alpha Trust", "Beta Trust"]
    event = AuditEvent.objects.get(object_id=str(run.pk), content_type__model="placementrun")
    assert (event.action, event.source, event.actor) == ("create", "site placement", study.owner)


def test_the_budget_objective_uses_the_study_budget_when_none_is_given():
    study, alpha, _ = _two_site_study(budget=Decimal("15000"))
    run = placement_run_create(user=_coordinator(), study=study, objective="budget")
    assert (run.budget, run.result["chosen"], run.result["completion_index"]) == (Decimal("15000.00"), [alpha.pk], 9)


def test_only_managers_run_placement_and_hidden_studies_do_not_exist():
    study, _, _ = _two_site_study()
    with pytest.raises(PermissionDenied) as raised:
        placement_run_create(user=UserFactory(), study=study, objective="soonest")
    assert raised.value.message == "Only coordinators and the study's owner may run site placement."
    secret, _, _ = _two_site_study(" Secret", sponsor_class="commercial")
    with pytest.raises(Http404):
        placement_run_create(user=UserFactory(), study=secret, objective="soonest")
    assert PlacementRun.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"max_sites": 0}, "max_sites", "The most sites must be at least 1."),
        ({"budget": Decimal("-5")}, "budget", "The budget cannot be negative."),
        ({"objective": "max_sites"}, "max_sites", "Give the most sites to place sites with at most N sites."),
        ({"objective": "budget"}, "budget", "Give a budget to place sites within a budget."),
    ],
)
def test_bad_limits_are_refused_and_nothing_is_kept(kwargs, field, message):
    study, _, _ = _two_site_study()
    with pytest.raises(DomainError) as raised:
        placement_run_create(user=study.owner, study=study, **{"objective": "soonest", **kwargs})
    assert (raised.value.field, raised.value.message) == (field, message)
    assert PlacementRun.objects.count() == 0


def test_a_study_without_a_target_or_candidates_is_refused():
    no_target = StudyFactory(target_recruitment=None)
    with pytest.raises(DomainError) as raised:
        placement_run_create(user=no_target.owner, study=no_target, objective="soonest")
    assert raised.value.message == "The study has no target recruitment: set one on the study before placing sites."
    empty = StudyFactory()
    with pytest.raises(DomainError) as raised:
        placement_run_create(user=empty.owner, study=empty, objective="soonest")
    assert raised.value.field == "candidates"
    assert raised.value.message.startswith("There are no candidate sites: send a feasibility request or plan sites")
    assert PlacementRun.objects.count() == 0


# --- pages --------------------------------------------------------------------------------------------------


def test_the_placement_page_shows_candidates_and_runs_placement(client):
    study, alpha, _ = _two_site_study()
    client.force_login(study.owner)
    url = reverse("studies:placement", args=[study.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Alpha Trust" in html and "Beta Trust" in html
    assert "Find the best sites" in html
    assert "No placement runs yet." in html

    response = client.post(url, {"objective": "max_sites", "max_sites": "1", "budget": "", "horizon_months": "60"})
    run = PlacementRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("studies:placement_run", args=[run.pk])
    assert (run.result["chosen"], run.result["completion_index"]) == ([alpha.pk], 9)

    result = client.get(response["Location"])
    html = result.content.decode()
    assert result.status_code == 200
    assert "Target reached by the end of October 2027" in html
    assert "Proven optimal" in html
    assert (
        '<title id="curve-title">Cumulative recruitment by month: the chosen sites against the alternatives</title>'
        in html
    )
    # The month-by-month table: month 10 (October 2027), the chosen site's 60 marked as reaching the target.
    assert "10 (Oct 2027)" in html
    assert '<strong>60</strong><span class="govuk-visually-hidden"> (reaches the target)</span>' in html
    assert "All 2 candidate sites" in html
    assert "1 site, month 10" in client.get(url).content.decode()


def test_a_refused_run_is_shown_on_the_form(client):
    study, _, _ = _two_site_study()
    client.force_login(study.owner)
    response = client.post(
        reverse("studies:placement", args=[study.pk]),
        {"objective": "soonest", "max_sites": "0", "budget": "", "horizon_months": "60"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"max_sites": ["The most sites must be at least 1."]}
    assert PlacementRun.objects.count() == 0


def test_others_see_the_page_without_the_form(client):
    study, _, _ = _two_site_study()
    MembershipFactory(user=(viewer := UserFactory()), role=Role.RESEARCHER, organisation=TrustFactory())
    client.force_login(viewer)
    html = client.get(reverse("studies:placement", args=[study.pk])).content.decode()
    assert "Find the best sites" not in html
    assert "Coordinators and the study's owner run placement" in html
    assert client.post(reverse("studies:placement", args=[study.pk]), {"objective": "soonest"}).status_code == 403


def test_an_unreachable_target_is_explained_on_the_run_page(client):
    study, _, _ = _two_site_study()
    client.force_login(study.owner)
    response = client.post(
        reverse("studies:placement", args=[study.pk]), {"objective": "soonest", "horizon_months": "3"}
    )
    html = client.get(response["Location"]).content.decode()
    assert (
        "The target of 60 cannot be reached by the end of March 2027: the most the candidates can recruit by then is 33."
        in html
    )
    assert PlacementRun.objects.get().solver_status == "infeasible"


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_runs_placement_and_reads_runs_and_candidates(client):
    study, alpha, beta = _two_site_study()
    client.force_login(study.owner)
    created = client.post(
        f"/api/v1/studies/{study.pk}/placement",
        {"objective": "soonest", "horizon_months": 24},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["chosen"], body["completion_index"], body["completion_date"]) == (
        "optimal",
        [alpha.pk, beta.pk],
        5,
        "2027-06-30",
    )
    assert len(body["curve"]) == 24
    assert [(o["key"], o["completion_index"]) for o in body["alternatives"]] == [
        ("optimal", 5),
        ("all", 5),
        ("by_rate", 5),
        ("by_start", 5),
    ]
    again = client.get(f"/api/v1/placement-runs/{body['id']}")
    assert again.status_code == 200 and again.json()["chosen"] == body["chosen"]
    candidates = client.get(f"/api/v1/studies/{study.pk}/placement/candidates").json()
    assert [(c["name"], c["monthly"], c["start_month"], c["cost"]) for c in candidates["candidates"]] == [
        ("Alpha Trust", 6, 0, "12000.00"),
        ("Beta Trust", 5, 0, "8000.00"),
    ]


def test_the_api_refuses_bad_limits_with_the_field(client):
    study, _, _ = _two_site_study()
    client.force_login(study.owner)
    response = client.post(
        f"/api/v1/studies/{study.pk}/placement",
        {"objective": "budget", "budget": "-1"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"budget": ["The budget cannot be negative."]}
    assert PlacementRun.objects.count() == 0
