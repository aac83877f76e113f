"""Background tasks for opportunities: fetching feeds and sending digests. `mhi fetch-feeds` and `mhi send-digests`
run the same on a schedule."""

from django_tasks import task


@task()
def feed_fetch_run(*, feed_id: int) -> str:
    """Fetch one feed now ("Fetch now" on the feeds page); the fetch log records how it went."""
    from mhi.opportunities.models import OpportunityFeed
    from mhi.opportunities.services import feed_fetch

    feed = OpportunityFeed.objects.filter(pk=feed_id).first()
    if feed is None:
        return "gone"
    return feed_fetch(feed=feed).status


@task()
def feeds_fetch_due_run() -> int:
    """Fetch every feed that is due; returns how many were fetched."""
    from mhi.opportunities.services import feeds_fetch_due

    return len(feeds_fetch_due())


@task()
def digests_send_due_run() -> str:
    """Send every opportunity digest that is due (`mhi send-digests` does the same on a schedule)."""
    from mhi.opportunities.digests import digests_send_due

    return digests_send_due().summary()
