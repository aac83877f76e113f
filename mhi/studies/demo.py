"""Demo patient-based research for `mhi demo`: research profiles with fictional figures at ten Midlands trusts,
three real (academic) studies imported from the ClinicalTrials.gov files in mhi/studies/data/ctgov (SOURCES.md
there), and one fictional commercial study with planned sites, a feasibility request to four trusts (three
answered) and six months of recruitment at its three open sites.

Everything is owned by the demo coordinator. The figures and the commercial study are fictional and marked
`is_demo`; the real studies' Midlands sites are demo choices too (the real studies ran elsewhere). Idempotent:
a second run changes nothing. Run after demo_seed (it needs the demo accounts) and the reference data."""

import datetime
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from mhi.accounts.models import User
from mhi.core.audit import audit_record, audit_save
from mhi.core.demo import DEMO_DOMAIN
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from mhi.studies import ctgov
from mhi.studies import studies as services
from mhi.studies.models import (
    Answer,
    FeasibilityInvite,
    FeasibilityRequest,
    FeasibilityResponse,
    FeasibilityStatus,
    Interest,
    InviteStatus,
    RecruitmentEntry,
    RecruitmentSource,
    SiteProfile,
    Study,
    StudySite,
    StudySiteStatus,
)
from mhi.studies.prevalence import prevalence_load_default
from mhi.studies.sites import site_profiles_sync

SOURCE = "mhi demo"
DATA = Path(__file__).resolve().parent / "data" / "ctgov"
DEMO_FILES = ["NCT03630471.json", "NCT01339988.xml", "NCT02654730.xml"]

# ODS code: (specialties, beds, clinic rooms, imaging, pharmacy, laboratory, new participants a month, set-up £).
DEMO_PROFILES = {
    "RRK": ("Cardiology\nDiabetes\nOncology\nHepatology\nRespiratory", 24, 18, True, True, True, 40, "18000"),
    "RX1": ("Cardiology\nDiabetes\nGastroenterology\nRespiratory", 16, 14, True, True, True, 30, "15000"),
    "RWE": ("Cardiology\nDiabetes\nRespiratory\nRenal", 18, 12, True, True, True, 32, "15000"),
    "RTG": ("Diabetes\nOrthopaedics\nRenal", 8, 8, True, True, False, 18, "12000"),
    "RJE": ("Cardiology\nStroke\nTrauma", 10, 9, True, True, True, 20, "12000"),
    "RKB": ("Cardiology\nDiabetes\nOncology", 12, 10, True, True, True, 22, "13000"),
    "RL4": ("Cardiology\nDiabetes\nRenal", 6, 6, True, True, False, 14, "10000"),
    "RNA": ("Diabetes\nDermatology", 4, 5, False, True, False, 10, "9000"),
    "RXK": ("Diabetes\nOphthalmology\nHaematology", 6, 6, True, False, True, 12, "9500"),
    "RWD": ("Diabetes\nRespiratory\nCardiology", 6, 7, True, True, False, 12, "10000"),
}

DEMO_STUDY_ID = "DEMO-MMT-301"
DEMO_STUDY = {
    "title": "A randomised trial of an oral once-weekly GLP-1 agonist in adults with type 2 diabetes and heart "
    "failure (fictional demo study)",
    "acronym": "MIDHEART-D",
    "other_ids": DEMO_STUDY_ID,
    "summary": "A fictional study for the MHI Hub demo. It does not exist. Adults with type 2 diabetes and heart "
    "failure are randomised to the study drug or placebo for 52 weeks.",
    "conditions": "Type 2 diabetes\nHeart failure",
    "phase": "3",
    "study_type": "interventional",
    "design": "Allocation: Randomized; Model: Parallel Assignment; Masking: Double",
    "target_recruitment": 240,
    "eligibility_summary": "Ages: 40 years to 80 years. Sex: All.\n\nType 2 diabetes for at least a year, heart "
    "failure (NYHA II–III), HbA1c 53–86 mmol/mol.",
    "eligibility_fraction": "0.05000",
    "prevalence_condition": "diabetes",
    "sponsor_name": "Midlands MedTech (fictional demo company)",
    "sponsor_class": "commercial",
    "chief_investigator": "Prof Rajesh Nair (fictional)",
    "status": "recruiting",
    "budget": "60000.00",
    "is_demo": True,
}
# (ODS code, status, local PI, target, monthly target, recruitment per month oldest first or None)
# The monthly targets spread each site's target over the 24 planned months, so the sites' and the study's
# expected-to-date agree; the figures give one site behind (amber) beside two on track.
DEMO_SITES = [
    ("RRK", StudySiteStatus.OPEN, "Dr Helen Marsh (fictional)", 90, 4, [3, 5, 6, 7, 6, 8]),
    ("RX1", StudySiteStatus.OPEN, "Dr Daniel Mercer (fictional)", 70, 3, [2, 4, 4, 5, 6, 5]),
    ("RWE", StudySiteStatus.OPEN, "Dr Lucy Fenwick (fictional)", 60, 3, [1, 2, 2, 2, 3, 3]),
    ("RKB", StudySiteStatus.PLANNED, "", 20, 1, None),
]
# Feasibility: (ODS code, interest, estimated a month, capacity, pharmacy, imaging, comment) — None: no answer.
DEMO_FEASIBILITY = [
    ("RRK", Interest.YES, 8, Answer.YES, Answer.YES, Answer.YES, "Cardiology and diabetes teams both keen."),
    ("RX1", Interest.YES, 6, Answer.YES, Answer.YES, Answer.WITH_SUPPORT, "Echo slots need booking early."),
    ("RWE", Interest.MAYBE, 5, Answer.WITH_SUPPORT, Answer.YES, Answer.YES, "Depends on research nurse cover."),
    ("RTG", None, None, None, None, None, None),
]
# The real studies' demo sites: NCT number → [(ODS code, status)].
# The real study given a reach estimate from the shipped depression figure (a demo eligibility fraction of 2%).
REACH_STUDY = "NCT03630471"
REAL_STUDY_SITES = {
    "NCT03630471": [("RXT", StudySiteStatus.PLANNED), ("RHA", StudySiteStatus.PLANNED)],
    "NCT01339988": [("RQ3", StudySiteStatus.PLANNED), ("RX1", StudySiteStatus.PLANNED)],
    "NCT02654730": [("RRK", StudySiteStatus.PLANNED)],
}


def _months_back(today: datetime.date, n: int) -> list[datetime.date]:
    """The first days of the n whole months before this one, oldest first."""
    months, year, month = [], today.year, today.month
    for _ in range(n):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(datetime.date(year, month, 1))
    return list(reversed(months))


def _trusts() -> dict[str, Organisation]:
    return {o.ods_code: o for o in Organisation.objects.filter(kind="nhs_trust", ods_code__isnull=False)}


def _profiles(trusts, coordinator) -> int:
    changed = 0
    for ods, (specialties, beds, rooms, imaging, pharmacy, lab, capacity, cost) in DEMO_PROFILES.items():
        site = trusts.get(ods)
        if site is None:
            continue
        profile = SiteProfile.objects.filter(organisation=site).first() or SiteProfile(organisation=site)
        if profile.pk and not profile.is_demo and profile.monthly_capacity is not None:
            continue  # real figures entered by the site: never overwritten
        fields = {
            "beds": beds,
            "clinic_rooms": rooms,
            "has_imaging": imaging,
            "imaging_note": "MRI, CT, echocardiography" if imaging else "",
            "has_pharmacy": pharmacy,
            "has_laboratory": lab,
            "monthly_capacity": capacity,
            "setup_cost": Decimal(cost).quantize(Decimal("0.01")),
            "rd_contact_name": f"R&D office, {site.short_name or site.name} (demo)",
            "rd_contact_email": f"rd.{ods.lower()}@{DEMO_DOMAIN}",
            "is_demo": True,
        }
        if not profile.specialties.strip():
            fields["specialties"] = specialties
        if audit_save(instance=profile, actor=coordinator, source=SOURCE, fields=fields):
            changed += 1
    return changed


def _site_rows(study, plan, trusts, coordinator) -> int:
    created = 0
    for ods, status, *rest in plan:
        site = trusts.get(ods)
        if site is None or StudySite.objects.filter(study=study, site=site).exists():
            continue
        fields = {"status": status}
        if rest:
            local_pi, target, monthly, _ = rest
            fields.update({"local_pi": local_pi, "target": target, "monthly_target": monthly})
        services.study_site_add(user=coordinator, study=study, site=site, **fields)
        created += 1
    return created


@transaction.atomic
def demo_studies_load(*, today: datetime.date | None = None) -> dict:
    """Load the demo studies; returns counts of what was created (all zero on a second run)."""
    today = today or timezone.localdate()
    coordinator = User.objects.get(email=f"coordinator@{DEMO_DOMAIN}")
    rd_uhb = User.objects.filter(email=f"rd.uhb@{DEMO_DOMAIN}").first()
    counts = {"profiles": 0, "studies": 0, "sites": 0, "feasibility_requests": 0, "answers": 0, "recruitment": 0}
    site_profiles_sync(actor=coordinator)
    trusts = _trusts()
    counts["profiles"] = _profiles(trusts, coordinator)

    # Three real studies, imported as the product would.
    missing = []
    for name in DEMO_FILES:
        data = (DATA / name).read_bytes()
        if not Study.objects.filter(nct_id=ctgov.ctgov_parse(data, filename=name).nct_id).exists():
            missing.append((name, data))
    if missing:
        counts["studies"] += len(ctgov.ctgov_import(user=coordinator, files=missing).created)
    for nct_id, plan in REAL_STUDY_SITES.items():
        study = Study.objects.filter(nct_id=nct_id).first()
        if study is not None:
            counts["sites"] += _site_rows(study, plan, trusts, coordinator)

    # The shipped national prevalence figures (indicative, with their sources), and a reach estimate for the
    # mental-health study from them: its eligibility fraction is the demo's own assumption, said on the study.
    prevalence_load_default(actor=coordinator)
    mental_health = Study.objects.filter(nct_id=REACH_STUDY, eligibility_fraction__isnull=True).first()
    if mental_health is not None:
        audit_save(
            instance=mental_health,
            actor=coordinator,
            source=SOURCE,
            fields={"prevalence_condition": "depression", "eligibility_fraction": Decimal("0.02")},
        )

    # One fictional commercial study.
    months = _months_back(today, 6)
    study = Study.objects.filter(other_ids=DEMO_STUDY_ID, is_demo=True).first()
    if study is None:
        fields = {
            **DEMO_STUDY,
            "start_date": months[0],
            "end_date": datetime.date(months[0].year + 2, months[0].month, 1) - datetime.timedelta(days=1),
        }
        study = services.study_create(user=coordinator, fields=fields, source=SOURCE)
        counts["studies"] += 1
    counts["sites"] += _site_rows(study, DEMO_SITES, trusts, coordinator)

    request = FeasibilityRequest.objects.filter(study=study).first()
    if request is None:
        request = FeasibilityRequest(
            study=study,
            deadline=months[0] - datetime.timedelta(days=30),
            message="Could your site recruit adults with type 2 diabetes and heart failure? (Demo request.)",
            status=FeasibilityStatus.CLOSED,
            created_by=coordinator,
            closed_at=timezone.now(),
            decision_note="The three sites that answered with interest and capacity were chosen. (Demo.)",
        )
        audit_save(instance=request, actor=coordinator, source=SOURCE)
        counts["feasibility_requests"] += 1
    for ods, interest, monthly, capacity, pharmacy, imaging, comment in DEMO_FEASIBILITY:
        site = trusts.get(ods)
        if site is None:
            continue
        answered = interest is not None
        invite = FeasibilityInvite.objects.filter(request=request, site=site).first()
        if invite is None:
            invite = FeasibilityInvite(
                request=request,
                site=site,
                status=InviteStatus.ANSWERED if answered else InviteStatus.SENT,
                chosen=answered,
            )
            audit_save(instance=invite, actor=coordinator, source=SOURCE)
        if answered and not FeasibilityResponse.objects.filter(invite=invite).exists():
            response = FeasibilityResponse.objects.create(
                invite=invite,
                answered_by=rd_uhb if ods == "RRK" else None,
                interest=interest,
                local_pi=next((pi for code, _, pi, *_ in DEMO_SITES if code == ods), ""),
                monthly_recruitment=monthly,
                capacity=capacity,
                pharmacy=pharmacy,
                imaging=imaging,
                earliest_start=months[0],
                comments=comment,
            )
            audit_record(instance=response, action=AuditEvent.Action.CREATE, actor=coordinator, source=SOURCE)
            counts["answers"] += 1
    chosen_ids = list(request.invites.filter(chosen=True).values_list("site_id", flat=True))
    StudySite.objects.filter(study=study, site_id__in=chosen_ids, chosen_from__isnull=True).update(chosen_from=request)

    # Six months of recruitment at the open sites, every month in the past.
    for ods, _status, _, _, _, figures in DEMO_SITES:
        site = trusts.get(ods)
        row = StudySite.objects.filter(study=study, site=site).first() if site else None
        if row is None or not figures:
            continue
        if row.opened_on is None:
            StudySite.objects.filter(pk=row.pk).update(opened_on=months[0])
        for month, recruited in zip(months, figures, strict=True):
            entry, made = RecruitmentEntry.objects.get_or_create(
                study_site=row,
                month=month,
                defaults={"recruited": recruited, "source": RecruitmentSource.FORM, "entered_by": coordinator},
            )
            counts["recruitment"] += int(made)
    return counts
