"""Find expertise: people ranked for a text, with why; the same results as CSV."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from mhi.core.errors import DomainError
from mhi.core.paging import page_of, querystring_without_page
from mhi.directory import selectors as directory_selectors
from mhi.directory.models import Person
from mhi.expertise.engine.embedding import embedder
from mhi.expertise.evidence import impact_cases_for_text, impact_cases_of
from mhi.expertise.forms import ExpertiseSearchForm
from mhi.expertise.grants import grants_of
from mhi.expertise.import_forms import ImportForm
from mhi.expertise.imports import import_job_percent_read, import_job_start, import_jobs_visible_to, user_may_import
from mhi.expertise.selectors import (
    EmptyQuery,
    ExpertiseFilters,
    authorships_to_review,
    experts_for_text,
    organisation_expertise,
    person_expertise,
)
from mhi.expertise.services import authorship_claim, authorship_reject

PAGE_SIZE = 10


def _search(request, *, offset, limit):
    form = ExpertiseSearchForm(request.GET or None)
    ranking, error = None, None
    if form.is_bound and form.is_valid() and "q" in request.GET:
        data = form.cleaned_data
        filters = ExpertiseFilters(
            organisation_kind=data["organisation_kind"],
            person_kind=data["person_kind"],
            partners_only=data["partners_only"],
            active_years=data["active_years"],
        )
        try:
            ranking = experts_for_text(
                user=request.user, text=data["q"], embedder=embedder(), filters=filters, offset=offset, limit=limit
            )
        except EmptyQuery as exc:
            error = str(exc)
            form.add_error("q", error)
    return form, ranking


def find(request):
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    form, ranking = _search(request, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = -(-ranking.total // PAGE_SIZE) if ranking else 0
    context = {
        "form": form,
        "ranking": ranking,
        # Institutional evidence beside the people: the partner universities' impact case studies that match.
        "evidence": impact_cases_for_text(text=ranking.query, embedder=embedder(), limit=3)
        if ranking and page == 1
        else [],
        "page": page,
        "pages": pages,
        "first_rank": (page - 1) * PAGE_SIZE + 1,
        "querystring": querystring_without_page(request),
    }
    template = "expertise/find.html#results" if request.htmx else "expertise/find.html"
    return render(request, template, context)


def export_csv(request):
    form, ranking = _search(request, offset=0, limit=500)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mhi-expertise.csv"'
    writer = csv.writer(response)
    writer.writerow(["rank", "name", "organisations", "score", "best matching work", "similarity", "shared terms"])
    for rank, result in enumerate(ranking.results if ranking else [], start=1):
        organisations = "; ".join(a.organisation.name for a in result.person.affiliations.all())
        best = result.works[0] if result.works else None
        writer.writerow(
            [
                rank,
                result.person.display_name,
                organisations,
                f"{result.score:.4f}",
                best.work.title if best else "",
                f"{best.similarity:.4f}" if best else "",
                " ".join(result.shared_terms),
            ]
        )
    return response


def person(request, slug):
    try:
        subject = directory_selectors.person_get(user=request.user, slug=slug)
    except Person.DoesNotExist:
        raise Http404("No such person") from None
    expertise = person_expertise(user=request.user, person=subject)
    network = {
        "name": subject.display_name,
        "coauthors": [
            {
                "slug": c.person.slug,
                "name": c.person.display_name,
                "url": c.person.get_absolute_url(),
                "shared": c.shared_works,
            }
            for c in expertise.coauthors
        ],
    }
    context = {
        "person": subject,
        "expertise": expertise,
        "works": page_of(expertise.works, request, per_page=20),
        "grants": grants_of(subject)[:50],
        "network": network,
    }
    return render(request, "expertise/person.html", context)


@login_required
def imports(request):
    if not user_may_import(request.user):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_start(
                user=request.user,
                upload=form.cleaned_data["file"],
                format=form.cleaned_data["format"],
                skip_bad_records=form.cleaned_data["skip_bad_records"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Import of {job.original_name} started.")
            return redirect("expertise:import_job", job_id=job.pk)
    jobs = page_of(import_jobs_visible_to(user=request.user), request)
    return render(request, "expertise/imports.html", {"form": form, "page_obj": jobs, "querystring": ""})


@login_required
def import_job(request, job_id):
    job = import_jobs_visible_to(user=request.user).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import")
    template = "expertise/import_job.html#progress" if request.htmx else "expertise/import_job.html"
    return render(request, template, {"job": job, "percent_read": import_job_percent_read(job)})


@login_required
def review(request):
    if request.method == "POST":
        authorship = authorships_to_review(user=request.user).filter(pk=request.POST.get("authorship")).first()
        person = Person.objects.filter(pk=request.POST.get("person")).first()
        if authorship is None or person is None:
            raise Http404("No such authorship to review")
        try:
            if request.POST.get("decision") == "claim":
                authorship_claim(actor=request.user, authorship=authorship, person=person)
                messages.success(request, f"“{authorship.work}” is now linked to {person}.")
            else:
                authorship_reject(actor=request.user, authorship=authorship, person=person)
                messages.success(request, f"{person} is no longer suggested for “{authorship.work}”.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("expertise:review")
    page = page_of(authorships_to_review(user=request.user), request)
    return render(request, "expertise/review.html", {"page_obj": page, "querystring": ""})


def organisation(request, slug):
    from mhi.directory.models import Organisation

    try:
        org = directory_selectors.organisation_get(user=request.user, slug=slug)
    except Organisation.DoesNotExist:
        raise Http404("No such organisation") from None
    return render(
        request,
        "expertise/organisation.html",
        {
            "org": org,
            "expertise": organisation_expertise(user=request.user, organisation=org),
            "impact_cases": impact_cases_of(org),
        },
    )
