import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from mhi.core.models import AuditEvent
from mhi.opportunities import feeds, services
from mhi.opportunities.dates import LONDON
from mhi.opportunities.feeds import FeedProblem, date_from_words, feed_parse, plain_text
from mhi.opportunities.intake import record_values
from mhi.opportunities.models import FeedFetch, Opportunity, OpportunityFeed
from mhi.opportunities.tests.factories import OpportunityFactory, OpportunityFeedFactory

DATA = Path(__file__).parent / "data"
NOW = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=LONDON)


def _read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def _fields(item: feeds.FeedItem) -> dict:
    values = record_values(item.values.get, present=item.values.__contains__)
    assert values.problems == []
    return values.fields


# --- reading the formats -------------------------------------------------------------------------------


def test_rss_items_are_read_with_dates_from_their_text():
    items = feed_parse(_read("rss.xml"), format="rss")
    assert [i.title for i in items] == [
        "Research for Patient Benefit: Competition 60",
        "Programme Grants for Applied Research: Stage 1",
        "Efficacy and Mechanism Evaluation: January round",
    ]
    first = _fields(items[0])
    assert first["external_id"] == "rfpb-60"
    assert first["link"] == "https://funder.example.org/opportunities/rfpb-60/?utm_source=rss"
    assert first["summary"] == (
        "Funding for research into the day-to-day practice of health services & social care.\n"
        "Opening date: 7 January 2026 9:00am\nClosing date: 25 March 2026 1:00pm"
    )
    assert first["full_text"] == "Scope\nApplications should address a regional need."
    assert first["themes"] == ["health services research", "primary care"]
    assert first["opens_at"] == datetime.datetime(2026, 1, 7, 9, 0, tzinfo=LONDON)
    assert first["closes_at"] == datetime.datetime(2026, 3, 25, 13, 0, tzinfo=LONDON)
    second = _fields(items[1])
    assert second["external_id"] == "https://funder.example.org/opportunities/pgfar-stage-1"
    assert second["closes_at"] == datetime.datetime(2026, 2, 18, 23, 59, tzinfo=LONDON)
    assert "opens_at" not in second


def test_atom_entries_are_read():
    items = feed_parse(_read("atom.xml"), format="atom")
    first, second = (_fields(i) for i in items)
    assert first["title"] == "Health & care partnerships: invitation to tender"
    assert first["link"] == "https://council.example.org/opportunity/health-care-partnerships"
    assert first["external_id"] == "tag:council.example.org,2026:opportunity-101"
    assert first["themes"] == ["place-based research", "public health"]
    assert first["funder_name"] == "Example Research Council"
    assert first["opens_at"] == datetime.datetime(2026, 1, 12, 0, 0, tzinfo=LONDON)
    assert first["closes_at"] == datetime.datetime(2026, 3, 2, 16, 0, tzinfo=LONDON)
    assert second["funder_name"] == "Example Department"
    assert second["full_text"] == "We invite views on digital health.\nClosing date: 30 April 2026 11:59pm"
    assert second["closes_at"] == datetime.datetime(2026, 4, 30, 23, 59, tzinfo=LONDON)


def test_a_json_list_uses_the_csv_column_names():
    items = feed_parse(_read("opportunities.json"), format="json")
    first = _fields(items[0])
    assert first == {
        "external_id": "call-1",
        "title": "Midlands health data partnerships",
        "kind": "partnering",
        "funder_name": "Example Health Data Trust",
        "scheme": "Regional partnerships",
        "summary": "Partners for a regional health data programme.",
        "link": "https://trust.example.org/calls/health-data",
        "themes": ["health data", "AI"],
        "opens_at": datetime.datetime(2026, 1, 5, 0, 0, tzinfo=LONDON),
        "eoi_deadline": datetime.datetime(2026, 1, 30, 12, 0, tzinfo=LONDON),
        "closes_at": datetime.datetime(2026, 3, 31, 17, 0, tzinfo=LONDON),
        "value_min": Decimal("250000.00"),
        "value_max": Decimal("1500000.00"),
        "requires_nhs_partner": True,
        "requires_industry_partner": True,
        "min_partner_universities": 2,
        "cap_per_institution": 1,
    }
    assert _fields(items[1])["closes_at"] == datetime.datetime(2026, 6, 30, 15, 0, tzinfo=datetime.UTC)


def test_a_json_feed_takes_its_own_names_and_the_opportunity_extension():
    first, second = (_fields(i) for i in feed_parse(_read("jsonfeed.json"), format="json"))
    assert first["external_id"] == "https://charity.example.org/funding/1"
    assert first["link"] == "https://charity.example.org/funding/1"
    assert first["summary"] == "Fellowships for clinicians."
    assert first["full_text"] == "Fellowships for clinicians starting a research career."
    assert first["themes"] == ["clinical academic careers", "training"]
    assert first["funder_name"] == "Example Charity"
    assert first["closes_at"] == datetime.datetime(2026, 5, 14, 16, 0, tzinfo=LONDON)
    assert first["value_max"] == Decimal("300000.00")
    assert first["lead_must_be_partner_university"] is True
    assert second["full_text"] == "Up to two years.\nClosing date: 1 April 2026 4:30pm"
    assert second["closes_at"] == datetime.datetime(2026, 4, 1, 16, 30, tzinfo=LONDON)


def test_malformed_xml_is_refused_with_where():
    with pytest.raises(FeedProblem) as caught:
        feed_parse(_read("malformed.xml"), format="rss")
    assert caught.value.message == "The feed is not well-formed XML: mismatched tag at line 8, column 5."


def test_xml_with_a_dtd_or_entities_is_refused():
    with pytest.raises(FeedProblem) as caught:
        feed_parse(_read("entities.xml"), format="rss")
    assert caught.value.message == "The feed declares a document type (DTD) or entities, which are not accepted."


def test_an_atom_feed_read_as_rss_is_refused():
    with pytest.raises(FeedProblem) as caught:
        feed_parse(_read("atom.xml"), format="rss")
    assert caught.value.message == "This is not an RSS 2.0 feed: its top element is <feed>."


def test_json_that_is_not_a_feed_is_refused():
    with pytest.raises(FeedProblem) as caught:
        feed_parse(b'{"title": "nothing"}', format="json")
    assert caught.value.message == "A JSON feed must be a list of objects, or a JSON Feed with an “items” list."
    with pytest.raises(FeedProblem) as caught:
        feed_parse(b"[1, 2", format="json")
    assert caught.value.message == "The feed is not valid JSON: Expecting ',' delimiter at line 1, column 6."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 March 2026 4:00pm UK time", datetime.datetime(2026, 3, 12, 16, 0, tzinfo=LONDON)),
        ("12 March 2026 at 16:00", datetime.datetime(2026, 3, 12, 16, 0, tzinfo=LONDON)),
        ("12 march 2026, 9am", datetime.datetime(2026, 3, 12, 9, 0, tzinfo=LONDON)),
        ("12 March 2026 12:30am", datetime.datetime(2026, 3, 12, 0, 30, tzinfo=LONDON)),
        ("12 March 2026 2 rounds", datetime.datetime(2026, 3, 12, 23, 59, tzinfo=LONDON)),
        ("2026-03-12", datetime.datetime(2026, 3, 12, 23, 59, tzinfo=LONDON)),
        ("soon", None),
    ],
)
def test_dates_in_words(text, expected):
    assert date_from_words(text, end_of_day=True) == expected


def test_plain_text_drops_tags_and_decodes_entities():
    assert plain_text("<p>One &amp; two</p><ul><li>three</li></ul>") == "One & two\nthree"


# --- downloading ---------------------------------------------------------------------------------------


def test_download_reads_from_a_server(feed_server):
    url = feed_server.serve_file("/rss.xml", "rss.xml")
    assert feeds.feed_download(url) == _read("rss.xml")


def test_download_refuses_other_schemes():
    with pytest.raises(FeedProblem) as caught:
        feeds.feed_download("file:///etc/passwd")
    assert caught.value.message == "The address must start with http:// or https://, not file:."


def test_download_reports_http_errors(feed_server):
    url = feed_server.serve("/gone", b"gone", status=410)
    with pytest.raises(FeedProblem) as caught:
        feeds.feed_download(url)
    assert caught.value.message == "The feed answered HTTP 410 Gone."


def test_download_refuses_a_feed_over_the_size_limit(feed_server):
    url = feed_server.serve("/big", b"x" * 2000)
    with pytest.raises(FeedProblem) as caught:
        feeds.feed_download(url, max_bytes=1024 * 1024 // 1024)
    assert caught.value.message == "The feed is larger than 0 MB, the most accepted."


def test_download_reports_a_refused_connection(closed_port_url):
    with pytest.raises(FeedProblem) as caught:
        feeds.feed_download(closed_port_url)
    assert caught.value.message == "Could not connect to the feed's server: the connection was refused."


# --- fetching and storing ------------------------------------------------------------------------------


def test_a_fetch_adds_new_items_and_skips_those_already_closed(db, feed_server):
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/rss.xml", "rss.xml"), funder_name="Example Funder")
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert (fetch.status, fetch.error) == ("ok", "")
    assert (fetch.items, fetch.created, fetch.updated, fetch.unchanged, fetch.duplicates, fetch.skipped) == (
        3, 2, 0, 0, 0, 1,
    )  # fmt: skip
    stored = Opportunity.objects.get(external_id="rfpb-60")
    assert (stored.source, stored.feed, stored.funder_name, stored.kind) == (
        "feed",
        feed,
        "Example Funder",
        "funding_call",
    )
    assert stored.link_key == "funder.example.org/opportunities/rfpb-60"
    feed.refresh_from_db()
    assert (feed.last_status, feed.last_fetched_at, feed.last_created, feed.last_error) == ("ok", NOW, 2, "")
    assert AuditEvent.objects.filter(source=f"feed {feed.name}", action="create").count() == 2


def test_fetching_again_changes_nothing(db, feed_server):
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/rss.xml", "rss.xml"))
    services.feed_fetch(feed=feed, now=NOW)
    again = services.feed_fetch(feed=feed, now=NOW)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 2, 1)
    assert Opportunity.objects.count() == 2


def test_an_item_the_same_feed_sent_before_is_updated_with_what_it_now_says(db, feed_server):
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/feed.json", "opportunities.json"), format="json")
    services.feed_fetch(feed=feed, now=NOW)
    stored = Opportunity.objects.get(external_id="call-2")
    stored.cap_per_institution = 1  # entered by hand: the feed does not give it, so it stays
    stored.save()
    changed = json.loads(_read("opportunities.json"))
    changed[1]["closes"] = "2026-07-31 16:00"
    feed_server.serve("/feed.json", json.dumps(changed).encode())
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert (fetch.created, fetch.updated, fetch.unchanged) == (0, 1, 1)
    stored.refresh_from_db()
    assert stored.closes_at == datetime.datetime(2026, 7, 31, 16, 0, tzinfo=LONDON)
    assert stored.cap_per_institution == 1


def test_an_item_already_listed_from_elsewhere_is_a_duplicate_and_changes_nothing(db, feed_server):
    by_hand = OpportunityFactory(
        title="Programme grants (entered by hand)", link="https://funder.example.org/opportunities/rfpb-60"
    )
    same_title = OpportunityFactory(title="Programme Grants for Applied Research — Stage 1", funder_name="nihr")
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/rss.xml", "rss.xml"), funder_name="NIHR")
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert (fetch.created, fetch.duplicates, fetch.skipped) == (0, 2, 1)
    assert Opportunity.objects.count() == 2
    by_hand.refresh_from_db()
    same_title.refresh_from_db()
    assert (by_hand.title, by_hand.source, same_title.source) == (
        "Programme grants (entered by hand)",
        "manual",
        "manual",
    )


def test_a_malformed_feed_leaves_opportunities_untouched_and_records_the_error(db, feed_server):
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/rss.xml", "rss.xml"))
    services.feed_fetch(feed=feed, now=NOW)
    before = list(Opportunity.objects.order_by("pk").values())
    feed_server.serve_file("/rss.xml", "malformed.xml")
    fetch = services.feed_fetch(feed=feed, now=NOW + datetime.timedelta(hours=6))
    assert (fetch.status, fetch.error) == (
        "failed",
        "The feed is not well-formed XML: mismatched tag at line 8, column 5.",
    )
    assert list(Opportunity.objects.order_by("pk").values()) == before
    feed.refresh_from_db()
    assert (feed.last_status, feed.last_error) == ("failed", fetch.error)
    assert [f.status for f in FeedFetch.objects.filter(feed=feed)] == ["failed", "ok"]


def test_an_unreachable_feed_leaves_opportunities_untouched_and_records_the_error(db, closed_port_url):
    existing = OpportunityFactory(title="Already listed")
    feed = OpportunityFeedFactory(url=closed_port_url)
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert (fetch.status, fetch.error) == (
        "failed",
        "Could not connect to the feed's server: the connection was refused.",
    )
    assert list(Opportunity.objects.all()) == [existing]
    feed.refresh_from_db()
    assert (feed.last_status, feed.last_error, feed.last_fetched_at) == ("failed", fetch.error, NOW)


def test_one_bad_item_refuses_the_whole_fetch(db, feed_server):
    items = json.loads(_read("opportunities.json"))
    items[1]["opens"] = "2026-12-01"  # after it closes
    feed = OpportunityFeedFactory(url=feed_server.serve("/f.json", json.dumps(items).encode()), format="json")
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert fetch.status == "failed"
    assert fetch.error == (
        "Item 2 (“Prevention research call”): closes: The closing date (Tuesday 30 June 2026, 4pm) is before the "
        "opening date (Tuesday 1 December 2026, midnight). Nothing from this fetch was saved."
    )
    assert Opportunity.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_an_item_with_a_bad_value_names_the_item_and_column(db, feed_server):
    body = json.dumps([{"title": "A call", "funder": "X", "value_max": "lots"}]).encode()
    feed = OpportunityFeedFactory(url=feed_server.serve("/f.json", body), format="json")
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert fetch.error == (
        "Item 1 (“A call”): value_max: “lots” is not an amount in pounds, for example 250000. "
        "Nothing from this fetch was saved."
    )


def test_an_item_without_a_funder_needs_the_feed_to_name_one(db, feed_server):
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/rss.xml", "rss.xml"), funder_name="")
    fetch = services.feed_fetch(feed=feed, now=NOW)
    assert fetch.error == (
        "Item 1 (“Research for Patient Benefit: Competition 60”): it names no funder; give the feed a funder or "
        "issuer. Nothing from this fetch was saved."
    )


def test_atom_and_json_feed_fetches(db, feed_server):
    atom = OpportunityFeedFactory(
        url=feed_server.serve_file("/atom", "atom.xml"), format="atom", default_kind="partnering"
    )
    jsonfeed = OpportunityFeedFactory(url=feed_server.serve_file("/jf", "jsonfeed.json"), format="json", funder_name="")
    assert services.feed_fetch(feed=atom, now=NOW).created == 2
    assert services.feed_fetch(feed=jsonfeed, now=NOW).created == 2
    assert set(Opportunity.objects.filter(feed=atom).values_list("kind", "funder_name")) == {
        ("partnering", "Example Research Council"),
        ("partnering", "Example Department"),
    }
    fellowship = Opportunity.objects.get(title="Clinical research fellowships")
    assert (fellowship.funder_name, fellowship.value_max) == ("Example Charity", Decimal("300000.00"))


def test_feeds_are_due_after_their_interval(db):
    fresh = OpportunityFeedFactory(last_fetched_at=NOW - datetime.timedelta(minutes=59), fetch_interval_minutes=60)
    due = OpportunityFeedFactory(last_fetched_at=NOW - datetime.timedelta(minutes=60), fetch_interval_minutes=60)
    never = OpportunityFeedFactory()
    OpportunityFeedFactory(active=False)
    from mhi.opportunities.selectors import feeds_due

    assert feeds_due(now=NOW) == [due, never]
    assert not fresh.is_due(NOW)


def test_fetching_due_feeds_fetches_each_once(db, feed_server):
    url = feed_server.serve_file("/rss.xml", "rss.xml")
    feed = OpportunityFeedFactory(url=url)
    OpportunityFeedFactory(url=url, last_fetched_at=NOW, name="fresh")
    fetches = services.feeds_fetch_due(now=NOW)
    assert [f.feed for f in fetches] == [feed]
    assert services.feeds_fetch_due(now=NOW + datetime.timedelta(minutes=5)) == []


def test_the_command_fetches_due_feeds(db, feed_server, capsys):
    body = json.dumps(
        [
            {"title": "Later call", "funder": "X", "closes": "2099-01-01"},
            {"title": "Old", "funder": "X", "closes": "2001-01-01"},
        ]
    )
    OpportunityFeedFactory(name="Example", url=feed_server.serve("/f.json", body.encode()), format="json")
    call_command("fetch_feeds")
    assert capsys.readouterr().out == (
        "Example: 2 items, 1 new, 0 updated, 0 unchanged, 0 duplicates, 1 already closed\n"
    )
    call_command("fetch_feeds")
    assert capsys.readouterr().out == "No feeds are due.\n"


def test_the_command_reports_a_failed_feed(db, closed_port_url, capsys):
    feed = OpportunityFeedFactory(name="Down", url=closed_port_url)
    with pytest.raises(CommandError, match="1 feed"):
        call_command("fetch_feeds", "--feed", str(feed.pk))
    assert (
        capsys.readouterr().err == "Down: failed: Could not connect to the feed's server: the connection was refused.\n"
    )


def test_a_feed_address_must_be_http_or_https(db):
    feed = OpportunityFeed(name="Local file", url="file:///etc/passwd", funder_name="X")
    with pytest.raises(ValidationError) as caught:
        feed.full_clean()
    assert "A feed address must start with http:// or https://, not file:." in caught.value.message_dict["url"]


def test_deleting_a_feed_keeps_its_opportunities(world, feed_server):
    feed = OpportunityFeedFactory(url=feed_server.serve_file("/rss.xml", "rss.xml"))
    services.feed_fetch(feed=feed, now=NOW)
    services.feed_delete(actor=world.users["coordinator"], feed=feed)
    assert list(Opportunity.objects.order_by().values_list("feed", "source").distinct()) == [(None, "feed")]
    assert FeedFetch.objects.count() == 0
