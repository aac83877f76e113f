"""Opportunity operations of the API: list with the list page's filters, read, add, change and delete.

Reading is open to everyone (opportunities are public calls). Adding needs a coordinator or an institution
admin; changing and deleting, a coordinator or the institution admin who added it. Values are checked by the
same form as the pages, so an error names the field with the same message. Times are ISO 8601; a time
without an offset is UK time (Europe/London).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms.models import model_to_dict
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.core.errors import DomainError
from mhi.directory.models import Organisation
from mhi.opportunities import selectors, services
from mhi.opportunities.forms import OpportunityForm
from mhi.opportunities.models import Kind, Opportunity, Status

router = Router(tags=["opportunities"], auth=OPTIONAL_AUTH)


class EligibilityOut(Schema):
    requires_nhs_partner: bool
    requires_industry_partner: bool
    requires_local_government_partner: bool
    lead_must_be_partner_university: bool
    min_partner_universities: int


class OpportunityOut(Schema):
    id: int
    kind: str
    status: str
    title: str
    funder_name: str
    funder_organisation: str | None = Field(None, description="Slug of the funder in the directory")
    scheme: str
    summary: str
    link: str
    themes: list[str]
    opens_at: datetime.datetime | None
    eoi_deadline: datetime.datetime | None
    outline_deadline: datetime.datetime | None
    closes_at: datetime.datetime | None
    value_min: Decimal | None = Field(None, description="Pounds (GBP)")
    value_max: Decimal | None = Field(None, description="Pounds (GBP)")
    eligibility: EligibilityOut
    cap_per_institution: int | None = Field(None, description="Bids each institution may submit; null: no cap")
    cap_partnership: int | None = Field(None, description="Bids the whole partnership may submit; null: no cap")
    source: str
    feed: str | None
    external_id: str
    url: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_funder_organisation(obj) -> str | None:
        return obj.funder_organisation.slug if obj.funder_organisation_id else None

    @staticmethod
    def resolve_eligibility(obj) -> dict:
        return {name: getattr(obj, name) for name in EligibilityOut.model_fields}

    @staticmethod
    def resolve_feed(obj) -> str | None:
        return obj.feed.name if obj.feed_id else None

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.get_absolute_url()


class OpportunityDetailOut(OpportunityOut):
    full_text: str


class OpportunityFilters(Schema):
    kind: Kind | None = None
    funder: str | None = Field(None, description="A funder's name, or the slug of a funder in the directory")
    theme: str | None = Field(None, description="One theme, matched whole, ignoring case")
    q: str | None = Field(None, description="Words to find in the title, summary or scheme")
    closing_before: datetime.date | None = Field(None, description="Closing on or before this day (UK time)")


# A query parameter of its own (not in OpportunityFilters) so a bad value is reported as "status".
STATUS_FILTER = Query([], description="Any of forthcoming, open, closing_soon, closed; repeat for several")


class OpportunityIn(Schema):
    kind: Kind | None = None
    title: str | None = None
    funder_name: str | None = None
    funder_organisation: str | None = Field(None, description="Slug of the funder in the directory")
    scheme: str | None = None
    summary: str | None = None
    full_text: str | None = None
    link: str | None = None
    themes: list[str] | None = None
    opens_at: datetime.datetime | None = None
    eoi_deadline: datetime.datetime | None = None
    outline_deadline: datetime.datetime | None = None
    closes_at: datetime.datetime | None = None
    value_min: Decimal | None = None
    value_max: Decimal | None = None
    requires_nhs_partner: bool | None = None
    requires_industry_partner: bool | None = None
    requires_local_government_partner: bool | None = None
    lead_must_be_partner_university: bool | None = None
    min_partner_universities: int | None = None
    cap_per_institution: int | None = None
    cap_partnership: int | None = None


class DeletedOut(Schema):
    id: int
    title: str
    deleted: bool


def _form_data(payload: OpportunityIn, *, base: dict) -> dict:
    """The form's data: what the record has now (`base`), overridden by what the call sent."""
    data = dict(base)
    sent = payload.dict(exclude_unset=True)
    if "funder_organisation" in sent:
        slug = sent.pop("funder_organisation")
        organisation = Organisation.objects.filter(slug=slug).first() if slug else None
        if slug and organisation is None:
            raise DomainError(f"No organisation “{slug}”.", field="funder_organisation")
        data["funder_organisation"] = organisation.pk if organisation else None
    data.update(sent)
    data["themes"] = "\n".join(data.get("themes") or [])
    return {k: ("" if v is None else v) for k, v in data.items()}


def _validated(form: OpportunityForm) -> dict:
    if not form.is_valid():
        raise DjangoValidationError(form.errors.as_data())
    return form.cleaned_data


def _get(request, opportunity_id: int) -> Opportunity:
    try:
        return selectors.opportunity_get(user=request.user, pk=opportunity_id)
    except Opportunity.DoesNotExist:
        raise Http404(f"No opportunity {opportunity_id}.") from None


@router.get("/opportunities", response=list[OpportunityOut], summary="List opportunities")
@paginate(LimitOffsetPagination)
def opportunities_list(
    request,
    filters: Query[OpportunityFilters],
    status: list[Status] = STATUS_FILTER,
):
    return selectors.opportunities_search(
        user=request.user,
        kind=filters.kind or "",
        statuses=status,
        funder=filters.funder or "",
        theme=filters.theme or "",
        q=filters.q or "",
        closing_before=filters.closing_before,
    )


@router.get("/opportunities/{opportunity_id}", response=OpportunityDetailOut, summary="One opportunity")
def opportunity_detail(request, opportunity_id: int):
    return _get(request, opportunity_id)


@router.post(
    "/opportunities",
    response={201: OpportunityDetailOut},
    auth=REQUIRED_AUTH,
    summary="Add an opportunity (coordinators and institution admins)",
)
def opportunity_create(request, payload: OpportunityIn):
    if not selectors.user_may_create_opportunities(request.user):
        raise PermissionDenied("Only coordinators and institution admins add opportunities.")
    base = {"kind": Kind.FUNDING_CALL, "min_partner_universities": 0}
    data = _validated(OpportunityForm(data=_form_data(payload, base=base)))
    opportunity = services.opportunity_create(actor=request.user, data=data)
    return HttpStatus(201, _get(request, opportunity.pk))


@router.patch(
    "/opportunities/{opportunity_id}",
    response=OpportunityDetailOut,
    auth=REQUIRED_AUTH,
    summary="Change an opportunity (only the fields sent)",
)
def opportunity_update(request, opportunity_id: int, payload: OpportunityIn):
    opportunity = _get(request, opportunity_id)
    if not selectors.opportunity_editable_by(user=request.user, opportunity=opportunity):
        raise PermissionDenied("Only coordinators, and the institution admin who added it, change an opportunity.")
    current = Opportunity.objects.get(pk=opportunity.pk)
    base = model_to_dict(current, fields=services.OPPORTUNITY_FIELDS)
    data = _validated(OpportunityForm(data=_form_data(payload, base=base), instance=current))
    services.opportunity_update(actor=request.user, opportunity=opportunity, data=data)
    return _get(request, opportunity.pk)


@router.delete(
    "/opportunities/{opportunity_id}", response=DeletedOut, auth=REQUIRED_AUTH, summary="Delete an opportunity"
)
def opportunity_delete(request, opportunity_id: int):
    opportunity = _get(request, opportunity_id)
    if not selectors.opportunity_editable_by(user=request.user, opportunity=opportunity):
        raise PermissionDenied("Only coordinators, and the institution admin who added it, delete an opportunity.")
    services.opportunity_delete(actor=request.user, opportunity=opportunity)
    return {"id": opportunity_id, "title": opportunity.title, "deleted": True}
