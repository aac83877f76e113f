"""The response workspace: starting and editing a response, signatories, questions (add, paste, edit, owners,
reorder, delete), the locked response that refuses every change, who sees and changes what, the pages and the
API."""

import datetime
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.opportunities.tests.factories import OpportunityFactory
from mhi.responses import access, workspace
from mhi.responses.models import Approval, Question, Response, ResponseEvent
from mhi.responses.tests.factories import (
    AnswerVersionFactory,
    ApprovalFactory,
    ContributionFactory,
    QuestionFactory,
    ResponseFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2030, 3, 1)


@pytest.fixture
def consultation():
    closes = datetime.datetime(2030, 4, 15, 16, 0, tzinfo=datetime.UTC)
    return OpportunityFactory(
        kind="consultation", title="Consultation on clinical research delivery", funder_name="DHSC", closes_at=closes
    )


@pytest.fixture
def draft(world):
    """A draft coordinated by the coordinator persona, signed by Aston and Leicester, with three questions."""
    response = ResponseFactory(title="Joint response", coordinator=world.users["coordinator"])
    SignatoryFactory(response=response, organisation=world.aston)
    SignatoryFactory(response=response, organisation=world.leicester)
    for number, text in enumerate(["First?", "Second?", "Third?"], start=1):
        QuestionFactory(response=response, number=number, text=text, word_limit=250)
    return response


def _texts(response):
    return list(response.questions.order_by("number").values_list("number", "text"))


# --- starting a response ----------------------------------------------------------------------------------------


def test_a_response_to_a_consultation_takes_its_title_and_deadline(world, consultation):
    response = workspace.response_create(
        user=world.users["coordinator"],
        opportunity=consultation,
        signatories=[world.aston, "leicester"],
        today=TODAY,
    )
    assert (response.title, response.kind, response.deadline, response.opportunity_id) == (
        "Response to Consultation on clinical research delivery",
        "consultation",
        datetime.date(2030, 4, 15),
        consultation.pk,
    )
    assert response.coordinator == world.users["coordinator"] == response.created_by
    assert sorted(response.signatories.values_list("organisation__slug", flat=True)) == ["aston", "leicester"]
    assert ResponseEvent.objects.get(response=response).summary == (
        "Consultation response “Response to Consultation on clinical research delivery” started"
    )
    assert AuditEvent.objects.filter(object_repr__contains="Response to Consultation").count() == 3  # and 2 signatories


def test_a_position_statement_stands_alone(world):
    response = workspace.response_create(
        user=world.users["coordinator"],
        title="MHI position on the research workforce",
        deadline=datetime.date(2030, 3, 1),
        coordinator=world.users["leicester_lead"],
        today=TODAY,
    )
    assert (response.kind, response.opportunity, response.coordinator) == (
        "position",
        None,
        world.users["leicester_lead"],
    )


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        (
            {"title": "X", "deadline": datetime.date(2030, 2, 28)},
            "The deadline 28 February 2030 has passed: choose today or a later day.",
            "deadline",
        ),
        ({"title": ""}, "Enter the title.", "title"),
        (
            {"title": "X", "signatories": ["uhb"]},
            "University Hospitals Birmingham cannot sign: signatories are "
            "partner institutions (universities), and it is nhs trust.",
            "signatories",
        ),
        (
            {"title": "X", "signatories": ["nowhere"]},
            "There is no organisation “nowhere” in the directory.",
            "signatories",
        ),
        (
            {"title": "X", "coordinator": "partner@acme.example.org"},
            "partner@acme.example.org cannot coordinate the response: they have no role at a partner organisation.",
            "coordinator",
        ),
        (
            {"title": "X", "kind": "consultation"},
            "Choose the consultation this responds to, or make it a position statement.",
            "opportunity",
        ),
    ],
)
def test_bad_responses_are_refused_with_the_reason(world, fields, message, field):
    with pytest.raises(DomainError) as caught:
        workspace.response_create(user=world.users["coordinator"], today=TODAY, **fields)
    assert (caught.value.message, caught.value.field) == (message, field)
    assert Response.objects.count() == 0


def test_a_funding_call_is_not_a_consultation(world):
    call = OpportunityFactory(title="Programme grants", kind="funding_call")
    with pytest.raises(DomainError) as caught:
        workspace.response_create(user=world.users["coordinator"], opportunity=call)
    assert caught.value.message == (
        "“Programme grants” is a funding call, not a consultation: a joint response answers a consultation, or is a "
        "position statement."
    )


@pytest.mark.parametrize("persona", ["aston_admin", "leicester_lead", "researcher", "nhs_rd", "external"])
def test_only_coordinators_start_responses(world, persona):
    with pytest.raises(PermissionDenied) as caught:
        workspace.response_create(user=world.users[persona], title="Ours")
    assert caught.value.message == "Only MHI coordinators start joint responses."


# --- editing ----------------------------------------------------------------------------------------------------


def test_editing_the_response_and_its_signatories(world, draft):
    workspace.response_update(
        user=world.users["coordinator"],
        response=draft,
        title="The Midlands' joint response",
        introduction="Seven universities answer together.",
        signatories=[world.aston, world.nottingham],
    )
    draft.refresh_from_db()
    assert (draft.title, draft.introduction) == ("The Midlands' joint response", "Seven universities answer together.")
    assert sorted(draft.signatories.values_list("organisation__slug", flat=True)) == ["aston", "nottingham"]
    assert list(ResponseEvent.objects.filter(response=draft).values_list("summary", flat=True)) == [
        "Added University of Nottingham; removed University of Leicester as signatories",
        "Changed the title, introduction",
    ]
    assert draft.revision == 1


def test_only_managers_edit(world, draft):
    with pytest.raises(PermissionDenied):
        workspace.response_update(user=world.users["aston_admin"], response=draft, title="Mine now")
    with pytest.raises(PermissionDenied):
        workspace.question_add(user=world.users["leicester_lead"], response=draft, text="Mine?")


# --- questions --------------------------------------------------------------------------------------------------


def test_adding_a_question_with_an_owner_tells_them(world, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        question = workspace.question_add(
            user=world.users["coordinator"],
            response=draft,
            text="  What should the workforce look like?  ",
            word_limit="300",
            guidance="Think of 2030.",
            owner="lead@leicester.example.org",
        )
    assert (question.number, question.text, question.word_limit, question.owner) == (
        4,
        "What should the workforce look like?",
        300,
        world.users["leicester_lead"],
    )
    assert [m.to for m in mail.outbox] == [["lead@leicester.example.org"]]
    assert Response.objects.get(pk=draft.pk).revision == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "   "}, "Enter the question."),
        ({"text": "Q?", "word_limit": "two hundred"}, "Word limit: “two hundred” is not a whole number."),
        ({"text": "Q?", "word_limit": 0}, "Word limit: “0” is not a whole number of at least 1."),
        (
            {"text": "Q?", "owner": "researcher@nottingham.example.org"},
            "researcher@nottingham.example.org cannot own a question: owners are the response's coordinator or "
            "members of its signatory institutions.",
        ),
        (
            {"text": "Q?", "owner": "partner@acme.example.org"},
            "partner@acme.example.org cannot own a question: owners are the response's coordinator or members of "
            "its signatory institutions.",
        ),
    ],
)
def test_bad_questions_are_refused(world, draft, fields, message):
    with pytest.raises(DomainError) as caught:
        workspace.question_add(user=world.users["coordinator"], response=draft, **fields)
    assert caught.value.message == message
    assert draft.questions.count() == 3


def test_pasting_a_list_appends_it(world, draft):
    created = workspace.questions_paste(
        user=world.users["coordinator"], response=draft, text="1. Fourth? (100 words)\n2. Fifth?"
    )
    assert [(q.number, q.text, q.word_limit) for q in created] == [(4, "Fourth?", 100), (5, "Fifth?", None)]


def test_editing_the_text_voids_approvals_but_an_owner_does_not(world, draft):
    approval = ApprovalFactory(response=draft, organisation=world.aston, revision=0)
    question = draft.questions.get(number=2)
    workspace.question_update(user=world.users["coordinator"], question=question, owner=world.users["aston_admin"])
    approval.refresh_from_db()
    assert approval.voided_at is None
    assert Response.objects.get(pk=draft.pk).revision == 0
    workspace.question_update(user=world.users["coordinator"], question=question, text="Second, reworded?")
    approval.refresh_from_db()
    assert (approval.voided_at is not None, approval.void_reason) == (
        True,
        "Q2's text changed by coordinator@example.org",
    )
    assert Response.objects.get(pk=draft.pk).revision == 1
    events = ResponseEvent.objects.filter(response=draft)
    assert (events.filter(kind="question_edited").count(), events.filter(kind="approval_voided").count()) == (2, 1)


def test_reordering_keeps_the_numbers_one_to_n(world, draft):
    first, second, third = draft.questions.order_by("number")
    workspace.questions_reorder(user=world.users["coordinator"], response=draft, order=[third.pk, first.pk, second.pk])
    assert _texts(draft) == [(1, "Third?"), (2, "First?"), (3, "Second?")]
    workspace.question_move(user=world.users["coordinator"], question=Question.objects.get(pk=first.pk), to=3)
    assert _texts(draft) == [(1, "Third?"), (2, "Second?"), (3, "First?")]
    with pytest.raises(DomainError) as caught:
        workspace.questions_reorder(user=world.users["coordinator"], response=draft, order=[first.pk, second.pk])
    assert caught.value.message == "Give every question of the response once, in the new order (it has 3 questions)."
    assert ResponseEvent.objects.filter(response=draft, kind="questions_reordered").count() == 2


def test_deleting_moves_the_later_questions_up_and_only_while_unanswered(world, draft):
    first, second, third = draft.questions.order_by("number")
    workspace.question_delete(user=world.users["coordinator"], question=second)
    assert _texts(draft) == [(1, "First?"), (2, "Third?")]
    AnswerVersionFactory(question=first, text="An answer.")
    ContributionFactory(question=third, organisation=world.aston)
    with pytest.raises(DomainError) as caught:
        workspace.question_delete(user=world.users["coordinator"], question=Question.objects.get(pk=first.pk))
    assert caught.value.message == "Q1 has an answer, so it cannot be deleted; edit its text instead."
    with pytest.raises(DomainError) as caught:
        workspace.question_delete(user=world.users["coordinator"], question=Question.objects.get(pk=third.pk))
    assert caught.value.message == (
        "Q2 has contributions from partners, so it cannot be deleted; edit its text instead."
    )
    assert draft.questions.count() == 2


# --- a locked response ------------------------------------------------------------------------------------------

LOCKED = (
    "The response is locked: every partner signed it off, and nothing in it can change unless a coordinator unlocks it."
)


@pytest.fixture
def locked(draft):
    Response.objects.filter(pk=draft.pk).update(status="locked", locked_at=timezone.now())
    draft.refresh_from_db()
    return draft


@pytest.mark.parametrize(
    "change",
    [
        lambda u, r: workspace.response_update(user=u, response=r, title="New"),
        lambda u, r: workspace.question_add(user=u, response=r, text="New?"),
        lambda u, r: workspace.questions_paste(user=u, response=r, text="New?"),
        lambda u, r: workspace.questions_import(user=u, response=r, content=b"question\nNew?\n", filename="q.csv"),
        lambda u, r: workspace.question_update(user=u, question=r.questions.first(), word_limit=10),
        lambda u, r: workspace.question_delete(user=u, question=r.questions.first()),
        lambda u, r: workspace.questions_reorder(
            user=u, response=r, order=list(r.questions.order_by("-number").values_list("pk", flat=True))
        ),
    ],
)
def test_a_locked_response_refuses_every_change(world, locked, change):
    with pytest.raises(DomainError) as caught:
        change(world.users["coordinator"], locked)
    assert caught.value.message == LOCKED
    assert _texts(locked) == [(1, "First?"), (2, "Second?"), (3, "Third?")]
    assert Response.objects.get(pk=locked.pk).title == "Joint response"


def test_a_published_response_says_so(world, locked):
    Response.objects.filter(pk=locked.pk).update(status="published", published_at=timezone.now())
    locked.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        workspace.question_add(user=world.users["coordinator"], response=locked, text="New?")
    assert caught.value.message == (
        "The response is published: it is signed off and locked, and nothing in it can change."
    )


# --- who sees a draft -------------------------------------------------------------------------------------------


def test_who_sees_the_draft(world, draft):
    seen = {p: access.responses_visible_to(user=u).filter(pk=draft.pk).exists() for p, u in world.users.items() if u}
    assert seen == {
        "coordinator": True,
        "aston_admin": True,
        "leicester_lead": True,
        "researcher": False,
        "nhs_rd": False,
        "external": False,
    }
    SignatoryFactory(response=draft, organisation=world.nottingham)
    assert access.responses_visible_to(user=world.users["researcher"]).filter(pk=draft.pk).exists()


def test_pages_for_each_persona(client, world, draft):
    url = reverse("responses:detail", args=[draft.pk])
    assert client.get(url).status_code == 302
    client.force_login(world.users["researcher"])
    assert client.get(url).status_code == 404
    client.force_login(world.users["aston_admin"])
    page = client.get(url)
    assert page.status_code == 200
    assert b"This is a draft" in page.content
    assert client.get(reverse("responses:questions", args=[draft.pk])).status_code == 403
    assert client.post(reverse("responses:questions", args=[draft.pk]), {"action": "delete"}).status_code == 403
    client.force_login(world.users["external"])
    assert client.get(reverse("responses:list")).context["page_obj"].paginator.count == 0


# --- the pages --------------------------------------------------------------------------------------------------


def test_create_page_prefills_from_the_consultation(client, world, consultation):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("responses:create") + f"?opportunity={consultation.pk}")
    form = page.context["form"]
    assert (form.initial["title"], form.initial["kind"], form.initial["opportunity"]) == (
        "Response to Consultation on clinical research delivery",
        "consultation",
        consultation.pk,
    )
    posted = client.post(
        reverse("responses:create") + f"?opportunity={consultation.pk}",
        {"kind": "consultation", "opportunity": consultation.pk, "title": "", "signatories": [world.aston.pk]},
    )
    response = Response.objects.get()
    assert posted.status_code == 302
    assert posted["Location"] == reverse("responses:questions", args=[response.pk])
    assert response.title == "Response to Consultation on clinical research delivery"


def test_the_consultation_page_links_coordinators_to_a_response(client, world, consultation):
    url = reverse("opportunities:detail", args=[consultation.pk])
    assert b"Start a joint response" not in client.get(url).content
    client.force_login(world.users["aston_admin"])
    assert b"Start a joint response" not in client.get(url).content
    client.force_login(world.users["coordinator"])
    assert b"Start a joint response" in client.get(url).content


def _crumbs(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]*)">([^<]*)</a>', nav)


def test_the_overview_links_every_page_of_the_response(client, world, draft):
    first, second, third = draft.questions.order_by("number")
    client.force_login(world.users["aston_admin"])
    html = client.get(f"/responses/{draft.pk}/").content.decode()
    assert _crumbs(html) == [("/responses/", "Joint responses")]
    for link in [
        f'<a class="govuk-link" href="/responses/{draft.pk}/sign-off/">Sign-off</a>',
        f'<a class="govuk-link" href="/responses/{draft.pk}/trail/">Trail</a>',
        f'<a class="govuk-link" href="/responses/{draft.pk}/export.docx">Download as Word (DOCX)</a>',
        f'<a class="govuk-link" href="/responses/{draft.pk}/export.pdf">as PDF</a>',
        f'<a class="govuk-link" href="/responses/questions/{first.pk}/">First?</a>',
        f'<a class="govuk-link" href="/responses/questions/{second.pk}/">Second?</a>',
        f'<a class="govuk-link" href="/responses/questions/{third.pk}/">Third?</a>',
    ]:
        assert link in html


def test_the_questions_page_links_each_question_and_leads_back_to_the_response(client, world, draft):
    first, second, third = draft.questions.order_by("number")
    client.force_login(world.users["coordinator"])
    html = client.get(f"/responses/{draft.pk}/questions/").content.decode()
    assert _crumbs(html) == [("/responses/", "Joint responses"), (f"/responses/{draft.pk}/", "Joint response")]
    for question in (first, second, third):
        assert f'<a class="govuk-link" href="/responses/questions/{question.pk}/">{question.text}</a>' in html


def test_the_list_links_the_published_responses(client, world, draft):
    client.force_login(world.users["aston_admin"])
    html = client.get("/responses/").content.decode()
    assert '<a class="govuk-link" href="/responses/published/">Published responses</a> are public.' in html


def test_questions_page_actions(client, world, draft):
    client.force_login(world.users["coordinator"])
    url = reverse("responses:questions", args=[draft.pk])
    assert client.post(url, {"action": "add", "add-text": "Fourth? (ignored suffix stays)"}).status_code == 302
    assert client.post(url, {"action": "paste", "paste-text": "Q1 Fifth? [max 50 words]"}).status_code == 302
    upload = SimpleUploadedFile("q.csv", b"question\nSixth?\n", content_type="text/csv")
    assert client.post(url, {"action": "import", "import-file": upload}).status_code == 302
    sixth = draft.questions.get(number=6)
    assert client.post(url, {"action": "up", "question": sixth.pk}).status_code == 302
    assert _texts(draft)[-2:] == [(5, "Sixth?"), (6, "Fifth?")]
    assert draft.questions.get(number=6).word_limit == 50
    assert client.post(url, {"action": "delete", "question": sixth.pk}).status_code == 302
    assert draft.questions.count() == 5


def test_questions_page_lists_an_import_problems_and_writes_nothing(client, world, draft):
    client.force_login(world.users["coordinator"])
    url = reverse("responses:questions", args=[draft.pk])
    upload = SimpleUploadedFile("q.csv", b"question,word_limit\nFourth?,two hundred\n", content_type="text/csv")
    page = client.post(url, {"action": "import", "import-file": upload})
    assert page.status_code == 200
    assert [str(p) for p in page.context["problems"]] == [
        "q.csv, row 2, column “word_limit”: “two hundred” is not a whole number"
    ]
    assert draft.questions.count() == 3


def test_owners_and_limits_at_once(client, world, draft):
    client.force_login(world.users["coordinator"])
    first, second, third = draft.questions.order_by("number")
    data = {"action": "owners"}
    for q in (first, second, third):
        data[f"owners-owner_{q.pk}"] = ""
        data[f"owners-word_limit_{q.pk}"] = "250"
    data[f"owners-owner_{second.pk}"] = world.users["aston_admin"].pk
    data[f"owners-word_limit_{third.pk}"] = "400"
    assert client.post(reverse("responses:questions", args=[draft.pk]), data).status_code == 302
    assert list(draft.questions.order_by("number").values_list("owner__email", "word_limit")) == [
        (None, 250),
        ("admin@aston.example.org", 250),
        (None, 400),
    ]


def test_the_overview_flags_an_answer_over_its_limit(client, world, draft):
    question = draft.questions.get(number=1)
    Question.objects.filter(pk=question.pk).update(word_limit=3)
    AnswerVersionFactory(question=question, text="one two three four")
    client.force_login(world.users["leicester_lead"])
    page = client.get(reverse("responses:detail", args=[draft.pk]))
    rows = page.context["rows"]
    assert [(r.question.number, r.words, r.over_limit, r.answered) for r in rows] == [
        (1, 4, True, True),
        (2, 0, False, False),
        (3, 0, False, False),
    ]
    assert b"Over the limit" in page.content
    assert page.context["answered"] == 1


def test_the_locked_response_pages_offer_no_changes(client, world, locked):
    client.force_login(world.users["coordinator"])
    page = client.get(reverse("responses:questions", args=[locked.pk]))
    assert b"its questions cannot change" in page.content
    assert b'value="add"' not in page.content
    posted = client.post(reverse("responses:questions", args=[locked.pk]), {"action": "add", "add-text": "New?"})
    assert posted.status_code == 200
    assert locked.questions.count() == 3


# --- the API ----------------------------------------------------------------------------------------------------


def _auth(world, persona):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


def test_api_create_read_and_change(client, world, consultation):
    made = client.post(
        "/api/v1/responses",
        {"opportunity": consultation.pk, "signatories": ["aston", "leicester"], "deadline": "2099-01-01"},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["title"], body["kind"], body["deadline"], [s["organisation"] for s in body["signatories"]]) == (
        "Response to Consultation on clinical research delivery",
        "consultation",
        "2099-01-01",
        ["aston", "leicester"],
    )
    path = f"/api/v1/responses/{body['id']}"
    added = client.post(
        f"{path}/questions",
        {"text": "What works?", "word_limit": 200},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert (added.status_code, added.json()["number"]) == (201, 1)
    imported = client.post(
        f"{path}/questions/import", {"text": "1. Second?\n2. Third? (90 words)"}, headers=_auth(world, "coordinator")
    )
    assert [(q["number"], q["text"], q["word_limit"]) for q in imported.json()] == [
        (2, "Second?", None),
        (3, "Third?", 90),
    ]
    moved = client.put(
        f"/api/v1/response-questions/{imported.json()[1]['id']}",
        {"number": 1},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert moved.json()["number"] == 1
    read = client.get(path, headers=_auth(world, "leicester_lead")).json()
    assert [q["text"] for q in read["questions"]] == ["Third?", "What works?", "Second?"]
    assert read["manage"] is False
    refused = client.put(
        path, {"title": "Mine"}, content_type="application/json", headers=_auth(world, "leicester_lead")
    )
    assert refused.status_code == 403


def test_api_import_problems_are_listed(client, world, draft):
    upload = SimpleUploadedFile("q.csv", b"question\n\xff\xfe\n")
    answer = client.post(
        f"/api/v1/responses/{draft.pk}/questions/import", {"file": upload}, headers=_auth(world, "coordinator")
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"]["file"] == [
        "“q.csv” is not a UTF-8 CSV file that can be read (byte 10 is not UTF-8): save it as “CSV UTF-8” and "
        "upload it again."
    ]
    assert draft.questions.count() == 3


def test_api_refuses_to_change_a_locked_response(client, world, locked):
    answer = client.delete(
        f"/api/v1/response-questions/{locked.questions.first().pk}", headers=_auth(world, "coordinator")
    )
    assert (answer.status_code, answer.json()["error"]["message"]) == (422, LOCKED)
    assert Approval.objects.count() == 0
