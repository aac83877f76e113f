"""allauth's account pages as MHI Hub serves them: they render with our templates and headings."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth counts sign-in attempts in the cache; a clean cache keeps one test from throttling the next.
    cache.clear()


def _h1(text):
    return f'<h1 class="govuk-heading-l">{text}</h1>'


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_login", "Sign in"),
        ("account_signup", "You need an invitation"),
        ("account_reset_password", "Password Reset"),
        ("account_reset_password_done", "Password Reset"),
    ],
)
def test_anonymous_visitor_sees_the_page_and_its_heading(client, db, url_name, heading):
    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assertContains(response, _h1(heading), count=1, html=True)


@pytest.mark.parametrize(
    ("url_name", "heading"),
    [
        ("account_email", "Email addresses"),
        ("account_change_password", "Change Password"),
        ("mfa_index", "Two-Factor Authentication"),
    ],
)
def test_signed_in_researcher_sees_the_account_page(client, world, url_name, heading):
    client.force_login(world.users["researcher"])

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assertContains(response, _h1(heading), count=1, html=True)


def test_email_page_lists_the_users_verified_address(client, world):
    client.force_login(world.users["researcher"])

    response = client.get(reverse("account_email"))

    assertContains(response, "researcher@nottingham.example.org")
    assertContains(response, "Verified")


def test_anonymous_visitor_is_sent_to_sign_in_from_the_email_page(client, db):
    response = client.get(reverse("account_email"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={reverse('account_email')}"


def test_login_with_a_wrong_password_shows_the_error_and_signs_nobody_in(client, world):
    response = client.post(
        reverse("account_login"), {"login": "researcher@nottingham.example.org", "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "__all__": ["The email address and/or password you specified are not correct."]
    }
    assertContains(response, "The email address and/or password you specified are not correct.", count=1)
    assert "_auth_user_id" not in client.session


def test_login_with_the_right_password_signs_in_and_goes_home(client, world):
    response = client.post(
        reverse("account_login"), {"login": "researcher@nottingham.example.org", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(world.users["researcher"].pk)


def test_login_page_offers_no_sign_up_link(client, db):
    response = client.get(reverse("account_login"))

    assertNotContains(response, f'href="{reverse("account_signup")}"')
