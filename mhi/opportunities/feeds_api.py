"""Feed operations of the API, for coordinators: list, add, change, delete, fetch now, and the fetch log.

Values are checked by the feeds page's form, so an error names the field with the page's message. Anyone
else gets 403 (signed in) or 401 (not signed in); a feed they cannot see does not exist for them.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.directory.selectors import organisation_id_for_slug
from mhi.opportunities import selectors, services
from mhi.opportunities.forms import OpportunityFeedForm
from mhi.opportunities.models import OpportunityFeed

router = Router(tags=["opportunity feeds"], auth=REQUIRED_AUTH)


class FeedOut(Schema):
    id: int
    name: str
    url: str
    format: str
    default_kind: str
    funder_name: str
    funder_organisation: str | None = Field(None, description="Slug of the funder in the directory")
    active: bool
    fetch_interval_minutes: int
    last_fetched_at: datetime.datetime | None
    last_status: str
    last_error: str
    last_created: int
    last_updated: int
    last_unchanged: int
    last_duplicates: int

    @staticmethod
    def resolve_funder_organisation(obj) -> str | None:
        return obj.funder_organisation.slug if obj.funder_organisation_id else None


class FeedIn(Schema):
    name: str | None = None
    url: str | None = None
    format: str | None = Field(None, description="rss, atom or json")
    default_kind: str | None = Field(None, description="funding_call, consultation or partnering")
    funder_name: str | None = None
    funder_organisation: str | None = Field(None, description="Slug of an organisation; empty for none")
    active: bool | None = None
    fetch_interval_minutes: int | None = Field(None, description="At least 15")


class FetchOut(Schema):
    id: int
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    status: str
    items: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    skipped: int
    error: str


def _allowed(request) -> None:
    if not selectors.user_may_manage_feeds(request.user):
        raise PermissionDenied("Only MHI coordinators manage feeds.")


def _get(request, feed_id: int) -> OpportunityFeed:
    _allowed(request)
    try:
        return selectors.feed_get(user=request.user, pk=feed_id)
    except OpportunityFeed.DoesNotExist:
        raise Http404(f"No feed {feed_id}.") from None


def _validated(payload: FeedIn, *, base: dict) -> dict:
    data = dict(base)
    sent = payload.dict(exclude_unset=True)
    if "funder_organisation" in sent:
        data["funder_organisation"] = organisation_id_for_slug(
            sent.pop("funder_organisation"), field="funder_organisation"
        )
    data.update(sent)
    data = {k: ("" if v is None else v) for k, v in data.items()}
    if data.get("active") == "":
        data["active"] = False
    form = OpportunityFeedForm(data=data)
    if not form.is_valid():
        raise DjangoValidationError(form.errors.as_data())
    return form.cleaned_data


@router.get("/opportunity-feeds", response=list[FeedOut], summary="The opportunity feeds (coordinators)")
def feeds_list(request):
    _allowed(request)
    return list(selectors.feeds_visible_to(user=request.user))


@router.post("/opportunity-feeds", response={201: FeedOut}, summary="Add a feed (coordinators)")
def feed_create(request, payload: FeedIn):
    _allowed(request)
    base = {"format": "rss", "default_kind": "funding_call", "active": True, "fetch_interval_minutes": 360}
    feed = services.feed_create(actor=request.user, data=_validated(payload, base=base))
    return HttpStatus(201, feed)


@router.get("/opportunity-feeds/{feed_id}", response=FeedOut, summary="One feed")
def feed_detail(request, feed_id: int):
    return _get(request, feed_id)


@router.patch("/opportunity-feeds/{feed_id}", response=FeedOut, summary="Change a feed (coordinators)")
def feed_update(request, feed_id: int, payload: FeedIn):
    feed = _get(request, feed_id)
    base = model_to_dict(feed, fields=list(services.FEED_FIELDS))
    return services.feed_update(actor=request.user, feed=feed, data=_validated(payload, base=base))


class FeedDeletedOut(Schema):
    id: int
    name: str
    deleted: bool


@router.delete(
    "/opportunity-feeds/{feed_id}", response=FeedDeletedOut, summary="Delete a feed (its opportunities stay)"
)
def feed_delete(request, feed_id: int):
    feed = _get(request, feed_id)
    services.feed_delete(actor=request.user, feed=feed)
    return {"id": feed_id, "name": feed.name, "deleted": True}


@router.post(
    "/opportunity-feeds/{feed_id}/fetch", response={202: FeedOut}, summary="Fetch a feed now (a task; see its log)"
)
def feed_fetch_now(request, feed_id: int):
    feed = _get(request, feed_id)
    services.feed_fetch_request(actor=request.user, feed=feed)
    feed.refresh_from_db()
    return HttpStatus(202, feed)


@router.get("/opportunity-feeds/{feed_id}/fetches", response=list[FetchOut], summary="A feed's fetch log")
def feed_fetch_log(request, feed_id: int):
    return list(selectors.feed_fetches(feed=_get(request, feed_id))[:100])
