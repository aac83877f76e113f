import csv
import io

from django.urls import reverse


def test_find_page_without_a_query_invites_one(client, db):
    response = client.get(reverse("expertise:find"))
    assert response.status_code == 200
    assert "Describe what you need" in response.content.decode()


def test_find_page_ranks_people_and_explains(client, indexed):
    response = client.get(reverse("expertise:find"), {"q": "asthma inhalers"})
    ranking = response.context["ranking"]
    assert [r.person.slug for r in ranking.results] == ["chest", "bones"]
    body = response.content.decode()
    assert "Inhaled corticosteroids and exacerbations in adults with asthma" in body
    assert "Shared terms: asthma" in body


def test_empty_query_gets_a_helpful_message(client, indexed):
    response = client.get(reverse("expertise:find"), {"q": "  "})
    assert response.context["form"].errors["q"] == [
        "Describe the expertise you are looking for: a few words, an abstract or a call's text."
    ]


def test_htmx_gets_the_results_fragment(client, indexed):
    response = client.get(reverse("expertise:find"), {"q": "knee"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert body.strip().startswith('<div id="results"')


def test_results_download_as_csv(client, indexed):
    response = client.get(reverse("expertise:export"), {"q": "hip fracture"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["rank", "name", "organisations", "score", "best matching work", "similarity", "shared terms"]
    assert rows[1][4] == "Cemented versus uncemented hemiarthroplasty for hip fracture"
    assert len(rows) == 3


def test_api_ranks_people_for_a_text(client, indexed):
    body = client.get("/api/v1/expertise/people", {"q": "COPD pulmonary rehabilitation", "limit": 1}).json()
    assert body["count"] == 2
    assert [item["person"] for item in body["items"]] == ["chest"]
    assert body["items"][0]["works"][0]["title"] == "Pulmonary rehabilitation after hospital admission for COPD"


def test_api_refuses_an_empty_query_in_the_one_error_format(client, indexed):
    response = client.get("/api/v1/expertise/people", {"q": " "})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "q": ["Describe the expertise you are looking for: a few words, an abstract or a call's text."]
    }


def test_api_with_unicode_query(client, indexed):
    response = client.get("/api/v1/expertise/people", {"q": "asthme – corticoïdes inhalés 喘息"})
    assert response.status_code == 200


def test_person_expertise_page_lists_works_topics_coauthors_and_similar_people(client, people, embedder):
    from mhi.directory.tests.factories import AffiliationFactory, OrganisationFactory, PersonFactory
    from mhi.expertise import index as semantic_index
    from mhi.expertise.models import Authorship, Work

    chest = people["chest"]
    colleague = AffiliationFactory(
        organisation=chest.affiliations.get().organisation, person=PersonFactory(slug="colleague")
    ).person
    stranger = AffiliationFactory(
        organisation=OrganisationFactory(slug="far"), person=PersonFactory(slug="stranger")
    ).person
    shared = Work.objects.create(
        title="Asthma control in children",
        abstract="Inhaled steroids and asthma control in school children.",
        year=2020,
        source="manual",
        topics=["Asthma"],
        mesh_terms=["Asthma", "Child"],
    )
    Authorship.objects.create(work=shared, position=1, raw_name="C", person=chest, match_status="matched")
    Authorship.objects.create(work=shared, position=2, raw_name="D", person=colleague, match_status="matched")
    other = Work.objects.create(
        title="Severe asthma biologics",
        abstract="Anti-IL5 antibodies for severe eosinophilic asthma in adults.",
        year=2021,
        source="manual",
    )
    Authorship.objects.create(work=other, position=1, raw_name="S", person=stranger, match_status="matched")
    semantic_index.works_index(embedder=embedder)

    response = client.get(reverse("expertise:person", args=["chest"]))
    expertise = response.context["expertise"]
    assert response.context["works"].paginator.count == 3
    assert expertise.topics == [("Asthma", 1)]  # "Child" is a MeSH check tag, not a topic
    assert [(c.person.slug, c.shared_works) for c in expertise.coauthors] == [("colleague", 1)]
    assert expertise.similar[0].person.slug in {"colleague", "stranger"}
    # Never co-authored and at another organisation: the stranger, who also works on asthma.
    assert expertise.potential_collaborators[0].person.slug == "stranger"
    assert "colleague" not in [c.person.slug for c in expertise.potential_collaborators]
    assert 'id="coauthor-data"' in response.content.decode()


def test_person_expertise_page_of_a_hidden_person_is_404_for_anonymous(client, people):
    people["chest"].public_profile_consent = False
    people["chest"].save()
    assert client.get(reverse("expertise:person", args=["chest"])).status_code == 404


def test_organisation_expertise_overview_counts_topics_people_and_years(client, people):
    org = people["chest"].affiliations.get().organisation
    response = client.get(reverse("expertise:organisation", args=[org.slug]))
    expertise = response.context["expertise"]
    assert expertise.works_total == 2
    assert [(p.slug, n) for p, n in expertise.people] == [("chest", 2)]
    assert [n for _, n in expertise.works_by_year] == [1, 1]


def test_person_expertise_page_lists_their_grants(client, people):
    from mhi.expertise.models import Grant, GrantParticipant

    grant = Grant.objects.create(funder="MRC", reference="MR/X1", title="Asthma in schools", value=250000)
    GrantParticipant.objects.create(grant=grant, role="pi", raw_name="C", person=people["chest"])
    response = client.get(reverse("expertise:person", args=["chest"]))
    assert [g.reference for g in response.context["grants"]] == ["MR/X1"]
    assert "MRC MR/X1, £250000" in response.content.decode()
