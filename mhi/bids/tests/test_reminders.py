"""Deadline reminders: who is emailed, when, with what; once per offset, however many runs; the scheduler, the
task and the command."""

import datetime
import sqlite3
import threading
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections

from mhi.accounts.tests.factories import UserFactory
from mhi.bids import reminders
from mhi.bids.models import Bid, BidEvent, BidMember, ReminderDelivery
from mhi.directory.tests.factories import PersonFactory
from mhi.opportunities.tests.factories import OpportunityFactory

LONDON = ZoneInfo("Europe/London")
# 4pm in London on a day of British Summer Time: 15:00 UTC.
DEADLINE = datetime.datetime(2026, 4, 14, 16, 0, tzinfo=LONDON)
DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def bid(world):
    """A full application to an opportunity closing Tuesday 14 April 2026, 4pm; its team: the researcher
    (co-investigator), an inactive member, a member with no account, the Aston admin as lead person and the
    coordinator as creator (also a member: emailed once)."""
    opportunity = OpportunityFactory(
        title="Research for Patient Benefit", funder_name="NIHR", scheme="RfPB", closes_at=DEADLINE
    )
    bid = Bid.objects.create(
        opportunity=opportunity,
        title="Inhalers for all",
        lead_organisation=world.aston,
        lead_person=PersonFactory(user=world.users["aston_admin"]),
        stage="full_application",
        reminder_days=[14, 7, 1],
        created_by=world.users["coordinator"],
    )
    BidMember.objects.create(bid=bid, person=world.researcher_person, role="co_investigator")
    BidMember.objects.create(bid=bid, person=world.public_person, role="collaborator")
    BidMember.objects.create(bid=bid, person=PersonFactory(user=UserFactory(is_active=False)), role="collaborator")
    BidMember.objects.create(bid=bid, person=PersonFactory(user=world.users["coordinator"]), role="pi")
    return bid


TEAM = ["admin@aston.example.org", "coordinator@example.org", "researcher@nottingham.example.org"]


def test_the_team_is_emailed_once_when_a_reminder_falls_due(bid):
    assert reminders.send_due_reminders(now=DEADLINE - 14 * DAY - MINUTE) == 0
    assert reminders.send_due_reminders(now=DEADLINE - 14 * DAY) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == TEAM
    assert message.subject == "[MHI Hub] The closing date for “Inhalers for all” is Tuesday 14 April 2026, 4pm"
    assert message.body == (
        "Hello,\n\n"
        "The closing date for the bid “Inhalers for all” is Tuesday 14 April 2026, 4pm (UK time), in 14 days.\n\n"
        "Opportunity: Research for Patient Benefit (NIHR, RfPB)\n"
        "Stage: Full application\n"
        f"The bid: {settings.SITE_URL}/bids/{bid.pk}/\n\n"
        "You get this because you are on the bid's team. The team is reminded 14, 7 and 1 days before each "
        "deadline; change this on the bid's page.\n\n"
        "MHI Hub, Midlands Health Innovation\n"
    )
    # Later runs before the next offset send nothing more.
    assert reminders.send_due_reminders(now=DEADLINE - 10 * DAY) == 0
    assert len(mail.outbox) == 1
    delivery = ReminderDelivery.objects.get()
    assert (delivery.deadline_field, delivery.deadline, delivery.days_before, delivery.recipients) == (
        "closes_at",
        DEADLINE,
        14,
        3,
    )
    event = BidEvent.objects.get(bid=bid, kind="reminder")
    assert event.message == "Reminder sent to 3 people: the closing date is Tuesday 14 April 2026, 4pm"
    assert event.data["days_before"] == 14


def test_each_offset_is_sent_in_turn_and_none_after_the_deadline(bid):
    sent = [
        reminders.send_due_reminders(now=now)
        for now in (DEADLINE - 14 * DAY, DEADLINE - 7 * DAY, DEADLINE - 3 * DAY, DEADLINE - DAY, DEADLINE)
    ]
    assert sent == [1, 1, 0, 1, 0]
    assert [m.body.split("\n")[2].rsplit(", ", 1)[1] for m in mail.outbox] == [
        "in 14 days.",
        "in 7 days.",
        "tomorrow.",
    ]
    assert sorted(ReminderDelivery.objects.values_list("days_before", flat=True)) == [1, 7, 14]


def test_offsets_due_together_send_one_email_for_the_nearest(bid):
    assert reminders.send_due_reminders(now=DEADLINE - 2 * DAY) == 1
    assert mail.outbox[0].body.split("\n")[2].endswith("in 2 days.")
    assert dict(ReminderDelivery.objects.values_list("days_before", "recipients")) == {14: 0, 7: 3}
    assert reminders.send_due_reminders(now=DEADLINE - DAY) == 1
    assert len(mail.outbox) == 2


def test_a_reminder_another_run_has_claimed_is_not_sent_again(bid):
    # The other run's delivery row exists: this run's insert fails on the unique constraint and sends nothing.
    ReminderDelivery.objects.create(bid=bid, deadline_field="closes_at", deadline=DEADLINE, days_before=7)
    claimed = reminders._remind(bid=bid, deadline=DEADLINE, due=[7], now=DEADLINE - 7 * DAY)
    assert claimed is False
    assert mail.outbox == []
    assert ReminderDelivery.objects.count() == 1
    assert not BidEvent.objects.filter(kind="reminder").exists()


def test_a_failed_email_stays_due_for_the_next_run(bid, monkeypatch):
    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    assert reminders.send_due_reminders(now=DEADLINE - 7 * DAY) == 0
    assert ReminderDelivery.objects.count() == 0
    monkeypatch.undo()
    assert reminders.send_due_reminders(now=DEADLINE - 7 * DAY) == 1
    assert len(mail.outbox) == 1


def test_a_moved_deadline_is_reminded_afresh(bid):
    assert reminders.send_due_reminders(now=DEADLINE - 7 * DAY) == 1
    later = DEADLINE + 7 * DAY
    bid.opportunity.closes_at = later
    bid.opportunity.save()
    assert reminders.send_due_reminders(now=later - 7 * DAY) == 1
    assert mail.outbox[1].subject.endswith("is Tuesday 21 April 2026, 4pm")


def test_the_stage_chooses_the_deadline(bid):
    bid.opportunity.outline_deadline = datetime.datetime(2026, 1, 20, 12, 0, tzinfo=LONDON)
    bid.opportunity.save()
    Bid.objects.filter(pk=bid.pk).update(stage="outline")
    assert reminders.send_due_reminders(now=datetime.datetime(2026, 1, 19, 13, 0, tzinfo=LONDON)) == 1
    assert (
        mail.outbox[0].subject
        == "[MHI Hub] The outline deadline for “Inhalers for all” is Tuesday 20 January 2026, midday"
    )


@pytest.mark.parametrize("stage", ["submitted", "awarded", "unsuccessful", "withdrawn"])
def test_no_reminders_for_bids_past_their_deadlines_stage_or_closed(bid, stage):
    Bid.objects.filter(pk=bid.pk).update(stage=stage)
    assert reminders.send_due_reminders(now=DEADLINE - DAY) == 0
    assert mail.outbox == []


def test_no_reminders_when_the_bid_asks_for_none(bid):
    Bid.objects.filter(pk=bid.pk).update(reminder_days=[])
    assert reminders.send_due_reminders(now=DEADLINE - DAY) == 0


def test_a_team_with_nobody_to_email_is_recorded_and_not_retried(world):
    bid = Bid.objects.create(
        opportunity=OpportunityFactory(closes_at=DEADLINE),
        title="Nobody",
        lead_organisation=world.aston,
        stage="full_application",
    )
    assert reminders.send_due_reminders(now=DEADLINE - DAY) == 0
    assert ReminderDelivery.objects.get(bid=bid, days_before=1).recipients == 0
    assert mail.outbox == []
    assert not BidEvent.objects.filter(kind="reminder").exists()


def test_the_scheduler_queues_the_reminders_every_hour():
    from mhi.bids.tasks import reminders_send_due_run
    from mhi.core.schedule import PERIODIC

    assert (PERIODIC["bid_reminders"].task, PERIODIC["bid_reminders"].every_minutes) == (reminders_send_due_run, 60)


def test_the_task_and_the_command_send_what_is_due(bid, monkeypatch):
    from mhi.bids.tasks import reminders_send_due_run

    now = DEADLINE - 7 * DAY
    monkeypatch.setattr("django.utils.timezone.now", lambda: now)
    assert reminders_send_due_run.call() == 1
    out = __import__("io").StringIO()
    call_command("send_bid_reminders", stdout=out)
    assert out.getvalue() == "0 reminders sent.\n"
    assert len(mail.outbox) == 1


# --- two runs at once ---------------------------------------------------------------------------------------


@pytest.fixture
def file_database(tmp_path):
    """On SQLite, a file copy of the in-memory test database that every thread's connection points at, as in
    test_caps.py (whose module text says why: the in-memory shared cache fails a second writer at once)."""
    original = connections[DEFAULT_DB_ALIAS]
    if original.vendor != "sqlite" or not original.is_in_memory_db():
        yield None
        return
    path = tmp_path / "reminders.sqlite3"
    original.ensure_connection()
    target = sqlite3.connect(path)
    original.connection.backup(target)
    target.close()
    settings_dict = {**original.settings_dict, "NAME": str(path)}
    _connect(settings_dict)
    try:
        yield settings_dict
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections[DEFAULT_DB_ALIAS] = original


def _connect(settings_dict) -> None:
    if settings_dict:
        wrapper_class = type(connections[DEFAULT_DB_ALIAS])
        connections[DEFAULT_DB_ALIAS] = wrapper_class(dict(settings_dict), DEFAULT_DB_ALIAS)


@pytest.mark.django_db(transaction=True)
def test_runs_at_the_same_moment_send_each_reminder_once(file_database, bid):
    runs = 4
    ready = threading.Barrier(runs)
    sent: list = []

    def run() -> None:
        _connect(file_database)
        try:
            ready.wait(timeout=30)
            sent.append(reminders.send_due_reminders(now=DEADLINE - 7 * DAY))
        except Exception as exc:  # reported in the assertion, not lost in the thread
            sent.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(sent, key=str) == [0, 0, 0, 1]
    assert len(mail.outbox) == 1
    assert sorted(ReminderDelivery.objects.values_list("days_before", "recipients")) == [(7, 3), (14, 0)]
    assert BidEvent.objects.filter(kind="reminder").count() == 1
