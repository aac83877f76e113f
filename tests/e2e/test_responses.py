"""The answer editor's live word count: it follows typing, and the over-the-limit tag shows only over the limit."""

import pytest

from mhi.responses.tests.factories import QuestionFactory, ResponseFactory

pytestmark = pytest.mark.e2e


def test_the_word_count_follows_typing_and_flags_only_an_answer_over_the_limit(page, login, db):
    response = ResponseFactory()
    question = QuestionFactory(response=response, number=1, text="What matters?", word_limit=5)
    login(page, response.coordinator)
    page.goto(f"/responses/questions/{question.pk}/")

    count = page.locator("#answer-word-count")
    over = count.get_by_text("Over the limit")
    assert count.locator("[data-word-count-label]").inner_text() == "0 / 5 words"
    assert over.is_visible() is False

    page.locator("textarea[data-word-count]").fill("Patients first, in state-of-the-art clinics — always")
    assert count.locator("[data-word-count-label]").inner_text() == "6 / 5 words"
    assert over.is_visible() is True

    page.locator("textarea[data-word-count]").fill("Patients first.")
    assert count.locator("[data-word-count-label]").inner_text() == "2 / 5 words"
    assert over.is_visible() is False
    assert page.js_errors == []
