"""Background tasks for bids: deadline reminders. `mhi send-bid-reminders` does the same from cron."""

from django_tasks import task


@task()
def reminders_send_due_run() -> int:
    """Email every bid team whose deadline reminder is due; returns how many reminders were sent."""
    from mhi.bids.reminders import send_due_reminders

    return send_due_reminders()
