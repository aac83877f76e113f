"""Emails about joint responses (mhi.responses.notifications): assignment, sign-off requested, decisions, voided
decisions, locked, and deadline reminders sent once per (response, person, offset)."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from mhi.accounts.tests.factories import UserFactory
from mhi.core.errors import DomainError
from mhi.directory.tests.factories import OrganisationFactory
from mhi.responses import notifications, signoff
from mhi.responses.models import ResponseEvent, ResponseReminder
from mhi.responses.tests.factories import QuestionFactory, SignatoryFactory
from mhi.responses.tests.test_signoff import answer, approve, build

pytestmark = pytest.mark.django_db


def sent():
    return [(m.to, m.subject) for m in mail.outbox]


def test_assignment_tells_the_new_owner(django_capture_on_commit_callbacks):
    w = build()
    owner = UserFactory(full_name="Olu Owner", email="olu@leicester.example.org")
    question = w.questions[1]
    question.owner = owner
    question.save()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_assigned(question=question, actor=w.coordinator)
    assert sent() == [
        (["olu@leicester.example.org"], "[MHI Hub] Q2 of “MHI response to the NIHR strategy” is yours to answer")
    ]
    body = mail.outbox[0].body
    assert "Question 2?" in body and "Word limit: 250 words." in body
    assert f"Write the answer here: {settings.SITE_URL}/responses/questions/{question.pk}/\n" in body
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    # Nobody is told of a question they gave themselves.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_assigned(question=question, actor=owner)
    assert mail.outbox == []


def test_the_sign_off_loop_emails(django_capture_on_commit_callbacks):
    w = build()
    with django_capture_on_commit_callbacks(execute=True):
        signoff.mark_final(user=w.coordinator, response=w.response)
    title = "“MHI response to the NIHR strategy”"
    assert sent() == [
        (["ada@aston.example.org"], f"[MHI Hub] Sign-off asked: {title} for Aston University"),
        (["leo@leicester.example.org"], f"[MHI Hub] Sign-off asked: {title} for University of Leicester"),
        (["nia@nottingham.example.org"], f"[MHI Hub] Sign-off asked: {title} for University of Nottingham"),
    ]
    assert f"\nSign-off: {settings.SITE_URL}/responses/{w.response.pk}/sign-off/\n" in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approve(w, "aston")
        approve(w, "leicester", decision="changes_requested", comment="Q1 is too long.")
    assert sent() == [
        (["cora@mhi.example.org"], f"[MHI Hub] Aston University approved {title}"),
        (["cora@mhi.example.org"], f"[MHI Hub] University of Leicester asks for changes to {title}"),
    ]
    assert "Q1 is too long." in mail.outbox[1].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        answer(w.questions[0], "Shorter.", author=w.editor)
        w.response.refresh_from_db()
        signoff.approvals_void(response=w.response, actor=w.editor, reason="Q1 answer edited")
    assert sent() == [
        (
            ["ada@aston.example.org"],
            f"[MHI Hub] Look again: the decision on {title} for Aston University was voided",
        ),
        (
            ["leo@leicester.example.org"],
            f"[MHI Hub] Look again: the decision on {title} for University of Leicester was voided",
        ),
    ]
    assert "no longer stands: Q1 answer edited by Eve Editor." in mail.outbox[0].body
    assert "The final draft is now version r4." in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        for slug in ("aston", "leicester", "nottingham"):
            approve(w, slug)
    locked = [m for m in mail.outbox if "Signed off by every partner" in m.subject]
    assert sorted(m.to[0] for m in locked) == [
        "ada@aston.example.org",
        "cora@mhi.example.org",
        "leo@leicester.example.org",
        "nia@nottingham.example.org",
    ]
    assert len(mail.outbox) == 3 + 4  # three decisions to the coordinator, the lock to four people


def test_nothing_is_sent_for_a_refused_change(django_capture_on_commit_callbacks):
    w = build(answered=False)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        signoff.mark_final(user=w.coordinator, response=w.response)
    assert mail.outbox == []


def test_the_coordinator_is_told_which_partners_have_nobody_to_sign(django_capture_on_commit_callbacks):
    w = build()
    SignatoryFactory(response=w.response, organisation=OrganisationFactory(name="Keele University", slug="keele"))
    with django_capture_on_commit_callbacks(execute=True):
        signoff.mark_final(user=w.coordinator, response=w.response)
    assert sent()[-1] == (
        ["cora@mhi.example.org"],
        "[MHI Hub] Nobody to sign “MHI response to the NIHR strategy” for Keele University",
    )
    assert "- Keele University" in mail.outbox[-1].body
    assert len(mail.outbox) == 4


# --- deadline reminders -------------------------------------------------------------------------------------


@pytest.fixture
def due():
    """A drafting response due in 10 days (reminders 7 and 2 days before): Q1 owned by Olu, unanswered; Q2
    owned by Pat, answered."""
    today = timezone.localdate()
    w = build(answered=False, deadline=today + datetime.timedelta(days=10))
    olu = UserFactory(full_name="Olu Owner", email="olu@example.org")
    pat = UserFactory(full_name="Pat Owner", email="pat@example.org")
    for question, owner in zip(w.questions[:2], (olu, pat), strict=True):
        question.owner = owner
        question.save()
    answer(w.questions[1], "Done.")
    w.response.refresh_from_db()
    return w, today


def test_reminders_are_sent_once_per_offset(due):
    w, today = due
    assert notifications.send_deadline_reminders_run(today=today) == 0  # 10 days away: nothing due
    seven = today + datetime.timedelta(days=3)
    assert notifications.send_deadline_reminders_run(today=seven) == 1
    assert notifications.send_deadline_reminders_run(today=seven) == 0  # run twice: once
    assert sent() == [
        (
            ["olu@example.org"],
            f"[MHI Hub] The deadline for “MHI response to the NIHR strategy” is {w.response.deadline:%-d %B %Y} (in 7 days)",
        )
    ]
    assert "- Q1: Question 1?" in mail.outbox[0].body
    assert f"\nThe response: {settings.SITE_URL}/responses/{w.response.pk}/\n" in mail.outbox[0].body
    assert notifications.send_deadline_reminders_run(today=today + datetime.timedelta(days=5)) == 0
    two = today + datetime.timedelta(days=8)
    assert notifications.send_deadline_reminders_run(today=two) == 1
    assert notifications.send_deadline_reminders_run(today=two) == 0
    assert sorted(ResponseReminder.objects.values_list("user__email", "days_before")) == [
        ("olu@example.org", 2),
        ("olu@example.org", 7),
    ]
    assert len(mail.outbox) == 2
    assert ResponseEvent.objects.filter(kind="reminder_sent").count() == 2
    # After the deadline nothing more.
    assert notifications.send_deadline_reminders_run(today=today + datetime.timedelta(days=11)) == 0


def test_several_offsets_due_at_once_send_one_email(due):
    w, today = due
    assert notifications.send_deadline_reminders_run(today=today + datetime.timedelta(days=9)) == 1
    assert "(tomorrow)" in mail.outbox[0].subject
    assert sorted(ResponseReminder.objects.values_list("days_before", flat=True)) == [2, 7]
    assert notifications.send_deadline_reminders_run(today=today + datetime.timedelta(days=10)) == 0


def test_in_sign_off_leads_who_have_not_decided_are_reminded(django_capture_on_commit_callbacks):
    today = timezone.localdate()
    w = build(deadline=today + datetime.timedelta(days=2))
    signoff.mark_final(user=w.coordinator, response=w.response)
    approve(w, "aston")
    mail.outbox.clear()
    assert notifications.send_deadline_reminders_run(today=today) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["leo@leicester.example.org", "nia@nottingham.example.org"]
    assert "Still waiting for your sign-off decision for:\n- University of Leicester" in mail.outbox[0].body
    assert notifications.send_deadline_reminders_run(today=today) == 0


def test_odd_reminder_days_are_ignored(due):
    w, today = due
    w.response.reminder_days = "7, x, 0, 7,-1"
    w.response.save()
    assert notifications.reminder_offsets(w.response) == [7]


def test_locked_responses_and_responses_without_a_deadline_get_no_reminders(due):
    w, today = due
    w.response.deadline = None
    w.response.save()
    assert notifications.send_deadline_reminders_run(today=today + datetime.timedelta(days=9)) == 0


def test_the_command_sends_the_due_reminders(due, capsys):
    w, today = due
    w.response.deadline = today + datetime.timedelta(days=1)
    w.response.save()
    call_command("send_response_reminders")
    assert capsys.readouterr().out == "1 reminder sent.\n"
    call_command("send_response_reminders")
    assert capsys.readouterr().out == "0 reminders sent.\n"


def test_a_question_without_an_owner_reminds_nobody():
    today = timezone.localdate()
    w = build(answered=False, deadline=today + datetime.timedelta(days=1))
    QuestionFactory(response=w.response, number=4)
    assert notifications.send_deadline_reminders_run(today=today) == 0
