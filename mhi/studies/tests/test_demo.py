"""The demo studies: loaded once, with exact counts; a second run changes nothing."""

import datetime
from decimal import Decimal

import pytest

from mhi.core.models import AuditEvent
from mhi.studies.demo import demo_studies_load
from mhi.studies.models import (
    FeasibilityInvite,
    FeasibilityRequest,
    FeasibilityResponse,
    RecruitmentEntry,
    SiteProfile,
    Study,
    StudySite,
)

TODAY = datetime.date(2026, 5, 14)


@pytest.fixture
def demo(db):
    from mhi.core.demo import demo_seed
    from mhi.directory.reference import reference_load

    reference_load()
    demo_seed()


def _state():
    return (
        Study.objects.count(),
        StudySite.objects.count(),
        FeasibilityRequest.objects.count(),
        FeasibilityInvite.objects.count(),
        FeasibilityResponse.objects.count(),
        RecruitmentEntry.objects.count(),
        SiteProfile.objects.filter(is_demo=True).count(),
        AuditEvent.objects.count(),
    )


def test_the_demo_studies(demo):
    counts = demo_studies_load(today=TODAY)
    assert counts == {
        "profiles": 10,
        "studies": 4,
        "sites": 9,
        "feasibility_requests": 1,
        "answers": 3,
        "recruitment": 18,
    }
    assert sorted(Study.objects.exclude(nct_id=None).values_list("nct_id", "sponsor_class")) == [
        ("NCT01339988", "academic"),
        ("NCT02654730", "academic"),
        ("NCT03630471", "academic"),
    ]
    demo_study = Study.objects.get(is_demo=True)
    assert (demo_study.sponsor_class, demo_study.owner.email) == ("commercial", "coordinator@demo.example.org")
    assert demo_study.start_date == datetime.date(2025, 11, 1)
    open_sites = StudySite.objects.filter(study=demo_study, status="open")
    assert sorted(open_sites.values_list("site__ods_code", flat=True)) == ["RRK", "RWE", "RX1"]
    assert all(row.chosen_from_id is not None for row in open_sites)
    months = sorted(set(RecruitmentEntry.objects.values_list("month", flat=True)))
    assert months[0] == datetime.date(2025, 11, 1) and months[-1] == datetime.date(2026, 4, 1)
    assert sum(RecruitmentEntry.objects.values_list("recruited", flat=True)) == 74
    assert FeasibilityInvite.objects.filter(status="sent").get().site.ods_code == "RTG"


def test_the_demo_gives_the_mental_health_study_a_reach_estimate_from_the_shipped_figures(demo):
    from mhi.directory.models import Organisation
    from mhi.studies.models import PrevalenceFigure
    from mhi.studies.reach import reach_estimate

    demo_studies_load(today=TODAY)
    study = Study.objects.get(nct_id="NCT03630471")
    uhb = Organisation.objects.get(ods_code="RRK")

    assert PrevalenceFigure.objects.filter(indicative=True, area_code="ENG").count() == 3
    estimate = reach_estimate(study=study, site=uhb)
    # 1,361,100 (Birmingham and Solihull ICB) × 9.9% (QOF 2017-18 depression, England) × 0.02
    assert (estimate.population, estimate.prevalence_percent, estimate.eligible) == (1361100, Decimal("9.9000"), 2694)
    assert estimate.indicative is True


def test_the_demo_is_loaded_once(demo):
    demo_studies_load(today=TODAY)
    before = _state()
    assert demo_studies_load(today=TODAY) == {
        "profiles": 0,
        "studies": 0,
        "sites": 0,
        "feasibility_requests": 0,
        "answers": 0,
        "recruitment": 0,
    }
    assert _state() == before


def test_the_uhb_site_user_sees_the_commercial_demo_study(demo):
    from mhi.accounts.models import User
    from mhi.studies.access import studies_visible_to

    demo_studies_load(today=TODAY)
    rd = User.objects.get(email="rd.uhb@demo.example.org")
    partner = User.objects.get(email="partner@demo.example.org")
    assert studies_visible_to(user=rd).filter(is_demo=True).count() == 1
    assert studies_visible_to(user=partner).filter(is_demo=True).count() == 0
