"""Access rules for mhi.resources API operations (merged into tests/test_permissions.py).

The scenario: "Confocal 2", a resource owned by Aston University and managed by a member of Aston's staff who is
not a persona (manager@aston.example.org), open to external academics (not to industry), open every day round
the clock, booked in 30-minute slots at least 24 hours ahead, approved by a manager. The researcher persona
(Nottingham) has booked it a week ahead, 10:00-11:00 UK time, and has asked for training on it.

- The catalogue is public: everyone lists it, reads a resource and its free slots (200).
- Adding, changing, rates, closures, importing and exporting: coordinators and Aston's admin (the owner's admin);
  other signed-in personas are refused (403), anonymous callers 401.
- Booking: anyone with a role at an organisation whose tier the access policy admits. The coordinator holds no
  role at an organisation (403); the industry partner books at the commercial tier, which Confocal 2 does not
  admit (403); the rest book (201): Aston's admin at the internal tier, the others as external academics.
- The researcher's booking exists for the researcher, coordinators and Aston's admin; for everyone else it does
  not (404). Approving and declining are for those who manage the resource (the researcher: 403); the researcher
  may cancel their own (a week ahead, inside the notice period).
- A quote at your tier: for the signed in (the coordinator has no tier: 422); anonymous callers must sign in or
  name a tier (401).
- The passport: recording an induction on Confocal 2 and declaring an equivalence for it are for coordinators and
  Aston's admin; everyone signed in has a passport and may ask for training. The researcher's training request
  is answered by those who manage Confocal 2 (the researcher sees it but may not answer: 403; others: 404).
- Reports: coordinators and institution admins (Aston's admin); the rest 403.
"""

import datetime
import zoneinfo

from tests.access.common import only
from tests.personas import PERSONAS

LONDON = zoneinfo.ZoneInfo("Europe/London")
# Bodies are fixed when this module is imported, so the resource and class an equivalence names have fixed ids.
RESOURCE_ID = 880_101
CLASS_ID = 880_102

_day = datetime.datetime.now(LONDON).date() + datetime.timedelta(days=7)
START = datetime.datetime.combine(_day, datetime.time(10), tzinfo=LONDON).isoformat()
END = datetime.datetime.combine(_day, datetime.time(11), tzinfo=LONDON).isoformat()
TODAY = datetime.datetime.now(LONDON).date().isoformat()

ALL_200 = dict.fromkeys(PERSONAS, 200)
SIGNED_IN = only({}, default=200, anonymous=401)
# Coordinators and the owner's institution admin.
OWNER_ADMINS = only({"coordinator": 200, "aston_admin": 200}, default=403, anonymous=401)
OWNER_ADMINS_201 = only({"coordinator": 201, "aston_admin": 201}, default=403, anonymous=401)
# Who may book Confocal 2.
BOOKERS_201 = only({"coordinator": 403, "external": 403}, default=201, anonymous=401)
# The researcher's booking: theirs, and those who manage the resource.
BOOKING_SEEN = {"coordinator": 200, "aston_admin": 200, "researcher": 200}
MANAGERS_DECIDE = only({"coordinator": 200, "aston_admin": 200, "researcher": 403}, default=404, anonymous=401)


def _manager():
    from mhi.accounts.tests.factories import UserFactory

    return UserFactory(email="manager@aston.example.org")


def _resource(w, **fields):
    from mhi.resources.models import AccessPolicy
    from mhi.resources.tests.factories import RateFactory, ResourceFactory

    resource = ResourceFactory(
        name="Confocal 2",
        organisation=w.aston,
        managers=[_manager()],
        access_policy=AccessPolicy.EXTERNAL_ACADEMIC,
        opening_hours={str(day): [["00:00", "24:00"]] for day in range(1, 8)},
        **fields,
    )
    RateFactory(resource=resource, tier="internal", amount="10.00")
    return resource


def _resource_id(w):
    return {"resource_id": _resource(w).pk}


def _booking(w, status="requested"):
    from mhi.resources.tests.factories import BookingFactory

    return BookingFactory(
        resource=_resource(w),
        user=w.users["researcher"],
        organisation=w.nottingham,
        start=datetime.datetime.fromisoformat(START),
        end=datetime.datetime.fromisoformat(END),
        status=status,
        tier="external_academic",
    )


def _closure(w):
    from mhi.resources.tests.factories import ClosureFactory

    closure = ClosureFactory(resource=_resource(w))
    return {"resource_id": closure.resource_id, "closure_id": closure.pk}


def _equivalence_objects(w):
    from mhi.resources.tests.factories import InductionClassFactory

    InductionClassFactory(pk=CLASS_ID, name="Leicester laser safety")
    _resource(w, pk=RESOURCE_ID)
    return {}


def _training_request(w):
    from mhi.resources.inductions import training_request

    return {"request_id": training_request(user=w.users["researcher"], resource=_resource(w), note="July").pk}


API_OPERATIONS = {
    # --- the catalogue ---
    ("GET", "/api/v1/resources"): (lambda w: _resource(w) and {}, None, ALL_200),
    ("GET", "/api/v1/resources/{resource_id}"): (_resource_id, None, ALL_200),
    ("POST", "/api/v1/resources"): (
        lambda w: {},
        {"organisation": "aston", "name": "Mass spectrometer", "technique": "Mass spectrometry"},
        OWNER_ADMINS_201,
    ),
    ("PATCH", "/api/v1/resources/{resource_id}"): (_resource_id, {"description": "Zeiss LSM 980"}, OWNER_ADMINS),
    ("PUT", "/api/v1/resources/{resource_id}/rates/{tier}"): (
        lambda w: {**_resource_id(w), "tier": "partner"},
        {"unit": "hour", "amount": "20.00"},
        OWNER_ADMINS,
    ),
    ("POST", "/api/v1/resources/{resource_id}/closures"): (
        _resource_id,
        {"kind": "maintenance", "start": START, "end": END, "reason": "Service visit"},
        OWNER_ADMINS_201,
    ),
    ("DELETE", "/api/v1/resources/{resource_id}/closures/{closure_id}"): (_closure, None, OWNER_ADMINS),
    ("POST", "/api/v1/resources/import"): (
        lambda w: {},
        {"organisation": "aston", "file": ("aston.csv", b"Type,ID,Name\nequipment,EQ-1,Centrifuge\n")},
        OWNER_ADMINS,
    ),
    ("GET", "/api/v1/resources/export"): (lambda w: _resource(w) and {}, {"organisation": "aston"}, OWNER_ADMINS),
    # --- booking ---
    ("GET", "/api/v1/resources/{resource_id}/free-slots"): (_resource_id, None, ALL_200),
    ("GET", "/api/v1/resources/{resource_id}/quote"): (
        _resource_id,
        {"start": START, "end": END},
        only({"coordinator": 422}, default=200, anonymous=401),
    ),
    ("POST", "/api/v1/resources/{resource_id}/bookings"): (
        _resource_id,
        {"start": START, "end": END, "purpose": "Imaging"},
        BOOKERS_201,
    ),
    ("POST", "/api/v1/resources/{resource_id}/bookings/recurring"): (
        _resource_id,
        {"start": START, "end": END, "every": "week", "count": 2},
        BOOKERS_201,
    ),
    ("GET", "/api/v1/bookings"): (lambda w: _booking(w) and {}, None, SIGNED_IN),
    ("GET", "/api/v1/bookings/{booking_id}"): (
        lambda w: {"booking_id": _booking(w).pk},
        None,
        only(BOOKING_SEEN, default=404, anonymous=401),
    ),
    ("POST", "/api/v1/bookings/{booking_id}/approve"): (
        lambda w: {"booking_id": _booking(w).pk},
        None,
        MANAGERS_DECIDE,
    ),
    ("POST", "/api/v1/bookings/{booking_id}/decline"): (
        lambda w: {"booking_id": _booking(w).pk},
        {"note": "Fully booked that week"},
        MANAGERS_DECIDE,
    ),
    ("POST", "/api/v1/bookings/{booking_id}/cancel"): (
        lambda w: {"booking_id": _booking(w, status="confirmed").pk},
        None,
        only(BOOKING_SEEN, default=404, anonymous=401),
    ),
    # The range is taken by the researcher's confirmed booking, so those who may book may wait for it.
    ("POST", "/api/v1/resources/{resource_id}/waitlist"): (
        lambda w: {"resource_id": _booking(w, status="confirmed").resource_id},
        {"start": START, "end": END},
        BOOKERS_201,
    ),
    # --- the passport ---
    ("GET", "/api/v1/induction-classes"): (lambda w: {}, None, ALL_200),
    ("GET", "/api/v1/me/inductions"): (lambda w: {}, None, SIGNED_IN),
    ("POST", "/api/v1/resources/{resource_id}/inductions"): (
        _resource_id,
        {"user": "researcher@nottingham.example.org", "date": TODAY, "trainer": "Sam Trainer"},
        OWNER_ADMINS_201,
    ),
    ("POST", "/api/v1/induction-equivalences"): (
        _equivalence_objects,
        {"accepted_class": CLASS_ID, "accepted_organisation": "leicester", "resource": RESOURCE_ID},
        OWNER_ADMINS_201,
    ),
    ("POST", "/api/v1/resources/{resource_id}/training-requests"): (
        _resource_id,
        {"note": "I start in July"},
        only({}, default=201, anonymous=401),
    ),
    ("GET", "/api/v1/training-requests"): (lambda w: _training_request(w) and {}, None, SIGNED_IN),
    ("POST", "/api/v1/training-requests/{request_id}/respond"): (
        _training_request,
        {"status": "scheduled", "response": "Tuesday 10:00, room 2"},
        MANAGERS_DECIDE,
    ),
    # --- reports ---
    ("GET", "/api/v1/resources/reports/utilisation"): (lambda w: _booking(w) and {}, None, OWNER_ADMINS),
    ("GET", "/api/v1/resources/reports/income"): (lambda w: _booking(w) and {}, None, OWNER_ADMINS),
    ("GET", "/api/v1/resources/reports/usage"): (lambda w: _booking(w) and {}, None, OWNER_ADMINS),
}
