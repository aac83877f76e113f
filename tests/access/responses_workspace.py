"""Access rules for the responses workspace pages and API operations (merged into tests/test_permissions.py).

The scenario: a draft joint response to a consultation, coordinated by the coordinator persona, with Aston and
Leicester expected to sign and one question (unanswered, so it may be deleted).

- Its viewers: coordinators (who manage every response), and the contributors of its signatory institutions:
  Aston's institution admin and Leicester's institution lead (200). They may not change it (403).
- For everyone else (the researcher at Nottingham, the NHS R&D user, the industry partner) the draft does not
  exist (404); anonymous users are sent to sign in (pages) or get 401 (API).
- "#nottingham": the same response with Nottingham among the signatories: now the researcher sees it too.
- Starting a response is for coordinators (others 403); everyone signed in has a list (theirs, maybe empty).
"""

from tests.access.common import COORDINATOR_ONLY, SIGNED_IN_200, only

VIEWERS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 200}, default=404, anonymous=302)
MANAGERS = only({"coordinator": 200, "aston_admin": 403, "leicester_lead": 403}, default=404, anonymous=302)

API_SIGNED_IN = only({}, default=200, anonymous=401)
API_VIEWERS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 200}, default=404, anonymous=401)
API_MANAGERS = only({"coordinator": 200, "aston_admin": 403, "leicester_lead": 403}, default=404, anonymous=401)
API_MANAGERS_201 = {**API_MANAGERS, "coordinator": 201}


def _response(w, *, signatories=("aston", "leicester")):
    from mhi.opportunities.models import Opportunity
    from mhi.responses.tests.factories import QuestionFactory, ResponseFactory, SignatoryFactory

    opportunity = Opportunity.objects.create(
        kind="consultation",
        title="Consultation on clinical research delivery",
        funder_name="Department of Health and Social Care",
    )
    response = ResponseFactory(
        title="MHI response on clinical research delivery", opportunity=opportunity, coordinator=w.users["coordinator"]
    )
    for slug in signatories:
        SignatoryFactory(response=response, organisation=getattr(w, slug))
    QuestionFactory(response=response, number=1, text="How can study set-up be made faster?", word_limit=300)
    return response


def _pk(w):
    return {"pk": _response(w).pk}


def _nottingham_pk(w):
    return {"pk": _response(w, signatories=("aston", "nottingham")).pk}


def _response_id(w):
    return {"response_id": _response(w).pk}


def _question_id(w):
    return {"question_id": _response(w).questions.get().pk}


PAGES = {
    "responses:list": ("get", lambda w: _response(w) and {}, SIGNED_IN_200),
    "responses:create": ("get", lambda w: {}, COORDINATOR_ONLY),
    "responses:detail": ("get", _pk, VIEWERS),
    "responses:detail#nottingham": ("get", _nottingham_pk, {**VIEWERS, "researcher": 200, "leicester_lead": 404}),
    "responses:edit": ("get", _pk, MANAGERS),
    "responses:questions": ("get", _pk, MANAGERS),
}

API_OPERATIONS = {
    ("GET", "/api/v1/responses"): (lambda w: _response(w) and {}, None, API_SIGNED_IN),
    ("POST", "/api/v1/responses"): (
        lambda w: {},
        {"title": "MHI position on the research workforce", "kind": "position", "signatories": ["aston"]},
        only({"coordinator": 201}, default=403, anonymous=401),
    ),
    ("GET", "/api/v1/responses/{response_id}"): (_response_id, None, API_VIEWERS),
    ("PUT", "/api/v1/responses/{response_id}"): (
        _response_id,
        {"title": "MHI response on faster clinical research"},
        API_MANAGERS,
    ),
    ("GET", "/api/v1/responses/{response_id}/questions"): (_response_id, None, API_VIEWERS),
    ("POST", "/api/v1/responses/{response_id}/questions"): (
        _response_id,
        {"text": "What should the research workforce look like in 2030?", "word_limit": 250},
        API_MANAGERS_201,
    ),
    ("POST", "/api/v1/responses/{response_id}/questions/import"): (
        _response_id,
        {"file": ("questions.csv", b"question,word_limit\nHow should trusts share research capacity?,200\n")},
        API_MANAGERS_201,
    ),
    ("PUT", "/api/v1/response-questions/{question_id}"): (_question_id, {"word_limit": 400}, API_MANAGERS),
    ("DELETE", "/api/v1/response-questions/{question_id}"): (_question_id, None, API_MANAGERS),
}
