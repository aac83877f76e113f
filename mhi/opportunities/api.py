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
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError
from mhi.directory.selectors import organisation_id_for_slug
from mhi.expertise.engine.embedding import embedder
from mhi.opportunities import digests, matching, selectors, services
from mhi.opportunities.engine.teams import TeamChoice, TeamInfeasible
from mhi.opportunities.forms import OpportunityForm
from mhi.opportunities.models import DigestFrequency, Kind, Opportunity, SavedSearch, Status, TeamProposal
from mhi.opportunities.teams import (
    TeamMember,
    people_resolve,
    team_build,
    team_people,
    team_proposal_get,
    team_proposal_keep_from_token,
    team_proposal_order,
    team_result_token,
    user_may_build_teams,
)

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
        data["funder_organisation"] = organisation_id_for_slug(
            sent.pop("funder_organisation"), field="funder_organisation"
        )
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


# --- the team builder -----------------------------------------------------------------------------------------


class TeamBuildIn(Schema):
    opportunity: int | None = Field(
        None, description="Build for this opportunity: its themes and eligibility rules are the defaults"
    )
    brief: str = Field(
        "", max_length=20_000, description="A call's text, when not for an opportunity; themes are taken from it"
    )
    themes: list[str] | None = Field(
        None, description="Themes the team must cover (at most 10); default: the opportunity's, or from the text"
    )
    team_size: int = Field(6, ge=1, le=20)
    min_partner_universities: int | None = Field(
        None, ge=0, le=50, description="Default: the opportunity's minimum, else 0"
    )
    require_nhs: bool | None = Field(None, description="An NHS person who matches a theme; default: the opportunity's")
    require_industry: bool | None = Field(
        None, description="An industry person who matches a theme; default: the opportunity's"
    )
    include: list[str] = Field([], description="Profile addresses (slugs) of people who must be in the team")
    exclude: list[str] = Field([], description="Profile addresses (slugs) of people to leave out")
    max_live_bids: int | None = Field(
        None, ge=1, le=50, description="Leave out people already in this many live bids (bids are not recorded yet)"
    )
    alternatives: int = Field(3, ge=0, le=5, description="How many next-best teams to find")


class TeamMemberOut(Schema):
    person: str = Field(description="Slug of the person")
    display_name: str
    organisation: str | None = Field(None, description="Slug of their organisation (primary current affiliation)")
    organisation_name: str | None
    partner_university: bool
    nhs: bool
    industry: bool
    covers: list[str] = Field(description="The themes this member covers best in the team")


class ThemeRowOut(Schema):
    theme: str
    covered_by: str | None = Field(None, description="Slug of the member who covers it; null when nobody does")
    similarity: float
    similarities: list[float] = Field(description="Each member's similarity to the theme, in the order of members")


class TeamChoiceOut(Schema):
    members: list[TeamMemberOut]
    objective: float = Field(description="Sum of each theme's best similarity + 0.02 a partner university")
    status: str = Field(description="optimal (proven), or feasible (see gap)")
    gap: float = Field(description="(bound - objective) / bound; 0 when proven optimal")
    partner_universities: int
    table: list[ThemeRowOut]
    swapped_out: list[str] = Field([], description="For an alternative: slugs of the best team's members it has not")
    swapped_in: list[str] = Field([], description="and of the people it has instead")


class TeamBuildOut(Schema):
    themes: list[str]
    best: TeamChoiceOut
    alternatives: list[TeamChoiceOut]
    bound: float = Field(description="Proven upper bound on the objective")
    greedy_objective: float = Field(description="A greedy pick's objective, for comparison")
    candidates: int
    eligible: int
    after_pruning: int = Field(description="Candidates the solver was given")
    seconds: float
    warnings: list[str]
    keep_token: str = Field(description="Send to POST /api/v1/teams to keep a team (valid for a day, for you only)")


class TeamKeepIn(Schema):
    token: str = Field(description="keep_token of a build")
    choice: int = Field(0, ge=0, le=5, description="0 for the best team, 1, 2, ... for an alternative")


class TeamProposalOut(Schema):
    id: int
    opportunity: int | None
    brief: str
    themes: list[str]
    constraints: dict
    members: list[TeamMemberOut]
    table: list[ThemeRowOut]
    objective: float
    status: str
    gap: float
    created_by: str | None
    created_at: datetime.datetime
    url: str


def _member_out(member: TeamMember, covers: list[str]) -> dict:
    organisation = member.organisation
    return {
        "person": member.person.slug,
        "display_name": member.person.display_name,
        "organisation": organisation.slug if organisation else None,
        "organisation_name": organisation.name if organisation else None,
        "partner_university": member.is_partner_university,
        "nhs": member.is_nhs,
        "industry": member.is_industry,
        "covers": covers,
    }


def _choice_out(choice: TeamChoice, people: dict[int, TeamMember]) -> dict:
    covers: dict[int, list[str]] = {}
    for cover in choice.coverage:
        if cover.member is not None:
            covers.setdefault(cover.member, []).append(cover.theme)
    return {
        "members": [_member_out(people[k], covers.get(k, [])) for k in choice.members],
        "objective": choice.objective,
        "status": choice.status,
        "gap": choice.gap or 0.0,
        "partner_universities": choice.universities,
        "table": [
            {
                "theme": cover.theme,
                "covered_by": people[cover.member].person.slug if cover.member is not None else None,
                "similarity": cover.similarity,
                "similarities": list(row),
            }
            for cover, row in zip(choice.coverage, choice.table, strict=True)
        ],
        "swapped_out": [people[k].person.slug for k in choice.swapped_out],
        "swapped_in": [people[k].person.slug for k in choice.swapped_in],
    }


def _people_ids(request, payload: TeamBuildIn) -> tuple[list[int], list[int]]:
    problems, ids = {}, {}
    for name in ("include", "exclude"):
        people, missing = people_resolve(user=request.user, names=getattr(payload, name), slugs_only=True)
        ids[name] = [p.pk for p in people]
        if missing:
            problems[name] = missing
    if problems:
        raise DjangoValidationError(problems)
    return ids["include"], ids["exclude"]


@router.post(
    "/teams/build",
    response={200: TeamBuildOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Build the best team for an opportunity or a call's text (nothing is stored)",
)
def team_build_operation(request, payload: TeamBuildIn):
    """The team that covers the themes best under the constraints, proven optimal (or the gap stated), and the
    next-best teams. Constraints that cannot be met give 422 with code "team_infeasible" and every reason in
    fields.constraints."""
    if not user_may_build_teams(request.user):
        raise PermissionDenied("Only people with a role in the partnership build teams.")
    opportunity = _get(request, payload.opportunity) if payload.opportunity is not None else None
    brief = payload.brief.strip()
    if opportunity is None and not brief and not payload.themes:
        raise DomainError("Give an opportunity, a call's text (brief) or themes.", field="brief")
    include, exclude = _people_ids(request, payload)
    constraints = {
        "team_size": payload.team_size,
        "min_partner_universities": payload.min_partner_universities,
        "require_nhs": payload.require_nhs,
        "require_industry": payload.require_industry,
        "include": include,
        "exclude": exclude,
        "max_live_bids": payload.max_live_bids,
    }
    try:
        result = team_build(
            user=request.user,
            opportunity=opportunity,
            brief=brief,
            themes=payload.themes,
            embedder=embedder(),
            alternatives=payload.alternatives,
            **constraints,
        )
    except TeamInfeasible as exc:
        message = "No team meets these constraints: " + "; ".join(exc.reasons) + "."
        return HttpStatus(422, error_body(422, "team_infeasible", message, {"constraints": exc.reasons}))
    people = team_people(keys={k for c in (result.best, *result.alternatives) for k in c.members})
    token = team_result_token(
        user=request.user,
        result=result,
        opportunity=opportunity,
        brief="" if opportunity else brief or "\n".join(result.themes),
        constraints={**constraints, "themes": list(result.themes)},
    )
    return {
        "themes": list(result.themes),
        "best": _choice_out(result.best, people),
        "alternatives": [_choice_out(a, people) for a in result.alternatives],
        "bound": result.bound,
        "greedy_objective": result.greedy_objective,
        "candidates": result.candidates,
        "eligible": result.eligible,
        "after_pruning": result.after_pruning,
        "seconds": result.total_seconds + result.alternatives_seconds,
        "warnings": list(result.warnings),
        "keep_token": token,
    }


def _proposal_out(proposal) -> dict:
    people = team_people(keys=proposal.members.values_list("pk", flat=True))
    members = team_proposal_order(proposal, [m.person for m in people.values()])
    covers: dict[int, list[str]] = {}
    for entry in proposal.coverage:
        if entry.get("person") is not None:
            covers.setdefault(entry["person"], []).append(entry["theme"])
    return {
        "id": proposal.pk,
        "opportunity": proposal.opportunity_id,
        "brief": proposal.brief,
        "themes": proposal.themes,
        "constraints": proposal.constraints,
        "members": [_member_out(people[p.pk], covers.get(p.pk, [])) for p in members],
        "table": [
            {
                "theme": entry["theme"],
                "covered_by": people[entry["person"]].person.slug if entry.get("person") in people else None,
                "similarity": entry["similarity"],
                "similarities": [entry.get("similarities", {}).get(str(p.pk), 0.0) for p in members],
            }
            for entry in proposal.coverage
        ],
        "objective": proposal.objective,
        "status": proposal.solver_status,
        "gap": proposal.gap,
        "created_by": str(proposal.created_by) if proposal.created_by_id else None,
        "created_at": proposal.created_at,
        "url": reverse("opportunities:team_proposal", args=[proposal.pk]),
    }


@router.post(
    "/teams",
    response={201: TeamProposalOut},
    auth=REQUIRED_AUTH,
    summary="Keep a built team to start a bid with (the bids module takes it on)",
)
def team_keep_operation(request, payload: TeamKeepIn):
    if not user_may_build_teams(request.user):
        raise PermissionDenied("Only people with a role in the partnership keep teams.")
    proposal = team_proposal_keep_from_token(actor=request.user, token=payload.token, choice=payload.choice)
    return HttpStatus(201, _proposal_out(proposal))


@router.get("/teams/{proposal_id}", response=TeamProposalOut, auth=REQUIRED_AUTH, summary="A kept team")
def team_proposal_operation(request, proposal_id: int):
    try:
        proposal = team_proposal_get(user=request.user, pk=proposal_id)
    except TeamProposal.DoesNotExist:
        raise Http404(f"No kept team {proposal_id}.") from None
    return _proposal_out(proposal)


# --- matching: people for an opportunity, opportunities for me, saved searches, interest, digest -------------


class MatchedWorkOut(Schema):
    title: str
    year: int | None
    doi: str | None
    similarity: float


class MatchedPersonOut(Schema):
    person: str = Field(description="Slug of the person")
    display_name: str
    organisations: list[str] = Field(description="Slugs of their organisations")
    score: float
    works: list[MatchedWorkOut] = Field(description="Their works that best match the opportunity")
    shared_terms: list[str]


class MatchedPeopleOut(Schema):
    opportunity: int
    count: int = Field(description="How many people (of those you may see) have matching works")
    truncated: bool = Field(description="The opportunity's text was cut to its first 4,000 characters")
    items: list[MatchedPersonOut]


class OpportunityMatchOut(Schema):
    opportunity: OpportunityOut
    similarity: float | None = Field(description="Cosine similarity; null when matched by its words only so far")
    strong: bool = Field(description="At or above the digest's threshold")
    works: list[MatchedWorkOut] = Field(description="For profile matches: your works closest to it")
    snippet: str = Field(description="For searches: the words that matched (HTML, with <mark>)")


class OpportunitiesForMeOut(Schema):
    person: str | None = Field(description="Slug of your person in the directory; null when none is linked")
    threshold: float = Field(description="The similarity from which a match is strong (and goes in your digest)")
    empty_reason: str = Field(description="Why there are no matches, when there are none")
    items: list[OpportunityMatchOut]


class SavedSearchIn(Schema):
    name: str | None = None
    query: str | None = Field(None, description="A few words or a paragraph (up to 2,000 characters)")
    kind: Kind | None = Field(None, description="Only this kind of opportunity; null: any kind")
    in_digest: bool | None = None


class SavedSearchOut(Schema):
    id: int
    name: str
    query: str
    kind: str
    in_digest: bool
    created_at: datetime.datetime


class SavedSearchDetailOut(SavedSearchOut):
    matches: list[OpportunityMatchOut]


class InterestIn(Schema):
    note: str = Field("", description="A short note (up to 1,000 characters) for coordinators and your admins")


class InterestOut(Schema):
    id: int
    opportunity: int
    opportunity_title: str
    person: str | None = Field(description="Slug of the person who expressed it")
    display_name: str
    organisations: list[str] = Field(description="Slugs of the person's organisations when they expressed it")
    note: str
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_opportunity(obj) -> int:
        return obj.opportunity_id

    @staticmethod
    def resolve_opportunity_title(obj) -> str:
        return obj.opportunity.title

    @staticmethod
    def resolve_person(obj) -> str | None:
        return obj.person.slug if obj.person_id else None

    @staticmethod
    def resolve_display_name(obj) -> str:
        return obj.person.display_name if obj.person_id else str(obj.user)

    @staticmethod
    def resolve_organisations(obj) -> list[str]:
        return [o.slug for o in obj.organisations.all()]


class InterestWithdrawnOut(Schema):
    opportunity: int
    withdrawn: bool


class DigestSettingsIn(Schema):
    frequency: DigestFrequency
    include_profile_matches: bool = True


class DigestSettingsOut(Schema):
    frequency: str
    include_profile_matches: bool
    last_sent_at: datetime.datetime | None = Field(description="When a digest was last sent to you")
    unsubscribe_url: str = Field(description="The one-click unsubscribe link the digest emails carry")


def _work_out(m) -> dict:
    return {"title": m.work.title, "year": m.work.year, "doi": m.work.doi, "similarity": m.similarity}


def _match_out(m) -> dict:
    return {
        "opportunity": m.opportunity,
        "similarity": m.similarity,
        "strong": m.strong,
        "works": [_work_out(w) for w in m.works],
        "snippet": m.snippet,
    }


def _saved_search(request, search_id: int):
    try:
        return matching.saved_search_get(user=request.user, pk=search_id)
    except SavedSearch.DoesNotExist:
        raise Http404(f"No saved search {search_id}.") from None


@router.get(
    "/opportunities/{opportunity_id}/people",
    response=MatchedPeopleOut,
    summary="The people best matched to an opportunity, with why",
)
def opportunity_people(request, opportunity_id: int, limit: int = Query(10, ge=1, le=50)):
    opportunity = _get(request, opportunity_id)
    ranking = matching.people_for_opportunity(
        user=request.user, opportunity=opportunity, embedder=matching.EmbedderWhenNeeded(), limit=limit
    )
    return {
        "opportunity": opportunity.pk,
        "count": ranking.total,
        "truncated": ranking.truncated,
        "items": [
            {
                "person": r.person.slug,
                "display_name": r.person.display_name,
                "organisations": [a.organisation.slug for a in r.person.affiliations.all()],
                "score": r.score,
                "works": [_work_out(m) for m in r.works],
                "shared_terms": r.shared_terms,
            }
            for r in ranking.results
        ],
    }


@router.get(
    "/me/opportunities",
    response=OpportunitiesForMeOut,
    auth=REQUIRED_AUTH,
    summary="Opportunities for you: open and forthcoming ones matched to your publications",
)
def opportunities_for_me(request, limit: int = Query(20, ge=1, le=100)):
    result = matching.opportunities_for_user(user=request.user, limit=limit)
    return {
        "person": result.person.slug if result.person else None,
        "threshold": matching.MATCH_THRESHOLD,
        "empty_reason": result.empty_reason,
        "items": [_match_out(m) for m in result.matches],
    }


@router.get("/saved-searches", response=list[SavedSearchOut], auth=REQUIRED_AUTH, summary="Your saved searches")
def saved_searches_list(request):
    return list(matching.saved_searches_of(user=request.user))


@router.post(
    "/saved-searches", response={201: SavedSearchOut}, auth=REQUIRED_AUTH, summary="Save a search of opportunities"
)
def saved_search_create(request, payload: SavedSearchIn):
    data = {k: v for k, v in payload.dict().items() if v is not None}
    return HttpStatus(201, matching.saved_search_create(user=request.user, data=data))


@router.get(
    "/saved-searches/{search_id}",
    response=SavedSearchDetailOut,
    auth=REQUIRED_AUTH,
    summary="One of your saved searches, with its current matches",
)
def saved_search_detail(request, search_id: int, limit: int = Query(20, ge=1, le=100)):
    saved_search = _saved_search(request, search_id)
    matches = matching.opportunities_for_search(
        saved_search=saved_search, embedder=matching.EmbedderWhenNeeded(), limit=limit
    )
    return {**SavedSearchOut.from_orm(saved_search).dict(), "matches": [_match_out(m) for m in matches]}


@router.patch(
    "/saved-searches/{search_id}",
    response=SavedSearchOut,
    auth=REQUIRED_AUTH,
    summary="Change a saved search (only the fields sent)",
)
def saved_search_update(request, search_id: int, payload: SavedSearchIn):
    saved_search = _saved_search(request, search_id)
    data = payload.dict(exclude_unset=True)
    if "kind" in data and data["kind"] is None:
        data["kind"] = ""
    return matching.saved_search_update(user=request.user, saved_search=saved_search, data=data)


@router.delete(
    "/saved-searches/{search_id}", response=SavedSearchOut, auth=REQUIRED_AUTH, summary="Delete a saved search"
)
def saved_search_delete(request, search_id: int):
    saved_search = _saved_search(request, search_id)
    out = SavedSearchOut.from_orm(saved_search).dict()
    matching.saved_search_delete(user=request.user, saved_search=saved_search)
    return out


@router.get(
    "/opportunities/{opportunity_id}/interests",
    response=list[InterestOut],
    auth=REQUIRED_AUTH,
    summary="Expressions of interest in an opportunity: all for coordinators, their people's for institution "
    "admins, your own for anyone",
)
def opportunity_interests(request, opportunity_id: int):
    opportunity = _get(request, opportunity_id)
    return list(matching.interests_for_opportunity(user=request.user, opportunity=opportunity))


@router.put(
    "/opportunities/{opportunity_id}/interest",
    response=InterestOut,
    auth=REQUIRED_AUTH,
    summary="Express your interest in an opportunity, or change your note",
)
def interest_express(request, opportunity_id: int, payload: InterestIn):
    opportunity = _get(request, opportunity_id)
    interest = matching.interest_express(user=request.user, opportunity=opportunity, note=payload.note)
    return matching.interests_visible_to(user=request.user).get(pk=interest.pk)


@router.delete(
    "/opportunities/{opportunity_id}/interest",
    response=InterestWithdrawnOut,
    auth=REQUIRED_AUTH,
    summary="Withdraw your interest in an opportunity",
)
def interest_withdraw(request, opportunity_id: int):
    opportunity = _get(request, opportunity_id)
    if not matching.interest_withdraw(user=request.user, opportunity=opportunity):
        raise Http404("You have not expressed interest in this opportunity.")
    return {"opportunity": opportunity.pk, "withdrawn": True}


@router.get(
    "/interests",
    response=list[InterestOut],
    auth=REQUIRED_AUTH,
    summary="Expressions of interest across opportunities, as the opportunity pages show them",
)
@paginate(LimitOffsetPagination)
def interests_list(request):
    return matching.interests_visible_to(user=request.user).order_by("-created_at", "-pk")


def _digest_out(request, subscription) -> dict:
    last = digests.digest_last_sent(user=request.user)
    return {
        "frequency": subscription.frequency,
        "include_profile_matches": subscription.include_profile_matches,
        "last_sent_at": last.sent_at if last else None,
        "unsubscribe_url": digests.digest_unsubscribe_url(user=request.user),
    }


@router.get("/me/digest", response=DigestSettingsOut, auth=REQUIRED_AUTH, summary="Your email digest settings")
def digest_settings_get(request):
    return _digest_out(request, digests.digest_settings_get(user=request.user))


@router.put("/me/digest", response=DigestSettingsOut, auth=REQUIRED_AUTH, summary="Choose your email digest")
def digest_settings_put(request, payload: DigestSettingsIn):
    subscription = digests.digest_settings_update(
        user=request.user, frequency=payload.frequency, include_profile_matches=payload.include_profile_matches
    )
    return _digest_out(request, subscription)
