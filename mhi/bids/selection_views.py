"""Internal selection round pages: the rounds a user manages or reviews for, opening a round, one round (entries,
reviewers, conflicts, results), assigning reviewers, a reviewer's scoring form and the decision.

A round the user neither manages nor reviews for does not exist (404); a reviewer asking for a manager's page,
or a manager for a reviewer's, gets 403. Writes go through mhi.bids.selection; a DomainError it raises becomes a
form error naming the field."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render

from mhi.accounts.selectors import user_admin_organisation_ids, user_is_coordinator
from mhi.bids import selection
from mhi.bids.selection_forms import (
    ConflictDeclareForm,
    ReviewerAssignForm,
    ReviewForm,
    RoundDecideForm,
    RoundOpenForm,
    add_service_error,
)
from mhi.core import errors
from mhi.directory.models import Organisation
from mhi.opportunities.models import Opportunity


def _round_or_404(request, pk):
    return selection.round_for(user=request.user, pk=pk)


def _managed_round(request, pk):
    round = _round_or_404(request, pk)
    if not selection.round_manageable_by(user=request.user, round=round):
        raise PermissionDenied("Only coordinators, and admins of the round's institution, manage a selection round.")
    return round


def _refused(exc: errors.DomainError):
    if isinstance(exc, errors.PermissionDenied):
        raise PermissionDenied(exc.message) from exc


@login_required
def round_list(request):
    context = {
        "rounds": selection.rounds_visible_to(user=request.user),
        "can_open": selection.user_may_open_rounds(request.user),
    }
    return render(request, "bids/selection/list.html", context)


@login_required
def round_create(request):
    if not selection.user_may_open_rounds(request.user):
        raise PermissionDenied("Only coordinators and institution admins open selection rounds.")
    coordinator = user_is_coordinator(request.user)
    organisations = Organisation.objects.order_by("name")
    if not coordinator:
        organisations = organisations.filter(pk__in=user_admin_organisation_ids(request.user))
    opportunities = Opportunity.objects.filter(
        Q(cap_per_institution__isnull=False) | Q(cap_partnership__isnull=False)
    ).order_by("title")
    initial = {"opportunity": request.GET.get("opportunity")} if request.GET.get("opportunity") else None
    form = RoundOpenForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        opportunities=opportunities,
        organisations=organisations,
        partnership_wide=coordinator,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round = selection.round_open(
                actor=request.user,
                opportunity=data["opportunity"],
                title=data["title"],
                organisation=data.get("organisation"),
                criteria=form.cleaned_criteria,
                reviews_due=data.get("reviews_due"),
                coauthorship_years=data["coauthorship_years"],
            )
        except errors.DomainError as exc:
            _refused(exc)
            add_service_error(form, exc)
        else:
            messages.success(request, f"Round “{round.title}” opened with {round.entries.count()} bids.")
            return redirect("bids:round_reviewers", pk=round.pk)
    return render(request, "bids/selection/create.html", {"form": form})


@login_required
def round_detail(request, pk):
    round = _round_or_404(request, pk)
    permissions = selection.round_permissions(user=request.user, round=round)
    context = {"round": round, "permissions": permissions, "tie_rule": selection.TIE_RULE}
    if permissions.can_manage:
        context["results"] = selection.round_results(round=round)
        context["reviewers"] = selection.round_reviewers(round=round)
    if permissions.reviewer is not None:
        context["my_entries"] = selection.reviewer_entries(reviewer=permissions.reviewer)
    return render(request, "bids/selection/detail.html", context)


@login_required
def round_reviewers(request, pk):
    round = _managed_round(request, pk)
    form = ReviewerAssignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and request.POST.get("remove"):
        try:
            selection.reviewer_remove(actor=request.user, round=round, reviewer_id=int(request.POST["remove"]))
        except (ValueError, errors.DomainError) as exc:
            messages.error(request, getattr(exc, "message", "No such reviewer."))
        else:
            messages.success(request, "Reviewer removed.")
        return redirect("bids:round_reviewers", pk=round.pk)
    if request.method == "POST" and form.is_valid():
        try:
            reviewer = selection.reviewer_assign(actor=request.user, round=round, user=form.user)
        except errors.DomainError as exc:
            _refused(exc)
            form.add_error("email", exc.message)
        else:
            conflicts = reviewer.conflicts.count()
            found = f" {conflicts} conflicts of interest found." if conflicts else " No conflicts of interest found."
            messages.success(request, f"{reviewer.user.email} assigned.{found}")
            return redirect("bids:round_reviewers", pk=round.pk)
    context = {
        "round": round,
        "form": form,
        "reviewers": selection.round_reviewers(round=round),
        "removable": round.status == round.Status.OPEN,
    }
    return render(request, "bids/selection/reviewers.html", context)


@login_required
def review(request, pk, entry_id):
    round = _round_or_404(request, pk)
    try:
        entry = selection.entry_for_review(user=request.user, round=round, entry_id=entry_id)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    reviewer = selection.reviewer_of(user=request.user, round=round)
    existing = selection.review_of(reviewer=reviewer, entry=entry)
    declaring = request.method == "POST" and request.POST.get("action") == "declare"
    initial = None
    if existing is not None:
        initial = {f"score_{i}": existing.scores.get(c["name"]) for i, c in enumerate(round.criteria)}
        initial["comment"] = existing.comment
    form = ReviewForm(
        request.POST if request.method == "POST" and not declaring else None, initial=initial, criteria=round.criteria
    )
    conflict_form = ConflictDeclareForm(request.POST if declaring else None, prefix="conflict")
    if declaring and conflict_form.is_valid():
        try:
            selection.reviewer_declare_conflict(
                actor=request.user, entry=entry, detail=conflict_form.cleaned_data["detail"]
            )
        except errors.DomainError as exc:
            _refused(exc)
            add_service_error(conflict_form, exc)
        else:
            messages.success(request, f"Conflict of interest recorded: you no longer review “{entry.bid.title}”.")
            return redirect(round.get_absolute_url())
    elif request.method == "POST" and not declaring and form.is_valid():
        try:
            selection.review_submit(
                actor=request.user, entry=entry, scores=form.scores(), comment=form.cleaned_data["comment"]
            )
        except errors.DomainError as exc:
            _refused(exc)
            form.add_error(form.field_for_score(exc.field), exc.message)
        else:
            messages.success(request, f"Your review of “{entry.bid.title}” is saved.")
            return redirect(round.get_absolute_url())
    context = {"round": round, "entry": entry, "form": form, "conflict_form": conflict_form, "review": existing}
    return render(request, "bids/selection/review.html", context)


@login_required
def round_decide(request, pk):
    round = _managed_round(request, pk)
    results = selection.round_results(round=round)
    form = RoundDecideForm(request.POST if request.method == "POST" else None, results=results)
    if request.method == "POST" and round.status == round.Status.OPEN and form.is_valid():
        try:
            selection.round_decide(
                actor=request.user,
                round=round,
                selected=[int(v) for v in form.cleaned_data["selected"]],
                rationale=form.cleaned_data["rationale"],
                feedback=form.feedback(),
            )
        except errors.DomainError as exc:
            _refused(exc)
            form.add_error(exc.field if exc.field in ("selected", "rationale") else None, exc.message)
        else:
            messages.success(request, f"Decision on “{round.title}” recorded; the bids have moved on.")
            return redirect(round.get_absolute_url())
    context = {"round": round, "form": form, "results": results, "tie_rule": selection.TIE_RULE}
    return render(request, "bids/selection/decide.html", context)
