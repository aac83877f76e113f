"""Drafting (mhi.responses.drafting): saving the consolidated answer from a base version (no silent overwrite),
versions, word counts, readable diffs, contributions and their versions, threaded comments and their emails."""

from dataclasses import dataclass

import pytest
from django.core import mail

from mhi.accounts.models import Role
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.responses import drafting
from mhi.responses.models import (
    AnswerVersion,
    Approval,
    Comment,
    Contribution,
    ContributionVersion,
    Question,
    Response,
    ResponseEvent,
)
from mhi.responses.tests.factories import (
    ApprovalFactory,
    CommentFactory,
    ContributionFactory,
    QuestionFactory,
    ResponseFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db


# --- the world (used by the other test_drafting* modules too) ---------------------------------------------


@dataclass
class DraftingWorld:
    response: Response
    question: Question
    coordinator: object  # the response's coordinator
    owner: object  # Aston researcher, owns the question
    aston: object  # another Aston contributor
    leicester: object  # Leicester's institution lead
    outsider: object  # Nottingham researcher: Nottingham is not a signatory
    orgs: dict


def member(organisation, role, name, email):
    user = UserFactory(full_name=name, email=email)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def drafting_world() -> DraftingWorld:
    orgs = {
        "aston": OrganisationFactory(name="Aston University", slug="aston-d", kind="university"),
        "leicester": OrganisationFactory(name="University of Leicester", slug="leicester-d", kind="university"),
        "nottingham": OrganisationFactory(name="University of Nottingham", slug="nottingham-d", kind="university"),
    }
    coordinator = UserFactory(full_name="Cora Ordinator", email="cora@mhi.example.org")
    response = ResponseFactory(title="Mental health strategy consultation", coordinator=coordinator)
    SignatoryFactory(response=response, organisation=orgs["aston"])
    SignatoryFactory(response=response, organisation=orgs["leicester"])
    owner = member(orgs["aston"], Role.RESEARCHER, "Olive Owner", "olive@aston.example.org")
    aston = member(orgs["aston"], Role.RESEARCHER, "Ash Aston", "ash@aston.example.org")
    leicester = member(orgs["leicester"], Role.INSTITUTION_LEAD, "Lee Lead", "lee@leicester.example.org")
    outsider = member(orgs["nottingham"], Role.RESEARCHER, "Nat Out", "nat@nottingham.example.org")
    question = QuestionFactory(
        response=response,
        number=1,
        text="What should the region prioritise?",
        guidance="Cite evidence where you can.",
        word_limit=10,
        owner=owner,
    )
    return DraftingWorld(response, question, coordinator, owner, aston, leicester, outsider, orgs)


@pytest.fixture
def w():
    return drafting_world()


# --- word counts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("state-of-the-art care in 2024", 4),  # a hyphenated word once, numbers count
        ("", 0),
        ("   \n\n  ", 0),
        ("Care — not cure — first", 4),  # a dash standing alone is not a word
        ("R&D and A & E", 4),  # "&" alone is not a word; "R&D" is one
        ("12,000 patients; £5m a year (e.g. 2023-24)", 7),
        ("NHS\tR&D\nteams", 3),
        ("café naïve coöperation", 3),
    ],
)
def test_word_count_counts_as_a_reader_does(text, words):
    assert drafting.word_count(text) == words


def test_word_count_label_against_the_limit():
    assert drafting.count_against_limit("one two three", 250).label == "3 / 250 words"
    assert drafting.count_against_limit("one", None).label == "1 word"
    assert drafting.count_against_limit("", None).label == "0 words"
    assert drafting.count_against_limit("a b c", 2).over is True
    assert drafting.count_against_limit("a b", 2).over is False


# --- diffs ----------------------------------------------------------------------------------------------------


def test_text_diff_marks_words_inserted_and_removed():
    old = "The region should fund early help."
    new = "The region should fund early help and crisis care.\n\nIt should start in 2026."
    assert drafting.text_diff(old, new) == [
        ("equal", "The region should fund early "),
        ("delete", "help."),
        ("insert", "help and crisis care.\n\nIt should start in 2026."),
    ]


def test_text_diff_small_example_exact():
    assert drafting.text_diff("The cat sat on the mat.", "The cat stood on the mat.") == [
        ("equal", "The cat "),
        ("delete", "sat "),
        ("insert", "stood "),
        ("equal", "on the mat."),
    ]


def test_text_diff_joins_back_to_both_texts():
    old = "Alpha beta gamma.\nDelta epsilon."
    new = "Alpha gamma zeta.\n\nDelta epsilon eta."
    segments = drafting.text_diff(old, new)
    assert "".join(t for op, t in segments if op != "delete") == new
    assert "".join(t for op, t in segments if op != "insert").split() == old.split()


def test_text_diff_a_new_paragraph_shows():
    assert drafting.text_diff("One. Two.", "One.\n\nTwo.") == [("equal", "One."), ("insert", "\n\n"), ("equal", "Two.")]


def test_diff_html_escapes_and_labels_changes_for_screen_readers():
    html = drafting.diff_html(drafting.text_diff("a <b> c", "a d c"))
    assert html == (
        'a <del class="mhi-diff__del"><span class="govuk-visually-hidden">[removed: </span>&lt;b&gt; '
        '<span class="govuk-visually-hidden">]</span></del>'
        '<ins class="mhi-diff__ins"><span class="govuk-visually-hidden">[inserted: </span>d '
        '<span class="govuk-visually-hidden">]</span></ins>c'
    )


def test_diff_of_identical_texts_is_one_equal_segment():
    assert drafting.text_diff("Same text here.", "Same text here.") == [("equal", "Same text here.")]
    assert drafting.text_diff("", "") == []


# --- saving the answer ----------------------------------------------------------------------------------------


def test_first_save_is_version_one_with_everything_recorded(w):
    version = drafting.answer_save(
        user=w.owner, question=w.question, text="  Fund early help.\r\nNow. ", base_version=0, note="first go"
    )
    w.question.refresh_from_db()
    w.response.refresh_from_db()
    assert (version.number, version.text, version.author, version.note, version.response_revision) == (
        1,
        "Fund early help.\nNow.",
        w.owner,
        "first go",
        1,
    )
    assert version.is_new is True
    assert (w.question.answer, w.question.answer_version, w.response.revision) == ("Fund early help.\nNow.", 1, 1)
    event = ResponseEvent.objects.get(response=w.response, kind="answer_saved")
    assert event.summary == "Q1 answer saved as version 1 by Olive Owner (4 / 10 words): first go"
    assert event.detail == {
        "question": w.question.pk,
        "number": 1,
        "version": 1,
        "revision": 1,
        "words": 4,
        "reused_from": None,
    }
    assert AuditEvent.objects.filter(object_repr__startswith="Q1: ", action="update").count() == 1
    assert AuditEvent.objects.filter(object_repr=f"{w.question} v1", action="create").count() == 1


def test_second_save_from_the_same_base_is_a_conflict_and_nothing_is_overwritten(w):
    drafting.answer_save(user=w.owner, question=w.question, text="Base text.", base_version=0)
    first = Question.objects.get(pk=w.question.pk)
    second = Question.objects.get(pk=w.question.pk)
    drafting.answer_save(user=w.owner, question=first, text="Owner's edit.", base_version=1)
    with pytest.raises(drafting.AnswerConflict) as caught:
        drafting.answer_save(user=w.coordinator, question=second, text="Coordinator's edit.", base_version=1)
    conflict = caught.value
    assert isinstance(conflict, Conflict)
    assert (conflict.current.number, conflict.current.text, conflict.current.author) == (2, "Owner's edit.", w.owner)
    assert conflict.submitted == "Coordinator's edit."
    assert conflict.message == (
        "Someone else saved this answer while you were editing it (you started from version 1; it is now version 2, "
        "saved by Olive Owner). Your text has not been saved: compare both versions and save again."
    )
    w.question.refresh_from_db()
    assert (w.question.answer, w.question.answer_version) == ("Owner's edit.", 2)
    assert list(AnswerVersion.objects.filter(question=w.question).values_list("number", "text")) == [
        (1, "Base text."),
        (2, "Owner's edit."),
    ]
    assert Response.objects.get(pk=w.response.pk).revision == 2
    # Saving again from the current version passes.
    version = drafting.answer_save(user=w.coordinator, question=second, text="Coordinator's edit.", base_version=2)
    assert (version.number, version.response_revision) == (3, 3)


def test_saving_the_same_text_is_a_no_op(w):
    drafting.answer_save(user=w.owner, question=w.question, text="Same.", base_version=0)
    again = drafting.answer_save(user=w.coordinator, question=w.question, text="Same.\n", base_version=1)
    # Even from a stale base: nothing would be overwritten.
    stale = drafting.answer_save(user=w.coordinator, question=w.question, text="Same.", base_version=0)
    assert (again.is_new, again.number, stale.is_new, stale.number) == (False, 1, False, 1)
    assert AnswerVersion.objects.filter(question=w.question).count() == 1
    assert Response.objects.get(pk=w.response.pk).revision == 1
    assert ResponseEvent.objects.filter(kind="answer_saved").count() == 1


def test_an_empty_first_save_is_a_no_op(w):
    version = drafting.answer_save(user=w.owner, question=w.question, text="   ", base_version=0)
    assert (version.pk, version.number, version.is_new) == (None, 0, False)
    assert AnswerVersion.objects.count() == 0


def test_over_the_limit_is_saved_while_drafting(w):
    text = "one two three four five six seven eight nine ten eleven"
    version = drafting.answer_save(user=w.owner, question=w.question, text=text, base_version=0)
    assert version.number == 1
    assert drafting.count_against_limit(version.text, w.question.word_limit).label == "11 / 10 words"
    assert drafting.count_against_limit(version.text, w.question.word_limit).over is True


def test_only_the_owner_and_managers_save_the_answer(w):
    with pytest.raises(PermissionDenied) as caught:
        drafting.answer_save(user=w.aston, question=w.question, text="Mine.", base_version=0)
    assert caught.value.message == "Only the owner of Q1 or the response's coordinator may edit its answer."
    with pytest.raises(PermissionDenied):
        drafting.answer_save(user=w.outsider, question=w.question, text="Mine.", base_version=0)
    assert drafting.answer_save(user=w.coordinator, question=w.question, text="Ok.", base_version=0).number == 1
    assert AnswerVersion.objects.count() == 1


def test_a_locked_response_refuses_saves(w):
    Response.objects.filter(pk=w.response.pk).update(status="locked", locked_at="2026-01-01T00:00:00Z")
    w.response.refresh_from_db()
    with pytest.raises(PermissionDenied) as caught:
        drafting.answer_save(user=w.coordinator, question=w.question, text="Too late.", base_version=0)
    assert caught.value.message == (
        "The response is locked: every partner signed it off, and its text cannot change unless a coordinator "
        "unlocks it."
    )
    with pytest.raises(PermissionDenied):
        drafting.contribution_add(
            user=w.owner, question=w.question, organisation=w.orgs["aston"], kind="draft", text="Late."
        )
    with pytest.raises(PermissionDenied):
        drafting.comment_add(user=w.owner, question=w.question, text="Late.")
    assert (AnswerVersion.objects.count(), Contribution.objects.count(), Comment.objects.count()) == (0, 0, 0)


def test_a_response_locked_after_the_page_was_loaded_refuses_the_save(w):
    stale = Question.objects.select_related("response").get(pk=w.question.pk)
    Response.objects.filter(pk=w.response.pk).update(status="locked", locked_at="2026-01-01T00:00:00Z")
    with pytest.raises(PermissionDenied):
        drafting.answer_save(user=w.coordinator, question=stale, text="Too late.", base_version=0)
    assert Question.objects.get(pk=w.question.pk).answer == ""


def test_a_save_voids_standing_approvals(w):
    drafting.answer_save(user=w.owner, question=w.question, text="Draft.", base_version=0)
    Response.objects.filter(pk=w.response.pk).update(status="sign_off", final_revision=1)
    w.response.refresh_from_db()
    approval = ApprovalFactory(response=w.response, organisation=w.orgs["aston"], revision=1)
    drafting.answer_save(user=w.coordinator, question=w.question, text="Draft, edited.", base_version=1)
    approval.refresh_from_db()
    assert approval.voided_at is not None
    assert (approval.voided_by, approval.void_reason) == (w.coordinator, "Q1 answer edited by Cora Ordinator")
    assert Approval.objects.filter(response=w.response, voided_at__isnull=True).count() == 0


def test_bad_text_and_base_version_are_refused_with_the_reason(w):
    with pytest.raises(DomainError) as caught:
        drafting.answer_save(user=w.owner, question=w.question, text="bad\x00byte", base_version=0)
    assert (caught.value.message, caught.value.field) == (
        "The answer contains a control character, which cannot be stored; remove it.",
        "text",
    )
    with pytest.raises(DomainError) as caught:
        drafting.answer_save(user=w.owner, question=w.question, text="ok", base_version="x")
    assert (caught.value.message, caught.value.field) == (
        "The version you started from is missing; reload the page and try again.",
        "base_version",
    )
    with pytest.raises(DomainError) as caught:
        drafting.answer_save(user=w.owner, question=w.question, text="x" * 100_001, base_version=0)
    assert caught.value.message == "The answer is 100,001 characters long; the most is 100,000."
    assert AnswerVersion.objects.count() == 0


def test_answer_diff_defaults_to_previous_and_latest(w):
    drafting.answer_save(user=w.owner, question=w.question, text="Fund early help.", base_version=0)
    drafting.answer_save(user=w.owner, question=w.question, text="Fund early help now.", base_version=1)
    drafting.answer_save(user=w.owner, question=w.question, text="Fund crisis care now.", base_version=2)
    diff = drafting.answer_diff(w.question)
    assert (diff.old.number, diff.new.number) == (2, 3)
    assert diff.segments == [
        ("equal", "Fund "),
        ("delete", "early help "),
        ("insert", "crisis care "),
        ("equal", "now."),
    ]
    assert (diff.summary.inserted, diff.summary.removed) == (2, 2)
    first = drafting.answer_diff(w.question, "0", "1")
    assert first.segments == [("insert", "Fund early help.")]
    assert drafting.answer_diff(w.question, "1", "3").segments == [
        ("equal", "Fund "),
        ("delete", "early help."),
        ("insert", "crisis care now."),
    ]


# --- contributions ----------------------------------------------------------------------------------------------


def test_a_contributor_adds_for_their_institution_as_version_one(w):
    contribution = drafting.contribution_add(
        user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="evidence", text=" 12,000 patients. "
    )
    assert (contribution.text, contribution.version, contribution.author, contribution.kind) == (
        "12,000 patients.",
        1,
        w.aston,
        "evidence",
    )
    assert list(ContributionVersion.objects.values_list("number", "text", "author")) == [
        (1, "12,000 patients.", w.aston.pk)
    ]
    assert ResponseEvent.objects.get(kind="contribution_added").summary == (
        "Evidence from Aston University added to Q1 by Ash Aston"
    )
    # A contribution does not change what the partners sign.
    assert Response.objects.get(pk=w.response.pk).revision == 0


def test_contributions_for_another_institution_or_a_non_signatory_are_refused(w):
    with pytest.raises(PermissionDenied) as caught:
        drafting.contribution_add(
            user=w.aston, question=w.question, organisation=w.orgs["leicester"], kind="draft", text="Theirs."
        )
    assert (
        caught.value.message == "You may add contributions only for your own institution, not University of Leicester."
    )
    with pytest.raises(DomainError) as caught:
        drafting.contribution_add(
            user=w.coordinator, question=w.question, organisation=w.orgs["nottingham"], kind="draft", text="No."
        )
    assert (caught.value.message, caught.value.field) == (
        "University of Nottingham is not a signatory of this response; contributions come from its partners.",
        "organisation",
    )
    with pytest.raises(PermissionDenied) as caught:
        drafting.contribution_add(
            user=w.outsider, question=w.question, organisation=w.orgs["nottingham"], kind="draft", text="No."
        )
    assert caught.value.message == "Only the response's partners and coordinators may contribute to it."
    with pytest.raises(DomainError) as caught:
        drafting.contribution_add(user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="x", text="a")
    assert caught.value.message == "Choose whether this is evidence or draft text."
    with pytest.raises(DomainError) as caught:
        drafting.contribution_add(
            user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="draft", text=" "
        )
    assert caught.value.message == "The contribution is empty; write something first."
    assert (Contribution.objects.count(), ContributionVersion.objects.count()) == (0, 0)


def test_coordinators_contribute_for_any_signatory(w):
    contribution = drafting.contribution_add(
        user=w.coordinator, question=w.question, organisation=w.orgs["leicester"], kind="draft", text="On their behalf."
    )
    assert contribution.organisation == w.orgs["leicester"]


def test_contribution_edits_are_versions_and_keep_the_author(w):
    contribution = drafting.contribution_add(
        user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="draft", text="First."
    )
    version = drafting.contribution_edit(user=w.owner, contribution=contribution, text="Second.", base_version=1)
    assert (version.number, version.author, version.is_new) == (2, w.owner, True)
    contribution.refresh_from_db()
    assert (contribution.text, contribution.version, contribution.author) == ("Second.", 2, w.aston)
    assert list(contribution.versions.values_list("number", "text")) == [(1, "First."), (2, "Second.")]
    unchanged = drafting.contribution_edit(user=w.owner, contribution=contribution, text="Second.", base_version=2)
    assert (unchanged.number, unchanged.is_new) == (2, False)
    diff = drafting.contribution_diff(contribution)
    assert diff.segments == [("delete", "First."), ("insert", "Second.")]


def test_contribution_edit_conflict_shows_both(w):
    contribution = drafting.contribution_add(
        user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="draft", text="First."
    )
    drafting.contribution_edit(user=w.owner, contribution=contribution, text="Olive's.", base_version=1)
    with pytest.raises(drafting.ContributionConflict) as caught:
        drafting.contribution_edit(user=w.aston, contribution=contribution, text="Ash's.", base_version=1)
    assert (caught.value.current.number, caught.value.current.text, caught.value.submitted) == (2, "Olive's.", "Ash's.")
    assert caught.value.message == (
        "Someone else saved this contribution while you were editing it (you started from version 1; it is now "
        "version 2, saved by Olive Owner). Your text has not been saved: compare both versions and save again."
    )
    assert Contribution.objects.get(pk=contribution.pk).text == "Olive's."
    assert ContributionVersion.objects.filter(contribution=contribution).count() == 2


def test_only_the_author_their_institution_and_managers_edit_a_contribution(w):
    contribution = drafting.contribution_add(
        user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="draft", text="Aston's."
    )
    with pytest.raises(PermissionDenied) as caught:
        drafting.contribution_edit(user=w.leicester, contribution=contribution, text="Changed.", base_version=1)
    assert caught.value.message == (
        "Only its author, contributors of Aston University and the response's coordinator may edit this contribution."
    )
    assert (
        drafting.contribution_edit(
            user=w.coordinator, contribution=contribution, text="Coordinated.", base_version=1
        ).number
        == 2
    )
    assert Contribution.objects.get(pk=contribution.pk).version == 2


def test_contributions_grouped_by_partner(w):
    a1 = ContributionFactory(question=w.question, organisation=w.orgs["leicester"], author=w.leicester)
    a2 = ContributionFactory(question=w.question, organisation=w.orgs["aston"], author=w.aston)
    a3 = ContributionFactory(question=w.question, organisation=w.orgs["leicester"], author=w.leicester)
    groups = drafting.contributions_by_partner(w.question)
    assert [(g.organisation.name, [c.pk for c in g.contributions]) for g in groups] == [
        ("Aston University", [a2.pk]),
        ("University of Leicester", [a1.pk, a3.pk]),
    ]


# --- comments ---------------------------------------------------------------------------------------------------


def test_comments_thread_depth_first(w):
    top = CommentFactory(question=w.question, author=w.aston, text="Top")
    second = CommentFactory(question=w.question, author=w.leicester, text="Second top")
    reply = CommentFactory(question=w.question, author=w.owner, parent=top, text="Reply")
    deeper = CommentFactory(question=w.question, author=w.aston, parent=reply, text="Deeper")
    reply2 = CommentFactory(question=w.question, author=w.coordinator, parent=top, text="Reply 2")
    assert [(t.comment.pk, t.depth) for t in drafting.comment_thread(w.question)] == [
        (top.pk, 0),
        (reply.pk, 1),
        (deeper.pk, 2),
        (reply2.pk, 1),
        (second.pk, 0),
    ]


def test_a_reply_emails_the_owner_and_the_parent_author(w, django_capture_on_commit_callbacks):
    top = CommentFactory(question=w.question, author=w.leicester, text="Can we cite 2024?")
    with django_capture_on_commit_callbacks(execute=True):
        reply = drafting.comment_add(user=w.aston, question=w.question, text="Yes: NHS Digital.", parent=top)
    assert reply.parent == top
    assert sorted(m.to[0] for m in mail.outbox) == ["lee@leicester.example.org", "olive@aston.example.org"]
    message = next(m for m in mail.outbox if m.to == ["lee@leicester.example.org"])
    assert message.subject == "[MHI Hub] Reply on Q1 of “Mental health strategy consultation”"
    assert "Ash Aston replied on question 1" in message.body
    assert "(you wrote the comment it replies to)" in message.body
    assert "Yes: NHS Digital." in message.body
    assert f"/responses/questions/{w.question.pk}/#comment-{reply.pk}" in message.body
    assert ResponseEvent.objects.get(kind="comment_added").summary == "Reply on Q1 by Ash Aston"


def test_the_owner_is_not_emailed_of_their_own_comment(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        drafting.comment_add(user=w.owner, question=w.question, text="Note to self.")
    assert mail.outbox == []


def test_a_comment_by_someone_else_emails_the_owner(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        drafting.comment_add(user=w.leicester, question=w.question, text="Add our data.")
    assert [m.to for m in mail.outbox] == [["olive@aston.example.org"]]
    assert mail.outbox[0].subject == "[MHI Hub] Comment on Q1 of “Mental health strategy consultation”"
    assert "(you own Q1)" in mail.outbox[0].body


def test_comments_refused_with_the_reason(w):
    with pytest.raises(PermissionDenied):
        drafting.comment_add(user=w.outsider, question=w.question, text="Hello")
    with pytest.raises(DomainError) as caught:
        drafting.comment_add(user=w.aston, question=w.question, text="  ")
    assert caught.value.message == "The comment is empty; write something first."
    other = QuestionFactory(response=w.response, number=2)
    elsewhere = CommentFactory(question=other, author=w.aston)
    with pytest.raises(DomainError) as caught:
        drafting.comment_add(user=w.aston, question=w.question, text="Reply", parent=elsewhere)
    assert caught.value.message == "The comment you reply to is on another question."
    assert Comment.objects.count() == 1
