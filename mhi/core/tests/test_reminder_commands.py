"""The reminder commands (mhi.core.commands.RemindersCommand) share one shape: send once and say how many, or keep running --every N minutes."""

import io

import pytest
from django.core.management import CommandError, call_command


@pytest.mark.parametrize("name", ["send_bid_reminders", "send_feasibility_reminders", "send_response_reminders"])
def test_a_reminder_command_sends_once_and_says_how_many(db, name):
    out = io.StringIO()

    call_command(name, stdout=out)

    assert out.getvalue() == "0 reminders sent.\n"


@pytest.mark.parametrize("name", ["send_bid_reminders", "send_feasibility_reminders", "send_response_reminders"])
def test_a_reminder_command_refuses_an_interval_under_a_minute(db, name):
    with pytest.raises(CommandError, match=r"^--every must be at least 1 minute\.$"):
        call_command(name, "--every", "0.5")
