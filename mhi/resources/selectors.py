"""Reads of the resource catalogue, and who may manage, import and export it.

The catalogue is public: everyone, signed in or not, sees every resource that is not retired. Managing a resource
(its record, rates, rules, closures, bookings, inductions) is for coordinators, the institution admins of the
organisation that owns it, and the resource's own managers. Importing and exporting an organisation's catalogue is
for coordinators and that organisation's institution admins.
"""

import decimal
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.core.errors import DomainError
from mhi.resources.models import (
    ACCESS_ORDER,
    TIER_NEEDS_ACCESS,
    Booking,
    Rate,
    Resource,
    ResourceStatus,
    Tier,
    UniquipType,
)
from mhi.resources.search import KIND, MIN_SIMILARITY, EmbedderWhenNeeded, resource_documents

__all__ = [
    "ResourceFilters",
    "resource_documents",
    "resource_for",
    "resources_managed_by",
    "resources_public",
    "resources_search",
    "user_may_import_for",
    "user_may_manage_resource",
]

# The most results a search with words returns, best first.
SEARCH_LIMIT = 100


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def user_may_manage_resource(*, user, resource: Resource) -> bool:
    if not _active(user):
        return False
    if user_is_coordinator(user) or resource.organisation_id in user_admin_organisation_ids(user):
        return True
    return resource.managers.filter(pk=user.pk).exists()


def user_may_import_for(*, user, organisation) -> bool:
    """Coordinators for any organisation; institution admins for their own."""
    if not _active(user):
        return False
    return user_is_coordinator(user) or organisation.pk in user_admin_organisation_ids(user)


def resources_public() -> QuerySet[Resource]:
    return Resource.objects.exclude(status=ResourceStatus.RETIRED).select_related("organisation")


def resource_for(*, user, pk) -> Resource:
    """A resource's page: any resource not retired; a retired one only for those who may manage it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such resource.") from None
    resource = Resource.objects.select_related("organisation", "induction_class").filter(pk=pk).first()
    if resource is None:
        raise Http404("No such resource.")
    if resource.status == ResourceStatus.RETIRED and not user_may_manage_resource(user=user, resource=resource):
        raise Http404("No such resource.")
    return resource


def resources_managed_by(*, user) -> QuerySet[Resource]:
    """Every resource, retired ones too, that the user may manage (for their "manage" pages)."""
    qs = Resource.objects.select_related("organisation")
    if not _active(user):
        return qs.none()
    if user_is_coordinator(user):
        return qs
    return qs.filter(Q(organisation_id__in=user_admin_organisation_ids(user)) | Q(managers=user)).distinct()


@dataclass
class ResourceFilters:
    q: str = ""
    technique: str = ""
    institution: int | None = None  # the owning organisation's id
    site: str = ""  # part of the Site Location or the Building
    tier: str = ""  # a Tier value: resources whose access policy admits it
    max_price: decimal.Decimal | None = None  # at most this (in £, whatever the unit) at `tier`, or at any tier
    uniquip_type: str = ""
    status: str = ""  # available or maintenance (retired resources are not in the catalogue)


def _choice(value: str, choices, *, field: str, what: str) -> str:
    value = (value or "").strip()
    if value and value not in choices.values:
        raise DomainError(f"“{value}” is not {what}.", field=field)
    return value


def policies_admitting(tier: str) -> list[str]:
    """The access policies that let someone booking at `tier` book: the one the tier needs and every wider one."""
    needed = TIER_NEEDS_ACCESS[Tier(tier)]
    return ACCESS_ORDER[ACCESS_ORDER.index(needed) :]


def _filtered(filters: ResourceFilters) -> QuerySet[Resource]:
    tier = _choice(filters.tier, Tier, field="tier", what="a price tier")
    uniquip_type = _choice(filters.uniquip_type, UniquipType, field="uniquip_type", what="a type")
    status = _choice(filters.status, ResourceStatus, field="status", what="a status")
    qs = resources_public()
    if filters.technique.strip():
        qs = qs.filter(technique__icontains=filters.technique.strip())
    if filters.institution is not None:
        qs = qs.filter(organisation_id=filters.institution)
    if filters.site.strip():
        site = filters.site.strip()
        qs = qs.filter(Q(site_location__icontains=site) | Q(building__icontains=site))
    if tier:
        qs = qs.filter(access_policy__in=policies_admitting(tier))
    if filters.max_price is not None:
        if filters.max_price < 0:
            raise DomainError("The highest price cannot be less than £0.", field="max_price")
        rates = Rate.objects.filter(resource=OuterRef("pk"), amount__lte=filters.max_price)
        if tier:
            rates = rates.filter(tier=tier)
        qs = qs.filter(Exists(rates))
    if uniquip_type:
        qs = qs.filter(uniquip_type=uniquip_type)
    if status:
        qs = qs.filter(status=status)
    return qs


def resources_search(*, filters: ResourceFilters, user=None, embedder=None) -> list[Resource] | QuerySet[Resource]:
    """The catalogue's search. Without words: every resource that passes the filters, by name. With words: those
    that pass the filters and match by meaning (cosine at least MIN_SIMILARITY, see mhi.resources.search) or by
    their words, best first (the two rankings fused by reciprocal rank), at most SEARCH_LIMIT.

    `embedder` embeds the query (tests pass the session's model); by default the model is loaded when needed.
    Everyone sees the same catalogue, so `user` does not change the results."""
    from mhi.expertise.index import documents_for_text

    qs = _filtered(filters)
    q = " ".join((filters.q or "").split())
    if not q:
        return qs.order_by("name", "pk")
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return []
    hits = documents_for_text(
        kind=KIND,
        text=q,
        embedder=embedder or EmbedderWhenNeeded(),
        limit=SEARCH_LIMIT,
        object_ids=ids,
        pool=SEARCH_LIMIT,
    )
    wanted = [h.object_id for h in hits if h.snippet or (h.similarity is not None and h.similarity >= MIN_SIMILARITY)]
    found = qs.in_bulk(wanted)
    return [found[pk] for pk in wanted if pk in found]


def bookings_visible_to(*, user) -> QuerySet[Booking]:
    """Bookings the user may see: their own, and those of resources they may manage (as a resource's manager or
    an admin of its owner); coordinators see all. Nobody else knows a booking exists."""
    qs = Booking.objects.select_related("resource__organisation", "user", "organisation")
    if user_is_coordinator(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(
        Q(user=user) | Q(resource__organisation_id__in=user_admin_organisation_ids(user)) | Q(resource__managers=user)
    ).distinct()


def booking_for(*, user, pk) -> Booking:
    """A booking the user may see; Http404 otherwise."""
    found = bookings_visible_to(user=user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such booking.")
    return found
