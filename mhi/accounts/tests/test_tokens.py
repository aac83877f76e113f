"""Personal API tokens: created once and shown once, stored only as a hash, refused when no longer good."""

import datetime
import hashlib

from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from mhi.accounts.models import ApiToken
from mhi.accounts.services import api_token_create
from mhi.accounts.tests.factories import UserFactory

INVALID_TOKEN_BODY = {
    "error": {
        "status": 401,
        "code": "invalid_token",
        "message": "The API token is not valid, has expired or was revoked.",
        "fields": {},
    }
}


def _bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def _rows_containing(text):
    """(model label, field name) of every stored text value anywhere in the database that contains `text`."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                lookup = "icontains" if isinstance(field, models.JSONField) else "contains"
                if model._default_manager.filter(**{f"{field.attname}__{lookup}": text}).exists():
                    found.append((model._meta.label, field.name))
    return found


def test_creating_a_token_on_the_page_shows_it(client, db):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:tokens"), {"name": "nightly import"}, follow=True)

    assert response.redirect_chain == [(reverse("accounts:tokens"), 302)]
    raw = response.context["new_token"]
    assert raw.startswith("mhi_")
    assertContains(response, f'<span class="mhi-token" id="new-token">{raw}</span>', count=1, html=True)


def test_token_page_stores_only_the_sha256_of_the_token(client, db):
    user = UserFactory()
    client.force_login(user)

    raw = client.post(reverse("accounts:tokens"), {"name": "nightly import"}, follow=True).context["new_token"]

    token = ApiToken.objects.get(user=user)
    assert token.name == "nightly import"
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    assert _rows_containing(raw) == []
    assert _rows_containing(token.key_hash) == [("accounts.ApiToken", "key_hash")]  # the scan does find values


def test_token_is_not_shown_again_after_creation(client, db):
    user = UserFactory()
    client.force_login(user)
    raw = client.post(reverse("accounts:tokens"), {"name": "nightly import"}, follow=True).context["new_token"]

    response = client.get(reverse("accounts:tokens"))

    assertNotContains(response, raw)
    assertContains(response, f"<code>{raw[:10]}…</code>", count=1, html=True)


def test_token_page_refuses_an_empty_name(client, db):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:tokens"), {"name": "   "})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert response.context["new_token"] is None
    assert ApiToken.objects.filter(user=user).count() == 0


def test_bearer_token_authenticates_the_api_as_its_user(client, world):
    response = client.get("/api/v1/me", headers=_bearer(world.tokens["researcher"]))

    assert response.status_code == 200
    assert response.json() == {
        "email": "researcher@nottingham.example.org",
        "full_name": "",
        "is_coordinator": False,
        "roles": [{"role": "researcher", "organisation": "nottingham"}],
    }


def test_bearer_token_of_the_coordinator_reports_the_partnership_wide_role(client, world):
    response = client.get("/api/v1/me", headers=_bearer(world.tokens["coordinator"]))

    assert response.status_code == 200
    assert response.json()["is_coordinator"] is True
    assert response.json()["roles"] == [{"role": "coordinator", "organisation": None}]


def test_using_a_token_records_when_it_was_last_used(client, world):
    token = world.users["researcher"].api_tokens.get()
    assert token.last_used_at is None

    client.get("/api/v1/me", headers=_bearer(world.tokens["researcher"]))

    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < datetime.timedelta(minutes=1)


def test_revoked_token_is_refused(client, world):
    raw = world.tokens["researcher"]
    token = world.users["researcher"].api_tokens.get()
    assert client.delete(f"/api/v1/tokens/{token.pk}", headers=_bearer(raw)).status_code == 200

    response = client.get("/api/v1/me", headers=_bearer(raw))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_revoking_on_the_page_makes_the_token_unusable(client, world):
    token = world.users["researcher"].api_tokens.get()
    client.force_login(world.users["researcher"])

    response = client.post(reverse("accounts:token_revoke", kwargs={"token_id": token.pk}))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:tokens")
    client.logout()
    assert client.get("/api/v1/me", headers=_bearer(world.tokens["researcher"])).status_code == 401


def test_expired_token_is_refused(client, world):
    ApiToken.objects.filter(user=world.users["researcher"]).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    response = client.get("/api/v1/me", headers=_bearer(world.tokens["researcher"]))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_garbage_token_is_refused(client, world):
    response = client.get("/api/v1/me", headers=_bearer("mhi_not-a-real-token"))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_token_without_the_mhi_prefix_is_refused(client, world):
    response = client.get("/api/v1/me", headers=_bearer("garbage"))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_token_of_an_inactive_user_is_refused(client, world):
    user = world.users["researcher"]
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = client.get("/api/v1/me", headers=_bearer(world.tokens["researcher"]))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_invalid_token_is_refused_even_on_public_operations(client, world):
    response = client.get("/api/v1/organisations", headers=_bearer("mhi_not-a-real-token"))

    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_api_creates_a_token_and_returns_it_once(client, world):
    response = client.post(
        "/api/v1/tokens",
        data={"name": "script"},
        content_type="application/json",
        headers=_bearer(world.tokens["nhs_rd"]),
    )

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("mhi_")
    assert body["name"] == "script"
    assert body["prefix"] == body["token"][:10]
    assert body["is_active"] is True
    assert ApiToken.objects.get(pk=body["id"]).key_hash == hashlib.sha256(body["token"].encode()).hexdigest()


def test_token_made_by_the_api_authenticates(client, world):
    raw = client.post(
        "/api/v1/tokens",
        data={"name": "script"},
        content_type="application/json",
        headers=_bearer(world.tokens["nhs_rd"]),
    ).json()["token"]

    response = client.get("/api/v1/me", headers=_bearer(raw))

    assert response.status_code == 200
    assert response.json()["email"] == "rd@uhb.example.org"


def test_api_lists_tokens_without_their_secret(client, world):
    response = client.get("/api/v1/tokens", headers=_bearer(world.tokens["researcher"]))

    assert response.status_code == 200
    assert len(response.json()) == 1
    assert "token" not in response.json()[0]
    assert "key_hash" not in response.json()[0]


def test_api_refuses_an_empty_token_name_naming_the_field(client, world):
    response = client.post(
        "/api/v1/tokens", data={"name": "  "}, content_type="application/json", headers=_bearer(world.tokens["nhs_rd"])
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "status": 422,
            "code": "invalid",
            "message": "Give the token a name, so you can tell it apart later.",
            "fields": {"name": ["Give the token a name, so you can tell it apart later."]},
        }
    }
    assert ApiToken.objects.filter(user=world.users["nhs_rd"]).count() == 1


def test_api_refuses_a_token_name_over_100_characters(client, world):
    response = client.post(
        "/api/v1/tokens",
        data={"name": "x" * 101},
        content_type="application/json",
        headers=_bearer(world.tokens["nhs_rd"]),
    )

    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {"name": ["The token name must be 100 characters or fewer."]}


def test_revoking_someone_elses_token_on_the_api_leaves_it_active(client, world):
    token = world.users["researcher"].api_tokens.get()

    response = client.delete(f"/api/v1/tokens/{token.pk}", headers=_bearer(world.tokens["nhs_rd"]))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client.get("/api/v1/me", headers=_bearer(world.tokens["researcher"])).status_code == 200


def test_revoking_someone_elses_token_on_the_page_leaves_it_active(client, world):
    token = world.users["researcher"].api_tokens.get()
    client.force_login(world.users["nhs_rd"])

    response = client.post(reverse("accounts:token_revoke", kwargs={"token_id": token.pk}))

    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_new_token_expires_after_the_configured_lifetime(db, settings):
    settings.MHI_API_TOKEN_TTL_DAYS = 30
    before = timezone.now()

    token, _ = api_token_create(user=UserFactory(), name="short-lived")

    assert before + datetime.timedelta(days=30) <= token.expires_at <= timezone.now() + datetime.timedelta(days=30)
