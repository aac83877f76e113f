"""Access rules for the responses sign-off pages and API operations (merged into tests/test_permissions.py).

The scenario: a joint response coordinated by the coordinator persona, with Aston and Leicester expected to sign
and two answered questions (revision 2), built in the state each rule needs: drafting, in sign-off (marked final
at r2), locked (both approved r2) or published.

- Its viewers: coordinators, Aston's institution admin and Leicester's institution lead (a contributor of a
  signatory) see the sign-off page and the trail (200); for everyone else the response does not exist (404);
  anonymous users are sent to sign in (pages) or get 401 (API).
- Managing (mark final, reopen, publish, unpublish, unlock) is the coordinator's (302 back to the sign-off page
  with a message; the API 200); the other viewers get 403.
- Deciding is for Leicester's lead, the institution lead of a signatory (an empty POST shows the form's errors:
  200; the API approves r2: 201); the other viewers may not decide (403).
- Published responses are public: the list and a published response's page for everyone (200), anonymous
  included. "#draft": a locked response not published is 404 for everyone (checked with HEAD, so the axe-core
  page test, which opens only GET rules that someone may see, leaves it out).
"""

from tests.access.common import ALL_200, only

VIEWERS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 200}, default=404, anonymous=302)
MANAGER_POST = only({"coordinator": 302, "aston_admin": 403, "leicester_lead": 403}, default=404, anonymous=302)
LEAD_POST = only({"coordinator": 403, "aston_admin": 403, "leicester_lead": 200}, default=404, anonymous=302)

API_VIEWERS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 200}, default=404, anonymous=401)
API_MANAGERS = only({"coordinator": 200, "aston_admin": 403, "leicester_lead": 403}, default=404, anonymous=401)
API_LEAD_201 = only({"coordinator": 403, "aston_admin": 403, "leicester_lead": 201}, default=404, anonymous=401)
# The revision the response is marked final at: two answers saved.
REVISION = 2


def _response(w, state="drafting"):
    from django.utils import timezone

    from mhi.opportunities.models import Opportunity
    from mhi.responses.models import Question
    from mhi.responses.tests.factories import (
        AnswerVersionFactory,
        ApprovalFactory,
        QuestionFactory,
        ResponseFactory,
        SignatoryFactory,
    )

    opportunity = Opportunity.objects.create(
        kind="consultation", title="Life sciences sector plan", funder_name="Department for Business and Trade"
    )
    response = ResponseFactory(
        title="MHI response to the life sciences sector plan",
        opportunity=opportunity,
        coordinator=w.users["coordinator"],
    )
    for organisation in (w.aston, w.leicester):
        SignatoryFactory(response=response, organisation=organisation)
    for number, text in ((1, "What should the plan prioritise?"), (2, "How can trials recruit faster?")):
        question = QuestionFactory(response=response, number=number, text=text, word_limit=250)
        AnswerVersionFactory(
            question=Question.objects.select_related("response").get(pk=question.pk),
            text=f"The Midlands partnership's answer to question {number}.",
        )
    response.refresh_from_db()
    if state == "drafting":
        return response
    response.status, response.final_revision = "sign_off", response.revision
    if state in ("locked", "published"):
        for organisation, lead in ((w.aston, None), (w.leicester, w.users["leicester_lead"])):
            ApprovalFactory(response=response, organisation=organisation, revision=response.revision, decided_by=lead)
        response.status, response.locked_at = "locked", timezone.now()
    if state == "published":
        response.status, response.published_at = "published", timezone.now()
    response.save()
    return response


def _pk(state):
    return lambda w: {"pk": _response(w, state).pk}


def _response_id(state):
    return lambda w: {"response_id": _response(w, state).pk}


PAGES = {
    "responses:signoff": ("get", _pk("sign_off"), VIEWERS),
    "responses:signoff#locked": ("get", _pk("locked"), VIEWERS),
    "responses:signoff#decide": ("post", _pk("sign_off"), LEAD_POST),
    "responses:trail": ("get", _pk("sign_off"), VIEWERS),
    "responses:mark_final": ("post", _pk("drafting"), MANAGER_POST),
    "responses:reopen": ("post", _pk("sign_off"), MANAGER_POST),
    "responses:publish": ("post", _pk("locked"), MANAGER_POST),
    "responses:unpublish": ("post", _pk("published"), MANAGER_POST),
    # An empty reason: the coordinator is sent back with the reason it is refused.
    "responses:unlock": ("post", _pk("locked"), MANAGER_POST),
    "responses:published": ("get", lambda w: _response(w, "published") and {}, ALL_200),
    "responses:public": ("get", _pk("published"), ALL_200),
    "responses:public#draft": ("head", _pk("locked"), only({}, default=404, anonymous=404)),
}

API_OPERATIONS = {
    ("GET", "/api/v1/responses/{response_id}/signoff"): (_response_id("sign_off"), None, API_VIEWERS),
    ("GET", "/api/v1/responses/{response_id}/trail"): (_response_id("sign_off"), None, API_VIEWERS),
    ("POST", "/api/v1/responses/{response_id}/final"): (_response_id("drafting"), None, API_MANAGERS),
    ("POST", "/api/v1/responses/{response_id}/decisions"): (
        _response_id("sign_off"),
        {"organisation": "leicester", "decision": "approved", "comment": "", "revision": REVISION},
        API_LEAD_201,
    ),
    ("POST", "/api/v1/responses/{response_id}/reopen"): (_response_id("sign_off"), None, API_MANAGERS),
    ("POST", "/api/v1/responses/{response_id}/publish"): (_response_id("locked"), None, API_MANAGERS),
    ("POST", "/api/v1/responses/{response_id}/unpublish"): (_response_id("published"), None, API_MANAGERS),
    ("POST", "/api/v1/responses/{response_id}/unlock"): (
        _response_id("locked"),
        {"reason": "The consultation added a question"},
        API_MANAGERS,
    ),
    ("GET", "/api/v1/responses/published"): (lambda w: _response(w, "published") and {}, None, ALL_200),
    ("GET", "/api/v1/responses/published/{response_id}"): (_response_id("published"), None, ALL_200),
}
