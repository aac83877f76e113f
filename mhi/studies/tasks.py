"""Background tasks for patient-based research: feasibility reminders. `mhi send-feasibility-reminders` does the
same from cron."""

from django_tasks import task


@task()
def feasibility_reminders_send_run() -> int:
    """Remind every invited site that has not answered when one of its request's reminder days is reached;
    returns how many reminders were sent."""
    from mhi.studies.feasibility import feasibility_reminders_run

    return feasibility_reminders_run()
