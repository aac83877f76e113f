"""Reads of opportunities and feeds, filtered by what the user may see, and who may change what.

Opportunities are public calls: everyone, signed in or not, sees all of them. Feeds are for coordinators.
"""

import datetime
import json

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.opportunities.dates import LONDON
from mhi.opportunities.models import (
    FeedFetch,
    Opportunity,
    OpportunityFeed,
    OpportunityQuerySet,
    Status,
    link_key,
    status_q,
)
from mhi.opportunities.models import title_funder_key as make_title_funder_key


def user_may_create_opportunities(user) -> bool:
    """Coordinators and institution admins add opportunities, by hand or from a CSV file."""
    return user_is_coordinator(user) or bool(user_admin_organisation_ids(user))


def opportunity_editable_by(*, user, opportunity: Opportunity) -> bool:
    """Coordinators edit and delete any opportunity; an institution admin, those they added."""
    if user_is_coordinator(user):
        return True
    return (
        getattr(user, "is_authenticated", False)
        and opportunity.created_by_id == user.pk
        and bool(user_admin_organisation_ids(user))
    )


def user_may_manage_feeds(user) -> bool:
    return user_is_coordinator(user)


def opportunities_visible_to(*, user) -> OpportunityQuerySet:
    return Opportunity.objects.select_related("funder_organisation", "feed")


def opportunities_search(
    *,
    user,
    kind: str = "",
    statuses=(),
    funder: str = "",
    theme: str = "",
    q: str = "",
    closing_before: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> OpportunityQuerySet:
    """The list's filters, all in SQL. `statuses` is any of Status's values; `closing_before` keeps those
    that close on or before that day (UK time); `theme` is one theme, matched whole and ignoring case."""
    now = now or timezone.now()
    qs = opportunities_visible_to(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    if statuses:
        qs = qs.status_in(statuses, now=now)
    if funder:
        qs = qs.filter(Q(funder_name__iexact=funder) | Q(funder_organisation__slug=funder))
    if theme:
        qs = qs.filter(theme_q(theme))
    if closing_before:
        end = datetime.datetime.combine(closing_before + datetime.timedelta(days=1), datetime.time(), tzinfo=LONDON)
        qs = qs.filter(closes_at__lt=end)
    for word in q.split():
        qs = qs.filter(Q(title__icontains=word) | Q(summary__icontains=word) | Q(scheme__icontains=word))
    return qs.in_list_order(now=now)


def theme_q(theme: str) -> Q:
    """Opportunities with this theme. Themes are stored as a JSON list, so the quoted label is looked for in
    its text (on SQLite and PostgreSQL alike), written both as JSON escapes it and as it is."""
    label = " ".join(theme.split())
    return Q(themes__icontains=json.dumps(label)) | Q(themes__icontains=json.dumps(label, ensure_ascii=False))


def opportunity_get(*, user, pk: int) -> Opportunity:
    return opportunities_visible_to(user=user).get(pk=pk)


def opportunity_funders(*, user) -> list[str]:
    """Funder names in use, for the list's filter."""
    names = opportunities_visible_to(user=user).order_by().values_list("funder_name", flat=True).distinct()
    return sorted(set(names), key=str.lower)


def opportunity_themes(*, user) -> list[str]:
    """Every theme in use (first spelling seen), for the list's filter."""
    seen: dict[str, str] = {}
    for themes in opportunities_visible_to(user=user).order_by().values_list("themes", flat=True):
        for theme in themes or []:
            seen.setdefault(theme.lower(), theme)
    return sorted(seen.values(), key=str.lower)


def opportunity_duplicate_of(
    *, link: str, title: str, funder: str, exclude_pk: int | None = None
) -> Opportunity | None:
    """The opportunity this one would duplicate: the same link, or the same title from the same funder
    (compared ignoring case, accents, punctuation, "www." and tracking parameters)."""
    qs = Opportunity.objects.all()
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    key = link_key(link)
    if key:
        found = qs.filter(link_key=key).order_by("pk").first()
        if found:
            return found
    return qs.filter(title_funder_key=make_title_funder_key(title, funder)).order_by("pk").first()


def opportunity_status_counts(*, user, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many opportunities have each status, in one query."""
    now = now or timezone.now()
    return opportunities_visible_to(user=user).aggregate(
        **{s.value: Count("id", filter=status_q(s, now=now)) for s in Status}
    )


def feeds_visible_to(*, user) -> QuerySet[OpportunityFeed]:
    if not user_may_manage_feeds(user):
        return OpportunityFeed.objects.none()
    return OpportunityFeed.objects.select_related("funder_organisation")


def feed_get(*, user, pk: int) -> OpportunityFeed:
    return feeds_visible_to(user=user).get(pk=pk)


def feed_fetches(*, feed: OpportunityFeed) -> QuerySet[FeedFetch]:
    return feed.fetches.all()


def feeds_due(*, now: datetime.datetime | None = None) -> list[OpportunityFeed]:
    """Active feeds whose interval has passed since they were last fetched (or that never were)."""
    now = now or timezone.now()
    return [feed for feed in OpportunityFeed.objects.filter(active=True).order_by("pk") if feed.is_due(now)]
