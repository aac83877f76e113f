"""Access rules for the studies recruitment pages and API operations (merged into tests/test_permissions.py).

The scenario: an academic study (owned by someone who is not a persona) runs at University Hospitals Birmingham
(the nhs_rd persona's site, ODS RRK) and at another trust, with a month recorded at UHB two months ago.
- Seeing its recruitment (the page, the CSV, the API's summary): everyone signed in, as for the study itself.
  A commercial study with UHB planned exists only for coordinators and UHB's user (404 for the rest).
- Recording (the page's form, the upload, the API's record, correct and upload): coordinators (every site) and
  UHB's R&D user (their own site); everyone else who sees the study is refused (403). Anonymous users are sent
  to sign in (pages) or get 401 (API).
Non-HTML answers (the CSV) are checked with HEAD, so the axe-core page test leaves them out.
"""

import datetime

from tests.access.common import SIGNED_IN_200, only

RECORDERS = only({"coordinator": 200, "nhs_rd": 200}, default=403, anonymous=302)

_this_month = datetime.date.today().replace(day=1)
LAST_MONTH = (_this_month - datetime.timedelta(days=1)).replace(day=1)
TWO_MONTHS_AGO = (LAST_MONTH - datetime.timedelta(days=1)).replace(day=1)

API_SIGNED_IN = only({}, default=200, anonymous=401)
API_RECORDERS = only({"coordinator": 200, "nhs_rd": 200}, default=403, anonymous=401)
API_RECORDERS_201 = only({"coordinator": 201, "nhs_rd": 201}, default=403, anonymous=401)


def _study(w, *, sponsor_class="academic"):
    from mhi.studies.tests.factories import RecruitmentEntryFactory, StudyFactory, StudySiteFactory, TrustFactory

    study = StudyFactory(
        title="Heart failure at home",
        sponsor_class=sponsor_class,
        target_recruitment=200,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    uhb = StudySiteFactory(study=study, site=w.uhb, target=120, monthly_target=5, opened_on=datetime.date(2025, 1, 1))
    StudySiteFactory(study=study, site=TrustFactory(name="Coventry and Warwickshire", ods_code="RKB"), target=80)
    RecruitmentEntryFactory(study_site=uhb, month=TWO_MONTHS_AGO, recruited=4)
    return study


def _pk(w):
    return {"pk": _study(w).pk}


def _commercial_pk(w):
    return {"pk": _study(w, sponsor_class="commercial").pk}


def _study_id(w):
    return {"study_id": _study(w).pk}


def _entry(w):
    study = _study(w)
    return {"study_id": study.pk, "entry_id": study.study_sites.get(site=w.uhb).recruitment.get().pk}


PAGES = {
    "studies:recruitment": ("get", _pk, SIGNED_IN_200),
    "studies:recruitment#commercial": (
        "get",
        _commercial_pk,
        only({"coordinator": 200, "nhs_rd": 200}, default=404, anonymous=302),
    ),
    # An empty POST: those who record get the form back with its errors (200); the others may not record.
    "studies:recruitment#record": ("post", _pk, RECORDERS),
    "studies:recruitment_upload": ("get", _pk, RECORDERS),
    "studies:recruitment_csv": ("head", _pk, SIGNED_IN_200),
}

API_OPERATIONS = {
    ("GET", "/api/v1/studies/{study_id}/recruitment"): (_study_id, None, API_SIGNED_IN),
    ("POST", "/api/v1/studies/{study_id}/recruitment"): (
        _study_id,
        {"site": "RRK", "month": LAST_MONTH.strftime("%Y-%m"), "recruited": 3},
        API_RECORDERS_201,
    ),
    ("PUT", "/api/v1/studies/{study_id}/recruitment/{entry_id}"): (_entry, {"recruited": 5}, API_RECORDERS),
    ("POST", "/api/v1/studies/{study_id}/recruitment/upload"): (
        _study_id,
        {"file": ("edge.csv", f"Site Code,Month,Recruited\nRRK,{LAST_MONTH:%Y-%m},2\n".encode())},
        API_RECORDERS,
    ),
}
