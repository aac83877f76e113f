"""API: studies and ClinicalTrials.gov import.

Every operation needs signing in (401 otherwise). A study the caller may not see — a commercial study they are
not the coordinator, owner or an invited or planned site's user of — does not exist for them (404). Changing a
study and its sites is for coordinators and its owner (403 for the others who see it). PUT names the `version`
the change started from: a stale version is refused with 409 and `error.fields` holds `current`, `submitted`,
`current_version`, `submitted_version` and a message under each differing field.
"""

import datetime
from decimal import Decimal

from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.studies import access, ctgov
from mhi.studies import studies as services
from mhi.studies.models import Study

router = Router(tags=["studies"], auth=REQUIRED_AUTH)


class StudySiteOut(Schema):
    id: int
    site_id: int
    site_name: str = Field(..., alias="site.name")
    site_slug: str = Field(..., alias="site.slug")
    status: str
    local_pi: str
    target: int | None
    monthly_target: int | None
    opened_on: datetime.date | None
    closed_on: datetime.date | None
    chosen_from_id: int | None


class StudyOut(Schema):
    id: int
    title: str
    acronym: str
    nct_id: str | None
    other_ids: str
    summary: str
    conditions: list[str] = Field(..., alias="condition_list")
    phase: str
    study_type: str
    design: str
    target_recruitment: int | None
    eligibility_summary: str
    eligibility_fraction: Decimal | None
    prevalence_condition: str
    sponsor_name: str
    sponsor_class: str
    confidential: bool = Field(..., alias="is_commercial", description="Commercial: confidential")
    chief_investigator: str
    start_date: datetime.date | None
    end_date: datetime.date | None
    status: str
    budget: Decimal | None = Field(None, description="Pounds (GBP)")
    source: str
    source_sha256: str
    is_demo: bool
    owner_id: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class StudyDetailOut(StudyOut):
    sites: list[StudySiteOut]
    may_manage: bool


class StudyFiltersIn(Schema):
    q: str = ""
    condition: str = ""
    phase: str = ""
    sponsor_class: str = ""
    status: str = ""


class StudyIn(Schema):
    title: str
    acronym: str = ""
    nct_id: str | None = None
    other_ids: str = ""
    summary: str = ""
    conditions: list[str] = []
    phase: str = "na"
    study_type: str = "interventional"
    design: str = ""
    target_recruitment: int | None = None
    eligibility_summary: str = ""
    eligibility_fraction: Decimal | None = None
    prevalence_condition: str = ""
    sponsor_name: str = ""
    sponsor_class: str = "academic"
    chief_investigator: str = ""
    start_date: datetime.date | None = None
    end_date: datetime.date | None = None
    status: str = "setup"
    budget: Decimal | None = None


class StudyUpdateIn(StudyIn):
    version: int


class StudySiteIn(Schema):
    site: str = Field(..., description="The site's slug (an NHS trust or research infrastructure organisation)")
    status: str = "planned"
    local_pi: str = ""
    target: int | None = None
    monthly_target: int | None = None


class SiteMatchOut(Schema):
    facility: str
    city: str
    site_slug: str | None
    how: str


class ImportedStudyOut(Schema):
    file: str
    study_id: int | None
    nct_id: str
    title: str
    created: bool
    sponsor_class: str
    target_recruitment: int | None
    enrollment_type: str = Field(..., description="anticipated, actual or empty")
    matched: list[SiteMatchOut]
    unmatched: list[SiteMatchOut]
    notes: list[str]


class ImportOut(Schema):
    dry_run: bool
    created: int
    updated: int
    studies: list[ImportedStudyOut]


def _detail(request, study: Study) -> Study:
    study.sites = list(services.study_sites_of(study))
    study.may_manage = access.may_manage_study(request.user, study)
    return study


def _site_by_slug(slug: str):
    site = access.sites().filter(slug=(slug or "").strip()).first()
    if site is None:
        raise DomainError(f"No NHS trust or research infrastructure organisation has the slug “{slug}”.", field="site")
    return site


@router.get("/studies", response=list[StudyOut], summary="Studies you may see, filtered")
@paginate(LimitOffsetPagination)
def studies_list(request, filters: Query[StudyFiltersIn]):
    return services.studies_search(user=request.user, filters=services.StudyFilters(**filters.dict()))


@router.post("/studies", response={201: StudyDetailOut}, summary="Add a study by hand (you own it)")
def study_create_operation(request, payload: StudyIn):
    study = services.study_create(user=request.user, fields=payload.dict())
    return HttpStatus(201, _detail(request, study))


def _match_out(match) -> dict:
    return {
        "facility": match.facility,
        "city": match.city,
        "site_slug": match.site.slug if match.site is not None else None,
        "how": match.how,
    }


@router.post(
    "/studies/import",
    response={200: ImportOut, 422: ErrorOut},
    summary="Import ClinicalTrials.gov files (multipart, field `files`, one or more)",
)
def studies_import(
    request,
    files: File[list[UploadedFile]],
    update: Form[bool] = False,
    dry_run: Form[bool] = False,
):
    """All or nothing: any bad file refuses the batch (422), every problem, naming file and field, in
    `fields.files`. A study whose NCT number is in the hub is refused unless `update`."""
    try:
        result = ctgov.ctgov_import(
            user=request.user,
            files=[(f.name or "upload", f.read()) for f in files],
            update=update,
            dry_run=dry_run,
        )
    except ImportFailed as failed:
        return HttpStatus(422, error_body(422, "invalid", failed.message, {"files": [str(p) for p in failed.problems]}))
    return {
        "dry_run": result.dry_run,
        "created": len(result.created),
        "updated": len(result.updated),
        "studies": [
            {
                "file": item.file,
                "study_id": None if result.dry_run else item.study.pk,
                "nct_id": item.study.nct_id,
                "title": item.study.title,
                "created": item.created,
                "sponsor_class": item.study.sponsor_class,
                "target_recruitment": item.study.target_recruitment,
                "enrollment_type": item.enrollment_type,
                "matched": [_match_out(m) for m in item.matched],
                "unmatched": [_match_out(m) for m in item.unmatched],
                "notes": item.notes,
            }
            for item in result.studies
        ],
    }


@router.get("/studies/{study_id}", response=StudyDetailOut, summary="One study, with its sites")
def study_detail(request, study_id: int):
    return _detail(request, access.study_for(user=request.user, pk=study_id))


@router.put(
    "/studies/{study_id}",
    response={200: StudyDetailOut, 409: ErrorOut},
    summary="Replace a study's fields, from the version you started from",
)
def study_update_operation(request, study_id: int, payload: StudyUpdateIn):
    study = access.study_for(user=request.user, pk=study_id)
    fields = payload.dict()
    version = fields.pop("version")
    try:
        services.study_update(user=request.user, study=study, version=version, fields=fields)
    except services.StudyConflict as conflict:
        return HttpStatus(409, _conflict_body(conflict))
    return _detail(request, access.study_for(user=request.user, pk=study_id))


def _conflict_body(conflict) -> dict:
    fields: dict = {name: [conflict.message] for name in conflict.fields}
    fields.update(
        {
            "current": conflict.current,
            "submitted": conflict.submitted,
            "current_version": conflict.current_version,
            "submitted_version": conflict.submitted_version,
        }
    )
    return error_body(409, "conflict", conflict.message, fields)


@router.get("/studies/{study_id}/sites", response=list[StudySiteOut], summary="A study's sites")
def study_sites_list(request, study_id: int):
    return list(services.study_sites_of(access.study_for(user=request.user, pk=study_id)))


@router.post("/studies/{study_id}/sites", response={201: StudySiteOut}, summary="Add a site to a study")
def study_site_add_operation(request, study_id: int, payload: StudySiteIn):
    study = access.study_for(user=request.user, pk=study_id)
    if not access.may_manage_study(request.user, study):
        raise PermissionDenied("Only coordinators and the study's owner change a study's sites.")
    data = payload.dict()
    site = _site_by_slug(data.pop("site"))
    row = services.study_site_add(user=request.user, study=study, site=site, **data)
    return HttpStatus(201, services.study_sites_of(study).get(pk=row.pk))


class DeletedOut(Schema):
    id: int
    deleted: bool


@router.delete("/studies/{study_id}/sites/{site_id}", response=DeletedOut, summary="Take a site off a study")
def study_site_remove_operation(request, study_id: int, site_id: int):
    """`site_id` is the site's organisation id (as `site_id` in the site list)."""
    study = access.study_for(user=request.user, pk=study_id)
    if not access.may_manage_study(request.user, study):
        raise PermissionDenied("Only coordinators and the study's owner change a study's sites.")
    row = services.study_sites_of(study).filter(site_id=site_id).first()
    if row is None:
        from django.http import Http404

        raise Http404("That site is not on this study.")
    services.study_site_remove(user=request.user, study_site=row)
    return {"id": site_id, "deleted": True}
