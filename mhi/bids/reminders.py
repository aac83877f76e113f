"""Deadline reminders: the team of each open bid is emailed `Bid.reminder_days` days before the deadline its
stage works towards (`Bid.deadline()`: the opportunity's expression-of-interest, outline or closing date).

Schedule: the task `reminders_send_due_run`, queued every hour by `mhi scheduler` (mhi.bids.apps), or
`mhi send-bid-reminders` from cron. Each run works out what is due, so running it more often does no harm.

Each (bid, deadline field, deadline, days before) is reminded once: its ReminderDelivery row is created before the
email is sent, in the same transaction, and the row's unique constraint makes a second run at the same moment
fail on that insert (IntegrityError) and skip it instead of sending again. A failed send rolls the row back, so
the next run tries again. A deadline that moves is a new deadline and is reminded afresh.

When several offsets are due at once (a bid started 3 days before its deadline with offsets 14, 7 and 1), one
email is sent, for the nearest offset; the earlier ones are recorded as passed (0 recipients) rather than sent
as a burst of reminders that all say the same thing.
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from mhi.bids.models import OUTCOME_STAGES, STAGE_DEADLINE_FIELD, Bid, BidEvent, ReminderDelivery
from mhi.opportunities.dates import datetime_words, to_london

logger = logging.getLogger(__name__)

DEADLINE_LABELS = {
    "eoi_deadline": "expression of interest deadline",
    "outline_deadline": "outline deadline",
    "closes_at": "closing date",
}


def reminder_offsets(bid: Bid) -> list[int]:
    """The bid's reminder days that make sense (whole days, at least 1), largest first, without repeats."""
    days = set()
    for value in bid.reminder_days or []:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            days.add(value)
    return sorted(days, reverse=True)


def reminder_recipients(bid: Bid) -> list:
    """The active users on the bid's team: members with a user, the lead person's user and the creator, once
    each, by email address."""
    users = {m.person.user for m in bid.members.select_related("person__user") if m.person.user_id}
    if bid.lead_person_id and bid.lead_person.user_id:
        users.add(bid.lead_person.user)
    if bid.created_by_id:
        users.add(bid.created_by)
    return sorted((u for u in users if u.is_active and u.email), key=lambda u: (u.email.lower(), u.pk))


def _in_words(deadline: datetime.datetime, now: datetime.datetime) -> str:
    days = (to_london(deadline).date() - to_london(now).date()).days
    if days <= 0:
        return "today"
    return "tomorrow" if days == 1 else f"in {days} days"


def _days_words(offsets: list[int]) -> str:
    words = [str(d) for d in sorted(offsets, reverse=True)]
    listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{listed} day{'s' if words != ['1'] else ''}"


def reminder_message(*, bid: Bid, recipients: list, now: datetime.datetime) -> EmailMessage:
    deadline = bid.deadline()
    label = DEADLINE_LABELS.get(bid.deadline_field, "deadline")
    context = {
        "bid": bid,
        "opportunity": bid.opportunity,
        "stage": bid.get_stage_display(),
        "label": label,
        "deadline": datetime_words(deadline),
        "in_words": _in_words(deadline, now),
        "offsets": _days_words(reminder_offsets(bid)),
        "url": settings.SITE_URL + bid.get_absolute_url(),
    }
    subject = f"[MHI Hub] The {label} for “{bid.title}” is {datetime_words(deadline)}"
    return EmailMessage(
        subject=subject,
        body=render_to_string("bids/email/reminder.txt", context),
        to=[u.email for u in recipients],
    )


def bids_with_deadlines(*, now: datetime.datetime):
    """Open bids whose stage works towards a deadline of the opportunity that has not passed."""
    bids = (
        Bid.objects.exclude(stage__in=OUTCOME_STAGES)
        .filter(stage__in=list(STAGE_DEADLINE_FIELD))
        .select_related("opportunity", "lead_person__user", "created_by")
        .order_by("pk")
    )
    for bid in bids:
        deadline = bid.deadline()
        if deadline is not None and now < deadline:
            yield bid, deadline


def _remind(*, bid: Bid, deadline: datetime.datetime, due: list[int], now: datetime.datetime) -> bool:
    """Send the reminder for the nearest due offset (recording the others as passed); False when another run
    has already taken it."""
    nearest, passed = due[-1], due[:-1]
    recipients = reminder_recipients(bid)
    key = {"bid": bid, "deadline_field": bid.deadline_field, "deadline": deadline}
    try:
        with transaction.atomic():
            # The claim: a concurrent run inserting the same row fails here, before anything is sent.
            delivery = ReminderDelivery.objects.create(**key, days_before=nearest, recipients=len(recipients))
            ReminderDelivery.objects.bulk_create(
                [ReminderDelivery(**key, days_before=d, recipients=0) for d in passed], ignore_conflicts=True
            )
            if not recipients:
                return False
            reminder_message(bid=bid, recipients=recipients, now=now).send()
            label = DEADLINE_LABELS.get(bid.deadline_field, "deadline")
            BidEvent.objects.create(
                bid=bid,
                kind=BidEvent.Kind.REMINDER,
                message=(
                    f"Reminder sent to {len(recipients)} {'person' if len(recipients) == 1 else 'people'}: "
                    f"the {label} is {datetime_words(deadline)}"
                ),
                data={
                    "deadline_field": bid.deadline_field,
                    "deadline": deadline.isoformat(),
                    "days_before": delivery.days_before,
                    "recipients": [u.pk for u in recipients],
                },
            )
    except IntegrityError:
        return False
    return True


def send_due_reminders(*, now: datetime.datetime | None = None) -> int:
    """Send every reminder that is due at `now`; returns how many emails were sent. A reminder whose email
    fails is logged and stays due for the next run; the others are still sent."""
    now = now or timezone.now()
    sent = 0
    for bid, deadline in bids_with_deadlines(now=now):
        offsets = reminder_offsets(bid)
        if not offsets:
            continue
        done = set(
            ReminderDelivery.objects.filter(bid=bid, deadline_field=bid.deadline_field, deadline=deadline).values_list(
                "days_before", flat=True
            )
        )
        due = [d for d in offsets if now >= deadline - datetime.timedelta(days=d) and d not in done]
        if not due:
            continue
        try:
            sent += _remind(bid=bid, deadline=deadline, due=due, now=now)
        except Exception:
            logger.exception("The deadline reminder for bid %s failed", bid.pk)
    return sent
