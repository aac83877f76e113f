"""Email digests of the opportunities that match a user: settings, what a digest holds, sending the due ones, and
unsubscribing with one click (RFC 8058).

A digest lists only opportunities that match the user at MATCH_THRESHOLD or above (mhi.opportunities.matching):
their saved searches marked "include in my digest" and, if they asked for it, their publications. Each comes
with why and its closing date. A closed opportunity is never listed, nor one an earlier digest sent to the same
user (DigestDelivery), and nothing is sent when nothing matches. An opportunity found only by its words (not
embedded yet) waits for the next digest, when its similarity is known.

Schedule: `mhi send-digests` (from cron, or running with --every), or the task `digests_send_due_run` that
`mhi scheduler` queues. A digest's turn comes a day (daily) or a week (weekly) after its last turn,
`DigestSubscription.last_sent_at`, and it is sent from an hour before (the slack) so that a cron job at 07:00 is not
put off a day because yesterday's run finished at 07:00:40. The new last turn is the time the turn was due, not
the time of the run, so a scheduler running every few minutes does not creep an hour earlier each day; a turn
missed by more than the slack (the service was down) starts again from now. Every turn moves `last_sent_at` on,
whether or not anything matched, so a daily digest is considered once a day rather than at each run until
something matches; the digests actually sent are the DigestDelivery rows. A subscription is claimed before its
digest is composed (moved on only if nobody else moved it), so two schedulers running at once send it once.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mhi.core.errors import DomainError
from mhi.opportunities.dates import datetime_words
from mhi.opportunities.matching import (
    EmbedderWhenNeeded,
    opportunities_for_person,
    opportunities_for_search,
    person_of,
)
from mhi.opportunities.models import (
    DigestDelivery,
    DigestFrequency,
    DigestSubscription,
    Opportunity,
    SavedSearch,
    Status,
)

logger = logging.getLogger(__name__)

PERIODS = {DigestFrequency.DAILY: datetime.timedelta(days=1), DigestFrequency.WEEKLY: datetime.timedelta(days=7)}
SLACK = datetime.timedelta(hours=1)
# The most one digest lists; the rest wait for the next (they have not been sent, so they are not lost).
MAX_ITEMS = 30
# How many of each search's and the profile's best matches are looked at before the threshold is applied.
POOL = 100
UNSUBSCRIBE_SALT = "mhi.opportunities.digest-unsubscribe"


class InvalidUnsubscribeLink(DomainError):
    status_code = 400


# --- settings ------------------------------------------------------------------------------------------------


def digest_settings_get(*, user) -> DigestSubscription:
    """The user's digest choice; never (not saved yet) for someone who has not chosen."""
    return DigestSubscription.objects.filter(user=user).first() or DigestSubscription(user=user)


@transaction.atomic
def digest_settings_update(*, user, frequency: str, include_profile_matches: bool) -> DigestSubscription:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to choose your digest.")
    if frequency not in DigestFrequency.values:
        raise DomainError(
            f"“{frequency}” is not a frequency; choose one of {', '.join(DigestFrequency.values)}.", field="frequency"
        )
    subscription, _ = DigestSubscription.objects.select_for_update().get_or_create(user=user)
    subscription.frequency = frequency
    subscription.include_profile_matches = bool(include_profile_matches)
    subscription.save()
    return subscription


def digest_last_sent(*, user) -> DigestDelivery | None:
    return DigestDelivery.objects.filter(user=user).order_by("-sent_at", "-pk").first()


# --- one-click unsubscribe --------------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe_token(*, user) -> str:
    """The signed user id in the unsubscribe link: it unsubscribes that user only, with no sign-in. It does
    not expire (a link in an old email still works), and it does nothing but stop the digest."""
    return _signer().sign(str(user.pk))


def digest_unsubscribe_url(*, user) -> str:
    return settings.SITE_URL + reverse("opportunities:unsubscribe", args=[digest_unsubscribe_token(user=user)])


def digest_token_user(*, token: str):
    """The user an unsubscribe link is for; InvalidUnsubscribeLink when it was altered or cut short."""
    refused = InvalidUnsubscribeLink(
        "This unsubscribe link is not valid: it may have been cut short when it was copied. Open it from the "
        "email again, or sign in and change your digest settings."
    )
    try:
        user_id = _signer().unsign(token)
    except signing.BadSignature:
        raise refused from None
    user = get_user_model().objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
    if user is None:
        raise refused
    return user


@transaction.atomic
def digest_unsubscribe(*, token: str) -> DigestSubscription:
    user = digest_token_user(token=token)
    subscription, _ = DigestSubscription.objects.select_for_update().get_or_create(user=user)
    if subscription.frequency != DigestFrequency.NEVER:
        subscription.frequency = DigestFrequency.NEVER
        subscription.save()
    return subscription


# --- what a digest holds --------------------------------------------------------------------------------


@dataclass
class DigestItem:
    opportunity: Opportunity
    url: str  # absolute, for the email
    similarity: float  # the best of the reasons'
    reasons: list[str] = field(default_factory=list)

    @property
    def when(self) -> str:
        """The date that matters, in words: when it closes, or when it opens if it has not yet."""
        o = self.opportunity
        if o.status == Status.FORTHCOMING and o.opens_at:
            closes = f", closes {datetime_words(o.closes_at)}" if o.closes_at else ""
            return f"Opens {datetime_words(o.opens_at)}{closes}"
        return f"Closes {datetime_words(o.closes_at)}" if o.closes_at else "No closing date given"


def _sent_before(user) -> set[int]:
    through = DigestDelivery.opportunities.through
    return set(through.objects.filter(digestdelivery__user=user).values_list("opportunity_id", flat=True))


def digest_items(
    *, user, embedder=None, subscription: DigestSubscription | None = None, now: datetime.datetime | None = None
) -> list[DigestItem]:
    """What the user's digest would list now, soonest closing first."""
    now = now or timezone.now()
    subscription = subscription or digest_settings_get(user=user)
    model = embedder if isinstance(embedder, EmbedderWhenNeeded) else EmbedderWhenNeeded(embedder)
    sent = _sent_before(user)
    found: dict[int, DigestItem] = {}

    def add(match, reason: str) -> None:
        o = match.opportunity
        if not match.strong or o.pk in sent:
            return
        item = found.setdefault(o.pk, DigestItem(o, settings.SITE_URL + o.get_absolute_url(), match.similarity))
        item.similarity = max(item.similarity, match.similarity)
        item.reasons.append(reason)

    for search in SavedSearch.objects.filter(user=user, in_digest=True).order_by("name", "pk"):
        for match in opportunities_for_search(saved_search=search, embedder=model, limit=POOL, now=now):
            add(match, f"Matches your saved search “{search.name}”")
    person = person_of(user) if subscription.include_profile_matches else None
    if person is not None:
        for match in opportunities_for_person(user=user, person=person, limit=POOL, now=now).matches:
            closest = f" (closest: “{match.works[0].work.title}”)" if match.works else ""
            add(match, f"Matches your publications{closest}")
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    items = sorted(
        found.values(), key=lambda i: (i.opportunity.closes_at or far, i.opportunity.title, i.opportunity.pk)
    )
    return items[:MAX_ITEMS]


def digest_message(*, user, items: list[DigestItem], subscription: DigestSubscription) -> EmailMultiAlternatives:
    """The email: plain text and HTML, with the one-click unsubscribe headers of RFC 8058 (mail clients show an
    "Unsubscribe" button that POSTs List-Unsubscribe=One-Click to the link)."""
    unsubscribe_url = digest_unsubscribe_url(user=user)
    person = person_of(user)
    n = len(items)
    context = {
        "name": person.display_name if person else "",
        "items": items,
        "count": n,
        "frequency": subscription.get_frequency_display().lower(),
        "settings_url": settings.SITE_URL + reverse("opportunities:digest"),
        "searches_url": settings.SITE_URL + reverse("opportunities:searches"),
        "unsubscribe_url": unsubscribe_url,
    }
    subject = f"[MHI Hub] {n} {'opportunity' if n == 1 else 'opportunities'} for you"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("email/opportunity_digest.txt", context),
        to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(render_to_string("email/opportunity_digest.html", context), "text/html")
    return message


# --- sending --------------------------------------------------------------------------------------------


def digest_turn(subscription: DigestSubscription, *, now: datetime.datetime) -> datetime.datetime | None:
    """When this turn of the digest is recorded as taken, if it is due at `now`; None when it is not due."""
    period = PERIODS.get(subscription.frequency)
    if period is None:
        return None
    if subscription.last_sent_at is None:
        return now
    due_at = subscription.last_sent_at + period
    if now < due_at - SLACK:
        return None
    return due_at if now - due_at <= SLACK else now


def digests_due(*, now: datetime.datetime | None = None) -> list[DigestSubscription]:
    now = now or timezone.now()
    due = Q(last_sent_at__isnull=True)
    for frequency, period in PERIODS.items():
        due |= Q(frequency=frequency, last_sent_at__lte=now - (period - SLACK))
    return list(
        DigestSubscription.objects.filter(frequency__in=list(PERIODS), user__is_active=True)
        .filter(due)
        .select_related("user")
        .order_by("pk")
    )


def digest_send(
    *, subscription: DigestSubscription, embedder=None, now: datetime.datetime | None = None
) -> DigestDelivery | None:
    """Send the user's digest now if anything matches; record what it held. None when nothing was sent."""
    user = subscription.user
    items = digest_items(user=user, embedder=embedder, subscription=subscription, now=now)
    if not items or not user.email:
        return None
    digest_message(user=user, items=items, subscription=subscription).send()
    with transaction.atomic():
        delivery = DigestDelivery.objects.create(user=user)
        delivery.opportunities.set([item.opportunity.pk for item in items])
    return delivery


@dataclass
class DigestRun:
    due: int = 0
    sent: int = 0
    nothing_new: int = 0
    failed: int = 0
    opportunities: int = 0

    def summary(self) -> str:
        return (
            f"{self.due} digest{'s' if self.due != 1 else ''} due: {self.sent} sent ({self.opportunities} "
            f"opportunit{'y' if self.opportunities == 1 else 'ies'}), {self.nothing_new} with nothing new to send, "
            f"{self.failed} failed"
        )


def digests_send_due(*, embedder=None, now: datetime.datetime | None = None) -> DigestRun:
    """Send every digest that is due. One that fails (the mail server refused it, say) is logged and left due,
    so the next run tries again; the others are still sent."""
    now = now or timezone.now()
    model = EmbedderWhenNeeded(embedder)
    run = DigestRun()
    for subscription in digests_due(now=now):
        previous, turn = subscription.last_sent_at, digest_turn(subscription, now=now)
        claimed = DigestSubscription.objects.filter(pk=subscription.pk)
        claimed = (
            claimed.filter(last_sent_at__isnull=True) if previous is None else claimed.filter(last_sent_at=previous)
        )
        if turn is None or not claimed.update(last_sent_at=turn):
            continue  # not due after all, or another scheduler took it
        run.due += 1
        try:
            delivery = digest_send(subscription=subscription, embedder=model, now=now)
        except Exception:
            logger.exception("The opportunity digest of user %s failed", subscription.user_id)
            DigestSubscription.objects.filter(pk=subscription.pk, last_sent_at=turn).update(last_sent_at=previous)
            run.failed += 1
            continue
        if delivery is None:
            run.nothing_new += 1
        else:
            run.sent += 1
            run.opportunities += delivery.opportunities.count()
    return run
