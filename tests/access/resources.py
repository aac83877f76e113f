"""Access rules for mhi.resources pages (merged into tests/test_permissions.py).

The scenario: Aston University owns a confocal microscope, open to external academics, with an induction class, a
maintenance closure coming up and no managers of its own. So it is managed by the coordinator and by Aston's
institution admin; everyone else may read it (the catalogue is public) but not manage it (403). The researcher
(Nottingham) has a requested booking of it a week ahead, a place on its waitlist and an open training request:
the booking is visible to the researcher and to those who manage the microscope, and does not exist for anyone
else (404); approving or declining it is the managers' (the researcher, who sees it, gets 403).

Adding a resource by hand, catalogue import and export, equivalences and reports are for coordinators and
institution admins (ADMINS).
"#retired": the microscope retired, which only those who manage it can still open.
Non-HTML answers (the calendar's JSON, CSV, iCalendar) are checked with HEAD, the same view as GET, so the
axe-core page test (which opens every GET rule) leaves them out.
"""

import datetime

from django.utils import timezone

from tests.access.common import ADMINS, ALL_200, SIGNED_IN_200, only

MANAGES = only({"coordinator": 302, "aston_admin": 302}, default=403, anonymous=302)
BOOKING_SEES = only({"coordinator": 200, "aston_admin": 200, "researcher": 200}, default=404, anonymous=302)
BOOKING_CHANGES = only({"coordinator": 302, "aston_admin": 302, "researcher": 302}, default=404, anonymous=302)
BOOKING_DECIDES = only({"coordinator": 302, "aston_admin": 302, "researcher": 403}, default=404, anonymous=302)


def _microscope(w, *, status="available"):
    from mhi.resources.tests.factories import ClosureFactory, InductionClassFactory, RateFactory, ResourceFactory

    resource = ResourceFactory(
        organisation=w.aston,
        uniquip_id="AST-CONF-1",
        name="Confocal microscope",
        technique="Confocal microscopy",
        access_policy="external_academic",
        requires_induction=True,
        induction_class=InductionClassFactory(name="Laser safety"),
        contact_name="Imaging team",
        contact_email="imaging@aston.example.org",
        latitude="52.486651",
        longitude="-1.890947",
        status=status,
    )
    RateFactory(resource=resource, tier="internal", amount="20.00")
    RateFactory(resource=resource, tier="external_academic", amount="45.00")
    ClosureFactory(resource=resource)
    return resource


def _pk(w):
    return {"pk": _microscope(w).pk}


def _retired_pk(w):
    return {"pk": _microscope(w, status="retired").pk}


def _booking(w):
    from mhi.resources.tests.factories import BookingFactory

    return BookingFactory(resource=_microscope(w), user=w.users["researcher"], tier="external_academic")


def _booking_id(w):
    return {"booking_id": _booking(w).pk}


def _waitlist_entry(w):
    from mhi.resources.models import WaitlistEntry

    start = (timezone.now() + datetime.timedelta(days=8)).replace(minute=0, second=0, microsecond=0)
    entry = WaitlistEntry.objects.create(
        resource=_microscope(w), user=w.users["researcher"], start=start, end=start + datetime.timedelta(hours=1)
    )
    return {"entry_id": entry.pk}


def _closure(w):
    resource = _microscope(w)
    return {"pk": resource.pk, "closure_id": resource.closures.get().pk}


def _training_request(w):
    from mhi.resources.models import TrainingRequest

    request = TrainingRequest.objects.create(resource=_microscope(w), user=w.users["researcher"], note="New PhD")
    return {"request_id": request.pk}


def _feed_token(w):
    from mhi.resources import ical

    return {"token": ical.feed_token(resource=_microscope(w))}


PAGES = {
    # --- the public catalogue ---
    "resources:list": ("get", lambda w: _microscope(w) and {}, ALL_200),
    "resources:map": ("get", lambda w: _microscope(w) and {}, ALL_200),
    "resources:detail": ("get", _pk, ALL_200),
    "resources:detail#retired": ("get", _retired_pk, {**BOOKING_SEES, "anonymous": 404, "researcher": 404}),
    "resources:calendar": ("get", _pk, ALL_200),
    "resources:events": ("head", _pk, ALL_200),
    "resources:opendata": ("head", lambda w: _microscope(w) and {"slug": "aston"}, ALL_200),
    "resources:ical_feed": ("head", _feed_token, ALL_200),
    # --- booking: anyone signed in may open the form (it says why when they cannot book) ---
    "resources:book": ("get", _pk, SIGNED_IN_200),
    # An empty POST: the form is refused and the user is sent back to the booking page.
    "resources:waitlist_join": ("post", _pk, dict.fromkeys(ALL_200, 302)),
    "resources:waitlist_withdraw": (
        "post",
        _waitlist_entry,
        only({"researcher": 302}, default=404, anonymous=302),
    ),
    "resources:my_bookings": ("get", lambda w: _booking(w) and {}, SIGNED_IN_200),
    "resources:booking_cancel": ("post", _booking_id, BOOKING_CHANGES),
    "resources:booking_ics": ("head", _booking_id, BOOKING_SEES),
    "resources:booking_approve": ("post", _booking_id, BOOKING_DECIDES),
    "resources:booking_decline": ("post", _booking_id, BOOKING_DECIDES),
    # Those who manage no resource have no requests to answer.
    "resources:requests": ("get", lambda w: _booking(w) and {}, ADMINS),
    # --- managing the microscope ---
    "resources:create": ("get", lambda w: {}, ADMINS),
    "resources:manage": ("get", _pk, ADMINS),
    "resources:rules": ("get", _pk, ADMINS),
    "resources:rates": ("get", _pk, ADMINS),
    "resources:closures": ("get", _pk, ADMINS),
    "resources:closure_remove": ("post", _closure, MANAGES),
    "resources:import": ("get", lambda w: {}, ADMINS),
    "resources:export": ("get", lambda w: {}, ADMINS),
    # --- the induction passport ---
    "resources:passport": ("get", lambda w: {}, SIGNED_IN_200),
    "resources:induction_record": ("get", _pk, ADMINS),
    "resources:equivalences": ("get", lambda w: _microscope(w) and {}, ADMINS),
    "resources:training_request": ("get", _pk, SIGNED_IN_200),
    "resources:training_requests": ("get", lambda w: _training_request(w) and {}, SIGNED_IN_200),
    # An empty answer: managers are sent back with the reason; the researcher, who asked, may not answer.
    "resources:training_respond": (
        "post",
        _training_request,
        only({"coordinator": 302, "aston_admin": 302, "researcher": 403}, default=404, anonymous=302),
    ),
    # --- reports ---
    "resources:reports": ("get", lambda w: _booking(w) and {}, ADMINS),
    "resources:report_csv": ("head", lambda w: {"report": "utilisation"}, ADMINS),
}
