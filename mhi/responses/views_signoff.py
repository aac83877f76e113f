"""Sign-off pages: each partner's state and the lead's decision form, marking final, reopening, publishing,
unlocking, the trail, and the public pages of published responses.

Permissions (mhi.responses.access): a response the user may not see answers 404; its viewers see the sign-off page
and the trail read-only; leads of a signatory decide on it (others get 403 on the decision); its managers mark
final, reopen, publish and unlock (others who see it get 403). The published list and a published response's page
are public; anything not published is 404 there, for everyone.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from mhi.core.errors import DomainError
from mhi.core.paging import page_of
from mhi.directory.models import Organisation
from mhi.responses import access, signoff
from mhi.responses.forms_signoff import DecisionForm, UnlockForm
from mhi.responses.models import Decision, ResponseStatus


def _response_and_permissions(request, pk):
    response = access.response_for(user=request.user, pk=pk)
    return response, access.response_permissions(user=request.user, response=response)


def _lead_organisations(response, perms) -> list[Organisation]:
    return list(Organisation.objects.filter(pk__in=perms.sign_for).order_by("name"))


@login_required
def signoff_page(request, pk):
    response, perms = _response_and_permissions(request, pk)
    organisations = _lead_organisations(response, perms)
    may_decide = bool(organisations) and response.status == ResponseStatus.SIGN_OFF
    form = None
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        form = DecisionForm(request.POST, organisations=organisations)
        if form.is_valid():
            organisation = next(o for o in organisations if o.slug == form.cleaned_data["organisation"])
            try:
                approval = signoff.decide(
                    user=request.user,
                    response=response,
                    organisation=organisation,
                    decision=form.cleaned_data["decision"],
                    comment=form.cleaned_data["comment"],
                    revision=form.cleaned_data["revision"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in ("decision", "comment") else None, exc.message)
            else:
                if approval.decision == Decision.APPROVED:
                    messages.success(request, f"You approved r{approval.revision} for {organisation.name}.")
                else:
                    messages.success(request, f"You asked for changes for {organisation.name}.")
                return redirect("responses:signoff", pk=response.pk)
    elif request.method not in ("GET", "HEAD"):
        raise PermissionDenied
    if may_decide and form is None:
        form = DecisionForm(organisations=organisations, initial={"revision": response.revision})
    states = signoff.signoff_state(response)
    return render(
        request,
        "responses/signoff/signoff.html",
        {
            "response": response,
            "perms": perms,
            "states": states,
            "form": form if may_decide else None,
            "voided": sorted(
                (a for state in states for a in state.voided), key=lambda a: (a.voided_at, a.pk), reverse=True
            ),
            "problems": signoff.final_problems(response)
            if perms.manage and response.status == ResponseStatus.DRAFTING
            else [],
            "unlock_form": UnlockForm() if perms.manage and response.status == ResponseStatus.LOCKED else None,
            "statuses": ResponseStatus,
        },
    )


def _manager_post(request, pk, operation, success: str, **kwargs):
    response, perms = _response_and_permissions(request, pk)
    if not perms.manage:
        raise PermissionDenied
    try:
        operation(user=request.user, response=response, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("responses:signoff", pk=response.pk)


@login_required
@require_POST
def mark_final(request, pk):
    return _manager_post(
        request, pk, signoff.mark_final, "Marked final: each partner's institution leads are asked to decide."
    )


@login_required
@require_POST
def reopen(request, pk):
    return _manager_post(request, pk, signoff.reopen, "Reopened for drafting; the decisions were voided.")


@login_required
@require_POST
def publish(request, pk):
    return _manager_post(request, pk, signoff.publish, "Published: the response has a public page.")


@login_required
@require_POST
def unpublish(request, pk):
    return _manager_post(request, pk, signoff.unpublish, "Unpublished: the public page is gone; it stays locked.")


@login_required
@require_POST
def unlock(request, pk):
    form = UnlockForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _manager_post(
        request, pk, signoff.unlock, "Unlocked: every approval was voided; it is back in drafting.", reason=reason
    )


@login_required
@require_safe
def trail_page(request, pk):
    response, perms = _response_and_permissions(request, pk)
    events = response.events.select_related("actor").order_by("at", "id")
    return render(
        request,
        "responses/signoff/trail.html",
        {
            "response": response,
            "perms": perms,
            "page_obj": page_of(events, request),
        },
    )


@require_safe
def published_list(request):
    responses = access.responses_published().select_related("opportunity").prefetch_related("signatories__organisation")
    return render(request, "responses/signoff/published.html", {"page_obj": page_of(responses, request)})


@require_safe
def public_page(request, pk):
    from mhi.responses.export import export_data

    response = access.published_response(pk=pk)
    return render(
        request,
        "responses/signoff/public.html",
        {"response": response, "data": export_data(response)},
    )
