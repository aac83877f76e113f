"""Pages of the front door: the public enquiry form and its thank-you page; the coordinators' triage."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mhi.accounts.selectors import user_is_coordinator
from mhi.core.errors import DomainError
from mhi.core.paging import page_of, querystring_without_page
from mhi.core.views import client_ip
from mhi.expertise import enquiries
from mhi.expertise.enquiry_forms import EnquiryFilterForm, EnquiryForm, EnquiryRouteForm, EnquiryStatusForm
from mhi.expertise.models import Enquiry


def _client_ip(request) -> str:
    return client_ip(request)


def rate_limited(request, exc: enquiries.EnquiryRateLimited):
    response = render(request, "expertise/enquiry_rate_limited.html", {"error": exc}, status=429)
    response["Retry-After"] = str(exc.retry_after_seconds)
    return response


def enquiry_new(request):
    form = EnquiryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            enquiry = enquiries.enquiry_submit(
                ip=_client_ip(request),
                enquirer_kind=data["enquirer_kind"],
                name=data["name"],
                organisation_name=data["organisation_name"],
                email=data["email"],
                title=data["title"],
                description=data["description"],
                contact_consent=data["contact_consent"],
                honeypot=data["website"],
            )
        except enquiries.EnquiryRateLimited as exc:
            return rate_limited(request, exc)
        return redirect("enquiries:thanks", token=enquiries.enquiry_thanks_token(enquiry))
    return render(request, "expertise/enquiry_new.html", {"form": form})


def enquiry_thanks(request, token):
    valid, enquiry = enquiries.enquiry_for_thanks_token(token)
    if not valid:
        raise Http404("This thank-you link has expired or is not one we sent.")
    matches = enquiries.enquiry_public_matches(enquiry=enquiry) if enquiry else []
    reference = enquiries.enquiry_reference(enquiry) if enquiry else ""
    return render(request, "expertise/enquiry_thanks.html", {"reference": reference, "matches": matches})


def _coordinator_only(request) -> None:
    if not user_is_coordinator(request.user):
        raise PermissionDenied


@login_required
def enquiry_list(request):
    _coordinator_only(request)
    form = EnquiryFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    selected = enquiries.enquiries_visible_to(user=request.user, status=status)
    page = page_of(selected, request)
    rows = [
        (e, enquiries.enquiry_reference(e), enquiries.enquiry_hours_to_route(e), enquiries.enquiry_hours_to_answer(e))
        for e in page.object_list
    ]
    context = {
        "form": form,
        "page_obj": page,
        "rows": rows,
        "times": enquiries.enquiry_response_times(enquiries=selected),
        "status": status,
        "querystring": querystring_without_page(request),
    }
    return render(request, "expertise/enquiry_list.html", context)


def _enquiry_or_404(request, enquiry_id) -> Enquiry:
    try:
        return enquiries.enquiry_get(user=request.user, enquiry_id=enquiry_id)
    except Enquiry.DoesNotExist:
        raise Http404("No such enquiry") from None


def _detail(request, enquiry, *, route_form=None, status_form=None):
    suggestions = enquiries.enquiry_suggested_people(user=request.user, enquiry=enquiry)
    routings = list(enquiries.enquiry_routings(user=request.user, enquiry=enquiry))
    routed_slugs = {r.person.slug for r in routings}
    choosable = [r.person for r in suggestions if r.person.slug not in routed_slugs]
    route_form = route_form or EnquiryRouteForm(suggestions=choosable, prefix="route")
    # Each suggestion beside its checkbox; people it was already sent to are left out.
    choices = {c.data["value"]: c for c in route_form["people"]}
    context = {
        "enquiry": enquiry,
        "reference": enquiries.enquiry_reference(enquiry),
        "consented": enquiries.enquiry_contact_consented(enquiry),
        "hours_to_route": enquiries.enquiry_hours_to_route(enquiry),
        "hours_to_answer": enquiries.enquiry_hours_to_answer(enquiry),
        "suggestion_rows": [
            (r, choices[r.person.slug])
            for r in suggestions
            if r.person.slug in choices and r.person.slug not in routed_slugs
        ],
        "routings": routings,
        "events": enquiries.enquiry_events(user=request.user, enquiry=enquiry),
        "route_form": route_form,
        "status_form": status_form
        or EnquiryStatusForm(next_statuses=enquiries.enquiry_next_statuses(enquiry), prefix="status"),
        "may_route": enquiry.status != Enquiry.Status.CLOSED,
    }
    return render(request, "expertise/enquiry_detail.html", context)


@login_required
def enquiry_detail(request, enquiry_id):
    _coordinator_only(request)
    return _detail(request, _enquiry_or_404(request, enquiry_id))


@login_required
@require_POST
def enquiry_route(request, enquiry_id):
    _coordinator_only(request)
    enquiry = _enquiry_or_404(request, enquiry_id)
    suggestions = enquiries.enquiry_suggested_people(user=request.user, enquiry=enquiry)
    form = EnquiryRouteForm(request.POST, suggestions=[r.person for r in suggestions], prefix="route")
    if form.is_valid():
        try:
            routings = enquiries.enquiry_route(
                actor=request.user, enquiry=enquiry, people=form.cleaned_data["slugs"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            form.add_error("people" if exc.field == "people" else None, exc.message)
        else:
            names = ", ".join(str(r.person) for r in routings)
            messages.success(request, f"Enquiry sent to {names}.")
            return redirect("enquiries:detail", enquiry_id=enquiry.pk)
    return _detail(request, enquiry, route_form=form)


@login_required
@require_POST
def enquiry_status(request, enquiry_id):
    _coordinator_only(request)
    enquiry = _enquiry_or_404(request, enquiry_id)
    form = EnquiryStatusForm(request.POST, next_statuses=enquiries.enquiry_next_statuses(enquiry), prefix="status")
    if form.is_valid():
        try:
            enquiry = enquiries.enquiry_set_status(
                actor=request.user, enquiry=enquiry, status=form.cleaned_data["status"], note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            form.add_error("status" if exc.field == "status" else None, exc.message)
        else:
            messages.success(
                request,
                f"Enquiry {enquiries.enquiry_reference(enquiry)} is now {enquiry.get_status_display().lower()}.",
            )
            return redirect("enquiries:detail", enquiry_id=enquiry.pk)
    return _detail(request, enquiry, status_form=form)
