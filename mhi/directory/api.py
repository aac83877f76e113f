"""Directory operations of the API: organisations, people, the partnership and headline figures."""

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from mhi.api.auth import OPTIONAL_AUTH
from mhi.directory import selectors
from mhi.directory.models import Organisation, Person

router = Router(tags=["directory"], auth=OPTIONAL_AUTH)


class OrganisationRef(Schema):
    slug: str
    name: str
    kind: str


class OrganisationOut(Schema):
    slug: str
    name: str
    short_name: str
    kind: str
    infrastructure_type: str
    scheme: str
    subtype: str
    ror_id: str | None
    ukprn: str | None
    ods_code: str | None
    ons_code: str | None
    companies_house_number: str | None
    website: str
    address: str
    town: str
    postcode: str
    latitude: float | None
    longitude: float | None
    region: str
    icb: OrganisationRef | None
    population: int | None
    themes: list[str] = Field(..., alias="theme_list")
    is_partner: bool

    @staticmethod
    def resolve_is_partner(obj: Organisation) -> bool:
        return hasattr(obj, "partnership")


class RelationOut(Schema):
    kind: str
    note: str
    organisation: OrganisationRef


class OrganisationDetailOut(OrganisationOut):
    description: str
    years_active: str
    funding_note: str
    source: str
    verification: str
    hosted_by: list[RelationOut]
    hosts: list[RelationOut]
    partners: list[RelationOut]


class OrganisationFilters(Schema):
    kind: Organisation.Kind | None = None
    region: Organisation.Region | None = None
    icb: str | None = Field(None, description="ODS code of an integrated care board, for example QHL")
    q: str | None = Field(None, description="Words to find in name, town, ODS code, UKPRN or themes")
    partners_only: bool = False


class AffiliationOut(Schema):
    organisation: OrganisationRef
    job_title: str
    department: str
    is_primary: bool


class PersonOut(Schema):
    slug: str
    display_name: str
    title: str
    given_name: str
    family_name: str
    kind: str
    orcid: str | None
    email: str | None
    is_fictional: bool
    public_profile: bool = Field(..., alias="public_profile_consent")
    affiliations: list[AffiliationOut]

    @staticmethod
    def resolve_email(obj: Person, context) -> str | None:
        """No email address is shown to anonymous callers."""
        request = context["request"]
        return obj.email if selectors.person_email_visible(user=request.user, person=obj) else None


class PersonDetailOut(PersonOut):
    biography: str


class PeopleFilters(Schema):
    q: str | None = None
    kind: Person.Kind | None = None
    organisation: str | None = Field(None, description="Slug of an organisation")


class PartnerOut(Schema):
    organisation: OrganisationRef
    lead_name: str | None
    is_chair: bool


class FiguresOut(Schema):
    partner_universities: int
    nhs_trusts: int
    icbs: int
    population_served: int
    research_infrastructure: int
    local_authorities: int


@router.get("/organisations", response=list[OrganisationOut], summary="List organisations")
@paginate(LimitOffsetPagination)
def organisations_list(request, filters: Query[OrganisationFilters]):
    return selectors.organisations_search(
        user=request.user,
        kind=filters.kind or "",
        region=filters.region or "",
        icb=filters.icb or "",
        q=filters.q or "",
        partners_only=filters.partners_only,
    ).select_related("partnership")


@router.get("/organisations/{slug}", response=OrganisationDetailOut, summary="One organisation")
def organisation_detail(request, slug: str):
    try:
        org = selectors.organisation_get(user=request.user, slug=slug)
    except Organisation.DoesNotExist:
        raise Http404(f"No organisation “{slug}”.") from None
    rel = selectors.organisation_relations(organisation=org)
    org.hosted_by = [{"kind": r.kind, "note": r.note, "organisation": r.target} for r in rel["hosted_by"]]
    org.partners = [{"kind": r.kind, "note": r.note, "organisation": r.target} for r in rel["partners"]] + [
        {"kind": r.kind, "note": r.note, "organisation": r.subject} for r in rel["partner_of"]
    ]
    org.hosts = [{"kind": r.kind, "note": r.note, "organisation": r.subject} for r in rel["hosts"]]
    return org


@router.get("/people", response=list[PersonOut], summary="List people you may see")
@paginate(LimitOffsetPagination)
def people_list(request, filters: Query[PeopleFilters]):
    qs = selectors.people_search(
        user=request.user, q=filters.q or "", kind=filters.kind or "", organisation=filters.organisation or ""
    )
    return qs


@router.get("/people/{slug}", response=PersonDetailOut, summary="One person's profile")
def person_detail(request, slug: str):
    try:
        person = selectors.person_get(user=request.user, slug=slug)
    except Person.DoesNotExist:
        raise Http404(f"No person “{slug}”.") from None
    return person


@router.get("/partnership", response=list[PartnerOut], summary="The partnership's member universities and leads")
def partnership_list(request):
    return [
        {
            "organisation": m.organisation,
            "lead_name": m.lead.display_name if m.lead else None,
            "is_chair": m.is_chair,
        }
        for m in selectors.partnership_members(user=request.user)
    ]


@router.get("/figures", response=FiguresOut, summary="Headline figures of the partnership")
def figures(request):
    return selectors.headline_figures(user=request.user).__dict__
