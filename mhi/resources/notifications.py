"""Booking emails: request received (to the requester, and to the resource's managers), confirmed, declined,
cancelled, and a waitlist offer. Plain text from templates/resources/email/, each with its .ics attached
(mhi.resources.ical) so the booking lands in the reader's calendar, or leaves it when cancelled.

The booking services queue these with `on_commit`, so nothing is sent for a booking whose transaction rolled back.
A failure to send is logged, never raised: the booking stands whatever the mail server does.
"""

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string

from mhi.resources import ical
from mhi.resources.models import Booking, WaitlistEntry

logger = logging.getLogger(__name__)
PREFIX = "[MHI Hub] "


def on_commit(send, *args) -> None:
    transaction.on_commit(lambda: _quietly(send, *args))


def _quietly(send, *args) -> None:
    try:
        send(*args)
    except Exception:  # the mail server's trouble is not the booking's
        logger.exception("Could not send the booking email %s", send.__name__)


def _context(booking: Booking, **extra) -> dict:
    from mhi.resources.booking import span

    resource = booking.resource
    return {
        "booking": booking,
        "resource": resource,
        "name": booking.user.full_name or booking.user.email,
        "when": span(booking.start, booking.end),
        "quote": (
            f"£{booking.quote_amount:.2f} ({booking.quote_note})"
            if booking.quote_amount is not None
            else booking.quote_note
        ),
        "url": ical.resource_url(resource),
        **extra,
    }


def _send(*, template: str, subject: str, to: list[str], context: dict, ics: bytes | None = None) -> None:
    to = [address for address in to if address]
    if not to:
        return
    message = EmailMessage(
        subject=PREFIX + subject, body=render_to_string(f"resources/email/{template}.txt", context), to=to
    )
    if ics is not None:
        message.attach("booking.ics", ics, "text/calendar; charset=utf-8")
    message.send()


def _manager_emails(booking: Booking) -> list[str]:
    return [user.email for user in booking.resource.managers.filter(is_active=True) if user.email]


def booking_made(booking: Booking) -> None:
    """Confirmed at once (instant booking) or requested for approval."""
    if booking.status == Booking.Status.CONFIRMED:
        booking_confirmed(booking)
        return
    context = _context(booking)
    _send(
        template="request_received",
        subject=f"Request received: {booking.resource.name}, {context['when']}",
        to=[booking.user.email],
        context=context,
        ics=ical.booking_ics(booking),
    )
    _send(
        template="request_to_approve",
        subject=f"To approve: {booking.resource.name}, {context['when']}",
        to=_manager_emails(booking),
        context=context,
    )


def series_made(bookings: list[Booking]) -> None:
    first = bookings[0]
    context = _context(first, bookings=[_context(b)["when"] for b in bookings], count=len(bookings))
    confirmed = first.status == Booking.Status.CONFIRMED
    _send(
        template="series_made",
        subject=f"{'Booked' if confirmed else 'Requests received'}: {first.resource.name}, {len(bookings)} times",
        to=[first.user.email],
        context=context,
        ics=ical.bookings_ics(bookings, name=first.resource.name),
    )
    if not confirmed:
        _send(
            template="request_to_approve",
            subject=f"To approve: {first.resource.name}, {len(bookings)} bookings",
            to=_manager_emails(first),
            context=context,
        )


def booking_confirmed(booking: Booking) -> None:
    context = _context(booking)
    _send(
        template="confirmed",
        subject=f"Booked: {booking.resource.name}, {context['when']}",
        to=[booking.user.email],
        context=context,
        ics=ical.booking_ics(booking),
    )


def booking_declined(booking: Booking) -> None:
    context = _context(booking)
    _send(
        template="declined",
        subject=f"Not booked: {booking.resource.name}, {context['when']}",
        to=[booking.user.email],
        context=context,
        ics=ical.booking_ics(booking),
    )


def booking_cancelled(booking: Booking) -> None:
    context = _context(booking)
    _send(
        template="cancelled",
        subject=f"Cancelled: {booking.resource.name}, {context['when']}",
        to=[booking.user.email, *_manager_emails(booking)],
        context=context,
        ics=ical.booking_ics(booking),
    )


def waitlist_offered(entry: WaitlistEntry) -> None:
    from mhi.resources.booking import span, when

    context = {
        "entry": entry,
        "resource": entry.resource,
        "name": entry.user.full_name or entry.user.email,
        "when": span(entry.start, entry.end),
        "expires": when(entry.offer_expires_at),
        "url": ical.resource_url(entry.resource),
    }
    _send(
        template="waitlist_offer",
        subject=f"Free now: {entry.resource.name}, {context['when']}",
        to=[entry.user.email],
        context=context,
    )
