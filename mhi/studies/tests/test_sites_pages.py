"""Sites pages and API: the list, a profile, editing, the infrastructure directory (S1)."""

import pytest
from django.urls import reverse

from mhi.directory.models import OrganisationRelation
from mhi.studies.models import SiteProfile
from mhi.studies.tests.factories import IcbFactory, InfrastructureFactory, SiteProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def uhb(world):
    world.uhb.icb = IcbFactory(name="NHS Birmingham and Solihull Integrated Care Board", ods_code="QHL")
    world.uhb.save()
    SiteProfileFactory(
        organisation=world.uhb, specialties="Diabetes", beds=12, monthly_capacity=20, rd_contact_email="rd@uhb.nhs.uk"
    )
    brc = InfrastructureFactory(name="NIHR Birmingham BRC", slug="bham-brc", themes="inflammation\ncancer")
    OrganisationRelation.objects.create(subject=brc, target=world.uhb, kind="hosted_by", note="adult unit")
    OrganisationRelation.objects.create(subject=brc, target=world.aston, kind="partner")
    return world.uhb


def test_list_shows_icb_population_capacity_and_facilities(client, uhb):
    html = client.get(reverse("studies:sites"), {"specialty": "diabetes"}).content.decode()
    assert "1 site" in html and "University Hospitals Birmingham" in html
    assert "1,361,100" in html and "12 research beds" in html and ">20<" in html
    html = client.get(reverse("studies:sites"), {"q": "nothing-matches"}).content.decode()
    assert "No sites match this search." in html


def test_profile_hides_contacts_from_anonymous_and_links_inbox_for_site_users(client, world, uhb):
    html = client.get(reverse("studies:site", args=[uhb.slug])).content.decode()
    assert "rd@uhb.nhs.uk" not in html and "to see the R&amp;D contacts" in html
    assert "DERIVED: sum of ONS Census 2021" in html and "NIHR Birmingham BRC" in html
    inbox = '<li><a class="govuk-link" href="/studies/feasibility/inbox/">Your site\'s feasibility requests</a></li>'
    assert inbox not in html
    client.force_login(world.users["researcher"])
    assert inbox not in client.get(reverse("studies:site", args=[uhb.slug])).content.decode()
    client.force_login(world.users["nhs_rd"])
    html = client.get(reverse("studies:site", args=[uhb.slug])).content.decode()
    assert "rd@uhb.nhs.uk" in html and "Edit the research profile" in html
    assert inbox in html


def test_infrastructure_profile_shows_host_catchment(client, uhb):
    html = client.get(reverse("studies:site", args=["bham-brc"])).content.decode()
    assert "The ICB of its host" in html and "1,361,100" in html and "adult unit" in html


def test_edit_saves_and_refuses_negative(client, world, uhb):
    client.force_login(world.users["nhs_rd"])
    url = reverse("studies:site_edit", args=[uhb.slug])
    response = client.post(url, {"specialties": "Renal\nDiabetes", "beds": "4", "monthly_capacity": "9"})
    assert response.status_code == 302
    profile = SiteProfile.objects.get(organisation=uhb)
    assert (profile.specialty_list, profile.beds, profile.monthly_capacity) == (["Renal", "Diabetes"], 4, 9)
    html = client.post(url, {"beds": "-2"}).content.decode()
    assert "Ensure this value is greater than or equal to 0." in html
    assert SiteProfile.objects.get(organisation=uhb).beds == 4


def test_infrastructure_directory_grouped_and_filtered(client, world, uhb):
    InfrastructureFactory(name="A CRF", infrastructure_type="crf")
    html = client.get(reverse("studies:infrastructure")).content.decode()
    assert "Biomedical Research Centre (1)" in html and "Clinical Research Facility (1)" in html
    assert "inflammation; cancer" in html
    html = client.get(reverse("studies:infrastructure"), {"partner": "aston"}).content.decode()
    assert "NIHR Birmingham BRC" in html and "A CRF" not in html
    html = client.get(reverse("studies:infrastructure"), {"type": "arc"}).content.decode()
    assert "No research infrastructure matches this filter." in html


def test_api_sites_and_profile_put(client, world, uhb):
    listed = client.get("/api/v1/sites", {"icb": "QHL"}).json()
    assert listed["count"] == 2
    assert [s["slug"] for s in listed["items"]] == ["bham-brc", uhb.slug]
    assert listed["items"][0]["catchment"]["via"] == uhb.slug
    detail = client.get(f"/api/v1/sites/{uhb.slug}").json()
    assert detail["rd_contact"] is None and detail["hosts"][0]["slug"] == "bham-brc"
    headers = {"Authorization": f"Bearer {world.tokens['nhs_rd']}"}
    body = {"specialties": ["Renal"], "beds": 3, "monthly_capacity": 7}
    response = client.put(f"/api/v1/sites/{uhb.slug}/profile", body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    assert (response.json()["specialties"], response.json()["facilities"]["beds"]) == (["Renal"], 3)
    assert response.json()["rd_contact"] == {"name": "", "email": "", "phone": ""}
    response = client.put(
        f"/api/v1/sites/{uhb.slug}/profile", {"beds": -1}, content_type="application/json", headers=headers
    )
    assert response.status_code == 422
    assert SiteProfile.objects.get(organisation=uhb).beds == 3
    infra = client.get("/api/v1/infrastructure", {"type": "brc"}).json()
    assert [(i["name"], [h["slug"] for h in i["hosted_by"]]) for i in infra] == [("NIHR Birmingham BRC", [uhb.slug])]
    assert client.get("/api/v1/sites/aston").status_code == 404
