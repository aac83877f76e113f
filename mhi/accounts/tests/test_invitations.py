"""Invitations: who may invite whom where, the emailed link, accepting it, and revoking it."""

import datetime
import re

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from mhi.accounts import services
from mhi.accounts.models import Invitation, Membership, Role, token_hash
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent

INVALID_LINK = "This invitation link is not valid: it may have expired, been used or been revoked."


def _bearer(world, persona):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


def _invite(world, *, email="new@aston.example.org", role=Role.RESEARCHER, inviter="aston_admin", organisation=None):
    """An invitation made through the service, and its one-time key."""
    return services.invitation_create(
        inviter=world.users[inviter], email=email, role=role, organisation=organisation or world.aston
    )


def _audit_events(invitation):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Invitation), object_id=str(invitation.pk)
    ).order_by("id")


# --- Creating ------------------------------------------------------------------------------------------


def test_admin_invites_to_their_own_organisation(world):
    invitation, key = _invite(world)

    assert invitation.email == "new@aston.example.org"
    assert invitation.organisation == world.aston
    assert invitation.role == Role.RESEARCHER
    assert invitation.invited_by == world.users["aston_admin"]
    assert invitation.status == "pending"
    assert invitation.key_hash == token_hash(key)


def test_invitation_link_works_for_fourteen_days(world):
    before = timezone.now()

    invitation, _ = _invite(world)

    assert before + datetime.timedelta(days=14) <= invitation.expires_at <= timezone.now() + datetime.timedelta(days=14)


def test_invitation_email_address_is_stored_trimmed_and_lowercase(world):
    invitation, _ = _invite(world, email="  New.Person@Aston.Example.ORG ")

    assert invitation.email == "new.person@aston.example.org"


def test_invitation_sends_one_email_with_the_link(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _, key = _invite(world)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@aston.example.org"]
    assert mail.outbox[0].subject == "[MHI Hub] You are invited to join MHI Hub"
    assert f"{settings.SITE_URL}/accounts/invitation/{key}/" in mail.outbox[0].body
    assert "as Researcher at Aston University." in mail.outbox[0].body


def test_invitation_page_sends_the_invitation(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users["aston_admin"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invitations"),
            {"email": "new@aston.example.org", "role": Role.RESEARCHER, "organisation": world.aston.pk},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:invitations")
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.organisation) == (
        "new@aston.example.org",
        Role.RESEARCHER,
        world.aston,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@aston.example.org"]
    key = re.search(r"/accounts/invitation/([^/\s]+)/", mail.outbox[0].body).group(1)
    assert token_hash(key) == invitation.key_hash


def test_invitation_page_confirms_the_invitation_was_sent(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users["aston_admin"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invitations"),
            {"email": "new@aston.example.org", "role": Role.RESEARCHER, "organisation": world.aston.pk},
            follow=True,
        )

    assert [str(m) for m in response.context["messages"]] == ["Invitation sent to new@aston.example.org."]


def test_api_creates_an_invitation_and_sends_the_email(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/invitations",
            data={"email": "new@aston.example.org", "role": "researcher", "organisation": "aston"},
            content_type="application/json",
            headers=_bearer(world, "aston_admin"),
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["organisation"], body["status"]) == (
        "new@aston.example.org",
        "researcher",
        "aston",
        "pending",
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@aston.example.org"]
    assert re.search(r"/accounts/invitation/[^/\s]+/", mail.outbox[0].body)


def test_admin_may_not_invite_to_another_organisation(world):
    with pytest.raises(PermissionDenied) as excinfo:
        _invite(world, organisation=world.leicester)

    assert excinfo.value.message == (
        "You can only invite people to organisations you administer, not University of Leicester."
    )
    assert Invitation.objects.count() == 0


def test_api_refuses_an_invitation_to_another_organisation(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/invitations",
            data={"email": "new@leicester.example.org", "role": "researcher", "organisation": "leicester"},
            content_type="application/json",
            headers=_bearer(world, "aston_admin"),
        )

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "status": 403,
            "code": "forbidden",
            "message": "You can only invite people to organisations you administer, not University of Leicester.",
            "fields": {},
        }
    }
    assert len(mail.outbox) == 0


def test_invitation_page_does_not_offer_another_organisation(client, world):
    client.force_login(world.users["aston_admin"])

    response = client.post(
        reverse("accounts:invitations"),
        {"email": "new@leicester.example.org", "role": Role.RESEARCHER, "organisation": world.leicester.pk},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "organisation": [f"Select a valid choice. {world.leicester.pk} is not one of the available choices."]
    }
    assert Invitation.objects.count() == 0


def test_admin_may_not_invite_a_coordinator(world):
    with pytest.raises(PermissionDenied) as excinfo:
        _invite(world, role=Role.COORDINATOR)

    assert excinfo.value.message == "You cannot invite people to that role."
    assert Invitation.objects.count() == 0


def test_api_refuses_an_admin_inviting_a_coordinator(client, world):
    response = client.post(
        "/api/v1/invitations",
        data={"email": "boss@aston.example.org", "role": "coordinator"},
        content_type="application/json",
        headers=_bearer(world, "aston_admin"),
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "You cannot invite people to that role."


def test_coordinator_invites_a_coordinator_without_an_organisation(world):
    invitation, _ = services.invitation_create(
        inviter=world.users["coordinator"], email="second@example.org", role=Role.COORDINATOR, organisation=world.aston
    )

    assert invitation.role == Role.COORDINATOR
    assert invitation.organisation is None


def test_bad_email_is_refused_naming_the_field(world):
    with pytest.raises(DomainError) as excinfo:
        _invite(world, email="not-an-email")

    assert excinfo.value.message == "“not-an-email” is not an email address."
    assert excinfo.value.field == "email"


def test_api_refuses_a_bad_email_naming_the_field(client, world):
    response = client.post(
        "/api/v1/invitations",
        data={"email": "not-an-email", "role": "researcher", "organisation": "aston"},
        content_type="application/json",
        headers=_bearer(world, "aston_admin"),
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "status": 422,
            "code": "invalid",
            "message": "“not-an-email” is not an email address.",
            "fields": {"email": ["“not-an-email” is not an email address."]},
        }
    }


def test_invitation_page_refuses_a_bad_email_naming_the_field(client, world):
    client.force_login(world.users["aston_admin"])

    response = client.post(
        reverse("accounts:invitations"),
        {"email": "not-an-email", "role": Role.RESEARCHER, "organisation": world.aston.pk},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}


def test_unknown_role_is_refused_naming_the_field(world):
    with pytest.raises(DomainError) as excinfo:
        _invite(world, role="emperor")

    assert (excinfo.value.message, excinfo.value.field) == ("“emperor” is not a role.", "role")


def test_organisation_is_required_for_roles_other_than_coordinator(world):
    with pytest.raises(DomainError) as excinfo:
        services.invitation_create(
            inviter=world.users["coordinator"], email="new@example.org", role=Role.RESEARCHER, organisation=None
        )

    assert (excinfo.value.message, excinfo.value.field) == (
        "Choose the organisation the person will join.",
        "organisation",
    )


def test_api_refuses_an_unknown_organisation(client, world):
    response = client.post(
        "/api/v1/invitations",
        data={"email": "new@example.org", "role": "researcher", "organisation": "atlantis"},
        content_type="application/json",
        headers=_bearer(world, "coordinator"),
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"organisation": ["No organisation “atlantis”."]}


def test_person_who_already_has_the_role_is_not_invited_again(world):
    MembershipFactory(
        user=UserFactory(email="existing@aston.example.org"), role=Role.RESEARCHER, organisation=world.aston
    )

    with pytest.raises(Conflict) as excinfo:
        _invite(world, email="Existing@aston.example.org")

    assert (excinfo.value.message, excinfo.value.field) == (
        "existing@aston.example.org already has that role.",
        "email",
    )
    assert Invitation.objects.count() == 0


def test_api_answers_409_when_the_person_already_has_the_role(client, world):
    response = client.post(
        "/api/v1/invitations",
        data={"email": "admin@aston.example.org", "role": "institution_admin", "organisation": "aston"},
        content_type="application/json",
        headers=_bearer(world, "aston_admin"),
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "status": 409,
            "code": "conflict",
            "message": "admin@aston.example.org already has that role.",
            "fields": {"email": ["admin@aston.example.org already has that role."]},
        }
    }


def test_invitation_page_shows_the_conflict_on_the_email_field(client, world):
    client.force_login(world.users["aston_admin"])

    response = client.post(
        reverse("accounts:invitations"),
        {"email": "admin@aston.example.org", "role": Role.INSTITUTION_ADMIN, "organisation": world.aston.pk},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["admin@aston.example.org already has that role."]}


def test_person_with_another_role_may_be_invited(world):
    invitation, _ = _invite(world, email="admin@aston.example.org", role=Role.INSTITUTION_LEAD)

    assert invitation.status == "pending"


def test_creating_an_invitation_is_audited_with_the_inviter(world):
    invitation, _ = _invite(world)

    events = list(_audit_events(invitation))
    assert len(events) == 1
    assert events[0].action == AuditEvent.Action.CREATE
    assert events[0].actor == world.users["aston_admin"]
    assert events[0].changes["email"] == [None, "new@aston.example.org"]
    assert events[0].changes["role"] == [None, "researcher"]
    assert events[0].changes["organisation_id"] == [None, world.aston.pk]


# --- Accepting -------------------------------------------------------------------------------------------


def test_invited_user_accepts_and_gets_the_membership(world):
    user = UserFactory(email="new@aston.example.org")
    invitation, key = _invite(world)

    membership = services.invitation_accept(key=key, user=user)

    assert (membership.user, membership.role, membership.organisation) == (user, Role.RESEARCHER, world.aston)
    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == user


def test_signed_in_invited_user_accepts_by_opening_the_link(client, world):
    user = UserFactory(email="new@aston.example.org")
    _, key = _invite(world)
    client.force_login(user)

    response = client.get(reverse("accounts:invitation_open", kwargs={"key": key}))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert list(Membership.objects.filter(user=user).values_list("role", "organisation")) == [
        ("researcher", world.aston.pk)
    ]


def test_accepting_an_invitation_is_audited_with_the_user(world):
    user = UserFactory(email="new@aston.example.org")
    invitation, key = _invite(world)

    services.invitation_accept(key=key, user=user)

    event = _audit_events(invitation).last()
    assert event.action == AuditEvent.Action.UPDATE
    assert event.actor == user
    assert set(event.changes) == {"accepted_at", "accepted_by_id"}
    assert event.changes["accepted_by_id"] == [None, user.pk]


def test_user_with_another_email_may_not_accept(world):
    user = UserFactory(email="someone.else@aston.example.org")
    invitation, key = _invite(world)

    with pytest.raises(PermissionDenied) as excinfo:
        services.invitation_accept(key=key, user=user)

    assert excinfo.value.message == (
        "This invitation is for new@aston.example.org; you are signed in as someone.else@aston.example.org."
    )
    assert Membership.objects.filter(user=user).count() == 0
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_link_opened_by_a_user_with_another_email_shows_the_invalid_page(client, world):
    user = UserFactory(email="someone.else@aston.example.org")
    _, key = _invite(world)
    client.force_login(user)

    response = client.get(reverse("accounts:invitation_open", kwargs={"key": key}))

    assert response.status_code == 403
    assert response.templates[0].name == "accounts/invitation_invalid.html"
    assert [str(m) for m in response.context["messages"]] == [
        "This invitation is for new@aston.example.org; you are signed in as someone.else@aston.example.org."
    ]
    assert Membership.objects.filter(user=user).count() == 0


def test_accepted_invitation_cannot_be_accepted_again(world):
    user = UserFactory(email="new@aston.example.org")
    _, key = _invite(world)
    services.invitation_accept(key=key, user=user)

    with pytest.raises(DomainError) as excinfo:
        services.invitation_accept(key=key, user=user)

    assert excinfo.value.message == INVALID_LINK


def test_invitation_can_be_accepted_after_the_inviter_left(world):
    user = UserFactory(email="new@aston.example.org")
    invitation, key = _invite(world)
    world.users["aston_admin"].delete()

    services.invitation_accept(key=key, user=user)

    invitation.refresh_from_db()
    assert invitation.status == "accepted"
    assert invitation.invited_by is None


@pytest.mark.parametrize("state", ["expired", "revoked", "used"])
def test_link_that_can_no_longer_be_used_shows_the_invalid_page(client, world, state):
    invitation, key = _invite(world)
    if state == "expired":
        invitation.expires_at = timezone.now() - datetime.timedelta(seconds=1)
    elif state == "revoked":
        invitation.revoked_at = timezone.now()
    else:
        invitation.accepted_at = timezone.now()
    invitation.save()

    response = client.get(reverse("accounts:invitation_open", kwargs={"key": key}))

    assert response.status_code == 404
    assert response.templates[0].name == "accounts/invitation_invalid.html"
    assert "mhi_invitation_key" not in client.session


def test_unknown_link_shows_the_invalid_page(client, db):
    response = client.get(reverse("accounts:invitation_open", kwargs={"key": "no-such-key"}))

    assert response.status_code == 404
    assert response.templates[0].name == "accounts/invitation_invalid.html"


def test_expired_invitation_cannot_be_accepted(world):
    user = UserFactory(email="new@aston.example.org")
    invitation, key = _invite(world)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    with pytest.raises(DomainError) as excinfo:
        services.invitation_accept(key=key, user=user)

    assert excinfo.value.message == INVALID_LINK
    assert Membership.objects.filter(user=user).count() == 0


# --- Revoking --------------------------------------------------------------------------------------------


def test_admin_revokes_a_pending_invitation(client, world):
    invitation, _ = _invite(world)
    client.force_login(world.users["aston_admin"])

    response = client.post(reverse("accounts:invitation_revoke", kwargs={"invitation_id": invitation.pk}), follow=True)

    assert [str(m) for m in response.context["messages"]] == ["Invitation to new@aston.example.org revoked."]
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


def test_revoking_twice_on_the_page_says_it_is_already_revoked(client, world):
    invitation, _ = _invite(world)
    client.force_login(world.users["aston_admin"])
    url = reverse("accounts:invitation_revoke", kwargs={"invitation_id": invitation.pk})
    client.post(url, follow=True)  # following shows (and so clears) the first "revoked" message

    response = client.post(url, follow=True)

    assert [str(m) for m in response.context["messages"]] == ["This invitation is already revoked."]


def test_revoking_twice_in_the_service_is_a_conflict(world):
    invitation, _ = _invite(world)
    services.invitation_revoke(actor=world.users["aston_admin"], invitation=invitation)

    with pytest.raises(Conflict) as excinfo:
        services.invitation_revoke(actor=world.users["aston_admin"], invitation=invitation)

    assert excinfo.value.message == "This invitation is already revoked."


def test_revoking_twice_on_the_api_answers_409(client, world):
    invitation, _ = _invite(world)
    url = f"/api/v1/invitations/{invitation.pk}"
    first = client.delete(url, headers=_bearer(world, "aston_admin"))
    assert first.status_code == 200
    assert first.json()["status"] == "revoked"

    response = client.delete(url, headers=_bearer(world, "aston_admin"))

    assert response.status_code == 409
    assert response.json() == {
        "error": {"status": 409, "code": "conflict", "message": "This invitation is already revoked.", "fields": {}}
    }


def test_revoking_an_accepted_invitation_says_it_is_accepted(world):
    invitation, key = _invite(world)
    services.invitation_accept(key=key, user=UserFactory(email="new@aston.example.org"))
    invitation.refresh_from_db()

    with pytest.raises(Conflict) as excinfo:
        services.invitation_revoke(actor=world.users["aston_admin"], invitation=invitation)

    assert excinfo.value.message == "This invitation is already accepted."


def test_admin_of_another_organisation_may_not_revoke(world):
    invitation, _ = _invite(world)
    leicester_admin = UserFactory()
    MembershipFactory(user=leicester_admin, role=Role.INSTITUTION_ADMIN, organisation=world.leicester)

    with pytest.raises(PermissionDenied) as excinfo:
        services.invitation_revoke(actor=leicester_admin, invitation=invitation)

    assert excinfo.value.message == "You cannot revoke this invitation."
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_revoking_is_audited_with_the_actor(world):
    invitation, _ = _invite(world)

    services.invitation_revoke(actor=world.users["coordinator"], invitation=invitation)

    event = _audit_events(invitation).last()
    assert event.action == AuditEvent.Action.UPDATE
    assert event.actor == world.users["coordinator"]
    assert set(event.changes) == {"revoked_at"}


# --- Who sees which invitations ------------------------------------------------------------------------


def test_admin_lists_only_invitations_to_their_organisations(client, world):
    _invite(world)
    _invite(world, inviter="coordinator", email="new@leicester.example.org", organisation=world.leicester)

    response = client.get("/api/v1/invitations", headers=_bearer(world, "aston_admin"))

    assert response.status_code == 200
    assert [item["email"] for item in response.json()["items"]] == ["new@aston.example.org"]
    assert response.json()["count"] == 1


def test_coordinator_lists_every_invitation(client, world):
    _invite(world)
    _invite(world, inviter="coordinator", email="new@leicester.example.org", organisation=world.leicester)

    response = client.get("/api/v1/invitations", headers=_bearer(world, "coordinator"))

    assert response.json()["count"] == 2
