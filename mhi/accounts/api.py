"""Account operations of the API: who am I, personal tokens, invitations."""

from datetime import datetime

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status

from mhi.accounts import selectors, services
from mhi.api.auth import REQUIRED_AUTH
from mhi.core.errors import DomainError
from mhi.directory import selectors as directory_selectors

router = Router(tags=["accounts"], auth=REQUIRED_AUTH)


class RoleOut(Schema):
    role: str
    organisation: str | None

    @staticmethod
    def resolve_organisation(obj) -> str | None:
        return obj.organisation.slug if obj.organisation_id else None


class MeOut(Schema):
    email: str
    full_name: str
    is_coordinator: bool
    roles: list[RoleOut]


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class TokenCreateIn(Schema):
    name: str


class TokenCreatedOut(TokenOut):
    token: str


class InvitationIn(Schema):
    email: str
    role: str
    organisation: str | None = None


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    organisation: str | None
    status: str
    created_at: datetime
    expires_at: datetime

    @staticmethod
    def resolve_organisation(obj) -> str | None:
        return obj.organisation.slug if obj.organisation_id else None


@router.get("/me", response=MeOut, summary="The signed-in user and their roles")
def me(request):
    return {
        "email": request.user.email,
        "full_name": request.user.full_name,
        "is_coordinator": selectors.user_is_coordinator(request.user),
        "roles": selectors.memberships_of(request.user),
    }


@router.get("/tokens", response=list[TokenOut], summary="Your personal API tokens")
def tokens_list(request):
    return selectors.api_tokens_of(user=request.user)


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Create a personal API token (shown once)")
def token_create(request, payload: TokenCreateIn):
    token, raw = services.api_token_create(user=request.user, name=payload.name)
    token.token = raw
    return Status(201, token)


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke one of your tokens")
def token_revoke(request, token_id: int):
    try:
        return services.api_token_revoke(user=request.user, token_id=token_id)
    except DomainError:
        raise Http404("No such token.") from None


@router.get("/invitations", response=list[InvitationOut], summary="Invitations you may manage")
@paginate(LimitOffsetPagination)
def invitations_list(request):
    if not selectors.roles_user_may_grant(request.user):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Only coordinators and institution admins manage invitations.")
    return selectors.invitations_visible_to(user=request.user)


@router.post("/invitations", response={201: InvitationOut}, summary="Invite someone with a role")
def invitation_create(request, payload: InvitationIn):
    organisation = None
    if payload.organisation:
        organisation = (
            directory_selectors.organisations_visible_to(user=request.user).filter(slug=payload.organisation).first()
        )
        if organisation is None:
            raise DomainError(f"No organisation “{payload.organisation}”.", field="organisation")
    invitation, _ = services.invitation_create(
        inviter=request.user, email=payload.email, role=payload.role, organisation=organisation
    )
    return Status(201, invitation)


@router.delete("/invitations/{invitation_id}", response=InvitationOut, summary="Revoke a pending invitation")
def invitation_revoke(request, invitation_id: int):
    invitation = selectors.invitations_visible_to(user=request.user).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation.")
    services.invitation_revoke(actor=request.user, invitation=invitation)
    invitation.refresh_from_db()
    return invitation
