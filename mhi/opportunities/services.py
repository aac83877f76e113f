"""Writes to opportunities and feeds: by hand, from a CSV file, from a feed. Each goes through the audit trail.

Duplicates: an opportunity with the same link as one already listed, or the same title from the same funder,
is a duplicate. A form or API call that would add one is refused naming the one already listed; a CSV row
or feed item that would is counted as a duplicate and changes nothing, with one exception: an item the same
feed sent before (same feed, same guid/id) is the same record, and is updated with what the feed now says
(only the fields the feed gives, so eligibility, caps and deadlines entered by hand stay).
"""

import datetime
import decimal
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from mhi.core.audit import audit_delete, audit_save
from mhi.core.errors import DomainError, ImportFailed, RowProblem
from mhi.core.imports import ImportProblems, csv_rows
from mhi.directory.models import Organisation
from mhi.opportunities import feeds, matching, selectors
from mhi.opportunities.intake import COLUMNS, FIELD_COLUMNS, record_values
from mhi.opportunities.models import (
    FeedFetch,
    Opportunity,
    OpportunityFeed,
    Source,
    closing_in_past_problem,
    link_key,
    title_funder_key,
)

logger = logging.getLogger(__name__)

# What a person may set on an opportunity (the form, the API, a CSV row).
OPPORTUNITY_FIELDS = (
    "kind",
    "title",
    "funder_name",
    "funder_organisation",
    "scheme",
    "summary",
    "full_text",
    "link",
    "themes",
    "opens_at",
    "eoi_deadline",
    "outline_deadline",
    "closes_at",
    "value_min",
    "value_max",
    "requires_nhs_partner",
    "requires_industry_partner",
    "requires_local_government_partner",
    "lead_must_be_partner_university",
    "min_partner_universities",
    "cap_per_institution",
    "cap_partnership",
)
FEED_FIELDS = (
    "name",
    "url",
    "format",
    "default_kind",
    "funder_name",
    "funder_organisation",
    "active",
    "fetch_interval_minutes",
)
MAX_CSV_BYTES = 5 * 1024 * 1024
COLUMN_FIELDS = COLUMNS  # CSV column → model field
PENNY = decimal.Decimal("0.01")


# --- opportunities by hand -------------------------------------------------------------------------------


def opportunity_problems(
    *, fields: dict, creating: bool, exclude_pk: int | None = None, now: datetime.datetime | None = None
) -> list[tuple[str, str]]:
    """(field, message) for what refuses these values beyond single-field rules: a closing date already past
    (when adding), and a duplicate of an opportunity already listed."""
    problems = []
    if creating:
        past = closing_in_past_problem(fields.get("closes_at"), now=now or timezone.now())
        if past:
            problems.append(("closes_at", past))
    if fields.get("title") and fields.get("funder_name"):
        duplicate = selectors.opportunity_duplicate_of(
            link=fields.get("link") or "", title=fields["title"], funder=fields["funder_name"], exclude_pk=exclude_pk
        )
        if duplicate is not None:
            if link_key(fields.get("link") or "") and duplicate.link_key == link_key(fields["link"]):
                problems.append(("link", f"An opportunity with this link is already listed: “{duplicate.title}”."))
            else:
                problems.append(("title", f"“{duplicate.title}” from {duplicate.funder_name} is already listed."))
    return problems


def _as_stored(fields: dict) -> dict:
    """Values as the database gives them back (datetimes in UTC, money to the penny), so saving the same value
    written another way (4pm UK time, 250000) is not recorded as a change: the audit trail compares text."""
    out = {}
    for name, value in fields.items():
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC)
        elif isinstance(value, decimal.Decimal):
            value = value.quantize(PENNY)
        out[name] = value
    return out


def _refuse(problems: list[tuple[str, str]]) -> None:
    if problems:
        name, message = problems[0]
        raise DomainError(message, field=name)


@transaction.atomic
def opportunity_create(*, actor, data: dict, now: datetime.datetime | None = None) -> Opportunity:
    if not selectors.user_may_create_opportunities(actor):
        raise PermissionDenied("Only coordinators and institution admins add opportunities.")
    fields = _as_stored({name: data[name] for name in OPPORTUNITY_FIELDS if name in data})
    _refuse(opportunity_problems(fields=fields, creating=True, now=now))
    opportunity = Opportunity(**fields, source=Source.MANUAL, created_by=actor)
    audit_save(instance=opportunity, actor=actor)
    matching.opportunities_searchable(ids=[opportunity.pk])
    return opportunity


@transaction.atomic
def opportunity_update(*, actor, opportunity: Opportunity, data: dict) -> Opportunity:
    if not selectors.opportunity_editable_by(user=actor, opportunity=opportunity):
        raise PermissionDenied("Only coordinators, and the institution admin who added it, change an opportunity.")
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    fields = _as_stored({name: data[name] for name in OPPORTUNITY_FIELDS if name in data})
    merged = {name: fields.get(name, getattr(locked, name)) for name in ("title", "funder_name", "link")}
    _refuse(opportunity_problems(fields=merged, creating=False, exclude_pk=locked.pk))
    audit_save(instance=locked, actor=actor, fields=fields)
    matching.opportunities_searchable(ids=[locked.pk])
    return locked


@transaction.atomic
def opportunity_delete(*, actor, opportunity: Opportunity) -> None:
    if not selectors.opportunity_editable_by(user=actor, opportunity=opportunity):
        raise PermissionDenied("Only coordinators, and the institution admin who added it, delete an opportunity.")
    pk = opportunity.pk
    audit_delete(instance=opportunity, actor=actor)
    matching.opportunities_searchable(ids=[pk])


# --- CSV import --------------------------------------------------------------------------------------------


@dataclass
class CsvImportReport:
    file: str
    rows: int = 0
    created: list[Opportunity] = field(default_factory=list)
    # (row, message) for rows that repeat an opportunity already listed or an earlier row.
    duplicates: list[tuple[int, str]] = field(default_factory=list)
    # Bad rows left out (only when asked to skip them).
    skipped: list[RowProblem] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.created)} added", f"{len(self.duplicates)} already listed"]
        if self.skipped:
            parts.append(f"{len({p.row for p in self.skipped})} bad rows skipped")
        return f"{self.rows} rows: " + ", ".join(parts)


def _organisation_by_slug(slug: str) -> Organisation | None:
    return Organisation.objects.filter(slug=slug).first()


@transaction.atomic
def opportunities_import_csv(
    *, actor, path: Path, skip_bad_rows: bool = False, now: datetime.datetime | None = None, name: str = ""
) -> CsvImportReport:
    """Add the opportunities in a CSV file (docs/csv-formats.md). All or nothing unless `skip_bad_rows`:
    any bad row refuses the file (ImportFailed naming every row and column) and nothing is written.
    `actor` None is the command line (`mhi import-opportunities`), which may always import."""
    if actor is not None and not selectors.user_may_create_opportunities(actor):
        raise PermissionDenied("Only coordinators and institution admins import opportunities.")
    now = now or timezone.now()
    report = CsvImportReport(file=name or path.name)
    reading = ImportProblems()
    bad = ImportProblems()
    keys_in_file: dict[str, int] = {}
    to_create: list[Opportunity] = []
    for row in csv_rows(path, required=["title", "funder"], problems=reading):
        report.rows += 1
        row_problems = ImportProblems()
        values = record_values(
            row.get, present=lambda c, r=row: c in r.values, organisation_by_slug=_organisation_by_slug
        )
        for column, message in values.problems:
            row_problems.add(row, column, message)
        opportunity = Opportunity(**_as_stored(values.fields), source=Source.CSV, created_by=actor)
        try:
            opportunity.full_clean(exclude=[COLUMN_FIELDS.get(c, c) for c, _ in values.problems])
        except ValidationError as exc:
            row_problems.add_validation_error(row, exc, {**FIELD_COLUMNS, "__all__": "-"})
        past = closing_in_past_problem(opportunity.closes_at, now=now)
        if past and "closes" not in {p.column for p in row_problems.problems}:
            row_problems.add(row, "closes", past)
        if row_problems.problems:
            bad.problems.extend(row_problems.problems)
            continue
        keys = [
            k for k in (link_key(opportunity.link), title_funder_key(opportunity.title, opportunity.funder_name)) if k
        ]
        earlier = next((keys_in_file[k] for k in keys if k in keys_in_file), None)
        if earlier is not None:
            report.duplicates.append((row.number, f"repeats row {earlier}"))
            continue
        existing = selectors.opportunity_duplicate_of(
            link=opportunity.link, title=opportunity.title, funder=opportunity.funder_name
        )
        if existing is not None:
            report.duplicates.append((row.number, f"already listed as “{existing.title}”"))
            continue
        for key in keys:
            keys_in_file[key] = row.number
        to_create.append(opportunity)
    reading.raise_if_any()  # an unreadable file or a missing column refuses it whatever was asked
    if bad.problems:
        if not skip_bad_rows:
            raise ImportFailed(bad.problems)
        report.skipped = bad.problems
    source = f"CSV import {report.file}"[:100]
    for opportunity in to_create:
        audit_save(instance=opportunity, actor=actor, source=source)
        report.created.append(opportunity)
    matching.opportunities_searchable(ids=[o.pk for o in report.created])
    return report


def opportunities_import_upload(*, actor, upload, skip_bad_rows: bool = False) -> CsvImportReport:
    """The import page's upload: checked, written to a temporary file and imported at once."""
    if not selectors.user_may_create_opportunities(actor):
        raise PermissionDenied("Only coordinators and institution admins import opportunities.")
    name = upload.name or "upload.csv"
    if not name.lower().endswith(".csv"):
        raise DomainError(f"“{name}” is not a .csv file.", field="file")
    if upload.size == 0:
        raise DomainError(f"“{name}” is empty.", field="file")
    if upload.size > MAX_CSV_BYTES:
        raise DomainError(f"“{name}” is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB.", field="file")
    with tempfile.TemporaryDirectory(prefix="mhi-opportunities-") as folder:
        path = Path(folder) / "upload.csv"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        return opportunities_import_csv(actor=actor, path=path, skip_bad_rows=skip_bad_rows, name=name)


# --- feeds -----------------------------------------------------------------------------------------------


def _feed_fields(data: dict) -> dict:
    return {name: data[name] for name in FEED_FIELDS if name in data}


@transaction.atomic
def feed_create(*, actor, data: dict) -> OpportunityFeed:
    if not selectors.user_may_manage_feeds(actor):
        raise PermissionDenied("Only MHI coordinators set up feeds.")
    feed = OpportunityFeed(**_feed_fields(data), created_by=actor)
    audit_save(instance=feed, actor=actor)
    return feed


@transaction.atomic
def feed_update(*, actor, feed: OpportunityFeed, data: dict) -> OpportunityFeed:
    if not selectors.user_may_manage_feeds(actor):
        raise PermissionDenied("Only MHI coordinators change feeds.")
    locked = OpportunityFeed.objects.select_for_update().get(pk=feed.pk)
    audit_save(instance=locked, actor=actor, fields=_feed_fields(data))
    return locked


@transaction.atomic
def feed_delete(*, actor, feed: OpportunityFeed) -> None:
    """The feed and its fetch log go; the opportunities it brought stay, no longer linked to it."""
    if not selectors.user_may_manage_feeds(actor):
        raise PermissionDenied("Only MHI coordinators delete feeds.")
    for opportunity in Opportunity.objects.filter(feed=feed):
        audit_save(instance=opportunity, actor=actor, source=f"feed {feed.name} deleted"[:100], fields={"feed": None})
    audit_delete(instance=feed, actor=actor)


def feed_fetch_request(*, actor, feed: OpportunityFeed) -> None:
    """ "Fetch now": queue a fetch of the feed (the worker runs it; tests run it at once)."""
    if not selectors.user_may_manage_feeds(actor):
        raise PermissionDenied("Only MHI coordinators fetch feeds.")
    from mhi.opportunities.tasks import feed_fetch_run

    feed_fetch_run.enqueue(feed_id=feed.pk)


@dataclass
class _Counts:
    items: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    skipped: int = 0


def _item_problem(item: feeds.FeedItem, message: str) -> feeds.FeedProblem:
    title = f" (“{item.title[:80]}”)" if item.title else ""
    return feeds.FeedProblem(f"Item {item.position}{title}: {message} Nothing from this fetch was saved.")


def _validation_words(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(
            f"{FIELD_COLUMNS.get(name, name)}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


@transaction.atomic
def _feed_store(*, feed: OpportunityFeed, items: list[feeds.FeedItem], now: datetime.datetime) -> _Counts:
    """Store a feed's items, all or nothing: a bad item raises FeedProblem and rolls every change back."""
    counts = _Counts(items=len(items))
    source = f"feed {feed.name}"[:100]
    seen: set[str] = set()
    for item in items:
        values = record_values(
            item.values.get, present=item.values.__contains__, organisation_by_slug=_organisation_by_slug
        )
        if values.problems:
            column, message = values.problems[0]
            raise _item_problem(item, f"{column}: {message}.")
        fields = _as_stored(values.fields)
        if not fields.get("title"):
            raise _item_problem(item, "it has no title.")
        external_id = (fields.pop("external_id", "") or fields.get("link") or "")[:500]
        funder = fields.get("funder_name") or feed.funder_name
        if not funder:
            raise _item_problem(item, "it names no funder; give the feed a funder or issuer.")
        external_id = external_id or title_funder_key(fields["title"], funder)[:500]
        if external_id in seen:
            counts.duplicates += 1
            continue
        seen.add(external_id)
        existing = Opportunity.objects.filter(feed=feed, external_id=external_id).first()
        try:
            if existing is not None:
                changed = audit_save(instance=existing, source=source, fields=fields)
                counts.updated += changed
                counts.unchanged += not changed
                continue
            defaults = {"kind": feed.default_kind, "funder_organisation": feed.funder_organisation}
            opportunity = Opportunity(
                **{**defaults, **fields, "funder_name": funder},
                source=Source.FEED,
                feed=feed,
                external_id=external_id,
            )
            if selectors.opportunity_duplicate_of(
                link=opportunity.link, title=opportunity.title, funder=opportunity.funder_name
            ):
                counts.duplicates += 1
                continue
            if opportunity.closes_at is not None and opportunity.closes_at <= now:
                counts.skipped += 1
                continue
            audit_save(instance=opportunity, source=source)
            counts.created += 1
        except ValidationError as exc:
            raise _item_problem(item, _validation_words(exc)) from None
    if counts.created or counts.updated:
        matching.opportunities_searchable()
    return counts


def feed_fetch(
    *, feed: OpportunityFeed, now: datetime.datetime | None = None, download=feeds.feed_download
) -> FeedFetch:
    """Fetch and store one feed now, recording the fetch. A feed that cannot be reached or read, or has a bad
    item, leaves every opportunity as it was; the fetch and the feed record the error for the feeds page."""
    now = now or timezone.now()
    started = time.monotonic()
    fetch = FeedFetch.objects.create(feed=feed, started_at=now)
    counts, error = _Counts(), ""
    try:
        items = feeds.feed_parse(download(feed.url), format=feed.format)
        counts = _feed_store(feed=feed, items=items, now=now)
    except feeds.FeedProblem as exc:
        error = exc.message
    except Exception as exc:  # a fault of ours, not the feed's: logged, and reported on the feeds page
        logger.exception("Fetching feed %s (%s) failed", feed.pk, feed.url)
        error = f"The fetch failed unexpectedly ({type(exc).__name__}); the error has been logged."
    fetch.finished_at = now + datetime.timedelta(seconds=time.monotonic() - started)
    fetch.status = FeedFetch.Status.FAILED if error else FeedFetch.Status.OK
    fetch.error = error
    for name in ("items", "created", "updated", "unchanged", "duplicates", "skipped"):
        setattr(fetch, name, getattr(counts, name))
    fetch.save()
    OpportunityFeed.objects.filter(pk=feed.pk).update(
        last_fetched_at=now,
        last_status=OpportunityFeed.FetchStatus.FAILED if error else OpportunityFeed.FetchStatus.OK,
        last_error=error,
        last_created=counts.created,
        last_updated=counts.updated,
        last_unchanged=counts.unchanged,
        last_duplicates=counts.duplicates,
    )
    feed.refresh_from_db()
    return fetch


def feeds_fetch_due(*, now: datetime.datetime | None = None, download=feeds.feed_download) -> list[FeedFetch]:
    """Fetch every active feed whose interval has passed. Each feed is claimed first (its last-fetched time
    moved on only if nobody else moved it), so two schedulers running at once fetch a feed once."""
    now = now or timezone.now()
    fetches = []
    for feed in selectors.feeds_due(now=now):
        claimed = OpportunityFeed.objects.filter(pk=feed.pk, last_fetched_at=feed.last_fetched_at)
        if feed.last_fetched_at is None:
            claimed = OpportunityFeed.objects.filter(pk=feed.pk, last_fetched_at__isnull=True)
        if not claimed.update(last_fetched_at=now):
            continue
        fetches.append(feed_fetch(feed=feed, now=now, download=download))
    return fetches
