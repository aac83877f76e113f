"""Factories for the patient-based research tests. Every area's tests build on these: add a missing one at the
end, with a comment saying whose it is."""

import datetime

import factory

from mhi.accounts.tests.factories import UserFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.studies.models import (
    FeasibilityInvite,
    FeasibilityRequest,
    FeasibilityResponse,
    PrevalenceFigure,
    RecruitmentEntry,
    SiteProfile,
    Study,
    StudySite,
)


class TrustFactory(OrganisationFactory):
    kind = "nhs_trust"
    name = factory.Sequence(lambda n: f"Midlands Trust {n} NHS Foundation Trust")
    slug = factory.Sequence(lambda n: f"trust-{n}")


class SiteProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SiteProfile
        django_get_or_create = ("organisation",)

    organisation = factory.SubFactory(TrustFactory)
    specialties = "Cardiology\nDiabetes"
    monthly_capacity = 10
    rd_contact_name = "R&D office"
    rd_contact_email = factory.Sequence(lambda n: f"rd{n}@trust.example.org")


class StudyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Study

    title = factory.Sequence(lambda n: f"A randomised trial of treatment {n} in type 2 diabetes")
    conditions = "Type 2 diabetes"
    phase = "3"
    study_type = "interventional"
    target_recruitment = 300
    eligibility_summary = "Adults aged 18 to 75 with type 2 diabetes for at least a year."
    sponsor_name = "University of Leicester"
    sponsor_class = "academic"
    chief_investigator = "Prof Jane Doe"
    start_date = datetime.date(2027, 1, 1)
    end_date = datetime.date(2028, 12, 31)
    owner = factory.SubFactory(UserFactory)


class StudySiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudySite

    study = factory.SubFactory(StudyFactory)
    site = factory.SubFactory(TrustFactory)
    status = "open"
    target = 100
    monthly_target = 5
    opened_on = datetime.date(2026, 1, 1)


class FeasibilityRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeasibilityRequest

    study = factory.SubFactory(StudyFactory)
    deadline = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=14))
    message = "Could your site take part?"


class FeasibilityInviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeasibilityInvite

    request = factory.SubFactory(FeasibilityRequestFactory)
    site = factory.SubFactory(TrustFactory)


class FeasibilityResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeasibilityResponse

    invite = factory.SubFactory(FeasibilityInviteFactory, status="answered")
    interest = "yes"
    local_pi = "Dr Local"
    monthly_recruitment = 4
    capacity = "yes"
    pharmacy = "yes"
    imaging = "not_needed"
    earliest_start = datetime.date(2027, 3, 1)


class PrevalenceFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrevalenceFigure
        django_get_or_create = ("condition_key", "area_code")

    condition_key = "diabetes"
    condition = "Diabetes mellitus (aged 17 and over)"
    area_code = "ENG"
    area_name = "England"
    percent = "7.5000"
    population_basis = "aged 17 and over"
    year = "test"
    source = "Test figure"


class RecruitmentEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecruitmentEntry

    study_site = factory.SubFactory(StudySiteFactory)
    month = datetime.date(2026, 1, 1)
    recruited = 5


# --- S1 (sites, infrastructure, prevalence, reach) ---


class IcbFactory(OrganisationFactory):
    kind = "icb"
    name = factory.Sequence(lambda n: f"NHS Test {n} Integrated Care Board")
    slug = factory.Sequence(lambda n: f"icb-{n}")
    ods_code = factory.Sequence(lambda n: f"Q{n:02d}")
    population = 1361100
    population_note = "DERIVED: sum of ONS Census 2021 first-release LA usual-resident counts"


class InfrastructureFactory(OrganisationFactory):
    kind = "research_infrastructure"
    infrastructure_type = "brc"
    name = factory.Sequence(lambda n: f"NIHR Test {n} Biomedical Research Centre")
    slug = factory.Sequence(lambda n: f"infrastructure-{n}")
