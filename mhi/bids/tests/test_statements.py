"""Bid statements: the team statement from members' profiles, works and grants; the facilities statement from
the catalogued resources of the bid's organisations that match it."""

import datetime

import pytest

from mhi.bids import statements
from mhi.bids.models import Bid, BidMember
from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory
from mhi.expertise.models import Authorship, Grant, GrantParticipant, Work
from mhi.opportunities.tests.factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def _work(person, title, year, position=1):
    work = Work.objects.create(title=title, year=year, source="manual")
    Authorship.objects.create(work=work, person=person, position=position, raw_name=person.display_name)
    return work


@pytest.fixture
def bid():
    aston = OrganisationFactory(name="Aston University", slug="aston")
    uhb = OrganisationFactory(name="University Hospitals Birmingham", slug="uhb", kind="nhs_trust")
    opportunity = OpportunityFactory(title="Research for Patient Benefit", funder_name="NIHR")
    amira = PersonFactory(
        title="Prof", given_name="Amira", family_name="Khan", biography="Works on  asthma\nin adults."
    )
    AffiliationFactory(person=amira, organisation=aston, job_title="Professor of Respiratory Medicine")
    ben = PersonFactory(given_name="Ben", family_name="Adams", biography="")
    AffiliationFactory(person=ben, organisation=aston, job_title="Lecturer", is_primary=True)
    AffiliationFactory(person=ben, organisation=uhb, job_title="Consultant *physician*", is_primary=False)
    bid = Bid.objects.create(opportunity=opportunity, title="Inhalers <for> all", lead_organisation=aston)
    # Added in the "wrong" order: the statement puts the PI first.
    BidMember.objects.create(bid=bid, person=ben, role="collaborator", organisation=uhb)
    BidMember.objects.create(bid=bid, person=amira, role="pi")
    for year in range(2017, 2024):
        _work(amira, f"Asthma study {year}", year)
    _work(ben, "Undated_note", None)
    grant = Grant.objects.create(
        funder="MRC",
        reference="MR/1",
        title="Severe asthma cohort",
        start_date=datetime.date(2021, 4, 1),
        end_date=datetime.date(2024, 3, 31),
    )
    GrantParticipant.objects.create(grant=grant, role="pi", raw_name="A Khan", person=amira)
    return bid


def test_the_team_statement_lists_each_member_from_their_profile(bid):
    assert statements.team_statement(bid=bid) == (
        "# Team statement: Inhalers \\<for\\> all\n"
        "\n"
        "For Research for Patient Benefit, led by Aston University.\n"
        "\n"
        "## Prof Amira Khan — Principal investigator\n"
        "\n"
        "Professor of Respiratory Medicine, Aston University\n"
        "\n"
        "Works on asthma in adults.\n"
        "\n"
        "Recent works:\n"
        "\n"
        "- Asthma study 2023 (2023)\n"
        "- Asthma study 2022 (2022)\n"
        "- Asthma study 2021 (2021)\n"
        "- Asthma study 2020 (2020)\n"
        "- Asthma study 2019 (2019)\n"
        "\n"
        "Grants:\n"
        "\n"
        "- Severe asthma cohort (MRC, 2021–2024)\n"
        "\n"
        "## Ben Adams — Collaborator\n"
        "\n"
        "Consultant \\*physician\\*, University Hospitals Birmingham\n"
        "\n"
        "Recent works:\n"
        "\n"
        "- Undated\\_note\n"
    )


def test_a_lead_person_who_is_not_a_member_comes_first(bid):
    lead = PersonFactory(given_name="Lee", family_name="Lead", biography="Leads things.")
    bid.lead_person = lead
    bid.save()
    statement = statements.team_statement(bid=bid)
    assert statement.split("\n\n")[2:4] == ["## Lee Lead — Lead person", "Aston University"]


def test_a_bid_with_no_team_says_what_to_do():
    bid = Bid.objects.create(
        opportunity=OpportunityFactory(title="Call"), title="Empty", lead_organisation=OrganisationFactory(name="Org")
    )
    assert statements.team_statement(bid=bid) == (
        "# Team statement: Empty\n\nFor Call, led by Org.\n\nThe bid has no team members yet: add them on the "
        "bid's team page.\n"
    )


def test_the_facilities_statement_lists_the_organisations_matching_catalogued_resources(bid):
    from mhi.bids.models import BidPartner
    from mhi.expertise.lexical_search import lexical_update
    from mhi.resources.search import KIND, resource_documents
    from mhi.resources.tests.factories import ResourceFactory

    bid.title = "Retinal imaging in diabetes"
    bid.save()
    partner = OrganisationFactory(name="Keele University", kind="university")
    empty = OrganisationFactory(name="Acme Optics", kind="industry")
    BidPartner.objects.create(bid=bid, organisation=partner, role="university")
    BidPartner.objects.create(bid=bid, organisation=empty, role="industry")
    ResourceFactory(
        organisation=bid.lead_organisation,
        name="Retinal OCT scanner",
        technique="Optical coherence tomography",
        manufacturer="Heidelberg",
        model_name="Spectralis",
        building="Vision Sciences",
        site_location="Main campus",
        access_policy="partner",
        requires_induction=True,
        service_level="Technician-supported",
        department="",
    )
    ResourceFactory(organisation=bid.lead_organisation, name="Mass spectrometer", technique="Proteomics")
    ResourceFactory(organisation=partner, name="Gait laboratory", technique="Motion capture")
    # Found by their words (the index task would embed them too; no resource is embedded here).
    lexical_update(kind=KIND, documents=resource_documents())

    text = statements.facilities_statement(bid=bid)

    lead = bid.lead_organisation.name
    assert text == (
        "# Facilities and resources: Retinal imaging in diabetes\n\n"
        f"## {lead}\n\n"
        "- **Retinal OCT scanner** (Optical coherence tomography); Heidelberg Spectralis; Vision Sciences, Main "
        "campus; access: partner universities, induction required; Technician-supported.\n\n"
        "## Acme Optics\n\nNothing in the MHI Hub resources catalogue yet.\n\n"
        "## Keele University\n\nNone of its 1 catalogued resources matches the bid's text.\n"
    )


def test_the_facilities_statement_says_when_nothing_is_catalogued(bid):
    text = statements.facilities_statement(bid=bid)
    assert text.endswith(
        "Nothing in the MHI Hub resources catalogue yet.\n\n"
        "No catalogued equipment or facilities of the bid's organisations match the bid: write this section by "
        "hand, or ask the institutions to publish their equipment in the catalogue.\n"
    )
