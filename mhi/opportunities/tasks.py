"""Background tasks for opportunities: fetching feeds. `mhi fetch-feeds` runs the same fetches on a schedule."""

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
