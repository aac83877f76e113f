"""Sign-off pages and API: the decision form and its refusals, manager buttons, the trail, and the public pages
(only published responses, 404 otherwise for everyone)."""

import re

import pytest
from django.urls import reverse

from mhi.responses import signoff
from mhi.responses.models import Approval
from mhi.responses.tests.test_signoff import answer, approve, build

pytestmark = pytest.mark.django_db


def _lock(w):
    signoff.mark_final(user=w.coordinator, response=w.response)
    for slug in ("aston", "leicester", "nottingham"):
        approve(w, slug)
    w.response.refresh_from_db()


def test_a_lead_approves_on_the_page(client):
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    client.force_login(w.leads["aston"])
    url = reverse("responses:signoff", args=[w.response.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="revision" value="3"' in page.content
    answered = client.post(url, {"organisation": "aston", "decision": "approved", "revision": "3"})
    assert answered.status_code == 302
    assert Approval.objects.get().decided_by == w.leads["aston"]
    assert "You approved r3 for Aston University." in client.get(url).content.decode()


def test_the_page_shows_a_stale_revision_and_a_missing_comment(client):
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    answer(w.questions[0], "Changed meanwhile.")
    client.force_login(w.leads["aston"])
    url = reverse("responses:signoff", args=[w.response.pk])
    stale = client.post(url, {"organisation": "aston", "decision": "approved", "revision": "3"})
    assert stale.status_code == 200
    assert "The draft changed since you opened it (r3 → r4); read it again." in stale.content.decode()
    no_comment = client.post(url, {"organisation": "aston", "decision": "changes_requested", "revision": "4"})
    assert "a comment is required when requesting changes." in no_comment.content.decode()
    assert Approval.objects.count() == 0


def test_mark_final_redirects_back_with_the_refusal(client):
    w = build(answered=False)
    client.force_login(w.coordinator)
    refused = client.post(reverse("responses:mark_final", args=[w.response.pk]), follow=True)
    assert "Q1 has no answer yet. Q2 has no answer yet. Q3 has no answer yet." in refused.content.decode()
    w.response.refresh_from_db()
    assert w.response.status == "drafting"


def test_viewers_read_the_page_without_the_form_or_buttons(client):
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    client.force_login(w.editor)  # a researcher at Aston: a contributor, not a lead
    page = client.get(reverse("responses:signoff", args=[w.response.pk])).content.decode()
    assert "Your decision" not in page and "Coordinator actions" not in page
    assert client.post(reverse("responses:signoff", args=[w.response.pk]), {}).status_code == 403
    assert client.post(reverse("responses:publish", args=[w.response.pk])).status_code == 403


def test_the_trail_page_lists_every_event(client):
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston")
    client.force_login(w.editor)
    page = client.get(reverse("responses:trail", args=[w.response.pk])).content.decode()
    assert "Marked final at r3 by Cora Coordinator" in page
    assert "Aston University approved r3 (Ada Aston)" in page


def test_publish_and_the_public_pages(client):
    w = build()
    public = reverse("responses:public", args=[w.response.pk])
    assert client.get(public).status_code == 404
    _lock(w)
    assert client.get(public).status_code == 404  # locked, not published: 404 for everyone
    client.force_login(w.coordinator)
    assert client.get(public).status_code == 404
    client.post(reverse("responses:publish", args=[w.response.pk]))
    w.response.refresh_from_db()
    assert w.response.status == "published"
    client.logout()
    page = client.get(public).content.decode()
    assert "MHI response to the NIHR strategy" in page
    assert "Answer to question 2." in page
    assert "Ada Aston" in page and "University of Nottingham" in page
    listing = client.get(reverse("responses:published")).content.decode()
    assert "MHI response to the NIHR strategy" in listing


def _crumbs(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="govuk-breadcrumbs".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a class="govuk-breadcrumbs__link" href="([^"]*)">([^<]*)</a>', nav)


def test_the_sign_off_and_trail_pages_lead_back_to_the_responses_and_the_response(client):
    w = build()
    pk = w.response.pk
    client.force_login(w.editor)
    crumbs = [
        ("/responses/", "Joint responses"),
        (f"/responses/{pk}/", "MHI response to the NIHR strategy"),
        (f"/responses/{pk}/sign-off/", "Sign-off"),
    ]
    assert _crumbs(client.get(f"/responses/{pk}/sign-off/").content.decode()) == crumbs
    assert _crumbs(client.get(f"/responses/{pk}/trail/").content.decode()) == crumbs


def test_the_api_loop(client):
    w = build()
    client.force_login(w.coordinator)
    base = f"/api/v1/responses/{w.response.pk}"
    assert client.post(f"{base}/publish").json()["error"]["message"] == (
        "Only a response signed off by every partner (locked) can be published; this one is “Drafting”."
    )
    assert client.post(f"{base}/final").json()["status"] == "sign_off"
    client.force_login(w.leads["leicester"])
    stale = client.post(
        f"{base}/decisions",
        {"organisation": "leicester", "decision": "approved", "revision": 2},
        content_type="application/json",
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["message"] == "The draft changed since you opened it (r2 → r3); read it again."
    no_comment = client.post(
        f"{base}/decisions",
        {"organisation": "leicester", "decision": "changes_requested", "revision": 3},
        content_type="application/json",
    )
    assert no_comment.status_code == 422
    other = client.post(
        f"{base}/decisions",
        {"organisation": "aston", "decision": "approved", "revision": 3},
        content_type="application/json",
    )
    assert other.status_code == 403
    assert other.json()["error"]["message"] == "Only an institution lead of Aston University may decide for it."
    made = client.post(
        f"{base}/decisions",
        {"organisation": "leicester", "decision": "approved", "revision": 3},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert (made.json()["organisation"], made.json()["revision"]) == ("leicester", 3)
    state = client.get(f"{base}/signoff").json()
    assert [(p["organisation"], p["state"]) for p in state["partners"]] == [
        ("aston", "waiting"),
        ("leicester", "approved"),
        ("nottingham", "waiting"),
    ]
    assert state["may_decide_for"] == ["leicester"]
    trail = client.get(f"{base}/trail").json()
    assert [e["kind"] for e in trail["items"]] == ["marked_final", "decision"]
    assert client.get("/api/v1/responses/published").json()["count"] == 0
    assert client.get(f"/api/v1/responses/published/{w.response.pk}").status_code == 404
