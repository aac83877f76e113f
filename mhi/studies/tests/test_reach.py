"""Reach estimates: population × prevalence × eligibility, with their assumptions (S1)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from mhi.directory.models import OrganisationRelation
from mhi.studies import reach
from mhi.studies.tests.factories import (
    IcbFactory,
    InfrastructureFactory,
    PrevalenceFigureFactory,
    SiteProfileFactory,
    StudyFactory,
    StudySiteFactory,
    TrustFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def bsol():
    return IcbFactory(name="NHS Birmingham and Solihull Integrated Care Board", ods_code="QHL", population=1361100)


@pytest.fixture
def uhb(bsol):
    return TrustFactory(name="University Hospitals Birmingham", slug="uhb-test", icb=bsol)


def test_england_figure_arithmetic(uhb):
    PrevalenceFigureFactory(percent="7.5", year="2022-23", source="QOF 2022-23", indicative=True)
    study = StudyFactory(conditions="Type 2 diabetes", eligibility_fraction=Decimal("0.2"))
    estimate = reach.reach_estimate(study=study, site=uhb)
    assert estimate.eligible == 20416  # 1,361,100 × 7.5% × 0.2 = 20,416.5, rounded down
    assert (estimate.population, estimate.prevalence_percent, estimate.prevalence_area) == (
        1361100,
        Decimal("7.5000"),
        "ENG",
    )
    assert estimate.indicative is True
    assert estimate.condition_key == "diabetes"
    assert estimate.missing == []
    assert estimate.assumptions[1] == (
        "The study's condition “Type 2 diabetes” contains the prevalence table's “diabetes” (diabetes)."
    )
    assert estimate.assumptions[2] == (
        "Prevalence 7.5% — Diabetes mellitus (aged 17 and over) in England (ENG, aged 17 and over), year 2022-23, "
        "source: QOF 2022-23; indicative (a national default, not the area's own figure). England's figure is used "
        "because none is loaded for NHS Birmingham and Solihull Integrated Care Board."
    )
    assert estimate.assumptions[3] == "Eligibility fraction 0.2: the study's own estimate."


def test_icb_figure_preferred_over_england(uhb):
    PrevalenceFigureFactory(percent="7.5")
    PrevalenceFigureFactory(area_code="QHL", area_name="BSOL ICB", percent="8.9", year="2022-23", source="Local")
    study = StudyFactory(conditions="Diabetes", eligibility_fraction=Decimal("0.1"))
    estimate = reach.reach_estimate(study=study, site=uhb)
    assert (estimate.prevalence_area, estimate.prevalence_percent, estimate.indicative) == (
        "QHL",
        Decimal("8.9000"),
        False,
    )
    assert estimate.eligible == 12113  # 1,361,100 × 8.9% × 0.1 = 12,113.79
    assert estimate.assumptions[1] == "The study's condition “Diabetes” matches the prevalence table's “diabetes”."


def test_prevalence_condition_set_and_infrastructure_via_host(uhb):
    PrevalenceFigureFactory(condition_key="copd", condition="COPD", percent="1.9")
    brc = InfrastructureFactory()
    OrganisationRelation.objects.create(subject=brc, target=uhb, kind="hosted_by")
    study = StudyFactory(conditions="Breathlessness", prevalence_condition="copd", eligibility_fraction=Decimal("0.5"))
    estimate = reach.reach_estimate(study=study, site=brc)
    assert estimate.eligible == 12930  # 1,361,100 × 1.9% × 0.5 = 12,930.45
    assert estimate.assumptions[1] == "The study's prevalence condition is set to “copd”."
    assert estimate.assumptions[0].startswith(
        "Population 1,361,100: The ICB of its host, University Hospitals Birmingham."
    )


def test_missing_inputs_are_said(uhb):
    study = StudyFactory(conditions="Migraine", eligibility_fraction=None)
    estimate = reach.reach_estimate(study=study, site=uhb)
    assert estimate.eligible is None
    assert estimate.missing == ["A prevalence condition for the study.", "The study's eligibility fraction."]
    assert "Eligibility fraction: not set." in estimate.assumptions
    nowhere = TrustFactory()
    PrevalenceFigureFactory()
    estimate = reach.reach_estimate(study=StudyFactory(eligibility_fraction=Decimal("0.2")), site=nowhere)
    assert estimate.missing == ["A catchment population: No ICB is recorded for this organisation in the directory."]


def test_candidates_are_planned_sites_then_specialty_matches(uhb):
    study = StudyFactory(conditions="Type 2 diabetes\nObesity")
    planned = TrustFactory(name="Planned Trust")
    StudySiteFactory(study=study, site=planned, status="planned")
    SiteProfileFactory(organisation=uhb, specialties="Cardiology\nDiabetes")
    SiteProfileFactory(organisation=TrustFactory(name="Eye Hospital"), specialties="Ophthalmology")
    candidates = reach.candidate_sites(study)
    assert [(site.name, why) for site, why in candidates] == [
        ("Planned Trust", "Planned for the study"),
        ("University Hospitals Birmingham", "Specialty matches “Type 2 diabetes”"),
    ]
    estimates = reach.reach_estimates(study=study, sites=[site for site, _ in candidates])
    assert set(estimates) == {planned.pk, uhb.pk}


def test_reach_page_and_api(client, world, uhb):
    PrevalenceFigureFactory(percent="7.5")
    study = StudyFactory(conditions="Type 2 diabetes", eligibility_fraction=Decimal("0.2"))
    StudySiteFactory(study=study, site=uhb, status="planned")
    client.force_login(world.users["researcher"])
    html = client.get(reverse("studies:reach", args=[study.pk])).content.decode()
    assert "20,416" in html and "1,361,100" in html and "mhi-bar__fill" in html
    nav = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', html, re.S).group(0)
    assert re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]*)">([^<]*)</a>', nav) == [
        ("/studies/", "Studies"),
        (f"/studies/{study.pk}/", str(study)),
    ]
    api = client.get(f"/api/v1/studies/{study.pk}/reach").json()
    assert api["condition_key"] == "diabetes"
    assert [(s["site"], s["eligible"], s["prevalence_area"]) for s in api["sites"]] == [("uhb-test", 20416, "ENG")]


def test_commercial_study_reach_does_not_exist_for_others(client, world, uhb):
    study = StudyFactory(sponsor_class="commercial")
    client.force_login(world.users["researcher"])
    assert client.get(reverse("studies:reach", args=[study.pk])).status_code == 404
    headers = {"Authorization": f"Bearer {world.tokens['researcher']}"}
    assert client.get(f"/api/v1/studies/{study.pk}/reach", headers=headers).status_code == 404
