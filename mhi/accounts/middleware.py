"""Coordinators and institution admins must set up a second factor before using the product."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from mhi.accounts.selectors import user_has_mfa, user_requires_mfa

# Pages a user without MFA may still reach: setting it up, signing out, account email pages, assets.
_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz")


class RequireMFAForPrivilegedRoles:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_ALLOWED_PREFIXES)
            and user_requires_mfa(user)
            and not user_has_mfa(user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {
                        "error": {
                            "status": 403,
                            "code": "mfa_required",
                            "message": "Your role needs two-factor authentication: set it up at /accounts/2fa/.",
                            "fields": {},
                        }
                    },
                    status=403,
                )
            messages.warning(request, "Your role needs two-factor authentication. Set it up to continue.")
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
