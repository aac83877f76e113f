"""The directory's progressive enhancement: with JavaScript, filters update the results in place."""

import re

import pytest

pytestmark = pytest.mark.e2e


def test_filters_update_results_in_place_and_the_address(page, directory_data):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/directory/organisations/")
    page.evaluate("() => { window.notReloaded = true; }")
    page.select_option("#id_kind", "icb")
    page.locator("#results h2", has_text=re.compile(r"^11 organisations$")).wait_for()
    page.fill("#id_q", "Black Country")
    page.locator("#results h2", has_text=re.compile(r"^1 organisation$")).wait_for()
    assert page.evaluate("() => window.notReloaded") is True  # the page itself was not reloaded
    assert page.url.endswith("/directory/organisations/?q=Black%20Country&kind=icb&region=&icb=")
    assert page.locator("#results a", has_text="NHS Black Country Integrated Care Board").count() == 1
    assert errors == []


def test_map_draws_a_marker_per_place_without_tiles(page, directory_data):
    page.goto("/directory/map/")
    rows = page.locator("main table tbody tr").count()
    assert rows == 41
    assert page.locator("#map path.leaflet-interactive").count() == rows
    assert page.locator("#map img.leaflet-tile").count() == 0
