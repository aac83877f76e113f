"""Two people saving the same answer at the same moment: exactly one wins, the other gets the conflict with both
texts. Threads with their own connections, against committed data (tests/concurrency.py): on PostgreSQL they
really run at once and the conditional UPDATE ... WHERE answer_version = base lets one through; on SQLite they
queue on the write lock (IMMEDIATE transactions) and the later one finds the version moved on."""

import pytest

from mhi.responses import drafting
from mhi.responses.models import AnswerVersion, Contribution, ContributionVersion, Question, Response
from mhi.responses.tests.test_drafting import drafting_world
from tests.concurrency import file_database, run_together

CLIENTS = 8


@pytest.fixture
def concurrent(tmp_path):
    with file_database(tmp_path):
        yield


@pytest.mark.django_db(transaction=True)
def test_concurrent_answer_saves_from_one_base_exactly_one_wins(concurrent):
    w = drafting_world()
    drafting.answer_save(user=w.owner, question=w.question, text="Base.", base_version=0)
    users = [w.owner, w.coordinator] * (CLIENTS // 2)

    def save(i):
        question = Question.objects.select_related("response").get(pk=w.question.pk)
        return drafting.answer_save(user=users[i], question=question, text=f"Edit number {i}.", base_version=1)

    results = run_together(save, CLIENTS)
    saved = [r for r in results if isinstance(r, AnswerVersion)]
    conflicts = [r for r in results if isinstance(r, drafting.AnswerConflict)]
    assert (len(saved), len(conflicts)) == (1, CLIENTS - 1), results
    winner = saved[0]
    assert winner.number == 2
    question = Question.objects.get(pk=w.question.pk)
    assert (question.answer, question.answer_version) == (winner.text, 2)
    assert list(AnswerVersion.objects.filter(question=question).order_by("number").values_list("number", "text")) == [
        (1, "Base."),
        (2, winner.text),
    ]
    assert Response.objects.get(pk=w.response.pk).revision == 2
    for conflict in conflicts:
        assert (conflict.current.number, conflict.current.text) == (2, winner.text)
        assert conflict.submitted.startswith("Edit number ")
        assert conflict.submitted != winner.text


@pytest.mark.django_db(transaction=True)
def test_concurrent_contribution_edits_exactly_one_wins(concurrent):
    w = drafting_world()
    contribution = drafting.contribution_add(
        user=w.aston, question=w.question, organisation=w.orgs["aston"], kind="draft", text="First."
    )
    users = [w.aston, w.owner] * (CLIENTS // 2)

    def edit(i):
        fresh = Contribution.objects.select_related("question__response", "organisation").get(pk=contribution.pk)
        return drafting.contribution_edit(user=users[i], contribution=fresh, text=f"Edit {i}.", base_version=1)

    results = run_together(edit, CLIENTS)
    saved = [r for r in results if isinstance(r, ContributionVersion)]
    conflicts = [r for r in results if isinstance(r, drafting.ContributionConflict)]
    assert (len(saved), len(conflicts)) == (1, CLIENTS - 1), results
    assert Contribution.objects.get(pk=contribution.pk).text == saved[0].text
    assert ContributionVersion.objects.filter(contribution=contribution).count() == 2
