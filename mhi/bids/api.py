"""Bid operations of the API: bids and their partners, team, documents, comments and activity; stage moves;
the team statement; cap use for an opportunity; the pipeline and success-rate reports; awarded bids in public.

A bid exists only for those who may see it (its team, coordinators, admins of its lead and partner institutions,
its assigned reviewers): anyone else gets 404, as if there were no such bid; those who may see it but not do the
thing get 403; anonymous callers get 401, except for the awarded bids' public summaries. A change names the
`version` it started from; a stale one is refused with 409, and the error's `fields` carry both versions
(`current` and `submitted`) and a message for each field that differs.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from ninja import File, Form, Query, Router
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.bids import reports, selectors, services, statements
from mhi.bids.models import BidDocument
from mhi.bids.schemas import (
    AwardedBidOut,
    BidCreateIn,
    BidDetailOut,
    BidFiltersIn,
    BidOut,
    BidUpdateIn,
    CapUseOut,
    CommentIn,
    CommentOut,
    DeletedOut,
    DocumentOut,
    EventOut,
    MemberIn,
    MemberOut,
    PartnerIn,
    PartnerOut,
    PipelineOut,
    RateRowOut,
    StatementOut,
    TransitionIn,
    members_in_role_order,
)
from mhi.core.errors import DomainError
from mhi.directory.models import Organisation, Person
from mhi.directory.selectors import organisation_id_for_slug, people_visible_to
from mhi.opportunities.models import Opportunity, TeamProposal
from mhi.opportunities.selectors import opportunity_get
from mhi.opportunities.teams import team_proposal_get

router = Router(tags=["bids"], auth=REQUIRED_AUTH)


# --- looking things up --------------------------------------------------------------------------------------


def _bid(request, bid_id: int):
    return selectors.bid_for(user=request.user, pk=bid_id)  # Http404 unless the user may see it


def _permissions(request, bid):
    return selectors.bid_permissions(user=request.user, bid=bid)


def _organisation(slug: str | None, *, field: str) -> Organisation | None:
    pk = organisation_id_for_slug(slug, field=field)
    return Organisation.objects.get(pk=pk) if pk is not None else None


def _person(request, slug: str | None, *, field: str) -> Person | None:
    if not slug:
        return None
    person = people_visible_to(user=request.user).filter(slug=slug).first()
    if person is None:
        raise DomainError(f"No person “{slug}” in the directory.", field=field)
    return person


def _filters(request, filters: BidFiltersIn) -> selectors.BidFilters:
    return selectors.BidFilters(
        stage=filters.stage or "",
        institution=organisation_id_for_slug(filters.institution, field="institution"),
        funder=filters.funder or "",
        theme=filters.theme or "",
        q=filters.q or "",
        mine=filters.mine,
        opportunity=filters.opportunity,
    )


def _detail(request, bid):
    """The bid as BidDetailOut reads it, with what the caller may do to it."""
    bid = _bid(request, bid.pk)
    bid.permissions = _permissions(request, bid)
    return bid


# --- reports and public summaries (before /bids/{bid_id}, which would take their names as ids) ------------


@router.get("/bids/pipeline", response=PipelineOut, summary="Count and value of bids by stage and lead institution")
def bids_pipeline(request, filters: Query[BidFiltersIn]):
    summary = reports.pipeline_summary(user=request.user, filters=_filters(request, filters))
    return {
        "rows": summary.rows,
        "by_stage": summary.by_stage,
        "by_institution": summary.by_institution,
        "count": summary.count,
        "value": summary.value,
    }


@router.get(
    "/bids/success-rates",
    response=list[RateRowOut],
    summary="Success rates by funder, scheme or institution and year of the outcome",
)
def bids_success_rates(request, filters: Query[BidFiltersIn], by: str = Query("funder")):
    return reports.success_rates(user=request.user, by=by, filters=_filters(request, filters))


@router.get(
    "/bids/awarded",
    response=list[AwardedBidOut],
    auth=OPTIONAL_AUTH,
    summary="Awarded bids' public summaries (open to everyone)",
)
@paginate(LimitOffsetPagination)
def bids_awarded(request):
    return selectors.awarded_bids_public()


# --- bids ----------------------------------------------------------------------------------------------------


@router.get("/bids", response=list[BidOut], summary="Bids you may see, with the pipeline's filters")
@paginate(LimitOffsetPagination)
def bids_list(request, filters: Query[BidFiltersIn]):
    return selectors.bids_filtered(user=request.user, filters=_filters(request, filters)).select_related("lead_person")


@router.post("/bids", response={201: BidDetailOut}, summary="Start a bid for an opportunity")
def bid_create_operation(request, payload: BidCreateIn):
    if not selectors.user_may_create_bid(request.user):
        raise PermissionDenied(
            "Only people with a role in the partnership start bids; industry and external partners join a bid's team."
        )
    try:
        opportunity = opportunity_get(user=request.user, pk=payload.opportunity)
    except Opportunity.DoesNotExist:
        raise DomainError(f"No opportunity {payload.opportunity}.", field="opportunity") from None
    if payload.team_proposal is not None:
        return HttpStatus(201, _detail(request, _bid_from_team(request, payload, opportunity)))
    bid = services.bid_create(
        actor=request.user,
        opportunity=opportunity,
        title=payload.title,
        lead_organisation=_organisation(payload.lead_organisation, field="lead_organisation"),
        lead_person=_person(request, payload.lead_person, field="lead_person"),
        summary=payload.summary,
        case=payload.case,
        themes=payload.themes,
        value_requested=payload.value_requested,
        reminder_days=payload.reminder_days,
        partners=[
            (_organisation(p.organisation, field=f"partners.{i}.organisation"), p.role, p.note)
            for i, p in enumerate(payload.partners)
        ],
        members=[
            (
                _person(request, m.person, field=f"members.{i}.person"),
                m.role,
                _organisation(m.organisation, field=f"members.{i}.organisation"),
            )
            for i, m in enumerate(payload.members)
        ],
    )
    return HttpStatus(201, _detail(request, bid))


def _bid_from_team(request, payload: BidCreateIn, opportunity):
    """A bid started from a kept team: its people are the team and their universities the partners
    (services.bid_from_team_proposal); the other fields sent are then set on it, all in one transaction."""
    try:
        proposal = team_proposal_get(user=request.user, pk=payload.team_proposal)
    except TeamProposal.DoesNotExist:
        raise DomainError(f"No kept team {payload.team_proposal}.", field="team_proposal") from None
    if proposal.opportunity_id is not None and proposal.opportunity_id != opportunity.pk:
        raise DomainError(
            f"Kept team {proposal.pk} was built for another opportunity ({proposal.opportunity_id}); start the "
            f"bid for that one, or build a team for this one.",
            field="team_proposal",
        )
    if payload.members or payload.partners:
        raise DomainError(
            "A bid started from a kept team takes its members and partners from the team: send no members or "
            "partners with team_proposal (add them afterwards).",
            field="team_proposal",
        )
    sent = payload.dict(exclude_unset=True)
    extra = {
        name: sent[name] for name in ("summary", "case", "themes", "value_requested", "reminder_days") if name in sent
    }
    if "lead_person" in sent:
        extra["lead_person"] = _person(request, payload.lead_person, field="lead_person")
    with transaction.atomic():
        bid = services.bid_from_team_proposal(
            actor=request.user,
            proposal=proposal,
            title=payload.title,
            lead_organisation=_organisation(payload.lead_organisation, field="lead_organisation"),
        )
        if extra:
            services.bid_update(actor=request.user, bid=bid, version=bid.version, fields=extra)
    return bid


@router.get("/bids/{bid_id}", response=BidDetailOut, summary="One bid, with its partners, team and what you may do")
def bid_detail(request, bid_id: int):
    bid = _bid(request, bid_id)
    bid.permissions = _permissions(request, bid)
    return bid


@router.patch(
    "/bids/{bid_id}",
    response={200: BidDetailOut, 409: ErrorOut},
    summary="Change a bid (only the fields sent, and the version you started from)",
    description=(
        "A `version` other than the bid's current one means someone else changed the bid since you read it: "
        "the change is refused with 409 and `error.fields` holds `current` (the bid now), `submitted` (your "
        "values), `current_version`, and a message under each field that differs."
    ),
)
def bid_update_operation(request, bid_id: int, payload: BidUpdateIn):
    bid = _bid(request, bid_id)
    fields = payload.dict(exclude_unset=True)
    version = fields.pop("version")
    if "lead_organisation" in fields:
        fields["lead_organisation"] = _organisation(fields["lead_organisation"], field="lead_organisation")
        if fields["lead_organisation"] is None:
            raise DomainError("A bid needs a lead organisation: give its slug.", field="lead_organisation")
    if "lead_person" in fields:
        fields["lead_person"] = _person(request, fields["lead_person"], field="lead_person")
    try:
        services.bid_update(actor=request.user, bid=bid, version=version, fields=fields)
    except services.BidConflict as conflict:
        return HttpStatus(409, _conflict_body(conflict))
    return _detail(request, bid)


def _conflict_body(conflict) -> dict:
    fields: dict = {name: [conflict.message] for name in conflict.fields}
    fields.update(
        {
            "current": conflict.current,
            "submitted": conflict.submitted,
            "current_version": conflict.current_version,
            "submitted_version": conflict.submitted_version,
        }
    )
    return error_body(409, "conflict", conflict.message, fields)


@router.post("/bids/{bid_id}/transition", response=BidDetailOut, summary="Move a bid to another stage")
def bid_transition_operation(request, bid_id: int, payload: TransitionIn):
    bid = _bid(request, bid_id)
    bid = services.bid_transition(
        actor=request.user,
        bid=bid,
        to_stage=payload.to_stage,
        reason=payload.reason,
        value_awarded=payload.value_awarded,
    )
    return _detail(request, bid)


# --- partners and team ------------------------------------------------------------------------------------


@router.get("/bids/{bid_id}/partners", response=list[PartnerOut], summary="A bid's partner organisations")
def bid_partners(request, bid_id: int):
    return list(selectors.bid_partners(bid=_bid(request, bid_id)))


@router.post("/bids/{bid_id}/partners", response={201: PartnerOut}, summary="Add a partner organisation")
def bid_partner_add(request, bid_id: int, payload: PartnerIn):
    bid = _bid(request, bid_id)
    partner = services.partner_add(
        actor=request.user,
        bid=bid,
        organisation=_organisation(payload.organisation, field="organisation"),
        role=payload.role,
        note=payload.note,
    )
    return HttpStatus(201, partner)


@router.delete("/bids/{bid_id}/partners/{partner_id}", response=DeletedOut, summary="Remove a partner organisation")
def bid_partner_remove(request, bid_id: int, partner_id: int):
    bid = _bid(request, bid_id)
    if not bid.partners.filter(pk=partner_id).exists():
        raise Http404(f"No partner {partner_id} on this bid.")
    services.partner_remove(actor=request.user, bid=bid, partner_id=partner_id)
    return {"id": partner_id, "deleted": True}


@router.get("/bids/{bid_id}/members", response=list[MemberOut], summary="A bid's team")
def bid_members(request, bid_id: int):
    return members_in_role_order(selectors.bid_members(bid=_bid(request, bid_id)))


@router.post("/bids/{bid_id}/members", response={201: MemberOut}, summary="Add a person to the team")
def bid_member_add(request, bid_id: int, payload: MemberIn):
    bid = _bid(request, bid_id)
    member = services.member_add(
        actor=request.user,
        bid=bid,
        person=_person(request, payload.person, field="person"),
        role=payload.role,
        organisation=_organisation(payload.organisation, field="organisation"),
    )
    return HttpStatus(201, member)


@router.delete("/bids/{bid_id}/members/{member_id}", response=DeletedOut, summary="Remove a person from the team")
def bid_member_remove(request, bid_id: int, member_id: int):
    bid = _bid(request, bid_id)
    if not bid.members.filter(pk=member_id).exists():
        raise Http404(f"No team member {member_id} on this bid.")
    services.member_remove(actor=request.user, bid=bid, member_id=member_id)
    return {"id": member_id, "deleted": True}


# --- documents, comments, activity, statements -----------------------------------------------------------


def _document(bid, document_id: int) -> BidDocument:
    document = selectors.bid_documents(bid=bid).filter(pk=document_id).first()
    if document is None:
        raise Http404(f"No document {document_id} on this bid.")
    return document


@router.get("/bids/{bid_id}/documents", response=list[DocumentOut], summary="A bid's confidential documents")
def bid_documents(request, bid_id: int):
    return list(selectors.bid_documents(bid=_bid(request, bid_id)))


@router.post(
    "/bids/{bid_id}/documents",
    response={201: DocumentOut},
    summary="Upload a document (multipart: `file`, `description`); size and type are checked before storage",
)
def bid_document_upload(request, bid_id: int, file: File[UploadedFile], description: Form[str] = ""):
    bid = _bid(request, bid_id)
    document = services.document_upload(actor=request.user, bid=bid, uploaded_file=file, description=description)
    return HttpStatus(201, document)


@router.get(
    "/bids/{bid_id}/documents/{document_id}",
    response={200: None},
    summary="Download a document (always as an attachment)",
)
def bid_document_download(request, bid_id: int, document_id: int):
    return services.document_response(document=_document(_bid(request, bid_id), document_id))


@router.delete("/bids/{bid_id}/documents/{document_id}", response=DeletedOut, summary="Delete a document")
def bid_document_delete(request, bid_id: int, document_id: int):
    bid = _bid(request, bid_id)
    document = _document(bid, document_id)
    services.document_delete(actor=request.user, bid=bid, document_id=document.pk)
    return {"id": document_id, "deleted": True}


@router.get("/bids/{bid_id}/comments", response=list[CommentOut], summary="The team's comments, oldest first")
def bid_comments(request, bid_id: int):
    return list(selectors.bid_comments(bid=_bid(request, bid_id)))


@router.post("/bids/{bid_id}/comments", response={201: CommentOut}, summary="Comment on a bid")
def bid_comment_add(request, bid_id: int, payload: CommentIn):
    bid = _bid(request, bid_id)
    return HttpStatus(201, services.comment_add(actor=request.user, bid=bid, text=payload.text))


@router.get("/bids/{bid_id}/events", response=list[EventOut], summary="A bid's activity log, newest first")
def bid_events(request, bid_id: int):
    return list(selectors.bid_timeline(bid=_bid(request, bid_id)))


@router.get(
    "/bids/{bid_id}/statements/team",
    response=StatementOut,
    summary="The team statement (Markdown) from the members' profiles, works and grants",
)
def bid_team_statement(request, bid_id: int):
    bid = _bid(request, bid_id)
    return {"bid": bid.pk, "kind": "team", "markdown": statements.team_statement(bid=bid)}


@router.get(
    "/bids/{bid_id}/statements/facilities",
    response=StatementOut,
    summary="The facilities and resources statement, from the shared resources catalogue",
)
def bid_facilities_statement(request, bid_id: int):
    bid = _bid(request, bid_id)
    return {"bid": bid.pk, "kind": "facilities", "markdown": statements.facilities_statement(bid=bid)}


# --- demand management ------------------------------------------------------------------------------------


@router.get(
    "/opportunities/{opportunity_id}/cap-use",
    response=list[CapUseOut],
    summary="Places used of an opportunity's caps, per institution and for the partnership (coordinators and "
    "institution admins)",
)
def opportunity_cap_use(request, opportunity_id: int):
    if not (user_is_coordinator(request.user) or user_admin_organisation_ids(request.user)):
        raise PermissionDenied("Only coordinators and institution admins see the use of an opportunity's caps.")
    try:
        opportunity = opportunity_get(user=request.user, pk=opportunity_id)
    except Opportunity.DoesNotExist:
        raise Http404(f"No opportunity {opportunity_id}.") from None
    return selectors.cap_use(opportunity=opportunity)
