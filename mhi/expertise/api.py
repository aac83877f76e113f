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
    # How far into the file the import has read, of its size in bytes (0 until the import starts).
    bytes_read: int
    bytes_total: int
    report: list
    error: str


@router.post(
    "/imports",
    response={202: ImportJobOut},
    auth=REQUIRED_AUTH,
    summary="Upload a works or grants file to import (a task)",
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


# --- works by their words, and impact case studies ------------------------------------------------------


class WorkHitOut(Schema):
    id: int
    title: str
    year: int | None
    doi: str | None
    pmid: str | None
    snippet: str = Field(..., description="Matched words marked with <mark>; the rest HTML-escaped")
    authors: list[str] = Field(..., description="Slugs of the matched authors you may see")


class WorkSearchOut(Schema):
    count: int
    items: list[WorkHitOut]


@router.get("/expertise/works", response=WorkSearchOut, summary="Works with these words (full-text index), best first")
def expertise_works(
    request,
    q: str = Query(..., description="Words to search for", max_length=500),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    from mhi.expertise.lexical_search import query_terms
    from mhi.expertise.selectors import works_search

    if not query_terms(q):
        raise DomainError("Give at least one word (letters or numbers) to search for.", field="q")
    search = works_search(user=request.user, query=q)
    return {
        "count": search.count(),
        "items": [
            {
                "id": work.pk,
                "title": work.title,
                "year": work.year,
                "doi": work.doi,
                "pmid": work.pmid,
                "snippet": str(snippet),
                "authors": [p.slug for p in authors],
            }
            for work, snippet, authors in search[offset : offset + limit]
        ],
    }


class ImpactCaseOut(Schema):
    id: int
    exercise: str
    case_study_id: str
    organisation: str = Field(..., description="Slug of the university")
    unit_of_assessment: str
    title: str
    summary: str
    underpinning_research: str
    funders: list[str]
    source_url: str
    similarity: float | None = Field(None, description="Cosine to the query, when one was given and it is embedded")


def _impact_out(case, similarity=None) -> dict:
    return {
        "id": case.pk,
        "exercise": case.exercise,
        "case_study_id": case.case_study_id,
        "organisation": case.organisation.slug,
        "unit_of_assessment": case.unit_of_assessment,
        "title": case.title,
        "summary": case.summary,
        "underpinning_research": case.underpinning_research,
        "funders": case.funders,
        "source_url": case.source_url,
        "similarity": similarity,
    }


@router.get(
    "/expertise/impact-cases",
    response=list[ImpactCaseOut],
    summary="REF impact case studies: an organisation's, or the best matches for a text",
)
def impact_case_list(
    request,
    q: str = Query("", description="Text to match (by meaning and words); empty lists them all", max_length=4000),
    organisation: str = Query("", description="Slug of a university"),
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
):
    from mhi.directory.models import Organisation
    from mhi.expertise.evidence import impact_cases_for_text, impact_cases_list

    org = None
    if organisation:
        org = Organisation.objects.filter(slug=organisation).first()
        if org is None:
            raise DomainError(f"No organisation has the slug “{organisation}”.", field="organisation")
    if q.strip():
        hits = impact_cases_for_text(text=q, embedder=embedder(), organisation=org, limit=offset + limit)[offset:]
        return [_impact_out(h.case, h.similarity) for h in hits]
    return [_impact_out(c) for c in impact_cases_list(organisation_slug=organisation)[offset : offset + limit]]


@router.get("/expertise/impact-cases/{case_id}", response=ImpactCaseOut, summary="One impact case study")
def impact_case_detail(request, case_id: int):
    from mhi.expertise.evidence import impact_case_get

    try:
        return _impact_out(impact_case_get(case_id))
    except DomainError:
        raise Http404("No such impact case study.") from None
