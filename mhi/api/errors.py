"""The one error format for every API failure:

{"error": {"status": 422, "code": "validation_error", "message": "...", "fields": {"orcid": ["..."]}}}
"""

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from mhi.api.auth import InvalidToken
from mhi.core.errors import DomainError

logger = logging.getLogger(__name__)


class ErrorOut(Schema):
    """The error format as a response schema, for operations that return an error themselves (a 409 with both
    versions, for example)."""

    error: dict = Field(description='{"status", "code", "message", "fields"}')


def error_body(status: int, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "fields": fields or {}}}


def _respond(api, request, status, code, message, fields=None):
    return api.create_response(request, error_body(status, code, message, fields), status=status)


def install_error_handlers(api) -> None:
    @api.exception_handler(NinjaValidationError)
    def validation(request, exc):
        fields: dict[str, list[str]] = {}
        for err in exc.errors:
            loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "payload", "form", "file")]
            fields.setdefault(".".join(loc) or "request", []).append(err.get("msg", "invalid"))
        names = ", ".join(fields)
        return _respond(api, request, 422, "validation_error", f"Some values are not valid: {names}.", fields)

    @api.exception_handler(DjangoValidationError)
    def model_validation(request, exc):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"request": exc.messages}
        return _respond(api, request, 422, "validation_error", " ".join(sum(fields.values(), [])), fields)

    @api.exception_handler(DomainError)
    def domain(request, exc):
        code = {403: "forbidden", 409: "conflict"}.get(exc.status_code, "invalid")
        fields = {exc.field: [exc.message]} if exc.field else {}
        return _respond(api, request, exc.status_code, code, exc.message, fields)

    @api.exception_handler(InvalidToken)
    def invalid_token(request, exc):
        return _respond(api, request, 401, "invalid_token", "The API token is not valid, has expired or was revoked.")

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return _respond(api, request, 401, "unauthenticated", "Sign in or send a personal API token.")

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request, exc):
        return _respond(api, request, 403, "forbidden", str(exc) or "You do not have permission to do this.")

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return _respond(api, request, 404, "not_found", str(exc) or "Not found.")

    @api.exception_handler(ObjectDoesNotExist)
    def does_not_exist(request, exc):
        return _respond(api, request, 404, "not_found", "Not found.")

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return _respond(api, request, exc.status_code, code, str(exc))

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        logger.exception("Unhandled API error on %s", request.path)
        return _respond(api, request, 500, "server_error", "Something went wrong on our side; it has been logged.")
