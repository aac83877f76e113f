"""The feeds API: coordinators manage feeds and read their fetch log; nobody else sees them."""

import pytest

from mhi.opportunities.models import Opportunity, OpportunityFeed

pytestmark = pytest.mark.django_db
URL = "/api/v1/opportunity-feeds"


def _auth(world, persona):
    return {"Authorization": f"Bearer {world.tokens[persona]}"}


def test_a_coordinator_adds_fetches_and_reads_the_log(client, world, feed_server):
    url = feed_server.serve(
        "/rss.xml",
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><item><title>Healthy ageing awards</title>"
        b"<link>https://funder.example.org/ageing</link><guid>ageing-1</guid>"
        b"<description>Closing date: 25 March 2099 1:00pm</description></item></channel></rss>",
    )
    made = client.post(
        URL,
        {"name": "Demo funder", "url": url, "format": "rss", "funder_name": "Demo funder"},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert made.status_code == 201, made.content
    feed = made.json()
    assert (feed["name"], feed["format"], feed["active"], feed["fetch_interval_minutes"]) == (
        "Demo funder",
        "rss",
        True,
        360,
    )
    fetched = client.post(f"{URL}/{feed['id']}/fetch", headers=_auth(world, "coordinator"))
    assert fetched.status_code == 202
    assert fetched.json()["last_status"] == "ok"  # tasks run at once in tests
    assert fetched.json()["last_created"] == 1
    assert Opportunity.objects.get(feed_id=feed["id"]).title == "Healthy ageing awards"
    [entry] = client.get(f"{URL}/{feed['id']}/fetches", headers=_auth(world, "coordinator")).json()
    assert (entry["status"], entry["items"], entry["created"]) == ("ok", 1, 1)


def test_bad_values_name_the_field_and_nothing_is_written(client, world):
    response = client.post(
        URL,
        {"name": "Bad", "url": "ftp://example.org/feed", "fetch_interval_minutes": 5},
        content_type="application/json",
        headers=_auth(world, "coordinator"),
    )
    assert response.status_code == 422
    assert sorted(response.json()["error"]["fields"]) == ["fetch_interval_minutes", "url"]
    assert OpportunityFeed.objects.count() == 0


def test_change_and_delete(client, world):
    feed = OpportunityFeed.objects.create(name="Old", url="https://example.org/feed.xml")
    changed = client.patch(
        f"{URL}/{feed.pk}", {"active": False}, content_type="application/json", headers=_auth(world, "coordinator")
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["active"]) == ("Old", False)
    gone = client.delete(f"{URL}/{feed.pk}", headers=_auth(world, "coordinator"))
    assert gone.json() == {"id": feed.pk, "name": "Old", "deleted": True}
    assert not OpportunityFeed.objects.exists()


@pytest.mark.parametrize("persona", ["aston_admin", "researcher", "nhs_rd", "external"])
def test_no_one_else_may_see_or_manage_feeds(client, world, persona):
    feed = OpportunityFeed.objects.create(name="Hidden", url="https://example.org/feed.xml")
    assert client.get(URL, headers=_auth(world, persona)).status_code == 403
    assert client.get(f"{URL}/{feed.pk}", headers=_auth(world, persona)).status_code == 403
    assert client.get(URL).status_code == 401
