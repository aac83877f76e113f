"""The drafting pages and API: the question page read-only or editable, the conflict page (409) with both texts,
the diff page, contributions and comments by form, and the API's 409 in the house shape."""

import json

import pytest
from django.urls import reverse

from mhi.responses import drafting
from mhi.responses.models import AnswerVersion, Comment, Contribution, Question, Response
from mhi.responses.tests.factories import CommentFactory
from mhi.responses.tests.test_drafting import drafting_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return drafting_world()


def _url(w):
    return reverse("responses:question", args=[w.question.pk])


def test_the_owner_sees_the_editor_with_the_server_side_word_count(client, w):
    drafting.answer_save(user=w.owner, question=w.question, text="state-of-the-art care in 2024", base_version=0)
    client.force_login(w.owner)
    page = client.get(_url(w))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<span data-word-count-label>4 / 10 words</span>" in html
    assert 'name="base_version" value="1"' in html
    assert 'data-word-limit="10"' in html
    assert "js/responses-wordcount.js" in html
    assert "Cite evidence where you can." in html


def test_a_partner_who_may_not_edit_sees_the_answer_read_only(client, w):
    drafting.answer_save(user=w.owner, question=w.question, text="Our answer.", base_version=0)
    client.force_login(w.leicester)
    html = client.get(_url(w)).content.decode()
    assert 'name="base_version"' not in html
    assert "Our answer." in html
    assert "2 / 10 words" in html
    assert 'value="contribution"' in html  # may still contribute and comment
    response = client.post(_url(w), {"form": "answer", "text": "Mine.", "base_version": 1})
    assert response.status_code == 403
    assert Question.objects.get(pk=w.question.pk).answer == "Our answer."


def test_a_user_who_may_not_see_the_draft_gets_404(client, w):
    client.force_login(w.outsider)
    assert client.get(_url(w)).status_code == 404
    assert client.post(_url(w), {"form": "comment", "text": "Hi"}).status_code == 404
    assert Comment.objects.count() == 0


def test_saving_by_form_then_a_stale_save_shows_the_conflict_page(client, w):
    client.force_login(w.owner)
    response = client.post(_url(w), {"form": "answer", "text": "Fund early help.", "base_version": 0, "note": ""})
    assert response.status_code == 302
    assert response["Location"] == _url(w) + "#answer"
    drafting.answer_save(user=w.coordinator, question=w.question, text="Fund crisis care.", base_version=1)
    conflict = client.post(_url(w), {"form": "answer", "text": "Fund early help now.", "base_version": 1})
    html = conflict.content.decode()
    assert conflict.status_code == 409
    assert "Someone else saved this answer while you were editing it" in html
    assert "Fund crisis care." in html and "Fund early help now." in html
    assert (
        'Fund <del class="mhi-diff__del"><span class="govuk-visually-hidden">[removed: </span>crisis care.'
        '<span class="govuk-visually-hidden">]</span></del><ins class="mhi-diff__ins"><span '
        'class="govuk-visually-hidden">[inserted: </span>early help now.<span class="govuk-visually-hidden">]'
        "</span></ins>"
    ) in html
    assert 'name="base_version" value="2"' in html
    assert "Save my text as version 3" in html
    assert Question.objects.get(pk=w.question.pk).answer == "Fund crisis care."
    again = client.post(_url(w), {"form": "answer", "text": "Fund early help now.", "base_version": 2})
    assert again.status_code == 302
    assert list(AnswerVersion.objects.order_by("number").values_list("number", "author")) == [
        (1, w.owner.pk),
        (2, w.coordinator.pk),
        (3, w.owner.pk),
    ]


def test_the_diff_page_marks_inserted_and_removed_words(client, w):
    drafting.answer_save(user=w.owner, question=w.question, text="The cat sat on the mat.", base_version=0)
    drafting.answer_save(user=w.owner, question=w.question, text="The cat stood on the mat.", base_version=1)
    client.force_login(w.leicester)
    page = client.get(reverse("responses:answer_diff", args=[w.question.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 word added (underlined), 1 word removed (struck through)" in html
    assert '<span class="govuk-visually-hidden">[removed: </span>sat ' in html
    assert '<span class="govuk-visually-hidden">[inserted: </span>stood ' in html
    first = client.get(reverse("responses:answer_diff", args=[w.question.pk]) + "?from=0&to=1").content.decode()
    assert "6 words added (underlined), 0 words removed" in first
    assert client.get(reverse("responses:answer_diff", args=[w.question.pk]) + "?to=9").status_code == 404


def test_contribution_and_comment_forms(client, w):
    client.force_login(w.aston)
    response = client.post(
        _url(w), {"form": "contribution", "organisation": w.orgs["aston"].pk, "kind": "evidence", "text": "Data."}
    )
    contribution = Contribution.objects.get()
    assert response["Location"] == _url(w) + f"#contribution-{contribution.pk}"
    refused = client.post(
        _url(w), {"form": "contribution", "organisation": w.orgs["leicester"].pk, "kind": "draft", "text": "No."}
    )
    assert refused.status_code == 422
    assert "Select a valid choice." in refused.content.decode()
    top = CommentFactory(question=w.question, author=w.leicester, text="Source?")
    reply = client.post(_url(w), {"form": "comment", "parent": top.pk, "text": "NHS Digital."})
    comment = Comment.objects.get(parent=top)
    assert reply["Location"] == _url(w) + f"#comment-{comment.pk}"
    html = client.get(_url(w)).content.decode()
    assert f'id="comment-{comment.pk}"' in html
    assert 'class="govuk-list govuk-!-margin-left-6" aria-label="Replies to Lee Lead"' in html
    empty = client.post(_url(w), {"form": "comment", "text": " "})
    assert empty.status_code == 422
    assert "The comment is empty; write something first." in empty.content.decode()


def test_contribution_edit_page_and_its_conflict(client, w):
    contribution = drafting.contribution_add(
        user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="draft", text="First."
    )
    edit = reverse("responses:contribution_edit", args=[contribution.pk])
    client.force_login(w.leicester)
    assert client.get(edit).status_code == 403
    client.force_login(w.owner)
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"text": "Second.", "base_version": 1}).status_code == 302
    conflict = client.post(edit, {"text": "Other.", "base_version": 1})
    assert conflict.status_code == 409
    html = conflict.content.decode()
    assert "Someone else saved this contribution" in html and "Second." in html and "Other." in html
    diff = client.get(reverse("responses:contribution_diff", args=[contribution.pk])).content.decode()
    assert "[removed: </span>First." in diff and "[inserted: </span>Second." in diff


def test_a_locked_response_is_read_only(client, w):
    drafting.answer_save(user=w.owner, question=w.question, text="Final.", base_version=0)
    Response.objects.filter(pk=w.response.pk).update(status="locked", locked_at="2026-01-01T00:00:00Z")
    client.force_login(w.coordinator)
    html = client.get(_url(w)).content.decode()
    assert 'name="base_version"' not in html and 'value="comment"' not in html
    assert "it is locked" in html
    assert client.post(_url(w), {"form": "answer", "text": "x", "base_version": 1}).status_code == 403
    assert client.post(_url(w), {"form": "comment", "text": "x"}).status_code == 403


# --- the API ----------------------------------------------------------------------------------------------------


def _api(client, method, path, body=None):
    return getattr(client, method)(
        f"/api/v1{path}", data=json.dumps(body) if body is not None else None, content_type="application/json"
    )


def test_api_put_answer_and_409_in_the_house_shape(client, w):
    client.force_login(w.owner)
    path = f"/response-questions/{w.question.pk}/answer"
    first = _api(client, "put", path, {"text": "Base.", "base_version": 0})
    assert first.status_code == 200
    assert (first.json()["number"], first.json()["created"], first.json()["words"]) == (1, True, 1)
    _api(client, "put", path, {"text": "Owner's.", "base_version": 1})
    stale = _api(client, "put", path, {"text": "Stale.", "base_version": 1})
    assert stale.status_code == 409
    message = (
        "Someone else saved this answer while you were editing it (you started from version 1; it is now version 2, "
        "saved by Olive Owner). Your text has not been saved: compare both versions and save again."
    )
    assert stale.json() == {
        "error": {
            "status": 409,
            "code": "conflict",
            "message": message,
            "fields": {
                "text": [message],
                "current": {"text": "Owner's."},
                "submitted": {"text": "Stale."},
                "current_version": 2,
                "submitted_version": 1,
            },
        }
    }
    same = _api(client, "put", path, {"text": "Owner's.", "base_version": 2})
    assert (same.status_code, same.json()["created"], same.json()["number"]) == (200, False, 2)


# GET /response-questions/{id} shares its path with the workspace's PUT and DELETE: one router for every area
# (mhi/responses/api_router.py) makes them one URL pattern, so the GET is not answered 405 by the workspace's.
def test_api_question_detail(client, w):
    drafting.answer_save(user=w.owner, question=w.question, text="The cat sat.", base_version=0)
    drafting.answer_save(user=w.owner, question=w.question, text="The cat stood.", base_version=1)
    top = drafting.comment_add(user=w.leicester, question=w.question, text="Why?")
    drafting.comment_add(user=w.aston, question=w.question, text="Because.", parent=top)
    client.force_login(w.leicester)
    detail = _api(client, "get", f"/response-questions/{w.question.pk}").json()
    assert (detail["answer"], detail["answer_version"], detail["words"], detail["may_edit"]) == (
        "The cat stood.",
        2,
        3,
        False,
    )
    assert [v["number"] for v in detail["versions"]] == [2, 1]
    assert [(c["text"], c["depth"]) for c in detail["comments"]] == [("Why?", 0), ("Because.", 1)]
    client.force_login(w.outsider)
    assert _api(client, "get", f"/response-questions/{w.question.pk}").status_code == 404


def test_api_versions_and_diff(client, w):
    drafting.answer_save(user=w.owner, question=w.question, text="The cat sat.", base_version=0)
    drafting.answer_save(user=w.owner, question=w.question, text="The cat stood.", base_version=1)
    client.force_login(w.leicester)
    version = _api(client, "get", f"/response-questions/{w.question.pk}/versions/1").json()
    assert version["text"] == "The cat sat."
    diff = _api(client, "get", f"/response-questions/{w.question.pk}/diff").json()
    assert diff == {
        "question_id": w.question.pk,
        "from": 1,
        "to": 2,
        "inserted_words": 1,
        "removed_words": 1,
        "segments": [
            {"op": "equal", "text": "The cat "},
            {"op": "delete", "text": "sat."},
            {"op": "insert", "text": "stood."},
        ],
    }
    assert _api(client, "get", f"/response-questions/{w.question.pk}/versions/7").status_code == 404


def test_api_contributions_and_comments(client, w):
    client.force_login(w.aston)
    created = _api(
        client,
        "post",
        f"/response-questions/{w.question.pk}/contributions",
        {"organisation": "aston-d", "kind": "evidence", "text": "Data."},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["organisation"], body["version"], body["author"], body["may_edit"]) == (
        "aston-d",
        1,
        "ash@aston.example.org",
        True,
    )
    refused = _api(
        client,
        "post",
        f"/response-questions/{w.question.pk}/contributions",
        {"organisation": "leicester-d", "kind": "draft", "text": "No."},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "You may add contributions only for your own institution, not University of Leicester."
    )
    edited = _api(client, "put", f"/response-contributions/{body['id']}", {"text": "More data.", "base_version": 1})
    assert (edited.status_code, edited.json()["version"]) == (200, 2)
    stale = _api(client, "put", f"/response-contributions/{body['id']}", {"text": "Other.", "base_version": 1})
    assert stale.status_code == 409
    assert stale.json()["error"]["fields"]["current"] == {"text": "More data."}
    assert stale.json()["error"]["fields"]["submitted"] == {"text": "Other."}
    comment = _api(client, "post", f"/response-questions/{w.question.pk}/comments", {"text": "Hello."})
    assert (comment.status_code, comment.json()["depth"]) == (201, 0)
    reply = _api(
        client, "post", f"/response-questions/{w.question.pk}/comments", {"text": "Hi.", "parent": comment.json()["id"]}
    )
    assert (reply.status_code, reply.json()["depth"], reply.json()["parent"]) == (201, 1, comment.json()["id"])
    client.force_login(w.outsider)
    assert _api(client, "post", f"/response-questions/{w.question.pk}/comments", {"text": "Hi."}).status_code == 404
