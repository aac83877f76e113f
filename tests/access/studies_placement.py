"""Access rules for the studies placement pages and API operations (merged into tests/test_permissions.py).

The scenario: the researcher persona (Nottingham) owns a study with a target of 60, whose feasibility request
went to University Hospitals Birmingham (the nhs_rd persona's site), which answered "Interested" with 6 a month;
another trust is planned for it (delivery capacity 5 a month). The coordinator has run placement once.

- An academic study is visible to everyone signed in: its placement page and runs are 200 for them; running
  placement is for its managers (the coordinator and the researcher, its owner), others get 403.
- "#commercial": the same study sponsored commercially, so confidential: it exists only for coordinators, its
  owner and the invited site's users (nhs_rd sees it but may not run placement: 403); for the rest, 404.
- An empty POST to the placement page is refused on the form, shown again (200) to those who may run it.
- The API uses the commercial study, so all three answers (200/201, 403, 404) are checked; 401 without sign-in.
"""

import datetime
from decimal import Decimal

from tests.access.common import only

SIGNED_IN_200 = only({}, default=200, anonymous=302)
MANAGERS_FORM = only({"coordinator": 200, "researcher": 200}, default=403, anonymous=302)
COMMERCIAL_SEES = only({"coordinator": 200, "researcher": 200, "nhs_rd": 200}, default=404, anonymous=302)
COMMERCIAL_RUNS = only({"coordinator": 200, "researcher": 200, "nhs_rd": 403}, default=404, anonymous=302)
API_SEES = only({"coordinator": 200, "researcher": 200, "nhs_rd": 200}, default=404, anonymous=401)
API_RUNS = only({"coordinator": 201, "researcher": 201, "nhs_rd": 403}, default=404, anonymous=401)


def _study(w, *, sponsor_class="academic"):
    from mhi.studies.tests.factories import (
        FeasibilityResponseFactory,
        SiteProfileFactory,
        StudyFactory,
        StudySiteFactory,
        TrustFactory,
    )

    study = StudyFactory(
        title="Placement access study",
        owner=w.users["researcher"],
        sponsor_class=sponsor_class,
        target_recruitment=60,
        start_date=datetime.date(2027, 1, 1),
    )
    SiteProfileFactory(organisation=w.uhb, monthly_capacity=8, setup_cost=Decimal("12000"))
    FeasibilityResponseFactory(
        invite__request__study=study,
        invite__site=w.uhb,
        monthly_recruitment=6,
        earliest_start=datetime.date(2027, 1, 1),
    )
    other = TrustFactory(name="Placement Access Trust", slug="placement-access-trust")
    SiteProfileFactory(organisation=other, monthly_capacity=5, setup_cost=Decimal("8000"))
    StudySiteFactory(study=study, site=other, status="planned", opened_on=None)
    return study


def _run(w, **kwargs):
    from mhi.studies.placement import placement_run_create

    return placement_run_create(user=w.users["coordinator"], study=_study(w, **kwargs), objective="soonest")


def _pk(w):
    return {"pk": _study(w).pk}


def _commercial_pk(w):
    return {"pk": _study(w, sponsor_class="commercial").pk}


PAGES = {
    "studies:placement": ("get", _pk, SIGNED_IN_200),
    "studies:placement#commercial": ("get", _commercial_pk, COMMERCIAL_SEES),
    "studies:placement#run": ("post", _pk, MANAGERS_FORM),
    "studies:placement#run_commercial": ("post", _commercial_pk, COMMERCIAL_RUNS),
    "studies:placement_run": ("get", lambda w: {"pk": _run(w).pk}, SIGNED_IN_200),
    "studies:placement_run#commercial": (
        "get",
        lambda w: {"pk": _run(w, sponsor_class="commercial").pk},
        COMMERCIAL_SEES,
    ),
}

API_OPERATIONS = {
    ("GET", "/api/v1/studies/{study_id}/placement/candidates"): (
        lambda w: {"study_id": _study(w, sponsor_class="commercial").pk},
        None,
        API_SEES,
    ),
    ("POST", "/api/v1/studies/{study_id}/placement"): (
        lambda w: {"study_id": _study(w, sponsor_class="commercial").pk},
        {"objective": "soonest"},
        API_RUNS,
    ),
    ("GET", "/api/v1/placement-runs/{run_id}"): (
        lambda w: {"run_id": _run(w, sponsor_class="commercial").pk},
        None,
        API_SEES,
    ),
}
