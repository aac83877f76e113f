"""Enquiry operations of the API: anyone may submit one; coordinators list, read, route and close them."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from mhi.accounts.selectors import user_is_coordinator
from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import error_body
from mhi.core.views import client_ip
from mhi.expertise import enquiries
from mhi.expertise.enquiry_forms import EnquiryForm

router = Router(tags=["enquiries"], auth=REQUIRED_AUTH)


class EnquiryIn(Schema):
    enquirer_kind: str = Field(..., description="industry, nhs, public, academic or other")
    name: str
    organisation_name: str = ""
    email: str
    title: str
    description: str = Field(..., description="30 to 5,000 characters")
    contact_consent: bool = Field(False, description="Whether the people it is routed to may contact you directly")
    website: str = Field("", description="Leave empty")


class PublicPersonOut(Schema):
    person: str
    display_name: str
    organisations: list[str]
    url: str


class EnquiryCreatedOut(Schema):
    reference: str | None
    people: list[PublicPersonOut]


class EnquirySummaryOut(Schema):
    id: int
    reference: str
    status: str
    enquirer_kind: str
    name: str
    organisation_name: str
    title: str
    created_at: datetime
    routed_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    hours_to_route: float | None
    hours_to_answer: float | None

    @staticmethod
    def resolve_reference(obj) -> str:
        return enquiries.enquiry_reference(obj)

    @staticmethod
    def resolve_hours_to_route(obj) -> float | None:
        return enquiries.enquiry_hours_to_route(obj)

    @staticmethod
    def resolve_hours_to_answer(obj) -> float | None:
        return enquiries.enquiry_hours_to_answer(obj)


class RoutingOut(Schema):
    person: str
    display_name: str
    routed_at: datetime
    routed_by: str | None
    note: str


class EnquiryOut(EnquirySummaryOut):
    email: str
    description: str
    contact_consent: bool
    routings: list[RoutingOut]

    @staticmethod
    def resolve_contact_consent(obj) -> bool:
        return enquiries.enquiry_contact_consented(obj)

    @staticmethod
    def resolve_routings(obj) -> list[dict]:
        return [
            {
                "person": r.person.slug,
                "display_name": r.person.display_name,
                "routed_at": r.routed_at,
                "routed_by": r.routed_by.email if r.routed_by else None,
                "note": r.note,
            }
            for r in obj.routings.select_related("person", "routed_by")
        ]


class RouteIn(Schema):
    people: list[str] = Field(..., description="Profile slugs of the people to send the enquiry to")
    note: str = ""


class StatusIn(Schema):
    status: str = Field(..., description="routed, answered or closed")
    note: str = ""


class EnquiryFilters(Schema):
    status: str | None = Field(None, description="new, routed, answered or closed")


@router.post(
    "/enquiries", response={201: EnquiryCreatedOut}, auth=OPTIONAL_AUTH, summary="Send an enquiry to MHI (anyone)"
)
def enquiry_create(request, payload: EnquiryIn):
    form = EnquiryForm(data=payload.dict())
    if not form.is_valid():
        raise DjangoValidationError(form.errors.as_data())
    data = form.cleaned_data
    try:
        enquiry = enquiries.enquiry_submit(
            ip=client_ip(request),
            enquirer_kind=data["enquirer_kind"],
            name=data["name"],
            organisation_name=data["organisation_name"],
            email=data["email"],
            title=data["title"],
            description=data["description"],
            contact_consent=data["contact_consent"],
            honeypot=data["website"],
        )
    except enquiries.EnquiryRateLimited as exc:
        response = JsonResponse(error_body(429, "rate_limited", exc.message), status=429)
        response["Retry-After"] = str(exc.retry_after_seconds)
        return response
    if enquiry is None:  # the honeypot was filled: it looks like success, and nothing was stored
        return Status(201, {"reference": None, "people": []})
    people = [
        {
            "person": r.person.slug,
            "display_name": r.person.display_name,
            "organisations": [a.organisation.name for a in r.person.affiliations.all()],
            "url": r.person.get_absolute_url(),
        }
        for r in enquiries.enquiry_public_matches(enquiry=enquiry)
    ]
    return Status(201, {"reference": enquiries.enquiry_reference(enquiry), "people": people})


@router.get("/enquiries", response=list[EnquirySummaryOut], summary="Enquiries, newest first (coordinators)")
@paginate(LimitOffsetPagination)
def enquiries_list(request, filters: Query[EnquiryFilters]):
    if not user_is_coordinator(request.user):
        raise PermissionDenied("Only MHI coordinators see enquiries.")
    return enquiries.enquiries_visible_to(user=request.user, status=filters.status or "")


@router.get("/enquiries/{enquiry_id}", response=EnquiryOut, summary="One enquiry with its routings (coordinators)")
def enquiry_read(request, enquiry_id: int):
    return enquiries.enquiry_get(user=request.user, enquiry_id=enquiry_id)


@router.post("/enquiries/{enquiry_id}/route", response=EnquiryOut, summary="Send an enquiry to people")
def enquiry_route(request, enquiry_id: int, payload: RouteIn):
    enquiry = enquiries.enquiry_get(user=request.user, enquiry_id=enquiry_id)
    enquiries.enquiry_route(actor=request.user, enquiry=enquiry, people=payload.people, note=payload.note)
    return enquiries.enquiry_get(user=request.user, enquiry_id=enquiry_id)


@router.post("/enquiries/{enquiry_id}/status", response=EnquiryOut, summary="Move an enquiry to a new status")
def enquiry_status(request, enquiry_id: int, payload: StatusIn):
    enquiry = enquiries.enquiry_get(user=request.user, enquiry_id=enquiry_id)
    return enquiries.enquiry_set_status(actor=request.user, enquiry=enquiry, status=payload.status, note=payload.note)
