"""Email digests: what they list and why, never twice, never closed, none when empty; when they are due; one-click
unsubscribe; the settings page, the API, the command and the task."""

import datetime
import smtplib

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mhi.expertise.index import index_all
from mhi.opportunities import digests
from mhi.opportunities.dates import datetime_words
from mhi.opportunities.models import DigestDelivery, DigestSubscription, SavedSearch
from mhi.opportunities.tests.factories import OpportunityFactory

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def subscribed(indexed):
    """Chest, with a daily digest of their searches ("Asthma", "Hips", and "Knees", which matches only weakly) and
    of their publications."""
    user = indexed.chest.user
    DigestSubscription.objects.create(user=user, frequency="daily", include_profile_matches=True)
    for name, query in [("Asthma", "severe asthma in adults"), ("Hips", "hip fracture rehabilitation")]:
        SavedSearch.objects.create(user=user, name=name, query=query)
    SavedSearch.objects.create(user=user, name="Knees", query="knee replacement")
    return indexed


def _send(embedder, now=None):
    return digests.digests_send_due(embedder=embedder, now=now)


def _unsubscribe_url(user) -> str:
    return reverse("opportunities:unsubscribe", args=[digests.digest_unsubscribe_token(user=user)])


# --- what a digest holds --------------------------------------------------------------------------------------


def test_a_digest_lists_only_what_matches_with_why_and_when(subscribed, calls, embedder):
    run = _send(embedder)
    assert run.summary() == "1 digest due: 1 sent (2 opportunities), 0 with nothing new to send, 0 failed"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.subject, message.to) == ("[MHI Hub] 2 opportunities for you", ["chest@example.org"])
    site, hip, asthma = settings.SITE_URL, calls["hip"], calls["asthma"]
    # Hip (closing in 5 days) before asthma (30); not the mental health call (it matches nothing), nor the closed
    # severe-asthma call (it would match both the search and the profile), nor "Knees" (similarity 0.36 < 0.40).
    assert message.body == (
        "Dear Chris Chest,\n\n"
        "2 opportunities on MHI Hub match you:\n\n"
        "1. Recovery after hip fracture in older people\n"
        "   Funding call · NIHR · Health Technology Assessment\n"
        f"   Closes {datetime_words(hip.closes_at)} (UK time)\n"
        "   Why: Matches your saved search “Hips”\n"
        f"   {site}/opportunities/{hip.pk}/\n\n"
        "2. Better care for adults with asthma and COPD\n"
        "   Funding call · NIHR · Research for Patient Benefit\n"
        f"   Closes {datetime_words(asthma.closes_at)} (UK time)\n"
        "   Why: Matches your saved search “Asthma”\n"
        "   Why: Matches your publications (closest: “Pulmonary rehabilitation after hospital admission for COPD”)\n"
        f"   {site}/opportunities/{asthma.pk}/\n\n"
        "You get this digest daily because you asked for it. Only opportunities that match you are listed, and each "
        "only once.\n"
        f"Change what you get: {site}/opportunities/digest/\n"
        f"Your saved searches: {site}/opportunities/searches/\n"
        f"Unsubscribe: {site}{_unsubscribe_url(subscribed.chest.user)}\n\n"
        "MHI Hub, Midlands Health Innovation\n"
    )
    delivery = DigestDelivery.objects.get()
    assert (delivery.user, set(delivery.opportunities.all())) == (subscribed.chest.user, {hip, asthma})


def test_a_digest_has_an_html_part_and_one_click_unsubscribe_headers(subscribed, calls, embedder):
    _send(embedder)
    message = mail.outbox[0]
    url = settings.SITE_URL + _unsubscribe_url(subscribed.chest.user)
    assert message.extra_headers == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{settings.SITE_URL}/opportunities/{calls["hip"].pk}/"' in html
    assert f'<a href="{url}" style="color: #1d70b8;">Unsubscribe</a>' in html
    assert "<li>Why: Matches your saved search “Asthma”</li>" in html
    assert message.message()["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_opportunity_is_never_sent_to_the_same_user_twice(subscribed, calls, embedder):
    start = timezone.now()
    _send(embedder, now=start)
    assert _send(embedder, now=start + DAY).summary() == (
        "1 digest due: 0 sent (0 opportunities), 1 with nothing new to send, 0 failed"
    )
    new = OpportunityFactory(
        title="Asthma attacks in adults after discharge from hospital",
        summary="Preventing repeat severe asthma attacks in adults.",
        closes_at=start + 20 * DAY,
    )
    index_all(embedder=embedder)
    _send(embedder, now=start + 2 * DAY)
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "[MHI Hub] 1 opportunity for you"
    assert list(DigestDelivery.objects.order_by("pk").last().opportunities.all()) == [new]


def test_nothing_is_sent_when_nothing_matches(researchers, calls, embedder):
    index_all(embedder=embedder)
    user = researchers.bones.user
    DigestSubscription.objects.create(user=user, frequency="weekly", include_profile_matches=False)
    SavedSearch.objects.create(user=user, name="Screening", query="cancer screening")
    run = _send(embedder)
    assert (run.due, run.sent, run.nothing_new) == (1, 0, 1)
    assert mail.outbox == []
    assert DigestDelivery.objects.count() == 0


def test_profile_matches_are_included_only_when_asked(subscribed, embedder):
    user = subscribed.chest.user
    SavedSearch.objects.filter(user=user).update(in_digest=False)
    DigestSubscription.objects.filter(user=user).update(include_profile_matches=False)
    assert digests.digest_items(user=user, embedder=embedder) == []
    DigestSubscription.objects.filter(user=user).update(include_profile_matches=True)
    assert [(i.opportunity.title, i.reasons) for i in digests.digest_items(user=user, embedder=embedder)] == [
        (
            "Better care for adults with asthma and COPD",
            ["Matches your publications (closest: “Pulmonary rehabilitation after hospital admission for COPD”)"],
        )
    ]


def test_a_forthcoming_opportunity_says_when_it_opens(db):
    opens, closes = timezone.now() + 10 * DAY, timezone.now() + 40 * DAY
    item = digests.DigestItem(OpportunityFactory(opens_at=opens, closes_at=closes), url="", similarity=0.5)
    assert item.when == f"Opens {datetime_words(opens)}, closes {datetime_words(closes)}"


# --- when digests are due ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "since", "due"),
    [
        ("daily", 23 * HOUR - datetime.timedelta(minutes=1), False),
        ("daily", 23 * HOUR, True),
        ("weekly", 6 * DAY + 22 * HOUR, False),
        ("weekly", 6 * DAY + 23 * HOUR, True),
        ("never", 30 * DAY, False),
    ],
)
def test_a_digest_is_due_a_day_or_a_week_after_its_last_turn_less_an_hour(db, frequency, since, due):
    now = timezone.now()
    subscription = DigestSubscription(frequency=frequency, last_sent_at=now - since)
    assert (digests.digest_turn(subscription, now=now) is not None) is due


def test_a_scheduler_running_every_15_minutes_keeps_the_daily_time(researchers):
    start = timezone.now().replace(microsecond=0)
    subscription = DigestSubscription.objects.create(user=researchers.chest.user, frequency="daily")
    turns = []
    for tick in range(3 * 24 * 4):  # every 15 minutes for three days
        run = _send(None, now=start + tick * datetime.timedelta(minutes=15))
        if run.due:
            subscription.refresh_from_db()
            turns.append(subscription.last_sent_at - start)
    # Each turn is taken an hour early (the slack) but recorded at its due time: exactly a day apart, no creep.
    assert turns == [datetime.timedelta(0), DAY, 2 * DAY, 3 * DAY]


def test_a_turn_missed_for_days_starts_again_from_now(researchers):
    now = timezone.now()
    subscription = DigestSubscription.objects.create(
        user=researchers.chest.user, frequency="daily", last_sent_at=now - 5 * DAY
    )
    _send(None, now=now)
    subscription.refresh_from_db()
    assert subscription.last_sent_at == now


def test_inactive_users_and_those_who_said_never_get_nothing(subscribed, researchers, embedder):
    DigestSubscription.objects.create(user=researchers.bones.user, frequency="never")
    researchers.chest.user.is_active = False
    researchers.chest.user.save()
    assert digests.digests_due() == []


def test_two_schedulers_at_once_send_a_digest_once(subscribed, embedder, monkeypatch):
    now = timezone.now()
    stale = digests.digests_due(now=now)
    _send(embedder, now=now)
    monkeypatch.setattr(digests, "digests_due", lambda now: stale)  # the second saw it due before the first claimed it
    assert _send(embedder, now=now).due == 0
    assert len(mail.outbox) == 1


def test_a_digest_the_mail_server_refuses_stays_due(subscribed, embedder, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    run = _send(embedder)
    assert (run.due, run.sent, run.failed) == (1, 0, 1)
    assert DigestSubscription.objects.get().last_sent_at is None
    assert DigestDelivery.objects.count() == 0


# --- one-click unsubscribe ----------------------------------------------------------------------------------


def test_the_unsubscribe_link_shows_a_button_and_changes_nothing(client, subscribed):
    response = client.get(_unsubscribe_url(subscribed.chest.user))
    assert response.status_code == 200
    assert '<button type="submit" class="govuk-button govuk-button--warning"' in response.content.decode()
    assert DigestSubscription.objects.get().frequency == "daily"


def test_posting_the_link_unsubscribes_without_signing_in(client, subscribed):
    response = client.post(_unsubscribe_url(subscribed.chest.user))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert DigestSubscription.objects.get().frequency == "never"


def test_a_mail_clients_one_click_post_unsubscribes(subscribed):
    # RFC 8058: the client POSTs "List-Unsubscribe=One-Click" with no cookies and no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        _unsubscribe_url(subscribed.chest.user),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert DigestSubscription.objects.get().frequency == "never"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature altered
        lambda token: "1" + token,  # another user id under the same signature
        lambda token: signing.Signer().sign(token.split(":")[0]),  # signed, but not for unsubscribing
    ],
    ids=["signature", "user", "salt"],
)
def test_a_tampered_link_is_refused_and_changes_nothing(client, subscribed, tamper):
    token = tamper(digests.digest_unsubscribe_token(user=subscribed.chest.user))
    response = client.post(reverse("opportunities:unsubscribe", args=[token]))
    assert response.status_code == 400
    assert "This unsubscribe link is not valid: it may have been cut short" in response.content.decode()
    assert DigestSubscription.objects.get().frequency == "daily"


def test_the_link_of_a_deleted_user_is_refused(client, researchers):
    token = digests.digest_unsubscribe_token(user=researchers.bones.user)
    researchers.bones.user.delete()
    assert client.post(reverse("opportunities:unsubscribe", args=[token])).status_code == 400


# --- settings page and API ---------------------------------------------------------------------------------


def test_the_settings_page_saves_the_choice(client, researchers):
    client.force_login(researchers.bones.user)
    page = client.get(reverse("opportunities:digest")).content.decode()
    assert (
        '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m"><h2 class="govuk-fieldset__heading">How often'
        in page
    )
    assert 'type="radio" value="never" checked' in page
    response = client.post(reverse("opportunities:digest"), {"frequency": "weekly", "include_profile_matches": "on"})
    assert response["Location"] == reverse("opportunities:digest")
    subscription = DigestSubscription.objects.get(user=researchers.bones.user)
    assert (subscription.frequency, subscription.include_profile_matches) == ("weekly", True)


def test_the_settings_page_refuses_an_unknown_frequency(client, researchers):
    client.force_login(researchers.bones.user)
    response = client.post(reverse("opportunities:digest"), {"frequency": "hourly"})
    assert response.context["form"].errors["frequency"] == [
        "Select a valid choice. hourly is not one of the available choices."
    ]
    assert DigestSubscription.objects.count() == 0


def test_the_settings_page_previews_the_next_digest(client, subscribed):
    client.force_login(subscribed.chest.user)
    response = client.get(reverse("opportunities:digest"))
    assert [i.opportunity.title for i in response.context["preview"]] == [
        "Recovery after hip fracture in older people",
        "Better care for adults with asthma and COPD",
    ]
    assert "No digest has been sent to you yet." in response.content.decode()


def test_api_digest_settings_are_read_and_chosen(client, researchers):
    client.force_login(researchers.bones.user)
    token = digests.digest_unsubscribe_token(user=researchers.bones.user)
    expected = {
        "frequency": "never",
        "include_profile_matches": True,
        "last_sent_at": None,
        "unsubscribe_url": f"{settings.SITE_URL}/opportunities/digest/unsubscribe/{token}/",
    }
    assert client.get("/api/v1/me/digest").json() == expected
    response = client.put(
        "/api/v1/me/digest", {"frequency": "daily", "include_profile_matches": False}, content_type="application/json"
    )
    assert response.json() == {**expected, "frequency": "daily", "include_profile_matches": False}
    refused = client.put("/api/v1/me/digest", {"frequency": "hourly"}, content_type="application/json")
    assert refused.status_code == 422
    assert list(refused.json()["error"]["fields"]) == ["frequency"]


# --- the command and the task ---------------------------------------------------------------------------


def test_the_command_sends_the_due_digests(subscribed, embedder, capsys):
    call_command("send_digests")
    assert capsys.readouterr().out == (
        "1 digest due: 1 sent (2 opportunities), 0 with nothing new to send, 0 failed.\n"
    )
    assert len(mail.outbox) == 1


def test_the_task_sends_the_due_digests(subscribed, embedder):
    from mhi.opportunities.tasks import digests_send_due_run

    assert digests_send_due_run.call() == "1 digest due: 1 sent (2 opportunities), 0 with nothing new to send, 0 failed"
    assert len(mail.outbox) == 1
