"""allauth adapter: sign-up only with an invitation (unless MHI_OPEN_SIGNUP), which also proves the email."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

SESSION_KEY = "mhi_invitation_key"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        from mhi.accounts.services import invitation_by_key

        if settings.MHI_OPEN_SIGNUP:
            return True
        key = request.session.get(SESSION_KEY)
        return bool(key and invitation_by_key(key))

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        key = request.session.get(SESSION_KEY)
        if commit and key:
            from mhi.accounts.services import invitation_accept

            invitation_accept(key=key, user=user)
            request.session.pop(SESSION_KEY, None)
        return user
