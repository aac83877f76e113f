"""Sign-off rules (mhi.responses.signoff): marking final, decisions pinned to a revision, voiding on edits,
locking in the approving transaction, publishing, reopening and unlocking; the trail they leave."""

from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.responses import access, signoff
from mhi.responses.models import Approval, Question, Response, ResponseEvent
from mhi.responses.tests.factories import (
    AnswerVersionFactory,
    ApprovalFactory,
    QuestionFactory,
    ResponseFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db


# --- builders (used by the other test_signoff* and test_notifications* modules too) ------------------------


@dataclass
class SignoffWorld:
    response: Response
    coordinator: object
    editor: object
    orgs: dict  # slug -> Organisation
    leads: dict  # slug -> User
    questions: list


def lead(organisation, name, email):
    user = UserFactory(full_name=name, email=email)
    MembershipFactory(user=user, organisation=organisation, role="institution_lead")
    return user


def answer(question, text, author=None):
    """Save an answer as the drafting service would (the factory: a version, the question and the revision)."""
    fresh = Question.objects.select_related("response").get(pk=question.pk)
    return AnswerVersionFactory(question=fresh, text=text, **({"author": author} if author else {}))


def build(*, answered=True, deadline=None) -> SignoffWorld:
    coordinator = UserFactory(full_name="Cora Coordinator", email="cora@mhi.example.org")
    editor = UserFactory(full_name="Eve Editor", email="eve@aston.example.org")
    orgs = {
        "aston": OrganisationFactory(name="Aston University", slug="aston"),
        "leicester": OrganisationFactory(name="University of Leicester", slug="leicester"),
        "nottingham": OrganisationFactory(name="University of Nottingham", slug="nottingham"),
    }
    leads = {
        "aston": lead(orgs["aston"], "Ada Aston", "ada@aston.example.org"),
        "leicester": lead(orgs["leicester"], "Leo Leicester", "leo@leicester.example.org"),
        "nottingham": lead(orgs["nottingham"], "Nia Nottingham", "nia@nottingham.example.org"),
    }
    MembershipFactory(user=editor, organisation=orgs["aston"], role="researcher")
    fields = {"coordinator": coordinator, "title": "MHI response to the NIHR strategy"}
    if deadline is not None:
        fields["deadline"] = deadline
    response = ResponseFactory(**fields)
    for org in orgs.values():
        SignatoryFactory(response=response, organisation=org)
    questions = [QuestionFactory(response=response, number=n, text=f"Question {n}?", word_limit=250) for n in (1, 2, 3)]
    if answered:
        for q in questions:
            answer(q, f"Answer to question {q.number}.", author=editor)
    response.refresh_from_db()
    return SignoffWorld(response, coordinator, editor, orgs, leads, questions)


def approve(w, slug, *, decision="approved", comment=""):
    w.response.refresh_from_db()
    return signoff.decide(
        user=w.leads[slug],
        response=w.response,
        organisation=w.orgs[slug],
        decision=decision,
        comment=comment,
        revision=w.response.revision,
    )


def events(response):
    return list(ResponseEvent.objects.filter(response=response).order_by("at", "id").values_list("kind", "summary"))


# --- the full loop ------------------------------------------------------------------------------------------


def test_the_full_loop_final_two_approve_an_edit_voids_both_all_approve_locked():
    w = build()
    assert w.response.revision == 3

    signoff.mark_final(user=w.coordinator, response=w.response)
    w.response.refresh_from_db()
    assert (w.response.status, w.response.final_revision) == ("sign_off", 3)

    approve(w, "aston")
    approve(w, "leicester")
    w.response.refresh_from_db()
    assert w.response.status == "sign_off"

    # Eve edits Q2: revision 4; both standing approvals are voided with the reason.
    with transaction.atomic():
        answer(w.questions[1], "A better answer to question 2.", author=w.editor)
        w.response.refresh_from_db()
        count = signoff.approvals_void(response=w.response, actor=w.editor, reason="Q2 answer edited")
    assert count == 2
    w.response.refresh_from_db()
    assert (w.response.status, w.response.revision) == ("sign_off", 4)
    voided = Approval.objects.filter(response=w.response, voided_at__isnull=False).order_by("organisation__name")
    assert [(a.organisation.slug, a.revision, a.voided_by, a.void_reason) for a in voided] == [
        ("aston", 3, w.editor, "Q2 answer edited by Eve Editor"),
        ("leicester", 3, w.editor, "Q2 answer edited by Eve Editor"),
    ]
    assert [s.state for s in signoff.signoff_state(w.response)] == ["waiting", "waiting", "waiting"]

    approve(w, "aston")
    approve(w, "leicester")
    w.response.refresh_from_db()
    assert w.response.status == "sign_off"
    last = approve(w, "nottingham")
    w.response.refresh_from_db()
    assert w.response.status == "locked"
    assert w.response.locked_at is not None
    assert last.revision == 4

    assert Approval.objects.filter(response=w.response).count() == 5
    assert Approval.objects.filter(response=w.response, voided_at__isnull=True).count() == 3
    assert [s.approved for s in signoff.signoff_state(w.response)] == [True, True, True]
    assert events(w.response) == [
        (
            "marked_final",
            "Marked final at r3 by Cora Coordinator; sign-off asked of Aston University, University of Leicester, "
            "University of Nottingham",
        ),
        ("decision", "Aston University approved r3 (Ada Aston)"),
        ("decision", "University of Leicester approved r3 (Leo Leicester)"),
        ("approval_voided", "Approval by Aston University voided: Q2 answer edited by Eve Editor"),
        ("approval_voided", "Approval by University of Leicester voided: Q2 answer edited by Eve Editor"),
        ("decision", "Aston University approved r4 (Ada Aston)"),
        ("decision", "University of Leicester approved r4 (Leo Leicester)"),
        ("decision", "University of Nottingham approved r4 (Nia Nottingham)"),
        ("locked", "Locked at r4: every partner approved"),
    ]
    # Audited: the status changes and every approval written or voided.
    assert AuditEvent.objects.filter(source="responses.signoff", object_repr__startswith="Aston").count() == 3


def test_a_new_decision_replaces_the_standing_one():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston", decision="changes_requested", comment="Q3 must cite the 2024 figures.")
    approve(w, "aston")
    rows = list(Approval.objects.filter(response=w.response).order_by("id"))
    assert [(a.decision, a.void_reason, a.voided_at is None) for a in rows] == [
        ("changes_requested", "replaced by a new decision", False),
        ("approved", "", True),
    ]
    assert events(w.response)[1:] == [
        ("decision", "Aston University requested changes to r3 (Ada Aston): Q3 must cite the 2024 figures."),
        ("approval_voided", "Request for changes by Aston University voided: replaced by a new decision"),
        ("decision", "Aston University approved r3 (Ada Aston)"),
    ]


def test_the_database_holds_at_most_one_standing_decision_per_partner():
    w = build()
    ApprovalFactory(response=w.response, organisation=w.orgs["aston"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ApprovalFactory(response=w.response, organisation=w.orgs["aston"])


def test_changes_requested_moves_nothing_else():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston")
    approve(w, "leicester", decision="changes_requested", comment="Shorten Q1.")
    w.response.refresh_from_db()
    assert w.response.status == "sign_off"
    assert [s.state for s in signoff.signoff_state(w.response)] == ["approved", "changes_requested", "waiting"]


# --- refusals -----------------------------------------------------------------------------------------------


def test_a_lead_of_a_non_signatory_is_refused():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    birmingham = OrganisationFactory(name="University of Birmingham", slug="birmingham")
    brum_lead = lead(birmingham, "Bo Brum", "bo@birmingham.example.org")
    with pytest.raises(PermissionDenied) as refused:
        signoff.decide(
            user=brum_lead, response=w.response, organisation=birmingham, decision="approved", comment="", revision=3
        )
    assert refused.value.message == "University of Birmingham is not a signatory of this response."
    # Nor may a lead decide for another signatory.
    with pytest.raises(PermissionDenied) as refused:
        signoff.decide(
            user=brum_lead,
            response=w.response,
            organisation=w.orgs["aston"],
            decision="approved",
            comment="",
            revision=3,
        )
    assert refused.value.message == "Only an institution lead of Aston University may decide for it."
    assert Approval.objects.count() == 0


def test_a_decision_at_a_stale_revision_is_a_conflict():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    answer(w.questions[0], "Changed while the lead was reading.")
    w.response.refresh_from_db()
    signoff.approvals_void(response=w.response, actor=w.editor, reason="Q1 answer edited")
    with pytest.raises(Conflict) as conflict:
        signoff.decide(
            user=w.leads["aston"],
            response=w.response,
            organisation=w.orgs["aston"],
            decision="approved",
            comment="",
            revision=3,
        )
    assert conflict.value.message == "The draft changed since you opened it (r3 → r4); read it again."
    assert Approval.objects.count() == 0


def test_requesting_changes_needs_a_comment():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    with pytest.raises(DomainError) as refused:
        approve(w, "aston", decision="changes_requested", comment="   ")
    assert refused.value.message == "Say what needs to change: a comment is required when requesting changes."
    assert refused.value.field == "comment"
    assert Approval.objects.count() == 0


def test_decisions_only_in_sign_off():
    w = build()
    with pytest.raises(DomainError) as refused:
        approve(w, "aston")
    assert refused.value.message == "Decisions are taken on a final draft in sign-off; this response is “Drafting”."


def test_mark_final_refuses_an_unanswered_question():
    w = build(answered=False)
    answer(w.questions[0], "Answered.")
    answer(w.questions[2], "Answered too.")
    w.response.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        signoff.mark_final(user=w.coordinator, response=w.response)
    assert refused.value.message == "Q2 has no answer yet."
    w.response.refresh_from_db()
    assert (w.response.status, w.response.final_revision) == ("drafting", None)
    assert ResponseEvent.objects.filter(response=w.response).count() == 0


def test_mark_final_refuses_an_answer_over_its_word_limit():
    w = build()
    answer(w.questions[2], " ".join(["word"] * 312))
    w.response.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        signoff.mark_final(user=w.coordinator, response=w.response)
    assert refused.value.message == "Q3 is 312 words; the limit is 250."
    w.response.refresh_from_db()
    assert w.response.status == "drafting"


def test_mark_final_lists_every_problem_and_needs_signatories():
    response = ResponseFactory()
    q = QuestionFactory(response=response, number=1, word_limit=2)
    answer(q, "three words here")
    QuestionFactory(response=response, number=2)
    response.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        signoff.mark_final(user=response.coordinator, response=response)
    assert refused.value.message == (
        "Q1 is 3 words; the limit is 2. Q2 has no answer yet. "
        "No partner institutions are expected to sign; add the signatories first."
    )


def test_mark_final_is_for_managers_only():
    w = build()
    with pytest.raises(PermissionDenied) as refused:
        signoff.mark_final(user=w.leads["aston"], response=w.response)
    assert refused.value.message == "Only the response's coordinator may mark it final."


def test_a_locked_response_refuses_edits_and_decisions():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    for slug in ("aston", "leicester", "nottingham"):
        approve(w, slug)
    w.response.refresh_from_db()
    assert w.response.status == "locked"
    locked = (
        "The response is locked: every partner signed it off. Nothing changes it unless a coordinator unlocks it, "
        "with a reason."
    )
    with pytest.raises(DomainError) as refused:
        approve(w, "aston")
    assert refused.value.message == locked
    with pytest.raises(DomainError) as refused:
        signoff.approvals_void(response=w.response, actor=w.editor, reason="Q1 answer edited")
    assert refused.value.message == locked
    with pytest.raises(DomainError):
        signoff.reopen(user=w.coordinator, response=w.response)
    perms = access.response_permissions(user=w.coordinator, response=w.response)
    assert (perms.contribute, perms.edit_question_ids) == (False, frozenset())
    assert Approval.objects.filter(response=w.response, voided_at__isnull=True).count() == 3
    from mhi.responses import drafting

    question = Question.objects.get(pk=w.questions[0].pk)
    with pytest.raises(DomainError):
        drafting.answer_save(user=w.coordinator, question=question, text="Late change", base_version=1)


def test_publish_only_when_locked_and_unpublish_back_to_locked():
    w = build()
    with pytest.raises(DomainError) as refused:
        signoff.publish(user=w.coordinator, response=w.response)
    assert refused.value.message == (
        "Only a response signed off by every partner (locked) can be published; this one is “Drafting”."
    )
    signoff.mark_final(user=w.coordinator, response=w.response)
    with pytest.raises(DomainError):
        signoff.publish(user=w.coordinator, response=w.response)
    for slug in ("aston", "leicester", "nottingham"):
        approve(w, slug)
    w.response.refresh_from_db()
    with pytest.raises(PermissionDenied):
        signoff.publish(user=w.leads["aston"], response=w.response)
    signoff.publish(user=w.coordinator, response=w.response)
    w.response.refresh_from_db()
    assert w.response.status == "published"
    assert w.response.published_at is not None
    assert list(access.responses_published()) == [w.response]
    signoff.unpublish(user=w.coordinator, response=w.response)
    w.response.refresh_from_db()
    assert (w.response.status, w.response.published_at) == ("locked", None)
    assert events(w.response)[-2:] == [
        ("published", "Published by Cora Coordinator"),
        ("unpublished", "Unpublished by Cora Coordinator"),
    ]


def test_reopen_takes_sign_off_back_to_drafting_voiding_decisions():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston")
    signoff.reopen(user=w.coordinator, response=w.response)
    w.response.refresh_from_db()
    assert (w.response.status, w.response.final_revision) == ("drafting", None)
    assert Approval.objects.get().void_reason == "reopened for drafting by Cora Coordinator"
    assert events(w.response)[-2:] == [
        ("approval_voided", "Approval by Aston University voided: reopened for drafting by Cora Coordinator"),
        ("reopened", "Reopened for drafting by Cora Coordinator"),
    ]


def test_unlock_needs_a_reason_voids_everything_and_keeps_the_trail():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    for slug in ("aston", "leicester", "nottingham"):
        approve(w, slug)
    w.response.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        signoff.unlock(user=w.coordinator, response=w.response, reason=" ")
    assert refused.value.message == "Give the reason for unlocking: it is kept in the trail."
    with pytest.raises(PermissionDenied):
        signoff.unlock(user=w.leads["aston"], response=w.response, reason="Typo")
    before = len(events(w.response))
    signoff.unlock(user=w.coordinator, response=w.response, reason="DHSC extended the questions")
    w.response.refresh_from_db()
    assert (w.response.status, w.response.locked_at, w.response.final_revision) == ("drafting", None, None)
    assert Approval.objects.filter(voided_at__isnull=True).count() == 0
    assert Approval.objects.count() == 3
    assert set(Approval.objects.values_list("void_reason", flat=True)) == {
        "unlocked by Cora Coordinator: DHSC extended the questions"
    }
    trail = events(w.response)
    assert len(trail) == before + 4
    assert trail[-1] == ("unlocked", "Unlocked by Cora Coordinator: DHSC extended the questions")


def test_signoff_state_names_leads_and_voided_decisions():
    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston")
    answer(w.questions[0], "Changed.")
    w.response.refresh_from_db()
    signoff.approvals_void(response=w.response, actor=w.editor, reason="Q1 answer edited")
    states = signoff.signoff_state(w.response)
    assert [(s.organisation.slug, s.standing, [u.email for u in s.leads], len(s.voided)) for s in states] == [
        ("aston", None, ["ada@aston.example.org"], 1),
        ("leicester", None, ["leo@leicester.example.org"], 0),
        ("nottingham", None, ["nia@nottingham.example.org"], 0),
    ]


def test_an_answer_saved_through_the_drafting_service_voids_the_approvals():
    from mhi.responses import drafting

    w = build()
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston")
    question = Question.objects.select_related("response").get(pk=w.questions[2].pk)
    drafting.answer_save(user=w.coordinator, question=question, text="Edited in sign-off.", base_version=1)
    w.response.refresh_from_db()
    assert (w.response.status, w.response.revision) == ("sign_off", 4)
    assert Approval.objects.get().void_reason == "Q3 answer edited by Cora Coordinator"
    assert ("approval_voided", "Approval by Aston University voided: Q3 answer edited by Cora Coordinator") in events(
        w.response
    )
