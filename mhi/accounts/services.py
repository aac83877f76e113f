"""Writes about accounts: invitations, memberships and API tokens."""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from mhi.accounts import selectors
from mhi.accounts.models import ApiToken, Invitation, Membership, Role, User, token_hash
from mhi.core.audit import audit_delete, audit_save
from mhi.core.errors import Conflict, DomainError, PermissionDenied

INVITATION_DAYS = 14
TOKEN_PREFIX = "mhi_"


@transaction.atomic
def invitation_create(*, inviter: User, email: str, role: str, organisation=None) -> tuple[Invitation, str]:
    """Invite someone; returns the invitation and its one-time key (only its hash is stored)."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(f"“{email}” is not an email address.", field="email") from None
    if role not in Role.values:
        raise DomainError(f"“{role}” is not a role.", field="role")
    if role == Role.COORDINATOR:
        organisation = None
    elif organisation is None:
        raise DomainError("Choose the organisation the person will join.", field="organisation")
    if role not in dict(selectors.roles_user_may_grant(inviter)):
        raise PermissionDenied("You cannot invite people to that role.")
    if not selectors.user_is_coordinator(inviter) and organisation.pk not in selectors.user_admin_organisation_ids(
        inviter
    ):
        raise PermissionDenied(f"You can only invite people to organisations you administer, not {organisation}.")
    existing = User.objects.filter(email__iexact=email).first()
    if existing and Membership.objects.filter(user=existing, organisation=organisation, role=role).exists():
        raise Conflict(f"{email} already has that role.", field="email")
    key = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        organisation=organisation,
        key_hash=token_hash(key),
        invited_by=inviter,
        expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
    )
    audit_save(instance=invitation, actor=inviter)
    from mhi.accounts.tasks import invitation_send_email

    url = f"{settings.SITE_URL}/accounts/invitation/{key}/"
    transaction.on_commit(lambda: invitation_send_email.enqueue(invitation_id=invitation.pk, url=url))
    return invitation, key


def invitation_by_key(key: str) -> Invitation | None:
    invitation = Invitation.objects.select_related("organisation").filter(key_hash=token_hash(key)).first()
    if invitation is None or invitation.status != "pending":
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, key: str, user: User) -> Membership:
    invitation = invitation_by_key(key)
    if invitation is None:
        raise DomainError("This invitation link is not valid: it may have expired, been used or been revoked.")
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.email.lower() != user.email.lower():
        raise PermissionDenied(f"This invitation is for {invitation.email}; you are signed in as {user.email}.")
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation, role=invitation.role
    )
    audit_save(instance=invitation, actor=user, fields={"accepted_at": timezone.now(), "accepted_by": user})
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    if not selectors.invitations_visible_to(user=actor).filter(pk=invitation.pk).exists():
        raise PermissionDenied("You cannot revoke this invitation.")
    if invitation.status != "pending":
        raise Conflict(f"This invitation is already {invitation.status}.")
    audit_save(instance=invitation, actor=actor, fields={"revoked_at": timezone.now()})


def membership_grant(*, actor: User | None, user: User, role: str, organisation=None, source: str = "") -> Membership:
    try:
        with transaction.atomic():
            membership = Membership(user=user, role=role, organisation=organisation)
            audit_save(instance=membership, actor=actor, source=source)
    except IntegrityError:
        membership = Membership.objects.get(user=user, role=role, organisation=organisation)
    user.__dict__.pop("_mhi_memberships", None)
    return membership


def membership_revoke(*, actor: User | None, membership: Membership) -> None:
    audit_delete(instance=membership, actor=actor)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal token; the returned raw token is shown once and never stored."""
    name = name.strip()
    if not name:
        raise DomainError("Give the token a name, so you can tell it apart later.", field="name")
    if len(name) > 100:
        raise DomainError("The token name must be 100 characters or fewer.", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:10],
        key_hash=token_hash(raw),
        expires_at=timezone.now() + datetime.timedelta(days=settings.MHI_API_TOKEN_TTL_DAYS),
    )
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise DomainError("No such token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw token belongs to, or None. Records when the token was last used."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > datetime.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
