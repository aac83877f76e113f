"""The scheduler looks for due feasibility reminders every hour."""

from unittest import mock


def test_feasibility_reminders_are_registered_hourly():
    from mhi.core.schedule import PERIODIC
    from mhi.studies.tasks import feasibility_reminders_send_run

    periodic = PERIODIC["feasibility_reminders"]
    assert (periodic.task, periodic.every_minutes) == (feasibility_reminders_send_run, 60)


def test_the_task_runs_the_reminders():
    from mhi.studies.tasks import feasibility_reminders_send_run

    with mock.patch("mhi.studies.feasibility.feasibility_reminders_run", return_value=3) as run:
        assert feasibility_reminders_send_run.call() == 3
    run.assert_called_once_with()
