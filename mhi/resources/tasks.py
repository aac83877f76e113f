"""Background tasks for shared resources: waitlist offers that were not taken in time."""

from django_tasks import task


@task()
def waitlist_expire_offers_run() -> int:
    """Expire waitlist offers past their time and offer each freed range to the next in line."""
    from mhi.resources.booking import waitlist_expire_offers

    return waitlist_expire_offers()
