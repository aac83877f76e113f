"""Paging for list pages: `?page=N`, out-of-range pages fall back to the last one."""

from django.conf import settings
from django.core.paginator import Page, Paginator


def page_of(queryset, request, *, per_page: int | None = None) -> Page:
    paginator = Paginator(queryset, per_page or settings.MHI_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
