"""Opportunity pages: the list (with its CSV download), one opportunity, adding, editing and deleting,
CSV import, and the feeds coordinators set up. Each view makes one call into selectors or services; htmx
requests for the list get just the results fragment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mhi.core.audit import audit_events_for
from mhi.core.errors import DomainError, ImportFailed
from mhi.core.paging import page_of, querystring_without_page
from mhi.opportunities import exports, selectors, services
from mhi.opportunities.forms import OpportunityFeedForm, OpportunityFilterForm, OpportunityForm, OpportunityImportForm
from mhi.opportunities.models import Opportunity, OpportunityFeed


def _filtered(request):
    form = OpportunityFilterForm(
        request.GET or None,
        funders=selectors.opportunity_funders(user=request.user),
        themes=selectors.opportunity_themes(user=request.user),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.opportunities_search(
        user=request.user,
        kind=filters.get("kind", ""),
        statuses=filters.get("status", []),
        funder=filters.get("funder", ""),
        theme=filters.get("theme", ""),
        q=filters.get("q", ""),
        closing_before=filters.get("closing_before"),
    )
    return form, qs


def opportunity_list(request):
    form, qs = _filtered(request)
    if request.GET.get("format") == "csv":
        return exports.csv_response(qs)
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(qs)
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("format", None)
    context = {
        "form": form,
        "page_obj": page_of(qs, request),
        "querystring": params.urlencode(),
        "can_create": selectors.user_may_create_opportunities(request.user),
        "can_manage_feeds": selectors.user_may_manage_feeds(request.user),
    }
    template = "opportunities/list.html"
    if request.htmx:
        template += "#results"
    return render(request, template, context)


def _opportunity_or_404(request, pk) -> Opportunity:
    try:
        return selectors.opportunity_get(user=request.user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity") from None


def opportunity_detail(request, pk):
    opportunity = _opportunity_or_404(request, pk)
    can_edit = selectors.opportunity_editable_by(user=request.user, opportunity=opportunity)
    context = {
        "opportunity": opportunity,
        "can_edit": can_edit,
        "history": audit_events_for(opportunity)[:20] if can_edit else [],
    }
    return render(request, "opportunities/detail.html", context)


def _form_errors_from(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def opportunity_create(request):
    if not selectors.user_may_create_opportunities(request.user):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            opportunity = services.opportunity_create(actor=request.user, data=form.cleaned_data)
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"“{opportunity.title}” added.")
            return redirect(opportunity.get_absolute_url())
    return render(request, "opportunities/form.html", {"form": form, "opportunity": None})


@login_required
def opportunity_edit(request, pk):
    opportunity = _opportunity_or_404(request, pk)
    if not selectors.opportunity_editable_by(user=request.user, opportunity=opportunity):
        raise PermissionDenied
    form = OpportunityForm(request.POST or None, instance=Opportunity.objects.get(pk=opportunity.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.opportunity_update(actor=request.user, opportunity=opportunity, data=form.cleaned_data)
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, "Opportunity saved.")
            return redirect(opportunity.get_absolute_url())
    return render(request, "opportunities/form.html", {"form": form, "opportunity": opportunity})


@login_required
def opportunity_delete(request, pk):
    opportunity = _opportunity_or_404(request, pk)
    if not selectors.opportunity_editable_by(user=request.user, opportunity=opportunity):
        raise PermissionDenied
    if request.method == "POST":
        services.opportunity_delete(actor=request.user, opportunity=opportunity)
        messages.success(request, f"“{opportunity.title}” deleted.")
        return redirect("opportunities:list")
    return render(request, "opportunities/delete.html", {"opportunity": opportunity})


@login_required
def opportunity_import(request):
    if not selectors.user_may_create_opportunities(request.user):
        raise PermissionDenied
    form = OpportunityImportForm(request.POST or None, request.FILES or None)
    report, problems = None, []
    if request.method == "POST" and form.is_valid():
        try:
            report = services.opportunities_import_upload(
                actor=request.user,
                upload=form.cleaned_data["file"],
                skip_bad_rows=form.cleaned_data["skip_bad_rows"],
            )
        except ImportFailed as exc:
            problems = exc.problems
        except DomainError as exc:
            _form_errors_from(form, exc)
    return render(request, "opportunities/import.html", {"form": form, "report": report, "problems": problems})


# --- feeds ------------------------------------------------------------------------------------------------


def _feeds_allowed(request) -> None:
    if not selectors.user_may_manage_feeds(request.user):
        raise PermissionDenied


def _feed_or_404(request, pk) -> OpportunityFeed:
    try:
        return selectors.feed_get(user=request.user, pk=pk)
    except OpportunityFeed.DoesNotExist:
        raise Http404("No such feed") from None


@login_required
def feed_list(request):
    _feeds_allowed(request)
    return render(request, "opportunities/feeds.html", {"feeds": selectors.feeds_visible_to(user=request.user)})


@login_required
def feed_create(request):
    _feeds_allowed(request)
    form = OpportunityFeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        feed = services.feed_create(actor=request.user, data=form.cleaned_data)
        messages.success(request, f"Feed “{feed.name}” added. Fetch it now to check it.")
        return redirect(feed.get_absolute_url())
    return render(request, "opportunities/feed_form.html", {"form": form, "feed": None})


@login_required
def feed_detail(request, pk):
    _feeds_allowed(request)
    feed = _feed_or_404(request, pk)
    form = OpportunityFeedForm(request.POST or None, instance=OpportunityFeed.objects.get(pk=feed.pk))
    if request.method == "POST" and form.is_valid():
        services.feed_update(actor=request.user, feed=feed, data=form.cleaned_data)
        messages.success(request, "Feed saved.")
        return redirect(feed.get_absolute_url())
    context = {
        "form": form,
        "feed": feed,
        "fetches": page_of(selectors.feed_fetches(feed=feed), request, per_page=20),
        "querystring": querystring_without_page(request),
    }
    return render(request, "opportunities/feed_form.html", context)


@login_required
@require_POST
def feed_fetch_now(request, pk):
    _feeds_allowed(request)
    feed = _feed_or_404(request, pk)
    services.feed_fetch_request(actor=request.user, feed=feed)
    messages.success(request, f"Fetch of “{feed.name}” started. The fetch log below shows how it went.")
    return redirect(feed.get_absolute_url())


@login_required
@require_POST
def feed_delete(request, pk):
    _feeds_allowed(request)
    feed = _feed_or_404(request, pk)
    services.feed_delete(actor=request.user, feed=feed)
    messages.success(request, f"Feed “{feed.name}” deleted. The opportunities it brought are still listed.")
    return redirect("opportunities:feeds")
