"""Access rules for internal selection rounds' pages and API operations (merged into tests/test_permissions.py).

The world's round is Aston's own, for a capped call, with one Aston bid; the researcher (Nottingham, no conflict)
reviews it. Coordinators and Aston's admin manage it; the researcher sees it and scores the bid; for everyone
else it does not exist. A reviewer asking for a manager's page, or a manager for a reviewer's, gets 403.
"""

from tests.access.common import ADMINS, SIGNED_IN_200
from tests.personas import PERSONAS

MANAGERS = {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "coordinator": 200, "aston_admin": 200, "researcher": 403}
VISIBLE = {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "coordinator": 200, "aston_admin": 200, "researcher": 200}
REVIEWER = {**dict.fromkeys(PERSONAS, 404), "anonymous": 302, "coordinator": 403, "aston_admin": 403, "researcher": 200}


def _api(statuses: dict, *, ok: int = 200) -> dict:
    """The page map for the API: 401 for anonymous callers, `ok` where the page gives 200."""
    return {p: 401 if p == "anonymous" else (ok if s == 200 else s) for p, s in statuses.items()}


def _round(w):
    """Aston's round for a capped call, with one Aston bid at internal selection; the researcher reviews."""
    from mhi.bids.models import RoundEntry, RoundReviewer, SelectionRound, Stage
    from mhi.bids.tests.factories import BidFactory
    from mhi.opportunities.tests.factories import OpportunityFactory

    opportunity = OpportunityFactory(title="Programme Grants", cap_per_institution=2)
    bid = BidFactory(
        title="Asthma self-management",
        opportunity=opportunity,
        lead_organisation=w.aston,
        stage=Stage.INTERNAL_SELECTION,
    )
    round = SelectionRound.objects.create(
        opportunity=opportunity,
        organisation=w.aston,
        title="Aston internal selection",
        opened_by=w.users["aston_admin"],
    )
    entry = RoundEntry.objects.create(round=round, bid=bid)
    RoundReviewer.objects.create(round=round, user=w.users["researcher"], assigned_by=w.users["aston_admin"])
    return round, entry


def _round_kwargs(w):
    return {"pk": _round(w)[0].pk}


def _review_kwargs(w):
    round, entry = _round(w)
    return {"pk": round.pk, "entry_id": entry.pk}


def _api_round(w):
    return {"round_id": _round(w)[0].pk}


def _api_entry(w):
    round, entry = _round(w)
    return {"round_id": round.pk, "entry_id": entry.pk}


# name → (method, kwargs-builder, {persona: status})
PAGES: dict = {
    # Everyone signed in has a list: the rounds they manage or review for (empty for most).
    "bids:rounds": ("get", lambda w: {}, SIGNED_IN_200),
    "bids:round_create": ("get", lambda w: {}, ADMINS),
    "bids:round": ("get", _round_kwargs, VISIBLE),
    "bids:round_reviewers": ("get", _round_kwargs, MANAGERS),
    # An empty POST: managers get the page back with the form's errors (200).
    "bids:round_reviewers#post": ("post", _round_kwargs, MANAGERS),
    "bids:review": ("get", _review_kwargs, REVIEWER),
    "bids:review#post": ("post", _review_kwargs, REVIEWER),
    "bids:round_decide": ("get", _round_kwargs, MANAGERS),
    "bids:round_decide#post": ("post", _round_kwargs, MANAGERS),
}

# (method, path template) → (path kwargs builder, body, {persona: status})
API_OPERATIONS: dict = {
    ("GET", "/api/v1/selection-rounds"): (lambda w: {}, None, {**dict.fromkeys(PERSONAS, 200), "anonymous": 401}),
    # The opportunity does not exist: those who may open rounds are told so (422); the others may not open any.
    ("POST", "/api/v1/selection-rounds"): (
        lambda w: {},
        {"opportunity": 999999, "title": "Aston internal selection", "organisation": "aston"},
        _api({**ADMINS, "coordinator": 422, "aston_admin": 422}),
    ),
    ("GET", "/api/v1/selection-rounds/{round_id}"): (_api_round, None, _api(VISIBLE)),
    ("GET", "/api/v1/selection-rounds/{round_id}/reviewers"): (_api_round, None, _api(MANAGERS)),
    ("POST", "/api/v1/selection-rounds/{round_id}/reviewers"): (
        _api_round,
        {"email": "rd@uhb.example.org"},
        _api(MANAGERS, ok=201),
    ),
    ("PUT", "/api/v1/selection-rounds/{round_id}/entries/{entry_id}/review"): (
        _api_entry,
        {"scores": {"Quality of the idea": 4, "Fit to the call": 3, "Strength of the team": 5}, "comment": "Clear"},
        _api(REVIEWER),
    ),
    ("POST", "/api/v1/selection-rounds/{round_id}/entries/{entry_id}/conflict"): (
        _api_entry,
        {"detail": "I supervised the lead's PhD"},
        _api(REVIEWER, ok=201),
    ),
    ("GET", "/api/v1/selection-rounds/{round_id}/results"): (_api_round, None, _api(MANAGERS)),
    # Selecting none: the bid becomes unsuccessful.
    ("POST", "/api/v1/selection-rounds/{round_id}/decide"): (
        _api_round,
        {"selected": [], "rationale": "No bid was strong enough this time."},
        _api(MANAGERS),
    ),
}
