"""The scheduler looks for due response reminders every hour; signed-off answers are an index document source."""

from unittest import mock


def test_response_reminders_are_registered_hourly():
    from mhi.core.schedule import PERIODIC
    from mhi.responses.tasks import response_reminders_send_run

    periodic = PERIODIC["response_reminders"]
    assert (periodic.task, periodic.every_minutes) == (response_reminders_send_run, 60)


def test_the_task_runs_the_reminders():
    from mhi.responses.tasks import response_reminders_send_run

    with mock.patch("mhi.responses.notifications.send_deadline_reminders_run", return_value=2) as run:
        assert response_reminders_send_run.call() == 2
    run.assert_called_once_with()


def test_signed_off_answers_are_documents_of_the_index():
    from mhi.expertise.index import DOCUMENT_SOURCES
    from mhi.responses.library import KIND, answer_documents

    assert DOCUMENT_SOURCES[KIND] is answer_documents
