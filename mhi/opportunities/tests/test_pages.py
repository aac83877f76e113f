import csv
import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mhi.core.models import AuditEvent
from mhi.opportunities.dates import LONDON
from mhi.opportunities.models import FeedFetch, Opportunity, OpportunityFeed
from mhi.opportunities.tests.factories import OpportunityFactory, OpportunityFeedFactory

DATA = Path(__file__).parent / "data"
DAY = datetime.timedelta(days=1)
LIST = reverse("opportunities:list")


def _future(days: int, hour: int = 16) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)


def _login(client, world, persona):
    client.force_login(world.users[persona])
    return client


@pytest.fixture
def listed(db):
    now = timezone.now()
    return {
        "soon": OpportunityFactory(title="Closing soon call", closes_at=now + 3 * DAY, themes=["AI", "Health data"]),
        "open": OpportunityFactory(
            title="Open consultation", kind="consultation", funder_name="DHSC", closes_at=now + 60 * DAY
        ),
        "forthcoming": OpportunityFactory(
            title="Forthcoming tender",
            kind="partnering",
            opens_at=now + 10 * DAY,
            closes_at=now + 90 * DAY,
            summary="A regional tender for diabetes services.",
        ),
        "closed": OpportunityFactory(title="Closed call", closes_at=now - DAY, themes=["ai"]),
    }


def _titles(response) -> list[str]:
    return [o.title for o in response.context["page_obj"].object_list]


def test_anyone_sees_the_list_soonest_closing_first(client, listed):
    response = client.get(LIST)
    assert response.status_code == 200
    assert _titles(response) == ["Closing soon call", "Open consultation", "Forthcoming tender", "Closed call"]
    body = response.content.decode()
    assert "4 opportunities" in body
    assert '<strong class="govuk-tag govuk-tag--orange">Closing soon</strong>' in body
    assert "Add an opportunity" not in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "consultation"}, ["Open consultation"]),
        ({"status": ["open", "closing_soon"]}, ["Closing soon call", "Open consultation"]),
        ({"status": "closed"}, ["Closed call"]),
        ({"funder": "DHSC"}, ["Open consultation"]),
        ({"theme": "AI"}, ["Closing soon call", "Closed call"]),
        ({"q": "diabetes regional"}, ["Forthcoming tender"]),
        ({"q": "consultation"}, ["Open consultation"]),
    ],
)
def test_list_filters(client, listed, params, expected):
    assert _titles(client.get(LIST, params)) == expected


def test_list_filters_by_closing_date_in_uk_time(client, db):
    OpportunityFactory(title="Closes late on the day", closes_at=_future(5, hour=23))
    OpportunityFactory(title="Closes the next morning", closes_at=_future(6, hour=0))
    day = (timezone.localdate() + 5 * DAY).isoformat()
    assert _titles(client.get(LIST, {"closing_before": day})) == ["Closes late on the day"]


def test_list_is_paged(client, db):
    for n in range(30):
        OpportunityFactory(title=f"Call {n:02d}", closes_at=timezone.now() + (20 + n) * DAY)
    response = client.get(LIST, {"page": 2})
    assert _titles(response) == [f"Call {n:02d}" for n in range(25, 30)]
    assert 'rel="prev"' in response.content.decode()


def test_list_uses_a_fixed_number_of_queries(client, listed, django_assert_num_queries):
    # funders for the filter, themes for the filter, the count, the page (funder and feed joined)
    with django_assert_num_queries(4):
        client.get(LIST)


def test_htmx_gets_only_the_results(client, listed):
    response = client.get(LIST, {"kind": "partnering"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "<html" not in body
    assert body.strip().startswith('<div id="results"')
    assert "1 opportunity" in body


def test_an_empty_list_says_so(client, db):
    assert "No opportunities are listed yet." in client.get(LIST).content.decode()


def test_no_matches_says_so_with_a_way_out(client, listed):
    body = client.get(LIST, {"q": "nothing like this"}).content.decode()
    assert "No opportunities match these filters." in body


def test_the_filtered_list_downloads_as_csv(client, listed):
    response = client.get(LIST, {"kind": "funding_call", "format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mhi-opportunities-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["title"], r["status"], r["themes"]) for r in rows] == [
        ("Closing soon call", "closing_soon", "AI; Health data"),
        ("Closed call", "closed", "ai"),
    ]
    soon = listed["soon"]
    assert rows[0]["closes"] == soon.closes_at.astimezone(LONDON).strftime("%Y-%m-%d %H:%M")
    assert rows[0]["url"].endswith(f"/opportunities/{soon.pk}/")
    assert rows[0]["cap_per_institution"] == ""


def test_detail_shows_everything_in_uk_time(client, db):
    opportunity = OpportunityFactory(
        title="Healthy ageing awards",
        scheme="Partnership awards",
        opens_at=datetime.datetime(2099, 3, 3, 16, 0, tzinfo=LONDON),
        closes_at=datetime.datetime(2099, 7, 3, 16, 30, tzinfo=LONDON),
        value_min=250000,
        value_max=1500000,
        requires_nhs_partner=True,
        min_partner_universities=2,
        cap_per_institution=1,
        themes=["healthy ageing"],
        link="https://council.example.org/awards",
    )
    body = client.get(opportunity.get_absolute_url()).content.decode()
    assert "Tuesday 3 March 2099, 4pm" in body
    assert "Friday 3 July 2099, 4:30pm" in body
    assert '<strong class="govuk-tag govuk-tag--blue">Forthcoming</strong>' in body
    assert "£250,000 to £1,500,000" in body
    assert "At least 2 partner universities" in body
    assert "An NHS partner is required" in body
    assert 'Bids per institution</dt><dd class="govuk-summary-list__value">1</dd>' in body
    assert 'Bids for the whole partnership</dt><dd class="govuk-summary-list__value">No cap</dd>' in body
    assert "Entered by hand" in body
    assert "Edit" not in body


def test_an_unknown_opportunity_is_404(client, db):
    assert client.get(reverse("opportunities:detail", args=[999])).status_code == 404


def _form_data(**overrides):
    data = {
        "kind": "funding_call",
        "title": "New call",
        "funder_name": "NIHR",
        "closes_at": _future(30).strftime("%Y-%m-%dT%H:%M"),
        "min_partner_universities": "0",
        "themes": "AI\nmultimorbidity",
    }
    return {**data, **overrides}


def test_an_institution_admin_adds_an_opportunity_and_it_is_audited(client, world):
    response = _login(client, world, "aston_admin").post(reverse("opportunities:create"), _form_data())
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == opportunity.get_absolute_url()
    assert (opportunity.themes, opportunity.created_by, opportunity.source) == (
        ["AI", "multimorbidity"],
        world.users["aston_admin"],
        "manual",
    )
    assert opportunity.closes_at == _future(30)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == ("create", world.users["aston_admin"], str(opportunity.pk))


def test_the_form_shows_why_dates_are_refused(client, world):
    data = _form_data(closes_at="2020-03-01T16:00", opens_at="2020-03-03T09:00")
    response = _login(client, world, "coordinator").post(reverse("opportunities:create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "The closing date 1 March 2020 is in the past." in body
    assert "The closing date (Sunday 1 March 2020, 4pm) is before the opening date (Tuesday 3 March 2020, 9am)." in body
    assert Opportunity.objects.count() == 0


def test_a_coordinator_edits_and_the_change_is_audited(client, world):
    opportunity = OpportunityFactory(title="Old title")
    response = _login(client, world, "coordinator").post(
        reverse("opportunities:edit", args=[opportunity.pk]),
        _form_data(title="New title", closes_at=opportunity.closes_at.astimezone(LONDON).strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.title == "New title"
    event = AuditEvent.objects.get(action="update")
    assert event.changes["title"] == ["Old title", "New title"]


def test_the_edit_page_shows_dates_in_uk_time(client, world):
    opportunity = OpportunityFactory(closes_at=datetime.datetime(2099, 7, 3, 15, 0, tzinfo=datetime.UTC))
    body = _login(client, world, "coordinator").get(reverse("opportunities:edit", args=[opportunity.pk])).content
    assert b'value="2099-07-03T16:00"' in body


def test_an_institution_admin_may_edit_what_they_added_but_nothing_else(client, world):
    theirs = OpportunityFactory(created_by=world.users["aston_admin"])
    others = OpportunityFactory()
    _login(client, world, "aston_admin")
    assert client.get(reverse("opportunities:edit", args=[theirs.pk])).status_code == 200
    assert client.get(reverse("opportunities:edit", args=[others.pk])).status_code == 403


def test_deleting_asks_then_deletes_and_is_audited(client, world):
    opportunity = OpportunityFactory(title="To go")
    _login(client, world, "coordinator")
    assert "Delete opportunity" in client.get(reverse("opportunities:delete", args=[opportunity.pk])).content.decode()
    response = client.post(reverse("opportunities:delete", args=[opportunity.pk]))
    assert response["Location"] == LIST
    assert Opportunity.objects.count() == 0
    assert AuditEvent.objects.get().action == "delete"


def test_the_import_page_adds_a_file_and_reports_duplicates(client, world):
    body = (DATA / "opportunities.csv").read_text().replace("2026-", "2099-").encode()
    OpportunityFactory(title="Consultation on research infrastructure", funder_name="Example Department")
    upload = SimpleUploadedFile("calls.csv", body, content_type="text/csv")
    response = _login(client, world, "aston_admin").post(reverse("opportunities:import"), {"file": upload})
    page = response.content.decode()
    assert "1 opportunity added" in page
    assert "Row 3: already listed as “Consultation on research infrastructure”" in page
    assert Opportunity.objects.filter(source="csv").count() == 1


def test_the_import_page_lists_every_problem_and_adds_nothing(client, world):
    body = b"title,funder,closes,value_min\nA,NIHR,2099-01-01,lots\n,NIHR,2099-01-01,\n"
    upload = SimpleUploadedFile("calls.csv", body, content_type="text/csv")
    response = _login(client, world, "coordinator").post(reverse("opportunities:import"), {"file": upload})
    page = response.content.decode()
    assert "The file was not imported" in page
    assert "Row 2, column “value_min”: “lots” is not an amount in pounds, for example 250000" in page
    assert "Row 3, column “title”: This field cannot be blank." in page
    assert Opportunity.objects.count() == 0


def test_the_import_page_refuses_a_file_that_is_not_csv(client, world):
    upload = SimpleUploadedFile("calls.xlsx", b"PK", content_type="application/octet-stream")
    response = _login(client, world, "coordinator").post(reverse("opportunities:import"), {"file": upload})
    assert "“calls.xlsx” is not a .csv file." in response.content.decode()


def test_a_coordinator_adds_a_feed_and_fetches_it(client, world, feed_server):
    _login(client, world, "coordinator")
    url = feed_server.serve_file("/rss.xml", "rss.xml")
    response = client.post(
        reverse("opportunities:feed_create"),
        {
            "name": "Example funder",
            "url": url,
            "format": "rss",
            "default_kind": "funding_call",
            "funder_name": "Example Funder",
            "active": "on",
            "fetch_interval_minutes": "360",
        },
    )
    feed = OpportunityFeed.objects.get()
    assert response["Location"] == feed.get_absolute_url()
    assert client.post(reverse("opportunities:feed_fetch", args=[feed.pk])).status_code == 302
    fetch = FeedFetch.objects.get()
    assert fetch.status == "ok"
    assert fetch.items == 3
    page = client.get(feed.get_absolute_url()).content.decode()
    assert "Fetch log" in page
    assert f"{fetch.created} new" in page


def test_the_feeds_page_shows_a_failed_fetch_and_its_error(client, world, closed_port_url):
    feed = OpportunityFeedFactory(name="Down feed", url=closed_port_url)
    _login(client, world, "coordinator").post(reverse("opportunities:feed_fetch", args=[feed.pk]))
    page = client.get(reverse("opportunities:feeds")).content.decode()
    assert '<strong class="govuk-tag govuk-tag--red">Failed</strong>' in page
    assert "Could not connect to the feed&#x27;s server: the connection was refused." in page


def test_the_feed_form_refuses_a_file_address(client, world):
    response = _login(client, world, "coordinator").post(
        reverse("opportunities:feed_create"),
        {"name": "Local", "url": "file:///etc/passwd", "format": "rss", "default_kind": "funding_call",
         "fetch_interval_minutes": "360"},
    )  # fmt: skip
    assert "A feed address must start with http:// or https://, not file:." in response.content.decode()
    assert OpportunityFeed.objects.count() == 0


def test_the_navigation_has_opportunities(client, db):
    body = client.get(LIST).content.decode()
    assert (
        'aria-current="page"><strong class="govuk-service-navigation__active-fallback">Opportunities</strong>' in body
    )
