"""Background tasks for joint responses: deadline reminders. `mhi send-response-reminders` does the same from
cron."""

from django_tasks import task


@task()
def response_reminders_send_run() -> int:
    """Remind question owners with unanswered questions, and leads who have not decided, as a response's deadline
    comes near; returns how many reminders were sent."""
    from mhi.responses.notifications import send_deadline_reminders_run

    return send_deadline_reminders_run()
