"""Two-factor authentication: coordinators and institution admins must set up TOTP before anything else."""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache
from django.urls import reverse

from mhi.accounts.models import Role
from mhi.accounts.services import api_token_create
from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.directory.tests.factories import OrganisationFactory

# The secret tests/personas.py activates for the coordinator and Aston's admin.
PERSONA_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MFA_REQUIRED_BODY = {
    "error": {
        "status": 403,
        "code": "mfa_required",
        "message": "Your role needs two-factor authentication: set it up at /accounts/2fa/.",
        "fields": {},
    }
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    # allauth keeps rate limits and used TOTP codes in the cache.
    cache.clear()


@pytest.fixture
def coordinator_without_mfa(db):
    user = UserFactory(email="new.coordinator@example.org")
    MembershipFactory(user=user, role=Role.COORDINATOR, organisation=None)
    return user


@pytest.fixture
def admin_without_mfa(db):
    user = UserFactory(email="new.admin@example.org")
    MembershipFactory(user=user, role=Role.INSTITUTION_ADMIN, organisation=OrganisationFactory())
    return user


def _current_code(secret=PERSONA_SECRET):
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


@pytest.mark.parametrize("path", ["/", "/directory/organisations/"])
def test_coordinator_without_totp_is_sent_to_set_it_up(client, coordinator_without_mfa, path):
    client.force_login(coordinator_without_mfa)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


@pytest.mark.parametrize("path", ["/", "/directory/organisations/"])
def test_institution_admin_without_totp_is_sent_to_set_it_up(client, admin_without_mfa, path):
    client.force_login(admin_without_mfa)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_user_without_totp_is_told_why_they_were_sent_away(client, coordinator_without_mfa):
    client.force_login(coordinator_without_mfa)

    response = client.get("/", follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert "Your role needs two-factor authentication. Set it up to continue." in messages


def test_coordinator_without_totp_may_still_open_the_mfa_pages(client, coordinator_without_mfa):
    client.force_login(coordinator_without_mfa)

    response = client.get(reverse("mfa_index"))

    assert response.status_code == 200


def test_coordinator_without_totp_gets_json_403_from_the_api_with_a_session(client, coordinator_without_mfa):
    client.force_login(coordinator_without_mfa)

    response = client.get("/api/v1/me")

    assert response.status_code == 403
    assert response.json() == MFA_REQUIRED_BODY


def test_institution_admin_without_totp_gets_json_403_from_the_api_with_a_session(client, admin_without_mfa):
    client.force_login(admin_without_mfa)

    response = client.get("/api/v1/me")

    assert response.status_code == 403
    assert response.json() == MFA_REQUIRED_BODY


def test_token_of_a_coordinator_without_totp_is_refused(client, coordinator_without_mfa):
    _, raw = api_token_create(user=coordinator_without_mfa, name="script")

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_token_of_an_institution_admin_without_totp_is_refused(client, admin_without_mfa):
    _, raw = api_token_create(user=admin_without_mfa, name="script")

    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("path", ["/", "/directory/organisations/", "/api/v1/me"])
def test_researcher_without_totp_is_not_asked_for_it(client, world, path):
    client.force_login(world.users["researcher"])

    response = client.get(path)

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/", "/directory/organisations/", "/api/v1/me"])
def test_coordinator_with_totp_gets_the_page(client, world, path):
    client.force_login(world.users["coordinator"])

    response = client.get(path)

    assert response.status_code == 200


def test_password_login_of_a_user_with_totp_asks_for_the_code(client, world):
    response = client.post(
        reverse("account_login"), {"login": "coordinator@example.org", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


def test_correct_totp_code_completes_the_login(client, world):
    client.post(reverse("account_login"), {"login": "coordinator@example.org", "password": "correct horse battery"})

    response = client.post(reverse("mfa_authenticate"), {"code": _current_code()})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.users["coordinator"].pk)
    assert client.get("/").status_code == 200


def test_wrong_totp_code_does_not_log_in(client, world):
    client.post(reverse("account_login"), {"login": "coordinator@example.org", "password": "correct horse battery"})
    wrong = f"{(int(_current_code()) + 1) % 1_000_000:06d}"

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Incorrect code."]}
    assert "_auth_user_id" not in client.session
