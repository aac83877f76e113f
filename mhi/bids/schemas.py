"""Request and response shapes of the bids API (mhi.bids.api). Organisations and people are named by their
slugs, as in the directory API; money is pounds (GBP) as decimals; times are ISO 8601 (UK time when no offset)."""

import datetime
from decimal import Decimal

from django.utils import timezone
from ninja import Field, Schema

from mhi.bids.models import MemberRole, PartnerRole, Stage


class OpportunityRefOut(Schema):
    id: int
    title: str
    funder_name: str
    scheme: str


class OrganisationRefOut(Schema):
    slug: str
    name: str


class PersonRefOut(Schema):
    slug: str
    display_name: str


def _organisation(org) -> dict | None:
    return {"slug": org.slug, "name": org.name} if org is not None else None


_ROLE_RANK = {role: i for i, role in enumerate(MemberRole.values)}


def members_in_role_order(members) -> list:
    """PI first, then co-investigators, researcher co-investigators and collaborators, each by family name (the
    model orders roles alphabetically)."""
    return sorted(members, key=lambda m: (_ROLE_RANK.get(m.role, len(_ROLE_RANK)), m.person.family_name, m.pk))


def _person(person) -> dict | None:
    return {"slug": person.slug, "display_name": person.display_name} if person is not None else None


class BidOut(Schema):
    id: int
    title: str
    opportunity: OpportunityRefOut
    lead_organisation: OrganisationRefOut
    lead_person: PersonRefOut | None
    stage: str
    stage_label: str
    value_requested: Decimal | None = Field(None, description="Pounds (GBP)")
    value_awarded: Decimal | None = Field(None, description="Pounds (GBP)")
    themes: list[str]
    deadline_field: str | None = Field(None, description="The opportunity's date the stage works towards")
    deadline: datetime.datetime | None
    overdue: bool = Field(description="The stage's deadline has passed and the bid is not closed")
    version: int = Field(description="Send it back with a change (PATCH): a stale version is refused (409)")
    updated_at: datetime.datetime
    url: str

    @staticmethod
    def resolve_lead_organisation(obj) -> dict:
        return _organisation(obj.lead_organisation)

    @staticmethod
    def resolve_lead_person(obj) -> dict | None:
        return _person(obj.lead_person) if obj.lead_person_id else None

    @staticmethod
    def resolve_stage_label(obj) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_deadline_field(obj) -> str | None:
        return obj.deadline_field

    @staticmethod
    def resolve_deadline(obj) -> datetime.datetime | None:
        return obj.deadline()

    @staticmethod
    def resolve_overdue(obj) -> bool:
        return obj.is_overdue(timezone.now())

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class PartnerOut(Schema):
    id: int
    organisation: OrganisationRefOut
    role: str
    role_label: str
    note: str

    @staticmethod
    def resolve_organisation(obj) -> dict:
        return _organisation(obj.organisation)

    @staticmethod
    def resolve_role_label(obj) -> str:
        return obj.get_role_display()


class MemberOut(Schema):
    id: int
    person: PersonRefOut
    role: str
    role_label: str
    organisation: OrganisationRefOut | None = Field(None, description="The organisation they take part for")

    @staticmethod
    def resolve_person(obj) -> dict:
        return _person(obj.person)

    @staticmethod
    def resolve_role_label(obj) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_organisation(obj) -> dict | None:
        return _organisation(obj.organisation) if obj.organisation_id else None


class PermissionsOut(Schema):
    can_edit: bool
    can_comment: bool
    can_pass_selection: bool
    is_reviewer: bool


class BidDetailOut(BidOut):
    summary: str = Field(description="Non-confidential: may be published if the bid is awarded")
    case: str = Field(description="Case for support (confidential)")
    reminder_days: list[int] = Field(description="Days before each deadline that the team is reminded")
    team_proposal: int | None = Field(None, description="The kept team the bid was started from")
    allowed_next_stages: list[str]
    partners: list[PartnerOut]
    members: list[MemberOut]
    permissions: PermissionsOut
    created_by: str | None
    created_at: datetime.datetime

    @staticmethod
    def resolve_team_proposal(obj) -> int | None:
        return obj.team_proposal_id

    @staticmethod
    def resolve_allowed_next_stages(obj) -> list[str]:
        return list(obj.allowed_next_stages())

    @staticmethod
    def resolve_partners(obj) -> list:
        return list(obj.partners.select_related("organisation"))

    @staticmethod
    def resolve_members(obj) -> list:
        return members_in_role_order(obj.members.select_related("person", "organisation"))

    @staticmethod
    def resolve_created_by(obj) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None


class PartnerIn(Schema):
    organisation: str = Field(description="Slug of the organisation")
    role: PartnerRole
    note: str = Field("", max_length=200)


class MemberIn(Schema):
    person: str = Field(description="Slug of the person")
    role: MemberRole
    organisation: str | None = Field(None, description="Slug of the organisation they take part for")


class BidCreateIn(Schema):
    opportunity: int
    title: str = Field("", description="Required, except from a kept team (default: the opportunity's title)")
    lead_organisation: str | None = Field(
        None, description="Slug of the lead organisation; required, except from a kept team (default: its PI's)"
    )
    lead_person: str | None = Field(None, description="Slug of the lead person")
    summary: str = ""
    case: str = ""
    themes: list[str] | None = None
    value_requested: Decimal | None = None
    reminder_days: list[int] | None = Field(None, description="Default: the site's (14, 7 and 1 days)")
    team_proposal: int | None = Field(
        None,
        description="A kept team (POST /teams) to start from: its people become the team (the first as PI) and "
        "their universities the partners; send no members or partners with it",
    )
    partners: list[PartnerIn] = []
    members: list[MemberIn] = []


class BidUpdateIn(Schema):
    version: int = Field(description="The version you started from (GET gives it)")
    title: str | None = None
    lead_organisation: str | None = Field(None, description="Slug of the lead organisation")
    lead_person: str | None = Field(None, description="Slug of the lead person; null or empty for none")
    summary: str | None = None
    case: str | None = None
    themes: list[str] | None = None
    value_requested: Decimal | None = None
    value_awarded: Decimal | None = None
    reminder_days: list[int] | None = None


class TransitionIn(Schema):
    to_stage: Stage
    reason: str = ""
    value_awarded: Decimal | None = Field(None, description="When moving to awarded")


class DeletedOut(Schema):
    id: int
    deleted: bool


class DocumentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int = Field(description="Bytes")
    sha256: str
    description: str
    uploaded_by: str | None
    uploaded_at: datetime.datetime

    @staticmethod
    def resolve_uploaded_by(obj) -> str | None:
        return str(obj.uploaded_by) if obj.uploaded_by_id else None


class CommentIn(Schema):
    text: str = Field(min_length=1, max_length=10_000)


class CommentOut(Schema):
    id: int
    author: str | None
    text: str
    created_at: datetime.datetime

    @staticmethod
    def resolve_author(obj) -> str | None:
        return str(obj.author) if obj.author_id else None


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    message: str
    actor: str | None
    at: datetime.datetime

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_actor(obj) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class StatementOut(Schema):
    bid: int
    kind: str
    markdown: str


class BidFiltersIn(Schema):
    stage: Stage | None = None
    institution: str | None = Field(None, description="Slug of a lead or partner organisation")
    funder: str | None = None
    theme: str | None = None
    q: str | None = Field(None, description="Words to find in the title or summary")
    mine: bool = Field(False, description="Only bids you are on the team of, lead or created")
    opportunity: int | None = None


class PipelineRowOut(Schema):
    stage: str
    institution: OrganisationRefOut
    count: int
    value: Decimal = Field(description="Value requested, pounds (GBP)")


class StageTotalOut(Schema):
    stage: str
    count: int
    value: Decimal


class InstitutionTotalOut(Schema):
    institution: OrganisationRefOut
    count: int
    value: Decimal


class PipelineOut(Schema):
    rows: list[PipelineRowOut]
    by_stage: list[StageTotalOut]
    by_institution: list[InstitutionTotalOut]
    count: int
    value: Decimal


class RateRowOut(Schema):
    key: str
    year: int
    decided: int = Field(description="Awarded + unsuccessful (withdrawn bids are not counted)")
    awarded: int
    rate: Decimal = Field(description="awarded / decided, 0 to 1")
    value_awarded: Decimal


class CapUseOut(Schema):
    organisation: OrganisationRefOut | None = Field(None, description="null: the partnership-wide cap")
    used: int = Field(description="Places taken (by bids that passed internal selection)")
    cap: int | None = Field(None, description="null: no cap")
    remaining: int | None = Field(None, description="null: no cap")
    is_full: bool
    bids: int = Field(
        description="Bids for the opportunity led by the institution (all, for the partnership), not withdrawn"
    )


class AwardedBidOut(Schema):
    id: int
    title: str
    lead_organisation: OrganisationRefOut
    opportunity: str
    funder: str
    summary: str

    @staticmethod
    def resolve_lead_organisation(obj) -> dict:
        return _organisation(obj.lead_organisation)

    @staticmethod
    def resolve_opportunity(obj) -> str:
        return obj.opportunity.title

    @staticmethod
    def resolve_funder(obj) -> str:
        return obj.opportunity.funder_name
