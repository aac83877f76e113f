"""Keeps the API's one error format for failures that happen outside an API operation, such as a
method the path does not allow (405) or a request refused by Django's middleware."""

from django.http import JsonResponse

from mhi.api.errors import error_body

_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


class ApiErrorFormat:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            message = {405: f"{request.method} is not allowed here."}.get(status, response.reason_phrase)
            wrapped = JsonResponse(error_body(status, _CODES.get(status, "error"), message), status=status)
            if response.has_header("Allow"):
                wrapped["Allow"] = response["Allow"]
            return wrapped
        return response
