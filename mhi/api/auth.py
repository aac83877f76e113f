"""API authentication: a personal token (`Authorization: Bearer mhi_...`) or the browser session.

Anonymous callers are allowed through as AnonymousUser; each operation's selector decides what they see.
"""

from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth as NinjaSessionAuth

from mhi.accounts.selectors import user_has_mfa, user_requires_mfa
from mhi.accounts.services import api_token_authenticate


class InvalidToken(Exception):
    pass


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is None:
            raise InvalidToken
        if user_requires_mfa(user) and not user_has_mfa(user):
            raise InvalidToken
        request.user = user
        return user


def anonymous(request):
    """Lets the request through unauthenticated when no token or session was given."""
    if request.headers.get("Authorization"):
        return None
    request.user = getattr(request, "user", None) or AnonymousUser()
    return request.user


class SessionAuth(NinjaSessionAuth):
    """The signed-in browser session, with Django's CSRF check on unsafe methods. A caller with no session
    cookie at all is simply not signed in (401), not a CSRF failure."""

    def _get_key(self, request):
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


token_auth = TokenAuth()
session_auth = SessionAuth(csrf=True)
# Operations that anonymous visitors may call (their selector filters the rows).
OPTIONAL_AUTH = [token_auth, session_auth, anonymous]
# Operations that need a signed-in user.
REQUIRED_AUTH = [token_auth, session_auth]
