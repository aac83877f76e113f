"""axe-core on every page of the product, as a user who may see it: the pages come from the permission
matrix (tests/test_permissions.py), so a new page is checked here as soon as its access rule is written."""

import pytest
from django.urls import reverse

from tests.e2e.conftest import format_violations
from tests.test_permissions import PAGES

pytestmark = pytest.mark.e2e

# Who looks at a page: the first of these who may see it.
VIEWERS = ["anonymous", "researcher", "aston_admin", "coordinator"]

# Pages that are not HTML of ours: the API's Swagger UI and JSON, the health check, CSV downloads.
NOT_HTML_PAGES = {
    "healthz",
    "expertise:export",
    "api-1.0.0:openapi-json",
    "api-1.0.0:openapi-view",
    "api-1.0.0:api-root",
}
GET_PAGES = [key for key, (method, _, _) in PAGES.items() if method == "get" and key not in NOT_HTML_PAGES]

ALLAUTH_PAGES = [
    ("anonymous", "account_login"),
    ("anonymous", "account_signup"),
    ("anonymous", "account_reset_password"),
    ("researcher", "account_email"),
    ("researcher", "account_change_password"),
    ("researcher", "mfa_index"),
    ("researcher", "mfa_activate_totp"),
    ("coordinator", "mfa_index"),
    ("researcher", "account_logout"),
]


def _check(page, axe_check, path):
    response = page.goto(path)
    assert response.status == 200, f"GET {path} answered {response.status}"
    violations = axe_check(page)
    if violations:
        pytest.fail(format_violations(violations, page.url), pytrace=False)


@pytest.mark.parametrize("key", GET_PAGES)
def test_page_has_no_axe_violations(page, world, login, axe_check, key):
    _, kwargs, expected = PAGES[key]
    viewer = next(v for v in VIEWERS if expected[v] == 200)
    path = reverse(key.split("#")[0], kwargs=kwargs(world))
    if viewer != "anonymous":
        login(page, world.users[viewer])
    _check(page, axe_check, path)


@pytest.mark.parametrize(("viewer", "name"), ALLAUTH_PAGES)
def test_account_page_has_no_axe_violations(page, world, login, axe_check, viewer, name):
    if viewer != "anonymous":
        login(page, world.users[viewer])
    _check(page, axe_check, reverse(name))


def test_error_page_has_no_axe_violations(page, db, axe_check):
    response = page.goto("/directory/organisations/no-such-place/")
    assert response.status == 404
    assert axe_check(page) == []
