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


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/feed.xml", "The feed's address 127.0.0.1 (127.0.0.1) is on a private network"),
        ("http://10.1.2.3/feed.xml", "The feed's address 10.1.2.3 (10.1.2.3) is on a private network"),
        ("http://169.254.169.254/latest/", "The feed's address 169.254.169.254 (169.254.169.254) is on a private"),
        ("http://[::1]/feed.xml", "The feed's address ::1 (::1) is on a private network"),
    ],
)
def test_feeds_on_private_addresses_are_refused(settings, url, message):
    from mhi.opportunities.feeds import FeedProblem, feed_download

    settings.MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(FeedProblem) as refused:
        feed_download(url)
    assert refused.value.message.startswith(message)


def test_a_redirect_to_a_private_address_is_refused(settings, monkeypatch):
    import http.server
    import threading

    from mhi.opportunities import feeds

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", "http://10.0.0.1/feed.xml")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.MHI_FEEDS_ALLOW_PRIVATE_ADDRESSES = False
        real = feeds.address_refusal
        # The first address stands in for a public server; the redirect's target is checked afresh.
        monkeypatch.setattr(feeds, "address_refusal", lambda url: None if "127.0.0.1" in url else real(url))
        with pytest.raises(feeds.FeedProblem) as refused:
            feeds.feed_download(f"http://127.0.0.1:{server.server_address[1]}/feed.xml")
    finally:
        server.shutdown()
        server.server_close()
    assert refused.value.message == (
        "The feed redirected elsewhere. The feed's address 10.0.0.1 (10.0.0.1) is on a private network; "
        "only public addresses are fetched."
    )
