"""The home page, the health check and error pages (JSON under /api/, HTML elsewhere)."""

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from mhi.directory import selectors as directory_selectors


def home(request):
    figures = directory_selectors.headline_figures(user=request.user)
    members = directory_selectors.partnership_members(user=request.user)
    return render(request, "core/home.html", {"figures": figures, "members": members})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def _error(request, status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"status": status, "code": code, "message": message, "fields": {}}}, status=status
        )
    return render(request, "core/error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _error(request, 400, "bad_request", "The request could not be understood.")


def permission_denied(request, exception=None):
    return _error(request, 403, "forbidden", "You do not have permission to see this page.")


def page_not_found(request, exception=None):
    return _error(request, 404, "not_found", "Page not found. If you typed the address, check it is correct.")


def server_error(request):
    return _error(request, 500, "server_error", "Sorry, something went wrong on our side. Please try again later.")


def client_ip(request) -> str:
    """The visitor's address. Behind the reverse proxy (MHI_BEHIND_PROXY) it is the last address the proxy
    added to X-Forwarded-For; anything before that was written by the client and cannot be trusted."""
    from django.conf import settings

    if settings.MHI_BEHIND_PROXY:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")
