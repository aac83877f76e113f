"""Accessibility in a real browser: axe-core's WCAG 2.2 AA rules on every public page, keyboard access
to the skip link, and the organisation filters working with JavaScript switched off."""

import re

import pytest

from tests.e2e.conftest import format_violations

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = [
    "/",
    "/directory/organisations/",
    "/directory/people/",
    "/directory/partnership/",
    "/directory/map/",
    "/accounts/login/",
]


def _open(page, path: str):
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == 200, f"GET {path} answered {response.status}:\n{page.inner_text('body')[:1500]}"
    return response


def _assert_accessible(page, axe_check) -> None:
    violations = axe_check(page)
    if violations:
        pytest.fail(format_violations(violations, page.url), pytrace=False)


@pytest.mark.e2e
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_has_no_axe_violations(page, directory_data, axe_check, path):
    _open(page, path)
    _assert_accessible(page, axe_check)


@pytest.mark.e2e
def test_organisation_page_has_no_axe_violations(page, directory_data, axe_check):
    from mhi.directory.models import Organisation

    org = Organisation.objects.order_by("name").first()
    _open(page, org.get_absolute_url())
    _assert_accessible(page, axe_check)


@pytest.mark.e2e
def test_home_page_signed_in_has_no_axe_violations(page, directory_data, make_user, login, axe_check):
    user = make_user(email="member@example.org")
    login(page, user)
    _open(page, "/")
    assert "member@example.org" in page.inner_text("header"), "the signed-in header does not show the user"
    _assert_accessible(page, axe_check)


@pytest.mark.e2e
def test_skip_link_is_the_first_focusable_element(page, directory_data):
    _open(page, "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => ({text: document.activeElement.textContent.trim(),
                   href: document.activeElement.getAttribute('href')})"""
    )
    assert focused["text"] == "Skip to main content", f"first Tab stop is {focused!r}"
    target = focused["href"] or ""
    assert target.startswith("#") and page.locator(target).count() == 1, f"skip link target {target!r} missing"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == target


def _listed(page, name: str) -> bool:
    """Whether an organisation appears as a link in the results (exact link text, so "University of X"
    does not match "University Hospitals of X")."""
    return page.locator("main").get_by_role("link", name=name, exact=True).count() > 0


@pytest.mark.e2e
def test_organisation_filter_works_without_javascript(browser, live_server, directory_data):
    from mhi.directory.models import Organisation

    orgs = list(Organisation.objects.order_by("name"))
    first = orgs[0]
    # A kind the alphabetically first organisation is not, so filtering by it must drop that organisation.
    kind = next(o.kind for o in orgs if o.kind != first.kind)
    first_of_kind = next(o for o in orgs if o.kind == kind)

    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        _open(page, "/directory/organisations/")
        assert _listed(page, first.name), f"{first.name!r} is not listed before filtering"
        form = page.locator("main form").filter(has=page.locator("select[name=kind]"))
        assert form.count() == 1, "no single form with a kind <select> on the organisations page"
        before = page.inner_text("main")

        form.locator("select[name=kind]").select_option(kind)
        submit = form.locator("button[type=submit], input[type=submit], button:not([type])").first
        with page.expect_navigation():
            submit.click()

        assert re.search(rf"[?&]kind={kind}(&|$)", page.url), f"the form did not submit kind: {page.url}"
        assert page.inner_text("main") != before, "the results did not change after filtering"
        assert _listed(page, first_of_kind.name), f"{first_of_kind.name!r} ({kind}) is missing after filtering"
        assert not _listed(page, first.name), f"{first.name!r} ({first.kind}) still listed when filtering by {kind}"
        assert form.locator("select[name=kind]").input_value() == kind, "the filter form forgot the chosen kind"
    finally:
        context.close()
