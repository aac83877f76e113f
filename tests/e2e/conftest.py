"""Browser-test harness: Debian's Chromium driven by Playwright against pytest-django's live_server.

Playwright's own browser download is not used; the tests launch /usr/bin/chromium (Debian's `chromium`
package, which `make test` installs), or the browser named by MHI_CHROMIUM. Without a browser the tests
are skipped, unless MHI_E2E_REQUIRED=1 (set by `make test`), when they fail instead.

The database: pytest-django's live_server runs Django in a thread of the test process. On SQLite the test
database is in memory and Django hands the test's own connection to the server thread, so rows a test
creates are visible to the pages it loads; live_server tests run in transactional_db mode (the tables are
flushed after each test). The e2e tests run in the SQLite pass of `make test` only.

Fixtures: `browser` (started once for this package's tests, see playwright_instance), `context` and
`page` (fresh per test, base_url set to the live server so `page.goto("/")` works), `login` (login(page,
user) signs the browser in through a session cookie, no password or MFA steps) and `axe_check`
(axe_check(page) returns axe-core's WCAG 2.2 AA violations; format_violations() turns them into a
readable assertion message).
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BUILT_CSS = ROOT / "static" / "dist" / "css" / "mhi.css"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def pytest_collection_modifyitems(config, items):
    # Everything in this directory needs the browser: make sure `-m "not e2e"` leaves it all out.
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents and item.get_closest_marker("e2e") is None:
            item.add_marker(pytest.mark.e2e)


def _missing(what: str) -> None:
    if os.environ.get("MHI_E2E_REQUIRED", "") in {"1", "true", "yes"}:
        pytest.fail(f"{what} (MHI_E2E_REQUIRED is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="package")
def playwright_instance():
    """Playwright, running while the tests of this package run.

    Playwright's sync API keeps an asyncio loop running on the main thread, and Django refuses ORM calls
    while a loop runs ("SynchronousOnlyOperation") unless DJANGO_ALLOW_ASYNC_UNSAFE is set. These tests
    never use a connection from async code, so the variable is set, but only while Playwright runs: the
    package scope stops Playwright (and unsets the variable) before any test outside tests/e2e runs, so
    other tests keep Django's protection and subprocesses they start (`mhi check --deploy`) do not see it.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package is not installed: run `make setup`")
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as p:
            yield p
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def browser(playwright_instance):
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"no browser at {CHROMIUM}: install Debian's chromium package (`make test` does)")
    if not BUILT_CSS.exists():
        _missing(f"{BUILT_CSS.relative_to(ROOT)} is missing: run `npm run build` (`make setup` does)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser, live_server):
    """A fresh browser profile (no cookies) whose relative URLs resolve against the live server."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.js_errors = []  # uncaught exceptions in the page, for tests that want to assert there are none
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    page.close()


def login(page, user, *, base_url: str) -> None:
    """Sign `page`'s browser context in as `user` by giving it a session cookie made with the test client."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url, "httpOnly": True}]
    )


@pytest.fixture(name="login")
def login_fixture(live_server):
    """login(page, user): the page's context is signed in as user from its next request on."""

    def _login(page, user):
        login(page, user, base_url=live_server.url)
        return page

    return _login


def axe_check(page, *, tags=WCAG_TAGS) -> list[dict]:
    """Run axe-core over the whole document; return its violations (id, impact, help, helpUrl, nodes)."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS.relative_to(ROOT)} is missing: run `npm ci` (`make setup` does)", pytrace=False)
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: 'tag', values: tags},
                resultTypes: ['violations'],
            });
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target,
                    html: n.html,
                    failureSummary: n.failureSummary,
                })),
            }));
        }""",
        tags,
    )


def format_violations(violations: list[dict], url: str = "") -> str:
    """One block per violation: id, impact, help, then each offending node's selector and axe's summary."""
    lines = [f"axe-core found {len(violations)} WCAG violation(s){' on ' + url if url else ''}:"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"]:
            target = " ".join(" >>> ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary}")
            lines.append(f"       {node['html'][:200]}")
    return "\n".join(lines)


@pytest.fixture(name="axe_check")
def axe_check_fixture():
    """axe_check(page) -> violations; assert not violations, format_violations(violations, page.url)."""
    return axe_check
