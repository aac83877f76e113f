"""Access rules for the responses drafting pages and API operations (merged into tests/test_permissions.py).

The scenario: a draft joint response coordinated by someone who is not a persona (so the coordinator persona
manages it as an MHI coordinator), with Aston and Leicester expected to sign and one question, owned by nobody,
whose consolidated answer has two versions; an Aston colleague (not a persona) contributed evidence for Aston.

- Viewers of the draft: the coordinator, Aston's institution admin and Leicester's institution lead (200). For
  everyone else (the researcher at Nottingham, the NHS R&D user, the industry partner) it does not exist (404);
  anonymous users are sent to sign in (pages) or get 401 (API).
- The consolidated answer is saved by the question's owner and the managers: the coordinator (200); the partners
  see it read-only and get 403 from a save.
- Contributions: a partner adds for their own institution (Aston's admin for Aston: 201; Leicester's lead for
  Aston: 403); the coordinator for any signatory. A contribution is edited by its author, its institution's
  contributors and managers (the coordinator and Aston's admin: 200; Leicester's lead: 403).
- Comments: every viewer (201).
- "#owner": the question is owned by the researcher, whose institution is not a signatory: owning it lets them see
  the draft (200).
- "#locked": every partner signed off: pages are read-only for the viewers, and editing a contribution is refused
  (403) even to those who could before.
"""

from tests.access.common import only

VIEWERS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 200}, default=404, anonymous=302)
CONTRIBUTION_EDITORS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 403}, default=404, anonymous=302)
NOBODY_EDITS = only({"coordinator": 403, "aston_admin": 403, "leicester_lead": 403}, default=404, anonymous=302)

API_VIEWERS = only({"coordinator": 200, "aston_admin": 200, "leicester_lead": 200}, default=404, anonymous=401)
API_VIEWERS_201 = only({"coordinator": 201, "aston_admin": 201, "leicester_lead": 201}, default=404, anonymous=401)
API_ANSWER_EDITORS = only({"coordinator": 200, "aston_admin": 403, "leicester_lead": 403}, default=404, anonymous=401)
API_ASTON_CONTRIBUTORS_201 = only(
    {"coordinator": 201, "aston_admin": 201, "leicester_lead": 403}, default=404, anonymous=401
)
API_CONTRIBUTION_EDITORS = only(
    {"coordinator": 200, "aston_admin": 200, "leicester_lead": 403}, default=404, anonymous=401
)


def _question(w, *, owner=None, locked=False):
    from mhi.accounts.tests.factories import MembershipFactory, UserFactory
    from mhi.responses.models import Response
    from mhi.responses.tests.factories import (
        AnswerVersionFactory,
        ContributionFactory,
        QuestionFactory,
        ResponseFactory,
        SignatoryFactory,
    )

    coordinator = UserFactory(email="coordinates@mhi.example.org")
    response = ResponseFactory(title="MHI response on the research workforce", coordinator=coordinator)
    SignatoryFactory(response=response, organisation=w.aston)
    SignatoryFactory(response=response, organisation=w.leicester)
    question = QuestionFactory(
        response=response, number=1, text="How should the region grow its research workforce?", word_limit=250
    )
    if owner:
        question.owner = w.users[owner]
        question.save()
    AnswerVersionFactory(question=question, text="Fund research fellowships.", author=coordinator)
    AnswerVersionFactory(question=question, text="Fund research fellowships across the region.", author=coordinator)
    colleague = UserFactory(email="colleague@aston.example.org")
    MembershipFactory(user=colleague, organisation=w.aston, role="researcher")
    contribution = ContributionFactory(question=question, organisation=w.aston, author=colleague, text="Our data.")
    if locked:
        Response.objects.filter(pk=response.pk).update(status="locked", locked_at="2026-01-05T12:00:00Z")
    question.refresh_from_db()
    return question, contribution


def _pk(w):
    return {"pk": _question(w)[0].pk}


def _owned_pk(w):
    return {"pk": _question(w, owner="researcher")[0].pk}


def _locked_pk(w):
    return {"pk": _question(w, locked=True)[0].pk}


def _contribution_pk(w):
    return {"pk": _question(w)[1].pk}


def _locked_contribution_pk(w):
    return {"pk": _question(w, locked=True)[1].pk}


def _question_id(w):
    return {"question_id": _question(w)[0].pk}


def _contribution_id(w):
    return {"contribution_id": _question(w)[1].pk}


PAGES = {
    "responses:question": ("get", _pk, VIEWERS),
    "responses:question#owner": ("get", _owned_pk, {**VIEWERS, "researcher": 200}),
    "responses:question#locked": ("get", _locked_pk, VIEWERS),
    "responses:answer_diff": ("get", _pk, VIEWERS),
    "responses:contribution_edit": ("get", _contribution_pk, CONTRIBUTION_EDITORS),
    # HEAD (the same view): nobody may open it, so the axe-core page test (GET rules) leaves it out.
    "responses:contribution_edit#locked": ("head", _locked_contribution_pk, NOBODY_EDITS),
    "responses:contribution_diff": ("get", _contribution_pk, VIEWERS),
}

API_OPERATIONS = {
    ("GET", "/api/v1/response-questions/{question_id}"): (_question_id, None, API_VIEWERS),
    ("PUT", "/api/v1/response-questions/{question_id}/answer"): (
        _question_id,
        {"text": "Fund fellowships and technicians across the region.", "base_version": 2},
        API_ANSWER_EDITORS,
    ),
    ("GET", "/api/v1/response-questions/{question_id}/versions/{number}"): (
        lambda w: {**_question_id(w), "number": 1},
        None,
        API_VIEWERS,
    ),
    ("GET", "/api/v1/response-questions/{question_id}/diff"): (_question_id, None, API_VIEWERS),
    ("POST", "/api/v1/response-questions/{question_id}/contributions"): (
        _question_id,
        {"organisation": "aston", "kind": "evidence", "text": "Aston trained 40 research nurses in 2025."},
        API_ASTON_CONTRIBUTORS_201,
    ),
    ("PUT", "/api/v1/response-contributions/{contribution_id}"): (
        _contribution_id,
        {"text": "Our data, updated.", "base_version": 1},
        API_CONTRIBUTION_EDITORS,
    ),
    ("POST", "/api/v1/response-questions/{question_id}/comments"): (
        _question_id,
        {"text": "Should we name the fellowship schemes?"},
        API_VIEWERS_201,
    ),
}
