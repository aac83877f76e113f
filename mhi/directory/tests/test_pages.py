import json

import pytest
from django.urls import reverse

from mhi.core.models import AuditEvent
from mhi.directory.models import Person
from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory


@pytest.fixture
def loaded(db):
    from mhi.directory.reference import reference_load

    reference_load()


def test_home_shows_the_headline_figures(client, loaded):
    response = client.get("/")
    figures = response.context["figures"]
    assert (figures.partner_universities, figures.nhs_trusts, figures.icbs) == (7, 40, 11)
    assert "10,830,400" in response.content.decode()
    assert "Prof Mark Lewis (chair)" in response.content.decode()


def test_home_with_no_data_says_how_to_load_it(client, db):
    response = client.get("/")
    assert "mhi load-reference" in response.content.decode()


def test_organisations_filter_by_kind_region_and_icb(client, loaded):
    response = client.get(reverse("directory:organisations"), {"kind": "nhs_trust", "region": "east_midlands"})
    page = response.context["page_obj"]
    assert page.paginator.count == 16
    assert {o.region for o in page.object_list} == {"east_midlands"}
    response = client.get(reverse("directory:organisations"), {"icb": "QHL", "kind": "nhs_trust"})
    assert response.context["page_obj"].paginator.count == 5


def test_organisations_search_finds_by_ods_code_and_theme(client, loaded):
    response = client.get(reverse("directory:organisations"), {"q": "RRK"})
    assert [o.ods_code for o in response.context["page_obj"].object_list] == ["RRK"]
    response = client.get(reverse("directory:organisations"), {"q": "tinnitus"})
    assert [o.name for o in response.context["page_obj"].object_list] == ["NIHR Nottingham Biomedical Research Centre"]


def test_organisations_page_is_paged(client, loaded):
    response = client.get(reverse("directory:organisations"), {"page": 2})
    page = response.context["page_obj"]
    assert page.number == 2
    assert len(page.object_list) == 25
    assert 'rel="next"' in response.content.decode()


def test_organisations_list_uses_a_fixed_number_of_queries(client, loaded, django_assert_num_queries):
    # count, page rows (with ICB joined), ICB choices for the filter, partnership check on nothing else
    with django_assert_num_queries(3):
        client.get(reverse("directory:organisations"))


def test_htmx_request_gets_only_the_results_fragment(client, loaded):
    response = client.get(reverse("directory:organisations"), {"kind": "icb"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="results"' in body
    assert "11 organisations" in body


def test_an_empty_result_says_so_with_a_way_out(client, loaded):
    response = client.get(reverse("directory:organisations"), {"q": "no such thing anywhere"})
    assert "No organisations match these filters." in response.content.decode()


def test_organisation_page_shows_hosted_infrastructure(client, loaded):
    response = client.get(reverse("directory:organisation", args=["university-hospitals-of-leicester-nhs-trust"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "NIHR Leicester Biomedical Research Centre" in body
    assert "NHS Leicester, Leicestershire and Rutland Integrated Care Board" in body


def test_unknown_organisation_is_a_404_page(client, db):
    response = client.get(reverse("directory:organisation", args=["nowhere"]))
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_map_lists_every_place_in_a_table_and_needs_no_tiles(client, db):
    OrganisationFactory(name="Placed", kind="university", latitude="52.5", longitude="-1.9")
    OrganisationFactory(name="Unplaced", kind="nhs_trust")
    response = client.get(reverse("directory:map"))
    body = response.content.decode()
    places = json.loads(body.split('id="map-data" type="application/json">')[1].split("</script>")[0])
    assert [p["name"] for p in places] == ["Placed"]
    assert "1 places on the map" in body or "1 place" in body
    assert 'data-tile-url=""' in body


def test_anonymous_people_list_shows_only_consenting_people_and_no_email(client, db):
    AffiliationFactory(person=PersonFactory(given_name="Open", family_name="Person", email="open@example.org"))
    PersonFactory(given_name="Closed", family_name="Person", public_profile_consent=False)
    response = client.get(reverse("directory:people"))
    assert [p.given_name for p in response.context["page_obj"].object_list] == ["Open"]
    detail = client.get(Person.objects.get(given_name="Open").get_absolute_url())
    assert "open@example.org" not in detail.content.decode()


def test_signed_in_colleagues_see_the_email(client, world):
    client.force_login(world.users["researcher"])
    response = client.get(world.public_person.get_absolute_url())
    assert world.public_person.email in response.content.decode()


def test_researcher_edits_own_profile_and_consent_is_timestamped_and_audited(client, world):
    person = world.researcher_person
    client.force_login(world.users["researcher"])
    response = client.post(
        reverse("directory:person_edit", args=[person.slug]),
        {
            "title": "Dr",
            "given_name": "Daniel",
            "family_name": "Mercer",
            "kind": "academic",
            "orcid": "https://orcid.org/0000-0002-1825-0097",
            "email": "d.mercer@example.org",
            "biography": "Gastroenterology.",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    person.refresh_from_db()
    assert (person.orcid, person.public_profile_consent) == ("0000-0002-1825-0097", False)
    assert person.consent_recorded_at is not None
    event = AuditEvent.objects.get(object_id=str(person.pk), action="update")
    assert event.actor == world.users["researcher"]
    assert event.changes["public_profile_consent"] == [True, False]


def test_invalid_orcid_on_profile_is_refused_naming_the_field(client, world):
    client.force_login(world.users["researcher"])
    response = client.post(
        reverse("directory:person_edit", args=[world.researcher_person.slug]),
        {"given_name": "Daniel", "family_name": "Mercer", "kind": "academic", "orcid": "0000-0002-1825-0098"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["orcid"] == [
        "ORCID iD “0000-0002-1825-0098” has a wrong check digit; please copy it again from orcid.org."
    ]
    assert "govuk-error-summary" in response.content.decode()
    world.researcher_person.refresh_from_db()
    assert world.researcher_person.orcid is None


def test_duplicate_orcid_is_impossible(client, world):
    PersonFactory(orcid="0000-0002-1825-0097")
    client.force_login(world.users["researcher"])
    response = client.post(
        reverse("directory:person_edit", args=[world.researcher_person.slug]),
        {"given_name": "Daniel", "family_name": "Mercer", "kind": "academic", "orcid": "0000-0002-1825-0097"},
    )
    assert response.context["form"].errors["orcid"] == ["Person with this ORCID iD already exists."]


def test_people_can_be_filtered_by_organisation(client, db):
    here, there = OrganisationFactory(slug="here", name="Here"), OrganisationFactory(slug="there", name="There")
    AffiliationFactory(organisation=here, person=PersonFactory(given_name="Ada"))
    AffiliationFactory(organisation=there, person=PersonFactory(given_name="Bo"))
    response = client.get(reverse("directory:people"), {"organisation": "there"})
    assert [p.given_name for p in response.context["page_obj"].object_list] == ["Bo"]
    assert [c[0] for c in response.context["form"].fields["organisation"].choices] == ["", "here", "there"]


def test_organisation_page_links_to_all_its_people_when_there_are_many(client, db):
    org = OrganisationFactory(slug="big", name="Big University")
    for _ in range(21):
        AffiliationFactory(organisation=org)
    body = client.get(org.get_absolute_url()).content.decode()
    assert 'href="/directory/people/?organisation=big"' in body
    assert "See all 21 people at Big University" in body


def test_navigation_marks_the_section_of_a_detail_page(client, db):
    org = OrganisationFactory(slug="x")
    nav = client.get(org.get_absolute_url()).context["nav_items"]
    assert [item["label"] for item in nav if item["active"]] == ["Organisations"]


def test_navigation_marks_only_the_section_a_page_belongs_to(client, db):
    person = PersonFactory(slug="p")
    nav = client.get(reverse("expertise:person", args=[person.slug])).context["nav_items"]
    assert [item["label"] for item in nav if item["active"]] == ["Find expertise"]
