"""Reads about users and their roles. Every permission question in the product starts here."""

from django.db.models import QuerySet

from mhi.accounts.models import MFA_REQUIRED_ROLES, ApiToken, Invitation, Membership, Role


def memberships_of(user) -> list[Membership]:
    """The user's roles, cached on the user object for the rest of the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_mhi_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("organisation"))
        user._mhi_memberships = cached
    return cached


def user_signed_in(user) -> bool:
    """A signed-in user whose account is active."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def user_is_coordinator(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or any(m.role == Role.COORDINATOR for m in memberships_of(user))


def user_organisation_ids(user, *, roles: frozenset[str] | set[str] | None = None) -> set[int]:
    """Organisations where the user holds any role (or one of `roles`)."""
    return {m.organisation_id for m in memberships_of(user) if m.organisation_id and (roles is None or m.role in roles)}


def user_admin_organisation_ids(user) -> set[int]:
    return user_organisation_ids(user, roles={Role.INSTITUTION_ADMIN})


def user_has_role(user, role: str) -> bool:
    return any(m.role == role for m in memberships_of(user))


def user_is_partnership_insider(user) -> bool:
    """Coordinators and anyone with a role other than industry/external."""
    return user_is_coordinator(user) or any(m.role != Role.EXTERNAL for m in memberships_of(user))


def user_requires_mfa(user) -> bool:
    return user.is_superuser or any(m.role in MFA_REQUIRED_ROLES for m in memberships_of(user))


def user_has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def api_tokens_of(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def invitations_visible_to(*, user) -> QuerySet[Invitation]:
    qs = Invitation.objects.select_related("organisation", "invited_by", "accepted_by")
    if user_is_coordinator(user):
        return qs
    return qs.filter(organisation_id__in=user_admin_organisation_ids(user))


def roles_user_may_grant(user) -> list[tuple[str, str]]:
    """Roles a user may invite others to: coordinators any, institution admins any but coordinator."""
    if user_is_coordinator(user):
        return list(Role.choices)
    if user_admin_organisation_ids(user):
        return [(value, label) for value, label in Role.choices if value != Role.COORDINATOR]
    return []


def organisations_user_may_invite_to(*, user):
    """Coordinators invite to any organisation; institution admins to those they administer."""
    from mhi.directory.models import Organisation

    qs = Organisation.objects.order_by("name")
    if user_is_coordinator(user):
        return qs
    return qs.filter(pk__in=user_admin_organisation_ids(user))
