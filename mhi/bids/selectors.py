"""Reads of bids, always filtered by the user, and who may do what to a bid.

A bid's contents are confidential. They are visible to its team (the creator, the lead person and the members
linked to a user), to coordinators, to institution admins of the lead or a partner organisation, and, read-only,
to reviewers assigned to a selection round with an entry for the bid who have no conflict of interest with it.
To everyone else the bid does not exist. The public sees only awarded bids' summaries (`awarded_bids_public`).
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mhi.accounts.models import Role
from mhi.accounts.selectors import memberships_of, user_admin_organisation_ids, user_is_coordinator
from mhi.accounts.selectors import user_signed_in as _signed_in
from mhi.bids.models import (
    Bid,
    BidComment,
    BidDocument,
    BidEvent,
    BidMember,
    BidPartner,
    CapPlace,
    MemberRole,
    ReviewConflict,
    RoundEntry,
    Stage,
)
from mhi.directory.models import Organisation
from mhi.opportunities.selectors import theme_q

# Members with these roles edit the bid (with its creator, lead person, coordinators and lead-organisation admins).
EDITING_MEMBER_ROLES = frozenset({MemberRole.PI, MemberRole.CO_INVESTIGATOR})
PARTNERSHIP_SCOPE = "partnership"


def org_scope(organisation_id: int) -> str:
    """The CapPlace scope of an institution's places."""
    return f"org:{organisation_id}"


def _team_q(user) -> Q:
    """The bids the user is on the team of: creator, lead person or a member."""
    member = BidMember.objects.filter(bid=OuterRef("pk"), person__user=user)
    return Q(created_by=user) | Q(lead_person__user=user) | Q(Exists(member))


def _reviewable_q(user) -> Q:
    """Bids in a round the user reviews, with no conflict of interest recorded for the user and that entry."""
    conflict = ReviewConflict.objects.filter(entry=OuterRef("pk"), reviewer__user=user)
    entries = RoundEntry.objects.filter(bid=OuterRef("pk"), round__reviewers__user=user).exclude(Exists(conflict))
    return Q(Exists(entries))


def bids_visible_to(*, user) -> QuerySet[Bid]:
    """Every bid the user may see. Built from EXISTS subqueries, so each bid appears once without DISTINCT."""
    qs = Bid.objects.select_related("opportunity", "lead_organisation", "lead_person")
    if user_is_coordinator(user):
        return qs
    if not _signed_in(user):
        return qs.none()
    visible = _team_q(user) | _reviewable_q(user)
    admin_orgs = user_admin_organisation_ids(user)
    if admin_orgs:
        partner = BidPartner.objects.filter(bid=OuterRef("pk"), organisation_id__in=admin_orgs)
        visible |= Q(lead_organisation_id__in=admin_orgs) | Q(Exists(partner))
    return qs.filter(visible)


def bid_for(*, user, pk) -> Bid:
    """The bid, or Http404 when it does not exist or the user may not see it (the two look the same)."""
    try:
        return bids_visible_to(user=user).get(pk=pk)
    except (Bid.DoesNotExist, ValueError, TypeError):
        raise Http404("No such bid.") from None


@dataclass(frozen=True)
class BidPermissions:
    can_view: bool = False
    can_edit: bool = False
    can_comment: bool = False
    can_pass_selection: bool = False
    # Sees the bid only as an assigned reviewer (read-only, no comments).
    is_reviewer: bool = False


def _is_reviewer_of(user, bid: Bid) -> bool:
    return Bid.objects.filter(_reviewable_q(user), pk=bid.pk).exists()


def bid_permissions(*, user, bid: Bid) -> BidPermissions:
    if user_is_coordinator(user):
        return BidPermissions(can_view=True, can_edit=True, can_comment=True, can_pass_selection=True)
    if not _signed_in(user):
        return BidPermissions()
    admin_orgs = user_admin_organisation_ids(user)
    lead_admin = bid.lead_organisation_id in admin_orgs
    partner_admin = bool(admin_orgs) and bid.partners.filter(organisation_id__in=admin_orgs).exists()
    member_roles = set(bid.members.filter(person__user=user).values_list("role", flat=True))
    is_lead_person = bid.lead_person_id is not None and bid.lead_person.user_id == user.pk
    is_creator = bid.created_by_id == user.pk
    on_team = is_creator or is_lead_person or bool(member_roles)
    insider = on_team or lead_admin or partner_admin
    reviewer = _is_reviewer_of(user, bid)
    return BidPermissions(
        can_view=insider or reviewer,
        can_edit=lead_admin or is_creator or is_lead_person or bool(member_roles & EDITING_MEMBER_ROLES),
        can_comment=insider,
        can_pass_selection=lead_admin,
        is_reviewer=reviewer,
    )


def user_may_create_bid(user) -> bool:
    """Coordinators, and anyone with a role other than industry / external partner."""
    if user_is_coordinator(user):
        return True
    if not _signed_in(user):
        return False
    return any(m.role != Role.EXTERNAL for m in memberships_of(user))


@dataclass
class BidFilters:
    stage: str = ""
    institution: int | None = None  # the lead or a partner organisation's id
    funder: str = ""
    theme: str = ""
    q: str = ""
    mine: bool = False
    opportunity: int | None = None


def bids_filtered(*, user, filters: BidFilters) -> QuerySet[Bid]:
    """The bids the user may see, narrowed by the list's filters (all in SQL)."""
    qs = bids_visible_to(user=user)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.institution:
        partner = BidPartner.objects.filter(bid=OuterRef("pk"), organisation_id=filters.institution)
        qs = qs.filter(Q(lead_organisation_id=filters.institution) | Q(Exists(partner)))
    if filters.funder:
        qs = qs.filter(
            Q(opportunity__funder_name__iexact=filters.funder)
            | Q(opportunity__funder_organisation__slug=filters.funder)
        )
    if filters.theme:
        # The bid's own themes, or the call's.
        qs = qs.filter(theme_q(filters.theme) | _prefixed(theme_q(filters.theme), "opportunity__"))
    for word in filters.q.split():
        qs = qs.filter(Q(title__icontains=word) | Q(summary__icontains=word) | Q(opportunity__title__icontains=word))
    if filters.mine:
        qs = qs.filter(_team_q(user)) if _signed_in(user) else qs.none()
    if filters.opportunity:
        qs = qs.filter(opportunity_id=filters.opportunity)
    return qs


def _prefixed(q: Q, prefix: str) -> Q:
    """The same condition on a related model's fields."""
    out = Q(_connector=q.connector, _negated=q.negated)
    for child in q.children:
        out.children.append(_prefixed(child, prefix) if isinstance(child, Q) else (prefix + child[0], child[1]))
    return out


def my_bids(*, user) -> QuerySet[Bid]:
    """The bids the user is on the team of (creator, lead person or member)."""
    if not _signed_in(user):
        return Bid.objects.none()
    return Bid.objects.select_related("opportunity", "lead_organisation", "lead_person").filter(_team_q(user))


def awarded_bids_public() -> QuerySet[Bid]:
    """Awarded bids, for public pages: show only their title, lead organisation, opportunity, funder and summary."""
    return (
        Bid.objects.filter(stage=Stage.AWARDED)
        .select_related("opportunity", "lead_organisation")
        .only(
            "id",
            "title",
            "summary",
            "stage",
            "stage_changed_at",
            "lead_organisation__id",
            "lead_organisation__name",
            "lead_organisation__slug",
            "opportunity__id",
            "opportunity__title",
            "opportunity__funder_name",
            "opportunity__scheme",
        )
        .order_by("-stage_changed_at", "-id")
    )


@dataclass(frozen=True)
class CapUse:
    """An institution's (or, with organisation None, the partnership's) use of a capped opportunity's places."""

    organisation: Organisation | None
    used: int
    cap: int | None  # None: no cap of this kind
    bids: int  # bids for the opportunity led by the institution (all of them for the partnership), not withdrawn

    @property
    def remaining(self) -> int | None:
        return None if self.cap is None else max(self.cap - self.used, 0)

    @property
    def is_full(self) -> bool:
        return self.cap is not None and self.used >= self.cap


def cap_use(*, opportunity) -> list[CapUse]:
    """One row per institution that leads a bid for the opportunity or holds a place (by name), then one row for
    the partnership. For coordinators and cap pages: counts only, no bid contents."""
    places = dict(
        CapPlace.objects.filter(opportunity=opportunity, organisation__isnull=False)
        .values_list("organisation_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    live = Bid.objects.filter(opportunity=opportunity).exclude(stage=Stage.WITHDRAWN)
    led = dict(live.values_list("lead_organisation_id").annotate(n=Count("id")).order_by())
    organisations = Organisation.objects.filter(pk__in={*places, *led}).order_by("name", "pk")
    rows = [
        CapUse(
            organisation=org, used=places.get(org.pk, 0), cap=opportunity.cap_per_institution, bids=led.get(org.pk, 0)
        )
        for org in organisations
    ]
    partnership_used = CapPlace.objects.filter(opportunity=opportunity, scope=PARTNERSHIP_SCOPE).count()
    rows.append(CapUse(organisation=None, used=partnership_used, cap=opportunity.cap_partnership, bids=live.count()))
    return rows


def bid_timeline(*, bid: Bid) -> list[BidEvent]:
    """The bid's activity log, newest first."""
    return list(bid.events.select_related("actor"))


def bid_comments(*, bid: Bid) -> QuerySet[BidComment]:
    return bid.comments.select_related("author")


def bid_documents(*, bid: Bid) -> QuerySet[BidDocument]:
    return bid.documents.select_related("uploaded_by")


def bid_members(*, bid: Bid) -> QuerySet[BidMember]:
    return bid.members.select_related("person", "organisation")


def bid_partners(*, bid: Bid) -> QuerySet[BidPartner]:
    return bid.partners.select_related("organisation")


def user_may_see_cap_use(user) -> bool:
    """Coordinators and institution admins: they manage the places their institutions' bids take."""
    return user_is_coordinator(user) or bool(user_admin_organisation_ids(user))
