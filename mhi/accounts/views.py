"""Account pages beyond allauth's: personal API tokens and invitations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mhi.accounts import selectors, services
from mhi.accounts.adapter import SESSION_KEY
from mhi.accounts.forms import InvitationForm, TokenCreateForm
from mhi.core.errors import DomainError
from mhi.core.paging import page_of

NEW_TOKEN_SESSION_KEY = "mhi_new_api_token"


@login_required
def tokens(request):
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, raw = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            # Shown once, on the page the browser is redirected to, so a reload does not make another token.
            request.session[NEW_TOKEN_SESSION_KEY] = raw
            return redirect("accounts:tokens")
    return render(
        request,
        "accounts/tokens.html",
        {
            "form": form,
            "new_token": request.session.pop(NEW_TOKEN_SESSION_KEY, None),
            "tokens": selectors.api_tokens_of(user=request.user),
        },
    )


@login_required
@require_POST
def token_revoke(request, token_id):
    try:
        token = services.api_token_revoke(user=request.user, token_id=token_id)
    except DomainError:
        raise Http404("No such token") from None
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")


@login_required
def invitations(request):
    roles = selectors.roles_user_may_grant(request.user)
    if not roles:
        raise PermissionDenied
    organisations = selectors.organisations_user_may_invite_to(user=request.user)
    form = InvitationForm(request.POST or None, roles=roles, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        org_id = form.cleaned_data["organisation"]
        try:
            invitation, _ = services.invitation_create(
                inviter=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                organisation=organisations.get(pk=org_id) if org_id else None,
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:invitations")
    page = page_of(selectors.invitations_visible_to(user=request.user), request)
    return render(request, "accounts/invitations.html", {"form": form, "page_obj": page, "querystring": ""})


@login_required
@require_POST
def invitation_revoke(request, invitation_id):
    invitation = selectors.invitations_visible_to(user=request.user).filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("No such invitation")
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation to {invitation.email} revoked.")
    return redirect("accounts:invitations")


def invitation_open(request, key):
    """The link in the invitation email: signed-in users accept at once, others go on to sign up."""
    invitation = services.invitation_by_key(key)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        try:
            services.invitation_accept(key=key, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return render(request, "accounts/invitation_invalid.html", status=403)
        messages.success(request, f"You now have the role {invitation.get_role_display()}.")
        return redirect("home")
    from allauth.account.adapter import get_adapter

    request.session[SESSION_KEY] = key
    # The link arrived by email, so the address is proven: allauth skips its own verification for it.
    get_adapter(request).stash_verified_email(request, invitation.email)
    return render(request, "accounts/invitation_welcome.html", {"invitation": invitation})
