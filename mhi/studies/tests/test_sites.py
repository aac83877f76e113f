"""Sites: catchment, profiles, the sync of blank profiles and profile edits (S1)."""

import pytest

from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.models import OrganisationRelation
from mhi.directory.tests.factories import OrganisationFactory
from mhi.studies import sites
from mhi.studies.models import SiteProfile
from mhi.studies.tests.factories import (
    IcbFactory,
    InfrastructureFactory,
    SiteProfileFactory,
    TrustFactory,
)

pytestmark = pytest.mark.django_db

NOTE = "DERIVED: sum of ONS Census 2021 first-release LA usual-resident counts"


@pytest.fixture
def bsol():
    return IcbFactory(name="NHS Birmingham and Solihull Integrated Care Board", ods_code="QHL", population=1361100)


def test_catchment_of_a_trust_is_its_icb(bsol):
    trust = TrustFactory(icb=bsol)
    catchment = sites.site_catchment(trust)
    assert catchment.icb == bsol
    assert catchment.population == 1361100
    assert catchment.via is None
    assert catchment.basis == (
        "Population of NHS Birmingham and Solihull Integrated Care Board, Census 2021 usual residents as the "
        f"directory states it: {NOTE}"
    )


def test_catchment_of_infrastructure_is_its_first_host_trusts_icb(bsol):
    other = IcbFactory(ods_code="QUA", population=1213200)
    first, second = TrustFactory(icb=bsol, name="First host"), TrustFactory(icb=other)
    crf = InfrastructureFactory(infrastructure_type="crf")
    OrganisationRelation.objects.create(subject=crf, target=first, kind="hosted_by")
    OrganisationRelation.objects.create(subject=crf, target=second, kind="hosted_by")
    catchment = sites.site_catchment(crf)
    assert (catchment.icb, catchment.population, catchment.via) == (bsol, 1361100, first)
    assert catchment.basis.startswith("The ICB of its host, First host. Population of NHS Birmingham")


def test_catchment_unknown_without_icb_or_host():
    assert sites.site_catchment(TrustFactory()) == sites.Catchment(
        None, None, "No ICB is recorded for this organisation in the directory."
    )
    assert sites.site_catchment(InfrastructureFactory()) == sites.Catchment(
        None, None, "No host trust with an ICB is recorded in the directory."
    )


def test_profile_of_never_writes():
    trust = TrustFactory()
    profile = sites.profile_of(trust)
    assert profile.pk is None and profile.organisation == trust
    assert SiteProfile.objects.count() == 0


def test_sites_matching_filters(bsol):
    uhb = TrustFactory(name="University Hospitals Birmingham", icb=bsol, town="Birmingham")
    SiteProfileFactory(organisation=uhb, specialties="Diabetes\nCardiology")
    other = TrustFactory(name="Royal Derby", icb=IcbFactory(ods_code="QJ2"))
    SiteProfileFactory(organisation=other, specialties="Respiratory")
    brc = InfrastructureFactory(name="NIHR Birmingham BRC", themes="diabetes research")  # no profile: its themes
    OrganisationRelation.objects.create(subject=brc, target=uhb, kind="hosted_by")
    OrganisationFactory(kind="university", name="Birmingham University")  # not a site
    assert list(sites.sites_matching(specialty="diabetes")) == [brc, uhb]
    assert list(sites.sites_matching(icb_code="qhl")) == [brc, uhb]
    assert list(sites.sites_matching(q="birmingham")) == [brc, uhb]
    assert list(sites.sites_matching(kind="nhs_trust", q="derby")) == [other]
    assert list(sites.sites_matching(kind="university")) == []


def test_sync_creates_blank_profiles_once_with_seeded_specialties(bsol):
    uhb = TrustFactory(icb=bsol)
    TrustFactory()
    brc = InfrastructureFactory(themes="inflammation\nheart disease\n")
    crf = InfrastructureFactory(infrastructure_type="crf", name="A CRF", themes="early-phase\nHeart disease")
    OrganisationRelation.objects.create(subject=brc, target=uhb, kind="hosted_by")
    OrganisationRelation.objects.create(subject=crf, target=uhb, kind="hosted_by")
    SiteProfileFactory(organisation=TrustFactory(), specialties="Kept")
    OrganisationFactory(kind="university")
    report = sites.site_profiles_sync()
    assert (report.created, report.existing) == (4, 1)
    assert report.summary() == "4 site profiles created, 1 already present."
    assert SiteProfile.objects.get(organisation=brc).specialties == "inflammation\nheart disease"
    # The trust gets the themes of what it hosts, in the hosted organisations' name order, each once.
    assert SiteProfile.objects.get(organisation=uhb).specialties == "early-phase\nHeart disease\ninflammation"
    assert SiteProfile.objects.filter(specialties="Kept").count() == 1
    events = AuditEvent.objects.filter(source="sync-site-profiles").count()
    assert events == 4
    again = sites.site_profiles_sync()
    assert (again.created, again.existing) == (0, 5)
    assert SiteProfile.objects.count() == 5
    assert AuditEvent.objects.filter(source="sync-site-profiles").count() == 4


def test_sync_on_the_reference_data():
    from mhi.directory.reference import reference_load

    reference_load()
    report = sites.site_profiles_sync()
    assert (report.created, report.existing) == (63, 0)  # 40 NHS trusts and 23 research infrastructure
    assert (sites.site_profiles_sync().created, SiteProfile.objects.count()) == (0, 63)
    brc = SiteProfile.objects.get(organisation__slug="nihr-leicester-biomedical-research-centre")
    assert brc.specialty_list[:3] == [
        "respiratory and infectious diseases",
        "cardiovascular disease",
        "type 2 diabetes",
    ]
    uhb = SiteProfile.objects.get(organisation__ods_code="RRK")
    assert "inflammation (overarching focus)" in uhb.specialty_list
    catchment = sites.site_catchment(brc.organisation)
    assert (catchment.icb.ods_code, catchment.population, catchment.via.ods_code) == ("QK1", 1121800, "RWE")


def test_profile_update_by_site_user_is_audited(world):
    site = world.uhb
    profile = sites.site_profile_update(
        user=world.users["nhs_rd"],
        site=site,
        data={"specialties": "Diabetes\n diabetes \nCardiology", "beds": 12, "monthly_capacity": 20},
    )
    profile.refresh_from_db()
    assert (profile.specialties, profile.beds, profile.monthly_capacity) == ("Diabetes\nCardiology", 12, 20)
    assert profile.updated_by == world.users["nhs_rd"]
    event = AuditEvent.objects.get(object_id=str(profile.pk), content_type__model="siteprofile")
    assert event.action == "create" and event.actor == world.users["nhs_rd"]
    assert event.changes["beds"] == [None, 12]


@pytest.mark.parametrize("persona", ["aston_admin", "leicester_lead", "researcher", "external"])
def test_profile_update_refused_for_others(world, persona):
    with pytest.raises(PermissionDenied) as refused:
        sites.site_profile_update(user=world.users[persona], site=world.uhb, data={"beds": 3})
    assert refused.value.message == (
        "Only the site's users, its institution admins and coordinators may edit its profile."
    )
    assert SiteProfile.objects.count() == 0


def test_profile_update_by_coordinator_and_institution_admin_of_the_site(world):
    sites.site_profile_update(user=world.users["coordinator"], site=world.uhb, data={"beds": 3})
    assert SiteProfile.objects.get().beds == 3
    aston_site = InfrastructureFactory()
    from mhi.accounts.tests.factories import MembershipFactory

    MembershipFactory(user=world.users["aston_admin"], role="institution_admin", organisation=aston_site)
    sites.site_profile_update(user=world.users["aston_admin"], site=aston_site, data={"clinic_rooms": 2})
    assert SiteProfile.objects.get(organisation=aston_site).clinic_rooms == 2


def test_profile_update_refuses_bad_values(world):
    with pytest.raises(DomainError) as refused:
        sites.site_profile_update(user=world.users["coordinator"], site=world.uhb, data={"beds": -1})
    assert (refused.value.field, refused.value.message) == ("beds", "Enter a number that is 0 or more.")
    with pytest.raises(DomainError) as refused:
        sites.site_profile_update(user=world.users["coordinator"], site=world.uhb, data={"colour": "red"})
    assert refused.value.message == "Unknown field “colour”."
    with pytest.raises(DomainError) as refused:
        sites.site_profile_update(user=world.users["coordinator"], site=world.aston, data={"beds": 1})
    assert refused.value.message == "Aston University is not a site (an NHS trust or research infrastructure)."
    assert SiteProfile.objects.count() == 0


def test_sync_command(capsys):
    from django.core.management import call_command

    TrustFactory()
    call_command("sync_site_profiles")
    call_command("sync_site_profiles")
    assert capsys.readouterr().out == (
        "1 site profiles created, 0 already present.\n0 site profiles created, 1 already present.\n"
    )
