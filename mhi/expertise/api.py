"""Expertise operations of the API: rank people for a text."""

from django.http import Http404
from ninja import Field, File, Form, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.core.errors import DomainError
from mhi.expertise.engine.embedding import embedder
from mhi.expertise.imports import import_job_start, import_jobs_visible_to
from mhi.expertise.selectors import EmptyQuery, ExpertiseFilters, experts_for_text

router = Router(tags=["expertise"], auth=OPTIONAL_AUTH)


class ExpertQuery(Schema):
    q: str = Field(..., description="The text to find expertise for (up to 4,000 characters are used)")
    organisation: str | None = Field(None, description="Slug of an organisation")
    organisation_kind: str | None = None
    person_kind: str | None = None
    partners_only: bool = False
    active_years: int | None = Field(None, ge=1, le=100)
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0)


class MatchedWorkOut(Schema):
    title: str
    year: int | None
    doi: str | None
    similarity: float


class ExpertOut(Schema):
    person: str
    display_name: str
    score: float
    works: list[MatchedWorkOut]
    shared_terms: list[str]


class ExpertRankingOut(Schema):
    query: str
    truncated: bool
    count: int
    items: list[ExpertOut]


@router.get("/expertise/people", response=ExpertRankingOut, summary="People ranked for a text, with why")
def expertise_people(request, params: Query[ExpertQuery]):
    filters = ExpertiseFilters(
        organisation=params.organisation or "",
        organisation_kind=params.organisation_kind or "",
        person_kind=params.person_kind or "",
        partners_only=params.partners_only,
        active_years=params.active_years,
    )
    try:
        ranking = experts_for_text(
            user=request.user,
            text=params.q,
            embedder=embedder(),
            filters=filters,
            offset=params.offset,
            limit=params.limit,
        )
    except EmptyQuery as exc:
        raise DomainError(str(exc), field="q") from exc
    return {
        "query": ranking.query,
        "truncated": ranking.truncated,
        "count": ranking.total,
        "items": [
            {
                "person": r.person.slug,
                "display_name": r.person.display_name,
                "score": r.score,
                "works": [
                    {"title": m.work.title, "year": m.work.year, "doi": m.work.doi, "similarity": m.similarity}
                    for m in r.works
                ],
                "shared_terms": r.shared_terms,
            }
            for r in ranking.results
        ],
    }


class ImportJobOut(Schema):
    id: int
    format: str
    original_name: str
    status: str
    skip_bad_records: bool
    records_seen: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    report: list
    error: str


@router.post(
    "/imports", response={202: ImportJobOut}, auth=REQUIRED_AUTH, summary="Upload a works file to import (a task)"
)
def import_create(request, format: Form[str], file: File[UploadedFile], skip_bad_records: Form[bool] = False):
    job = import_job_start(user=request.user, upload=file, format=format, skip_bad_records=skip_bad_records)
    return Status(202, job)


@router.get("/imports/{job_id}", response=ImportJobOut, auth=REQUIRED_AUTH, summary="An import's progress and report")
def import_detail(request, job_id: int):
    job = import_jobs_visible_to(user=request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import.")
    return job
