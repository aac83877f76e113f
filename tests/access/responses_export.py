"""Access rules for exports and the library of past positions (merged into tests/test_permissions.py).

The scenario: the coordinator runs a draft response with Leicester as its signatory, so the Leicester lead is a
partner contributor who sees the draft (and may export it) but edits no answer (owns no question). A draft does
not exist for anyone else — including the anonymous public (404, not a sign-in page: a published response's
exports are public, so the address itself is not private). "#published": a published response exports for all.
The library is for everyone signed in; reusing a past answer needs the right to edit the question (the
coordinator); the Leicester lead sees the question but may not change it (403).
"""

from django.utils import timezone

from tests.access.common import SIGNED_IN_200, only

DRAFT_SEEN = only({"coordinator": 200, "leicester_lead": 200}, default=404, anonymous=404)
API_DRAFT_SEEN = only({"coordinator": 200, "leicester_lead": 200}, default=404, anonymous=404)
REUSE = only({"coordinator": 302, "leicester_lead": 403}, default=404, anonymous=302)
API_REUSE = only({"coordinator": 201, "leicester_lead": 403}, default=404, anonymous=401)


def _draft(w):
    from mhi.responses.tests.factories import AnswerVersionFactory, QuestionFactory, ResponseFactory, SignatoryFactory

    response = ResponseFactory(title="Draft response", coordinator=w.users["coordinator"])
    SignatoryFactory(response=response, organisation=w.leicester)
    question = QuestionFactory(response=response, number=1, text="What matters most?")
    AnswerVersionFactory(question=question, text="Patients first.", author=w.users["coordinator"])
    question.refresh_from_db()
    return question


def _published(w):
    from mhi.responses.tests.factories import AnswerVersionFactory, QuestionFactory, ResponseFactory

    response = ResponseFactory(title="Published position", coordinator=w.users["coordinator"])
    question = QuestionFactory(response=response, number=1, text="How can trials recruit faster?")
    version = AnswerVersionFactory(question=question, text="Through the regional network.")
    response.refresh_from_db()
    response.status = "published"
    response.locked_at = response.published_at = timezone.now()
    response.save()
    return version


def _reuse(w):
    question = _draft(w)
    return {"pk": question.pk, "version_id": _published(w).pk}


PAGES = {
    "responses:export_docx": ("head", lambda w: {"pk": _draft(w).response_id}, DRAFT_SEEN),
    "responses:export_pdf": ("head", lambda w: {"pk": _draft(w).response_id}, DRAFT_SEEN),
    "responses:export_pdf#published": (
        "head",
        lambda w: {"pk": _published(w).question.response_id},
        only({}, default=200, anonymous=200),
    ),
    "responses:answer_text": ("head", lambda w: {"pk": _draft(w).pk, "fmt": "md"}, DRAFT_SEEN),
    "responses:library": ("get", lambda w: _published(w) and {}, SIGNED_IN_200),
    # An empty POST: base_version is missing, so the save is refused as a conflict and the user sent back.
    "responses:reuse": ("post", _reuse, REUSE),
}

API_OPERATIONS = {
    ("GET", "/api/v1/responses/{response_id}/export"): (
        lambda w: {"response_id": _draft(w).response_id},
        None,
        API_DRAFT_SEEN,
    ),
    ("GET", "/api/v1/response-questions/{question_id}/answer"): (
        lambda w: {"question_id": _draft(w).pk},
        None,
        API_DRAFT_SEEN,
    ),
    ("GET", "/api/v1/responses/library"): (
        lambda w: _published(w) and {},
        None,
        only({}, default=200, anonymous=401),
    ),
    # The draft's question has one saved answer, so base_version 1 is the one the caller read.
    ("POST", "/api/v1/response-questions/{question_id}/reuse/{version_id}"): (
        lambda w: (lambda kw: {"question_id": kw["pk"], "version_id": kw["version_id"]})(_reuse(w)),
        {"base_version": 1},
        API_REUSE,
    ),
}
