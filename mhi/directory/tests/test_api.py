import pytest

from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory


@pytest.fixture
def loaded(db):
    from mhi.directory.reference import reference_load

    reference_load()


def test_organisations_are_paged_with_a_count(client, loaded):
    body = client.get("/api/v1/organisations", {"limit": 10, "offset": 0}).json()
    assert body["count"] == 155
    assert len(body["items"]) == 10


def test_organisations_filter_by_kind_and_icb(client, loaded):
    body = client.get("/api/v1/organisations", {"kind": "nhs_trust", "icb": "qhl"}).json()
    assert body["count"] == 5
    assert {item["icb"]["slug"] for item in body["items"]} == {"nhs-birmingham-and-solihull-integrated-care-board"}


def test_partners_only_lists_the_seven_universities(client, loaded):
    body = client.get("/api/v1/organisations", {"partners_only": "true", "limit": 100}).json()
    assert sorted(item["short_name"] for item in body["items"]) == [
        "Aston",
        "Birmingham",
        "Keele",
        "Leicester",
        "Loughborough",
        "Nottingham",
        "Warwick",
    ]
    assert all(item["is_partner"] for item in body["items"])


def test_organisation_detail_has_identifiers_and_relations(client, loaded):
    body = client.get("/api/v1/organisations/nihr-leicester-biomedical-research-centre").json()
    assert body["infrastructure_type"] == "brc"
    assert [r["organisation"]["name"] for r in body["hosted_by"]] == ["University Hospitals of Leicester NHS Trust"]
    assert "type 2 diabetes" in body["themes"]


def test_figures(client, loaded):
    assert client.get("/api/v1/figures").json() == {
        "partner_universities": 7,
        "nhs_trusts": 40,
        "icbs": 11,
        "population_served": 10830400,
        "research_infrastructure": 23,
        "local_authorities": 65,
    }


def test_partnership_lists_leads_and_the_chair(client, loaded):
    body = client.get("/api/v1/partnership").json()
    assert {(m["organisation"]["name"], m["lead_name"], m["is_chair"]) for m in body if m["is_chair"]} == {
        ("Loughborough University", "Prof Mark Lewis", True)
    }
    assert len(body) == 7


def test_a_bad_filter_value_is_a_422_naming_the_field(client, db):
    response = client.get("/api/v1/organisations", {"kind": "castle"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (422, "validation_error")
    assert list(error["fields"]) == ["kind"]
    assert error["message"] == "Some values are not valid: kind."


def test_an_unknown_slug_is_a_json_404(client, db):
    response = client.get("/api/v1/organisations/nowhere")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "No organisation “nowhere”.", "fields": {}}
    }


def test_an_unknown_api_path_is_a_json_404(client, db):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unexpected_error_is_a_json_500_not_html(client, db, monkeypatch):
    from mhi.directory import selectors

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(selectors, "headline_figures", broken)
    response = client.get("/api/v1/figures")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert "fire" not in response.content.decode()


def test_malformed_json_body_is_a_json_error(client, world):
    response = client.post(
        "/api/v1/tokens",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['researcher']}"},
    )
    assert response.status_code in (400, 422)
    assert set(response.json()["error"]) == {"status", "code", "message", "fields"}


def test_people_hide_private_profiles_and_emails_from_anonymous(client, db):
    org = OrganisationFactory(slug="uni")
    AffiliationFactory(organisation=org, person=PersonFactory(slug="open", email="open@example.org"))
    AffiliationFactory(organisation=org, person=PersonFactory(slug="closed", public_profile_consent=False))
    body = client.get("/api/v1/people").json()
    assert [(p["slug"], p["email"]) for p in body["items"]] == [("open", None)]
    assert body["items"][0]["affiliations"][0]["organisation"]["slug"] == "uni"


def test_signed_in_users_see_emails_of_visible_people(client, world):
    headers = {"Authorization": f"Bearer {world.tokens['leicester_lead']}"}
    body = client.get("/api/v1/people/public-person", headers=headers).json()
    assert body["email"] == "public-person@example.org"


def test_people_list_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries):
    org = OrganisationFactory()
    for _ in range(30):
        AffiliationFactory(organisation=org)
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/people", {"limit": 30}).json()["count"] == 30


def test_openapi_schema_and_docs_are_served(client, db):
    schema = client.get("/api/openapi.json").json()
    assert schema["info"]["title"] == "MHI Hub API"
    assert "/api/v1/organisations" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


def test_a_method_the_path_does_not_allow_is_a_json_405(client, db):
    response = client.delete("/api/v1/organisations")
    assert response.status_code == 405
    assert response.json() == {
        "error": {"status": 405, "code": "method_not_allowed", "message": "DELETE is not allowed here.", "fields": {}}
    }
    assert response["Allow"] == "GET"


def test_anonymous_post_without_a_session_is_401_not_a_csrf_failure(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_a_session_post_without_the_csrf_token_is_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["researcher"])
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "forbidden",
        "message": "CSRF check Failed",
        "fields": {},
    }
