"""API: recruitment tracking. A study's recruitment summary and months (for whoever may see the study), recording
a month, correcting one and uploading a CSV of months (for the site's users, the study's owner and coordinators).

Months are "YYYY-MM". A bad value is refused with 422 naming the field; a month already recorded with 409 (correct
it with PUT instead); a study the caller may not see does not exist (404).
"""

import datetime
from decimal import Decimal

from django.shortcuts import get_object_or_404
from ninja import Field, File, Form, Router, Schema, UploadedFile
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.studies import access, recruitment
from mhi.studies.models import RecruitmentEntry, RecruitmentSource

router = Router(tags=["studies"], auth=REQUIRED_AUTH)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class EntryOut(Schema):
    id: int
    study_site_id: int
    site_id: int
    site_code: str | None
    site_name: str
    month: str = Field(description="YYYY-MM")
    recruited: int
    source: str


class ForecastOut(Schema):
    month: str | None = Field(description="YYYY-MM; null: not forecastable (see reason)")
    reason: str
    reached: bool
    planned_end: str | None
    months_late: int | None = Field(description="Forecast month after the planned end month; negative: early")


class RagOut(Schema):
    status: str | None = Field(description="green, amber, red; null: not rated (see reason)")
    percent_of_expected: Decimal | None
    reason: str


class SiteSummaryOut(Schema):
    study_site_id: int
    site_id: int
    site_code: str | None
    site_name: str
    status: str
    total: int
    target: int | None
    monthly_target: int | None
    months_open: int | None
    recent_rate: Decimal | None
    recent_months: int
    expected_to_date: Decimal | None
    expected_basis: str
    rag: RagOut
    forecast: ForecastOut


class SummaryOut(Schema):
    as_of: datetime.date
    total: int
    target: int | None
    target_basis: str
    recent_rate: Decimal | None
    expected_to_date: Decimal | None
    expected_basis: str
    rag: RagOut
    forecast: ForecastOut
    green_at_percent: int
    amber_at_percent: int
    sites: list[SiteSummaryOut]


class RecruitmentOut(Schema):
    summary: SummaryOut
    entries: list[EntryOut]


class EntryIn(Schema):
    site: str | None = Field(None, description="The site's ODS code, for example RRK")
    site_id: int | None = Field(None, description="Or the site's organisation id")
    month: str = Field(description="YYYY-MM")
    recruited: int


class CorrectionIn(Schema):
    recruited: int


class UploadOut(Schema):
    file: str
    rows: int
    recorded: list[EntryOut]
    replaced: list[EntryOut]
    unchanged: list[EntryOut]
    summary: str


def _month(value: datetime.date | None) -> str | None:
    return value.strftime("%Y-%m") if value else None


def _entry(entry: RecruitmentEntry) -> dict:
    site = entry.study_site.site
    return {
        "id": entry.pk,
        "study_site_id": entry.study_site_id,
        "site_id": site.pk,
        "site_code": site.ods_code,
        "site_name": site.name,
        "month": _month(entry.month),
        "recruited": entry.recruited,
        "source": entry.source,
    }


def _rag(rag: recruitment.Rag) -> dict:
    return {"status": rag.status, "percent_of_expected": rag.percent, "reason": rag.reason}


def _forecast(forecast: recruitment.Forecast) -> dict:
    return {
        "month": _month(forecast.month),
        "reason": forecast.reason,
        "reached": forecast.reached,
        "planned_end": _month(forecast.planned_end),
        "months_late": forecast.months_late,
    }


def _summary(summary: recruitment.Summary) -> dict:
    return {
        "as_of": summary.as_of,
        "total": summary.total,
        "target": summary.target,
        "target_basis": summary.target_basis,
        "recent_rate": summary.recent_rate,
        "expected_to_date": summary.expected_to_date,
        "expected_basis": summary.expected_basis,
        "rag": _rag(summary.rag),
        "forecast": _forecast(summary.forecast),
        "green_at_percent": summary.green_percent,
        "amber_at_percent": summary.amber_percent,
        "sites": [
            {
                "study_site_id": s.study_site.pk,
                "site_id": s.site.pk,
                "site_code": s.site.ods_code,
                "site_name": s.site.name,
                "status": s.study_site.status,
                "total": s.total,
                "target": s.target,
                "monthly_target": s.monthly_target,
                "months_open": s.months_open,
                "recent_rate": s.recent_rate,
                "recent_months": s.recent_months,
                "expected_to_date": s.expected_to_date,
                "expected_basis": s.expected_basis,
                "rag": _rag(s.rag),
                "forecast": _forecast(s.forecast),
            }
            for s in summary.sites
        ],
    }


def _api_month(value: str) -> datetime.date:
    text = (value or "").strip()
    if not (len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit()):
        raise DomainError(f"“{text}” is not a month: use YYYY-MM, for example 2026-03.", field="month")
    return recruitment.month_parse(text)


@router.get(
    "/studies/{study_id}/recruitment",
    response=RecruitmentOut,
    summary="A study's recruitment: summary (RAG, forecast) and the months recorded",
)
def recruitment_get(request, study_id: int):
    study = access.study_for(user=request.user, pk=study_id)
    entries = (
        RecruitmentEntry.objects.filter(study_site__study=study)
        .select_related("study_site__site")
        .order_by("study_site__site__name", "study_site_id", "month")
    )
    return {
        "summary": _summary(recruitment.study_recruitment_summary(study)),
        "entries": [_entry(e) for e in entries],
    }


@router.post(
    "/studies/{study_id}/recruitment",
    response={201: EntryOut, 409: ErrorOut, 422: ErrorOut},
    summary="Record one site's recruitment for a month",
)
def recruitment_post(request, study_id: int, payload: EntryIn):
    """Name the site by ODS code (`site`) or organisation id (`site_id`). A month already recorded is refused
    (409): correct it with PUT."""
    study = access.study_for(user=request.user, pk=study_id)
    study_site = recruitment.study_site_for_recording(
        user=request.user, study=study, site_id=payload.site_id, ods_code=payload.site or ""
    )
    entry = recruitment.recruitment_record(
        user=request.user,
        study_site=study_site,
        month=_api_month(payload.month),
        recruited=payload.recruited,
        source=RecruitmentSource.API,
    )
    return HttpStatus(201, _entry(entry))


@router.post(
    "/studies/{study_id}/recruitment/upload",
    response={200: UploadOut, 422: ErrorOut},
    summary="Upload a CSV of site-months (EDGE-like layout), all or nothing",
)
def recruitment_upload(request, study_id: int, file: File[UploadedFile], replace: Form[bool] = False):
    """Columns: Site Code (ODS) or Site Name, Month, Recruited (or Participants, Count), optional Study. A file
    with a bad row is refused (422) with every problem, by row and column, in `fields.file`. `replace` (the
    study's owner and coordinators) replaces months already recorded."""
    study = access.study_for(user=request.user, pk=study_id)
    if not recruitment.sites_recordable_by(user=request.user, study=study):
        raise PermissionDenied("You may not record recruitment for any site of this study.")
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise DomainError("The file is larger than 5 MB.", field="file")
    try:
        report = recruitment.recruitment_upload(
            user=request.user, study=study, data=file.read(), filename=file.name or "upload.csv", replace=replace
        )
    except ImportFailed as failed:
        problems = {"file": [str(p) for p in failed.problems]}
        return HttpStatus(422, error_body(422, "invalid", failed.message, problems))
    return {
        "file": report.file,
        "rows": report.rows,
        "recorded": [_entry(e) for e in report.recorded],
        "replaced": [_entry(e) for e, _old in report.replaced],
        "unchanged": [_entry(e) for e in report.unchanged],
        "summary": report.summary(),
    }


# After the upload: its path would otherwise be read as an entry id.
@router.put(
    "/studies/{study_id}/recruitment/{entry_id}",
    response={200: EntryOut, 422: ErrorOut},
    summary="Correct a recorded month's count",
)
def recruitment_put(request, study_id: int, entry_id: int, payload: CorrectionIn):
    study = access.study_for(user=request.user, pk=study_id)
    entry = get_object_or_404(
        RecruitmentEntry.objects.select_related("study_site__site", "study_site__study"),
        pk=entry_id,
        study_site__study=study,
    )
    entry = recruitment.recruitment_correct(
        user=request.user, entry=entry, recruited=payload.recruited, source=RecruitmentSource.API
    )
    return _entry(entry)
