"""The demo responses: a draft to the demo consultation and a published position statement, loaded once."""

import pytest

from mhi.responses.demo import DRAFT_TITLE, POSITION_TITLE, demo_responses_load
from mhi.responses.models import (
    AnswerVersion,
    Approval,
    Comment,
    Contribution,
    ContributionVersion,
    Question,
    Response,
    Signatory,
)


@pytest.fixture
def demo(db):
    from mhi.core.demo import demo_opportunities_load, demo_seed
    from mhi.directory.reference import reference_load

    reference_load()
    demo_seed()
    demo_opportunities_load()


def test_the_draft_answers_the_demo_consultation(demo):
    assert demo_responses_load() == 2
    draft = Response.objects.get(title=DRAFT_TITLE)
    assert (draft.kind, draft.status, draft.opportunity.title, draft.is_demo) == (
        "consultation",
        "drafting",
        "Demo consultation: the future of clinical research delivery",
        True,
    )
    assert draft.deadline == draft.opportunity.closes_at.date()
    assert draft.signatories.count() == 7
    questions = list(draft.questions.order_by("number"))
    assert [(q.number, q.word_limit, q.answer_version, q.owner.email) for q in questions] == [
        (1, 300, 1, "lead.leicester@demo.example.org"),
        (2, 400, 1, "researcher.nottingham@demo.example.org"),
        (3, 250, 1, "admin.aston@demo.example.org"),
        (4, 300, 0, "coordinator@demo.example.org"),
    ]
    # Four questions added (a revision each), then three answers.
    assert draft.revision == 7
    assert list(AnswerVersion.objects.filter(question__response=draft).values_list("response_revision", flat=True)) == [
        5,
        6,
        7,
    ]
    assert all(q.answer == q.versions.get().text for q in questions[:3])
    assert sorted(
        Contribution.objects.filter(question__response=draft).values_list("organisation__name", flat=True)
    ) == ["University of Leicester", "University of Nottingham", "University of Nottingham"]
    assert ContributionVersion.objects.filter(contribution__question__response=draft).count() == 3
    assert Comment.objects.filter(question__response=draft).count() == 3
    assert Comment.objects.filter(question__response=draft, parent__isnull=False).count() == 1


def test_the_position_statement_is_published_and_approved_by_every_partner(demo):
    demo_responses_load()
    position = Response.objects.get(title=POSITION_TITLE)
    assert (position.kind, position.status, position.opportunity) == ("position", "published", None)
    assert position.locked_at is not None and position.published_at is not None
    assert position.revision == position.final_revision == 4
    approvals = Approval.objects.filter(response=position)
    assert approvals.count() == 7
    assert set(approvals.values_list("decision", "revision", "voided_at")) == {("approved", 4, None)}
    assert set(approvals.values_list("organisation_id", flat=True)) == set(
        position.signatories.values_list("organisation_id", flat=True)
    )
    assert position.questions.filter(answer_version=1).count() == 2


def test_the_demo_loads_once(demo):
    demo_responses_load()
    counts = (
        Response.objects.count(),
        Signatory.objects.count(),
        Question.objects.count(),
        AnswerVersion.objects.count(),
        Contribution.objects.count(),
        Comment.objects.count(),
        Approval.objects.count(),
    )
    assert counts == (2, 14, 6, 5, 3, 3, 7)
    assert demo_responses_load() == 0
    assert (
        Response.objects.count(),
        Signatory.objects.count(),
        Question.objects.count(),
        AnswerVersion.objects.count(),
        Contribution.objects.count(),
        Comment.objects.count(),
        Approval.objects.count(),
    ) == counts


@pytest.mark.django_db(transaction=True)
def test_loading_the_demo_sends_no_email(mailoutbox):
    """Real commits (a transactional test), so the owners' assignment emails, sent after the commit, would go out."""
    from mhi.core.demo import demo_opportunities_load, demo_seed
    from mhi.directory.reference import reference_load

    reference_load()
    demo_seed()
    demo_opportunities_load()
    mailoutbox.clear()

    assert demo_responses_load() == 2
    assert mailoutbox == []
