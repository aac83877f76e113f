"""Search works by their words, and the REF impact case studies (institutional evidence)."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from mhi.core.errors import DomainError
from mhi.core.paging import page_of, querystring_without_page
from mhi.directory.models import Organisation
from mhi.expertise.evidence import impact_case_get, impact_cases_list
from mhi.expertise.lexical_search import query_terms
from mhi.expertise.selectors import works_search

WORKS_PAGE = 20


def works(request):
    """Works whose title or abstract has the words asked for, best first, with the matched words marked."""
    query = " ".join(request.GET.get("q", "").split())[:500]
    page = None
    if query_terms(query):
        page = Paginator(works_search(user=request.user, query=query), WORKS_PAGE).get_page(request.GET.get("page"))
    template = "expertise/works.html#results" if request.htmx else "expertise/works.html"
    return render(
        request, template, {"query": query, "page_obj": page, "querystring": querystring_without_page(request)}
    )


def impact_cases(request):
    organisation = request.GET.get("organisation", "")
    cases = impact_cases_list(organisation_slug=organisation)
    universities = Organisation.objects.filter(impact_case_studies__isnull=False).distinct().order_by("name")
    return render(
        request,
        "expertise/impact_cases.html",
        {
            "page_obj": page_of(cases, request),
            "organisations": universities,
            "organisation": organisation,
            "querystring": querystring_without_page(request),
        },
    )


def impact_case(request, pk):
    try:
        case = impact_case_get(pk)
    except DomainError:
        raise Http404("No such impact case study.") from None
    return render(request, "expertise/impact_case.html", {"case": case})
