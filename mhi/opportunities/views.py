"""Opportunity pages: the list (with its CSV download), one opportunity, adding, editing and deleting,
CSV import, the feeds coordinators set up, and matching (best-matched people, opportunities for you, saved
searches, the digest and its unsubscribe link, expressions of interest). Each view makes one call into selectors
or services; htmx requests for the list and the matched people get just their fragment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from mhi.core.audit import audit_events_for
from mhi.core.errors import DomainError, ImportFailed
from mhi.core.paging import page_of, querystring_without_page
from mhi.opportunities import digests, exports, matching, selectors, services
from mhi.opportunities.forms import OpportunityFeedForm, OpportunityFilterForm, OpportunityForm, OpportunityImportForm
from mhi.opportunities.matching_forms import DigestSettingsForm, InterestForm, SavedSearchForm
from mhi.opportunities.models import Opportunity, OpportunityFeed, SavedSearch


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
        "interest": matching.interest_panel(user=request.user, opportunity=opportunity),
        "interest_form": InterestForm(),
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


# --- matching: best-matched people, opportunities for you, saved searches, digests, expressions of interest --

PEOPLE_LIMIT = 10


def opportunity_people(request, pk):
    """The people best matched to an opportunity, with why. The opportunity's page loads this with htmx (so it
    stays fast); it is also a page of its own, the link behind that."""
    opportunity = _opportunity_or_404(request, pk)
    ranking = matching.people_for_opportunity(
        user=request.user, opportunity=opportunity, embedder=matching.EmbedderWhenNeeded(), limit=PEOPLE_LIMIT
    )
    template = "opportunities/people.html#people" if request.htmx else "opportunities/people.html"
    return render(request, template, {"opportunity": opportunity, "ranking": ranking})


@login_required
def opportunities_for_you(request):
    context = {
        "result": matching.opportunities_for_user(user=request.user),
        "threshold": matching.MATCH_THRESHOLD,
    }
    return render(request, "opportunities/for_you.html", context)


def _saved_search_or_404(request, pk) -> SavedSearch:
    try:
        return matching.saved_search_get(user=request.user, pk=pk)
    except SavedSearch.DoesNotExist:
        raise Http404("No such saved search") from None


@login_required
def saved_search_list(request):
    results = matching.saved_searches_with_matches(user=request.user, embedder=matching.EmbedderWhenNeeded())
    return render(request, "opportunities/searches.html", {"results": results, "threshold": matching.MATCH_THRESHOLD})


@login_required
def saved_search_create(request):
    form = SavedSearchForm(request.POST or None, initial={"in_digest": True})
    if request.method == "POST" and form.is_valid():
        try:
            saved_search = matching.saved_search_create(user=request.user, data=form.cleaned_data)
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"Search “{saved_search.name}” saved.")
            return redirect("opportunities:search", pk=saved_search.pk)
    return render(request, "opportunities/search_form.html", {"form": form, "saved_search": None})


@login_required
def saved_search_edit(request, pk):
    saved_search = _saved_search_or_404(request, pk)
    form = SavedSearchForm(request.POST or None, instance=SavedSearch.objects.get(pk=saved_search.pk))
    if request.method == "POST" and form.is_valid():
        try:
            matching.saved_search_update(user=request.user, saved_search=saved_search, data=form.cleaned_data)
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"Search “{saved_search.name}” saved.")
            return redirect("opportunities:search", pk=saved_search.pk)
    context = {
        "form": form,
        "saved_search": saved_search,
        "matches": matching.opportunities_for_search(saved_search=saved_search, embedder=matching.EmbedderWhenNeeded()),
        "threshold": matching.MATCH_THRESHOLD,
    }
    return render(request, "opportunities/search_form.html", context)


@login_required
def saved_search_delete(request, pk):
    saved_search = _saved_search_or_404(request, pk)
    if request.method == "POST":
        matching.saved_search_delete(user=request.user, saved_search=saved_search)
        messages.success(request, f"Search “{saved_search.name}” deleted.")
        return redirect("opportunities:searches")
    return render(request, "opportunities/search_delete.html", {"saved_search": saved_search})


@login_required
def digest_settings(request):
    subscription = digests.digest_settings_get(user=request.user)
    initial = {"frequency": subscription.frequency, "include_profile_matches": subscription.include_profile_matches}
    form = DigestSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            digests.digest_settings_update(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, "Digest settings saved.")
            return redirect("opportunities:digest")
    context = {
        "form": form,
        "subscription": subscription,
        "last_sent": digests.digest_last_sent(user=request.user),
        # What the digest would list if it were sent now.
        "preview": digests.digest_items(
            user=request.user, embedder=matching.EmbedderWhenNeeded(), subscription=subscription
        ),
    }
    return render(request, "opportunities/digest.html", context)


@csrf_exempt  # the signed token is the authority; RFC 8058 mail clients POST without a session or CSRF token
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request, token):
    """The digest email's unsubscribe link. GET shows a button (mail scanners open links, so a GET changes
    nothing); POST unsubscribes without signing in, and is also the one-click POST of RFC 8058."""
    try:
        digests.digest_token_user(token=token)
    except digests.InvalidUnsubscribeLink as exc:
        return render(request, "opportunities/unsubscribe.html", {"error": exc.message}, status=400)
    if request.method == "POST":
        digests.digest_unsubscribe(token=token)
        return render(request, "opportunities/unsubscribe.html", {"done": True})
    return render(request, "opportunities/unsubscribe.html", {"token": token})


@login_required
def interest_express(request, pk):
    opportunity = _opportunity_or_404(request, pk)
    own = matching.interest_of(user=request.user, opportunity=opportunity)
    form = InterestForm(request.POST or None, initial={"note": own.note if own else ""})
    if request.method == "POST" and form.is_valid():
        try:
            matching.interest_express(user=request.user, opportunity=opportunity, note=form.cleaned_data["note"])
        except DomainError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(
                request,
                f"Your interest in “{opportunity.title}” is recorded. MHI coordinators and your institution's "
                "admins can see it.",
            )
            return redirect(opportunity.get_absolute_url() + "#interest")
    context = {
        "opportunity": opportunity,
        "form": form,
        "own": own,
        "refusal": matching.interest_refusal(user=request.user, opportunity=opportunity),
    }
    return render(request, "opportunities/interest.html", context)


@login_required
@require_POST
def interest_withdraw(request, pk):
    opportunity = _opportunity_or_404(request, pk)
    if not matching.interest_withdraw(user=request.user, opportunity=opportunity):
        raise Http404("You have not expressed interest in this opportunity.")
    messages.success(request, f"Your interest in “{opportunity.title}” is withdrawn.")
    return redirect(opportunity.get_absolute_url() + "#interest")


@login_required
def interest_list(request):
    interests = matching.interests_visible_to(user=request.user).order_by("opportunity__closes_at", "-created_at")
    context = {
        "page_obj": page_of(interests, request, per_page=50),
        "querystring": querystring_without_page(request),
        "sees_others": matching.user_oversees_interests(request.user),
    }
    return render(request, "opportunities/interests.html", context)
