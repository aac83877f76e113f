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

    def clean_email(self, email: str) -> str:
        """An invited sign-up must use the address the invitation went to (that is what it proves)."""
        from django import forms

        from mhi.accounts.services import invitation_by_key

        email = super().clean_email(email)
        key = self.request.session.get(SESSION_KEY) if getattr(self, "request", None) else None
        invitation = invitation_by_key(key) if key else None
        if invitation is not None and invitation.email.lower() != email.lower():
            raise forms.ValidationError(f"Use the address this invitation was sent to: {invitation.email}.")
        return email

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        key = request.session.get(SESSION_KEY)
        if commit and key:
            from mhi.accounts.services import invitation_accept

            invitation_accept(key=key, user=user)
            request.session.pop(SESSION_KEY, None)
        return user
