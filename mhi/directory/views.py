"""Directory pages: organisations, people, the partnership and the map. Each view makes one call into
selectors or services; htmx requests for list pages get just the results fragment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from mhi.accounts.selectors import user_is_coordinator
from mhi.core.audit import audit_events_for
from mhi.core.paging import page_of, querystring_without_page
from mhi.directory import selectors, services
from mhi.directory.forms import OrganisationFilterForm, PeopleFilterForm, PersonProfileForm
from mhi.directory.models import Organisation, Person


def organisations(request):
    form = OrganisationFilterForm(request.GET or None, icbs=selectors.icbs_list(user=request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.organisations_search(
        user=request.user,
        kind=filters.get("kind", ""),
        region=filters.get("region", ""),
        icb=filters.get("icb", ""),
        q=filters.get("q", ""),
    )
    context = {"form": form, "page_obj": page_of(qs, request), "querystring": querystring_without_page(request)}
    template = "directory/organisations.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def _organisation_or_404(request, slug) -> Organisation:
    try:
        return selectors.organisation_get(user=request.user, slug=slug)
    except Organisation.DoesNotExist:
        raise Http404("No such organisation") from None


def organisation(request, slug):
    org = _organisation_or_404(request, slug)
    context = {
        "org": org,
        "relations": selectors.organisation_relations(organisation=org),
        "people": page_of(selectors.organisation_people(user=request.user, organisation=org), request, per_page=20),
        "can_see_history": user_is_coordinator(request.user),
    }
    return render(request, "directory/organisation.html", context)


@login_required
def organisation_history(request, slug):
    if not user_is_coordinator(request.user):
        raise PermissionDenied
    org = _organisation_or_404(request, slug)
    return render(
        request,
        "directory/history.html",
        {"obj": org, "page_obj": page_of(audit_events_for(org), request), "querystring": ""},
    )


def people(request):
    form = PeopleFilterForm(request.GET or None, organisations=selectors.organisations_with_people(user=request.user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.people_search(
        user=request.user,
        q=filters.get("q", ""),
        kind=filters.get("kind", ""),
        organisation=filters.get("organisation", ""),
    )
    context = {"form": form, "page_obj": page_of(qs, request), "querystring": querystring_without_page(request)}
    template = "directory/people.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def _person_or_404(request, slug) -> Person:
    try:
        return selectors.person_get(user=request.user, slug=slug)
    except Person.DoesNotExist:
        raise Http404("No such person") from None


def person(request, slug):
    p = _person_or_404(request, slug)
    context = {
        "person": p,
        "show_email": selectors.person_email_visible(user=request.user, person=p),
        "can_edit": selectors.person_editable_by(user=request.user, person=p),
    }
    return render(request, "directory/person.html", context)


@login_required
def person_edit(request, slug):
    p = _person_or_404(request, slug)
    if not selectors.person_editable_by(user=request.user, person=p):
        raise PermissionDenied
    form = PersonProfileForm(request.POST or None, instance=Person.objects.get(pk=p.pk))
    if request.method == "POST" and form.is_valid():
        services.person_update_profile(actor=request.user, person=p, data=form.cleaned_data)
        messages.success(request, "Profile saved.")
        return redirect(p.get_absolute_url())
    return render(request, "directory/person_edit.html", {"person": p, "form": form})


def partnership(request):
    return render(request, "directory/partnership.html", {"members": selectors.partnership_members(user=request.user)})


def map_view(request):
    from django.conf import settings

    places = selectors.map_places(user=request.user)
    return render(
        request,
        "directory/map.html",
        {
            "places": places,
            "tile_url": settings.MHI_MAP_TILE_URL,
            "tile_attribution": settings.MHI_MAP_TILE_ATTRIBUTION,
        },
    )
