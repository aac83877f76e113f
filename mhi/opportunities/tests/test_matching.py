"""Matching: opportunities in the index, best-matched people, opportunities for a person or a saved search, the
threshold, and the pages and API operations that show them."""

import datetime
import json
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone

from mhi.expertise.index import DOCUMENT_SOURCES, kind_matrix
from mhi.expertise.lexical_search import lexical_search
from mhi.expertise.models import LexicalDocument
from mhi.opportunities import matching, services
from mhi.opportunities.models import Opportunity, OpportunityFeed, SavedSearch
from mhi.opportunities.tests.factories import OpportunityFactory

DATA = Path(__file__).parent / "data"
DEMO_WORKS = Path(__file__).resolve().parents[3] / "data" / "demo" / "works.jsonl"
NOW = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)


def _titles(matches) -> list[str]:
    return [m.opportunity.title for m in matches]


def _words(query: str) -> list[int]:
    return [hit.object_id for hit in lexical_search(kind="opportunity", query=query)]


# --- opportunities in the index --------------------------------------------------------------------------------


def test_opportunities_are_a_document_source_read_title_first(db):
    o = OpportunityFactory(
        title="Better care for adults with asthma",
        scheme="Research for Patient Benefit",
        funder_name="NIHR",
        themes=["asthma", "COPD"],
        summary="Reducing exacerbations.",
        full_text="The full call.",
    )
    assert list(DOCUMENT_SOURCES["opportunity"]()) == [
        (
            o.pk,
            "Better care for adults with asthma\nResearch for Patient Benefit\nNIHR\nThemes: asthma; COPD\n"
            "Reducing exacerbations.\nThe full call.",
        )
    ]


def test_an_opportunity_added_is_found_by_its_words_at_once_and_the_index_build_is_queued(
    world, django_capture_on_commit_callbacks
):
    data = {"title": "Asthma in schools", "funder_name": "NIHR", "summary": "Inhaler technique in children."}
    with django_capture_on_commit_callbacks() as callbacks:
        o = services.opportunity_create(actor=world.users["coordinator"], data=data)
    assert _words("inhaler") == [o.pk]
    assert matching._index_build_enqueue in callbacks


def test_the_queued_build_embeds_the_new_opportunity(world, embedder, django_capture_on_commit_callbacks):
    data = {"title": "Asthma in schools", "funder_name": "NIHR"}
    with django_capture_on_commit_callbacks(execute=True):
        o = services.opportunity_create(actor=world.users["coordinator"], data=data)
    assert kind_matrix("opportunity").object_ids.tolist() == [o.pk]


def test_a_change_rewrites_its_words_and_a_delete_removes_them(world):
    coordinator = world.users["coordinator"]
    o = services.opportunity_create(actor=coordinator, data={"title": "Asthma in schools", "funder_name": "NIHR"})
    services.opportunity_update(actor=coordinator, opportunity=o, data={"title": "Eczema in schools"})
    assert (_words("asthma"), _words("eczema")) == ([], [o.pk])
    services.opportunity_delete(actor=coordinator, opportunity=o)
    assert LexicalDocument.objects.filter(kind="opportunity").count() == 0


def test_a_csv_import_makes_what_it_added_findable_by_words(db):
    report = services.opportunities_import_csv(actor=None, path=DATA / "opportunities.csv", now=NOW)
    stored = set(LexicalDocument.objects.filter(kind="opportunity").values_list("object_id", flat=True))
    assert stored == {o.pk for o in report.created}
    assert len(stored) == len(report.created) > 0


def test_a_feed_fetch_makes_what_it_brought_findable_by_words(db):
    feed = OpportunityFeed.objects.create(name="Funder", url="https://funder.example.org/rss", funder_name="Funder")
    fetch = services.feed_fetch(feed=feed, now=NOW, download=lambda url: (DATA / "rss.xml").read_bytes())
    assert fetch.created == 2
    assert set(LexicalDocument.objects.filter(kind="opportunity").values_list("object_id", flat=True)) == set(
        Opportunity.objects.values_list("pk", flat=True)
    )


# --- best-matched people --------------------------------------------------------------------------------------


def test_the_people_best_matched_to_an_opportunity_come_with_why(indexed, calls, embedder):
    ranking = matching.people_for_opportunity(user=None, opportunity=calls["asthma"], embedder=embedder)
    assert [r.person.slug for r in ranking.results] == ["chest", "bones"]
    best = ranking.results[0]
    assert [m.work.title for m in best.works] == [
        "Inhaled corticosteroids and exacerbations in adults with asthma",
        "Pulmonary rehabilitation after hospital admission for COPD",
    ]
    # The shared terms are words of the call's text (which eight of the equally rare ones varies from run to run).
    call_words = set(matching.opportunity_match_text(calls["asthma"]).lower().replace(",", " ").split())
    assert len(best.shared_terms) == 8
    assert set(best.shared_terms) <= call_words


def test_only_people_the_user_may_see_are_matched(indexed, calls, embedder):
    indexed.chest.public_profile_consent = False
    indexed.chest.save()
    ranking = matching.people_for_opportunity(user=None, opportunity=calls["asthma"], embedder=embedder)
    assert [r.person.slug for r in ranking.results] == ["bones"]


# --- opportunities for a person --------------------------------------------------------------------------------


def test_a_persons_opportunities_are_the_live_ones_closest_to_their_works(indexed):
    result = matching.opportunities_for_person(user=indexed.chest.user, person=indexed.chest)
    # The closed asthma call is never offered, however well it matches.
    assert _titles(result.matches) == [
        "Better care for adults with asthma and COPD",
        "Recovery after hip fracture in older people",
        "Digital support for young people's mental health",
    ]
    assert [m.strong for m in result.matches] == [True, False, False]
    assert result.matches[0].similarity > matching.MATCH_THRESHOLD > result.matches[1].similarity
    assert result.matches[1].works[0].work.title == "Pulmonary rehabilitation after hospital admission for COPD"
    assert result.empty_reason == ""


def test_a_person_with_no_works_is_told_why_there_is_nothing(indexed, world):
    person = world.researcher_person
    result = matching.opportunities_for_person(user=world.users["researcher"], person=person)
    assert result.matches == []
    assert result.empty_reason == (
        "Daniel Mercer has no publications in MHI Hub yet, so there is nothing to match opportunities to. "
        "Publications are added by importing works (from OpenAlex, PubMed or a file) and claiming them; saved "
        "searches work without any."
    )


def test_a_user_with_no_person_is_told_why(indexed, world):
    result = matching.opportunities_for_user(user=world.users["coordinator"])
    assert (result.person, result.matches, result.empty_reason) == (None, [], matching.NOT_LINKED)


def test_no_live_opportunities_is_said_so(researchers, embedder):
    from mhi.expertise.index import index_all

    index_all(embedder=embedder)
    result = matching.opportunities_for_person(user=researchers.chest.user, person=researchers.chest)
    assert result.empty_reason == "There are no open or forthcoming opportunities at the moment."


def test_a_person_the_user_may_not_see_is_refused(indexed, world):
    from django.core.exceptions import PermissionDenied

    hidden = world.hidden_person
    with pytest.raises(PermissionDenied):
        matching.opportunities_for_person(user=world.users["researcher"], person=hidden)


# --- opportunities for a saved search ---------------------------------------------------------------------------


def _search(user, query, **fields) -> SavedSearch:
    return SavedSearch.objects.create(user=user, name=fields.pop("name", query), query=query, **fields)


def test_a_saved_search_finds_live_opportunities_by_meaning_and_words(indexed, embedder):
    matches = matching.opportunities_for_search(saved_search=_search(indexed.chest.user, "asthma"), embedder=embedder)
    assert _titles(matches)[0] == "Better care for adults with asthma and COPD"
    assert "Severe asthma in adults: biologic treatments" not in _titles(matches)  # closed
    assert matches[0].strong
    assert "<mark>asthma</mark>" in matches[0].snippet


def test_a_saved_search_keeps_to_its_kind(indexed, embedder):
    search = _search(indexed.chest.user, "asthma", kind="consultation")
    assert _titles(matching.opportunities_for_search(saved_search=search, embedder=embedder)) == [
        "Digital support for young people's mental health"
    ]


def test_a_saved_search_may_ask_for_those_added_since(indexed, calls, embedder):
    Opportunity.objects.exclude(pk=calls["hip"].pk).update(created_at=timezone.now() - datetime.timedelta(days=9))
    search = _search(indexed.chest.user, "asthma")
    since = timezone.now() - datetime.timedelta(days=1)
    assert _titles(matching.opportunities_for_search(saved_search=search, embedder=embedder, since=since)) == [
        "Recovery after hip fracture in older people"
    ]


def test_a_new_opportunity_is_found_by_its_words_before_it_is_embedded(indexed, world, embedder):
    new = services.opportunity_create(
        actor=world.users["coordinator"], data={"title": "Wheeze in preschool children", "funder_name": "NIHR"}
    )
    matches = matching.opportunities_for_search(saved_search=_search(indexed.chest.user, "wheeze"), embedder=embedder)
    found = next(m for m in matches if m.opportunity == new)
    assert (found.similarity, found.strong) == (None, False)


def test_a_weak_match_is_listed_but_not_strong(indexed, embedder):
    matches = matching.opportunities_for_search(
        saved_search=_search(indexed.bones.user, "knee replacement"), embedder=embedder
    )
    assert _titles(matches)[0] == "Recovery after hip fracture in older people"
    assert not matches[0].strong


# --- the threshold, on the demo data ------------------------------------------------------------------------


def test_the_threshold_separates_demo_people_from_calls_on_other_topics(embedder):
    """Three demo people (data/demo/works.jsonl) and three calls, one on each one's field: each person matches
    their call at MATCH_THRESHOLD or more and the other two below it (see matching's docstring for the figures)."""
    people = ["Amara Okafor", "Naomi Clarke", "Victor Osei"]
    texts = {p: [] for p in people}
    for line in DEMO_WORKS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["person"] in texts:
            texts[record["person"]].append(f"{record['title']}. {record['abstract']}")
    profiles = np.stack([embedder.encode(texts[p]).mean(axis=0) for p in people])
    profiles /= np.linalg.norm(profiles, axis=1, keepdims=True)
    calls = [
        Opportunity(
            title="Childhood visual impairment: amblyopia and strabismus treatment trials",
            scheme="Efficacy and Mechanism Evaluation",
            funder_name="NIHR",
            summary="Trials of occlusion, atropine penalisation and binocular therapies for amblyopia in children.",
        ),
        Opportunity(
            title="Early detection of liver cancer in chronic liver disease",
            scheme="Developmental Pathway Funding Scheme",
            funder_name="MRC",
            summary="Surveillance and early diagnosis of hepatocellular carcinoma in people with cirrhosis.",
        ),
        Opportunity(
            title="Improving acute stroke care and rehabilitation outcomes",
            scheme="Health and Social Care Delivery Research",
            funder_name="NIHR",
            summary="Thrombolysis pathways, rehabilitation and quality of life after stroke.",
        ),
    ]
    sims = profiles @ embedder.encode([matching.opportunity_match_text(c) for c in calls]).T
    assert ((sims >= matching.MATCH_THRESHOLD) == np.eye(3, dtype=bool)).all(), sims.round(3)


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_opportunity_page_loads_its_matched_people_lazily_with_a_link_behind(client, calls):
    body = client.get(calls["asthma"].get_absolute_url()).content.decode()
    people_url = reverse("opportunities:people", args=[calls["asthma"].pk])
    assert f'hx-get="{people_url}" hx-trigger="load"' in body
    assert f'<a class="govuk-link" href="{people_url}">See the people whose publications best match' in body


def test_the_matched_people_page_shows_why(client, indexed, calls):
    response = client.get(reverse("opportunities:people", args=[calls["asthma"].pk]))
    body = response.content.decode()
    assert [r.person.slug for r in response.context["ranking"].results] == ["chest", "bones"]
    assert "<h1" in body
    assert "Inhaled corticosteroids and exacerbations in adults with asthma (2022) — similarity" in body
    assert "Shared terms: " in body


def test_htmx_gets_only_the_matched_people(client, indexed, calls):
    response = client.get(reverse("opportunities:people", args=[calls["asthma"].pk]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.strip().startswith('<div id="matched-people">')
    assert "<html" not in body
    assert "Chris Chest" in body


def test_with_nobody_indexed_the_matched_people_say_so(client, calls):
    body = client.get(reverse("opportunities:people", args=[calls["asthma"].pk])).content.decode()
    assert "Nobody with a public profile has indexed publications yet" in body


def test_opportunities_for_you_shows_the_users_matches(client, indexed):
    client.force_login(indexed.chest.user)
    response = client.get(reverse("opportunities:for_you"))
    body = response.content.decode()
    assert _titles(response.context["result"].matches)[0] == "Better care for adults with asthma and COPD"
    assert '<strong class="govuk-tag govuk-tag--green govuk-!-margin-left-1">Strong match</strong>' in body
    assert body.count("Strong match</strong>") == 1
    first = response.context["result"].matches[0]
    best = first.works[0]
    assert f"Closest of your works: “{best.work.title}” ({best.similarity:.3f});" in body


def test_opportunities_for_you_explains_an_account_with_no_person(client, world):
    client.force_login(world.users["aston_admin"])
    body = client.get(reverse("opportunities:for_you")).content.decode()
    assert "Your account is not linked to a person in the directory" in body


def test_opportunities_for_you_needs_signing_in(client, db):
    response = client.get(reverse("opportunities:for_you"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- saved search pages -------------------------------------------------------------------------------------


def test_a_saved_search_is_made_and_shows_its_matches(client, indexed):
    client.force_login(indexed.chest.user)
    response = client.post(
        reverse("opportunities:search_create"),
        {"name": "Asthma", "query": "severe asthma in adults", "kind": "", "in_digest": "on"},
    )
    search = SavedSearch.objects.get()
    assert (search.user, search.name, search.query, search.kind, search.in_digest) == (
        indexed.chest.user,
        "Asthma",
        "severe asthma in adults",
        "",
        True,
    )
    assert response["Location"] == reverse("opportunities:search", args=[search.pk])
    page = client.get(response["Location"])
    assert _titles(page.context["matches"])[0] == "Better care for adults with asthma and COPD"
    listing = client.get(reverse("opportunities:searches"))
    assert [(e.saved_search.name, _titles(e.matches)[0]) for e in listing.context["results"]] == [
        ("Asthma", "Better care for adults with asthma and COPD")
    ]


def test_a_saved_search_name_is_unique_for_its_owner(client, researchers):
    _search(researchers.chest.user, "asthma", name="Asthma")
    client.force_login(researchers.chest.user)
    response = client.post(reverse("opportunities:search_create"), {"name": "asthma", "query": "COPD"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["You already have a saved search called “asthma”."]
    assert SavedSearch.objects.count() == 1


def test_a_saved_search_is_changed_and_deleted_by_its_owner(client, researchers):
    search = _search(researchers.chest.user, "asthma", name="Asthma")
    client.force_login(researchers.chest.user)
    client.post(reverse("opportunities:search", args=[search.pk]), {"name": "COPD", "query": "COPD", "kind": ""})
    search.refresh_from_db()
    assert (search.name, search.query, search.in_digest) == ("COPD", "COPD", False)
    assert client.get(reverse("opportunities:search_delete", args=[search.pk])).status_code == 200
    response = client.post(reverse("opportunities:search_delete", args=[search.pk]))
    assert response["Location"] == reverse("opportunities:searches")
    assert SavedSearch.objects.count() == 0


def test_someone_elses_saved_search_does_not_exist_for_you(client, researchers):
    search = _search(researchers.chest.user, "asthma")
    client.force_login(researchers.bones.user)
    assert client.get(reverse("opportunities:search", args=[search.pk])).status_code == 404
    assert client.post(reverse("opportunities:search_delete", args=[search.pk])).status_code == 404
    assert SavedSearch.objects.count() == 1


def test_saved_searches_are_limited(researchers):
    from mhi.core.errors import DomainError

    user = researchers.chest.user
    for n in range(matching.MAX_SAVED_SEARCHES):
        _search(user, f"topic {n}")
    with pytest.raises(DomainError) as refused:
        matching.saved_search_create(user=user, data={"name": "One more", "query": "asthma"})
    assert refused.value.message == ("You have 20 saved searches, the most there may be; delete one to add another.")


# --- API ----------------------------------------------------------------------------------------------------


def test_api_matched_people_for_an_opportunity(client, indexed, calls):
    body = client.get(f"/api/v1/opportunities/{calls['asthma'].pk}/people").json()
    assert (body["opportunity"], body["count"], body["truncated"]) == (calls["asthma"].pk, 2, False)
    assert [(i["person"], i["organisations"]) for i in body["items"]] == [
        ("chest", ["midlands-trust"]),
        ("bones", ["midlands-uni"]),
    ]
    assert body["items"][0]["works"][0]["title"] == "Inhaled corticosteroids and exacerbations in adults with asthma"


def test_api_opportunities_for_me(client, indexed):
    client.force_login(indexed.bones.user)
    body = client.get("/api/v1/me/opportunities").json()
    assert (body["person"], body["threshold"], body["empty_reason"]) == ("bones", 0.4, "")
    assert [(i["opportunity"]["title"], i["strong"]) for i in body["items"]] == [
        ("Recovery after hip fracture in older people", True),
        ("Better care for adults with asthma and COPD", False),
        ("Digital support for young people's mental health", False),
    ]
    assert body["items"][0]["works"][0]["title"] == "Cemented versus uncemented hemiarthroplasty for hip fracture"
    assert body["items"][0]["opportunity"]["status"] == "closing_soon"


def test_api_saved_searches_are_made_read_changed_and_deleted_by_their_owner(client, indexed):
    client.force_login(indexed.chest.user)
    made = client.post("/api/v1/saved-searches", {"name": "Asthma", "query": "asthma"}, content_type="application/json")
    assert made.status_code == 201
    search_id = made.json()["id"]
    assert made.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "name": "Asthma",
        "query": "asthma",
        "kind": "",
        "in_digest": True,
        "created_at": "",
    }
    detail = client.get(f"/api/v1/saved-searches/{search_id}").json()
    assert detail["matches"][0]["opportunity"]["title"] == "Better care for adults with asthma and COPD"
    changed = client.patch(
        f"/api/v1/saved-searches/{search_id}", {"kind": "consultation"}, content_type="application/json"
    )
    assert (changed.json()["name"], changed.json()["kind"]) == ("Asthma", "consultation")
    assert [s["name"] for s in client.get("/api/v1/saved-searches").json()] == ["Asthma"]
    assert client.delete(f"/api/v1/saved-searches/{search_id}").status_code == 200
    assert SavedSearch.objects.count() == 0


def test_api_a_saved_search_without_words_is_refused_naming_the_field(client, researchers):
    client.force_login(researchers.chest.user)
    response = client.post("/api/v1/saved-searches", {"name": "Empty", "query": " "}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "query": ["Say what you are looking for: a few words or a paragraph."]
    }


def test_api_someone_elses_saved_search_is_not_found(client, researchers):
    search = _search(researchers.chest.user, "asthma")
    client.force_login(researchers.bones.user)
    assert client.get(f"/api/v1/saved-searches/{search.pk}").status_code == 404
    assert client.delete(f"/api/v1/saved-searches/{search.pk}").status_code == 404
    assert client.get("/api/v1/saved-searches").json() == []
