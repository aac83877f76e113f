"""Signing up: closed unless the visitor came through a valid invitation link (or MHI_OPEN_SIGNUP is on)."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from mhi.accounts import services
from mhi.accounts.models import Invitation, Membership, Role, User

PASSWORD = "a-long-enough-passphrase"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth counts sign-up attempts in the cache.
    cache.clear()


@pytest.fixture
def invitation_key(world):
    _, key = services.invitation_create(
        inviter=world.users["aston_admin"],
        email="new@aston.example.org",
        role=Role.RESEARCHER,
        organisation=world.aston,
    )
    return key


def _signup(client, email="new@aston.example.org"):
    return client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})


def test_signup_without_an_invitation_is_closed(client, db):
    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assertContains(response, "You need an invitation", count=3)  # title, heading and explanation
    assertNotContains(response, 'name="password1"')


def test_posting_the_signup_form_without_an_invitation_creates_nobody(client, db):
    response = _signup(client, email="gatecrasher@example.org")

    assert response.status_code == 200
    assertContains(response, "You need an invitation to join MHI Hub.")
    assert User.objects.filter(email="gatecrasher@example.org").exists() is False


def test_opening_the_invitation_link_welcomes_the_visitor(client, invitation_key):
    response = client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    assert response.status_code == 200
    assertContains(response, "You are invited to MHI Hub")
    assertContains(response, "invited as <strong>Researcher</strong> at <strong>Aston University</strong>.", count=1)
    assertContains(response, f'href="{reverse("account_signup")}?email=new%40aston.example.org"')


def test_signup_is_open_after_opening_the_invitation_link(client, invitation_key):
    client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assertContains(response, "Create your account")
    assertContains(response, 'name="password1"', count=1)


def test_signup_through_the_invitation_creates_the_user_with_the_role(client, invitation_key, world):
    client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    _signup(client)

    user = User.objects.get(email="new@aston.example.org")
    assert list(Membership.objects.filter(user=user).values_list("role", "organisation")) == [
        ("researcher", world.aston.pk)
    ]
    invitation = Invitation.objects.get()
    assert invitation.status == "accepted"
    assert invitation.accepted_by == user


def test_signup_through_the_invitation_verifies_the_email(client, invitation_key):
    client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    _signup(client)

    address = EmailAddress.objects.get(email="new@aston.example.org")
    assert (address.verified, address.primary) == (True, True)
    assert len(mail.outbox) == 0  # no confirmation email: the invitation proved the address


def test_signup_through_the_invitation_signs_in_and_goes_home(client, invitation_key):
    client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    response = _signup(client)

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(User.objects.get(email="new@aston.example.org").pk)
    assert "mhi_invitation_key" not in client.session


def test_invitation_link_cannot_be_used_for_a_second_signup(client, invitation_key):
    client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))
    _signup(client)
    client.logout()

    response = client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    assert response.status_code == 404


def test_signup_with_another_email_than_invited_is_refused_on_the_form(client, invitation_key):
    client.get(reverse("accounts:invitation_open", kwargs={"key": invitation_key}))

    response = _signup(client, email="someone.else@example.org")

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["Use the address this invitation was sent to: new@aston.example.org."]
    }
    assert User.objects.filter(email="someone.else@example.org").exists() is False
    assert Invitation.objects.get().status == "pending"


def test_signup_is_open_to_anyone_when_open_signup_is_on(client, db, settings):
    settings.MHI_OPEN_SIGNUP = True

    response = client.get(reverse("account_signup"))

    assert response.status_code == 200
    assertContains(response, "Create your account")
    assertContains(response, 'name="password1"', count=1)


def test_open_signup_without_an_invitation_gives_no_role_and_asks_to_confirm_the_email(client, db, settings):
    settings.MHI_OPEN_SIGNUP = True

    response = _signup(client, email="walk.in@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="walk.in@example.org")
    assert Membership.objects.filter(user=user).count() == 0
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["walk.in@example.org"]
