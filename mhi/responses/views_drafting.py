"""Pages of drafting: a question's page (its contributions per partner, the threaded comments, the consolidated
answer's editor with a live word count, and the answer's versions), the readable diff between two versions, and
editing a contribution.

A question of a response the user may not see does not exist for them (404); a viewer who may not edit sees the
page read-only and gets 403 from what changes it; anonymous users are sent to sign in. A save that lost the race
to another one answers 409 with the conflict page: both texts side by side, the readable diff between them, and
a form to save again from the current version."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from mhi.core import errors
from mhi.core.paging import page_of
from mhi.responses import access, drafting
from mhi.responses.forms_drafting import AnswerForm, CommentForm, ContributionEditForm, ContributionForm
from mhi.responses.models import Comment, Contribution, Question

VERSIONS_PER_PAGE = 20


def _question_or_404(request, pk) -> tuple[Question, access.ResponsePermissions]:
    question = Question.objects.select_related("response", "owner").filter(pk=pk).first()
    if question is None:
        raise Http404("No such question.")
    question.response = access.response_for(user=request.user, pk=question.response_id)
    return question, access.response_permissions(user=request.user, response=question.response)


def _contribution_or_404(request, pk) -> tuple[Contribution, access.ResponsePermissions]:
    contribution = Contribution.objects.select_related("question", "organisation", "author").filter(pk=pk).first()
    if contribution is None:
        raise Http404("No such contribution.")
    question, perms = _question_or_404(request, contribution.question_id)
    contribution.question = question
    return contribution, perms


def _form_error(form, exc: errors.DomainError) -> None:
    if isinstance(exc, errors.PermissionDenied):
        raise PermissionDenied(exc.message) from exc
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _question_url(question, anchor: str = "") -> str:
    return reverse("responses:question", args=[question.pk]) + (f"#{anchor}" if anchor else "")


# --- the question's page ------------------------------------------------------------------------------------


def _comment_tree(question: Question, *, may_reply: bool, bound: CommentForm | None, bound_parent: int | None):
    """The threaded comments as nested nodes, each with its reply form."""
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for item in drafting.comment_thread(question):
        comment = item.comment
        form = None
        if may_reply:
            form = bound if bound is not None and bound_parent == comment.pk else CommentForm(reply_to=comment)
        node = {"comment": comment, "depth": item.depth, "replies": [], "form": form}
        nodes[comment.pk] = node
        parent = nodes.get(comment.parent_id)
        (parent["replies"] if parent is not None else roots).append(node)
    return roots, len(nodes)


def _question_context(
    request,
    question: Question,
    perms: access.ResponsePermissions,
    *,
    answer_form=None,
    contribution_form=None,
    comment_form=None,
    comment_parent=None,
):
    response = question.response
    may_edit = question.pk in perms.edit_question_ids
    organisations = drafting.contribution_organisations(user=request.user, response=response, perms=perms)
    if may_edit and answer_form is None:
        answer_form = AnswerForm(initial={"text": question.answer, "base_version": question.answer_version})
    may_contribute = perms.contribute and organisations.exists()
    if may_contribute and contribution_form is None:
        contribution_form = ContributionForm(organisations=organisations)
    if perms.contribute and comment_form is None:
        comment_form = CommentForm()
    shown_text = question.answer
    if answer_form is not None and answer_form.is_bound:
        shown_text = answer_form.data.get("text", "")
    groups = drafting.contributions_by_partner(question)
    for group in groups:
        for contribution in group.contributions:
            contribution.may_edit = drafting.may_edit_contribution(
                user=request.user, contribution=contribution, perms=perms
            )
    comments, comment_count = _comment_tree(
        question,
        may_reply=perms.contribute,
        bound=comment_form if comment_parent is not None else None,
        bound_parent=comment_parent,
    )
    versions = page_of(drafting.versions_of(question), request, per_page=VERSIONS_PER_PAGE)
    for version in versions:
        version.words = drafting.word_count(version.text)
    siblings = list(response.questions.order_by("number").values_list("pk", "number"))
    index = next(i for i, (pk, _) in enumerate(siblings) if pk == question.pk)
    return {
        "response": response,
        "question": question,
        "permissions": perms,
        "may_edit": may_edit,
        "answer_form": answer_form,
        "count": drafting.count_against_limit(shown_text, question.word_limit),
        "contribution_form": contribution_form if may_contribute else None,
        "comment_form": comment_form if comment_parent is None else CommentForm() if perms.contribute else None,
        "groups": groups,
        "comments": comments,
        "comment_count": comment_count,
        "versions": versions,
        "previous_question": siblings[index - 1][0] if index > 0 else None,
        "next_question": siblings[index + 1][0] if index + 1 < len(siblings) else None,
    }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def question_page(request, pk):
    question, perms = _question_or_404(request, pk)
    if request.method != "POST":
        return render(request, "responses/drafting/question.html", _question_context(request, question, perms))
    which = request.POST.get("form")
    if which == "answer":
        return _answer_post(request, question, perms)
    if which == "contribution":
        return _contribution_post(request, question, perms)
    if which == "comment":
        return _comment_post(request, question, perms)
    return HttpResponseBadRequest("Unknown form.")


def _answer_post(request, question, perms):
    if question.pk not in perms.edit_question_ids:
        raise PermissionDenied
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            version = drafting.answer_save(
                user=request.user,
                question=question,
                text=form.cleaned_data["text"],
                base_version=form.cleaned_data["base_version"],
                note=form.cleaned_data["note"],
            )
        except drafting.AnswerConflict as conflict:
            return _answer_conflict(request, question, conflict, note=form.cleaned_data["note"])
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            if not version.is_new:
                messages.info(request, "The answer is unchanged: no new version was saved.")
            else:
                messages.success(request, f"Answer saved as version {version.number}.")
            return redirect(_question_url(question, "answer"))
    context = _question_context(request, question, perms, answer_form=form)
    return render(request, "responses/drafting/question.html", context, status=422)


def _answer_conflict(request, question, conflict: drafting.AnswerConflict, *, note: str):
    current = conflict.current
    form = AnswerForm(initial={"text": conflict.submitted, "base_version": current.number, "note": note})
    diff = drafting.text_diff(current.text, conflict.submitted)
    context = {
        "response": question.response,
        "question": question,
        "message": conflict.message,
        "current": current,
        "submitted": conflict.submitted,
        "current_count": drafting.count_against_limit(current.text, question.word_limit),
        "submitted_count": drafting.count_against_limit(conflict.submitted, question.word_limit),
        "diff": drafting.diff_html(diff),
        "summary": drafting.diff_summary(diff),
        "form": form,
        "count": drafting.count_against_limit(conflict.submitted, question.word_limit),
    }
    return render(request, "responses/drafting/conflict.html", context, status=409)


def _contribution_post(request, question, perms):
    if not perms.contribute:
        raise PermissionDenied
    organisations = drafting.contribution_organisations(user=request.user, response=question.response, perms=perms)
    if not organisations.exists():
        raise PermissionDenied
    form = ContributionForm(request.POST, organisations=organisations)
    if form.is_valid():
        try:
            contribution = drafting.contribution_add(
                user=request.user,
                question=question,
                organisation=form.cleaned_data["organisation"],
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Your contribution for {contribution.organisation.name} was added.")
            return redirect(_question_url(question, f"contribution-{contribution.pk}"))
    context = _question_context(request, question, perms, contribution_form=form)
    return render(request, "responses/drafting/question.html", context, status=422)


def _comment_post(request, question, perms):
    if not perms.contribute:
        raise PermissionDenied
    parent_id = request.POST.get("parent") or None
    parent = None
    if parent_id is not None:
        parent = Comment.objects.select_related("author").filter(question=question, pk=parent_id).first()
        if parent is None:
            return HttpResponseBadRequest("The comment you reply to is not on this question.")
    form = CommentForm(request.POST, reply_to=parent)
    if form.is_valid():
        try:
            comment = drafting.comment_add(
                user=request.user, question=question, text=form.cleaned_data["text"], parent=parent
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Your reply was posted." if parent else "Your comment was posted.")
            return redirect(_question_url(question, f"comment-{comment.pk}"))
    context = _question_context(
        request, question, perms, comment_form=form, comment_parent=parent.pk if parent else None
    )
    return render(request, "responses/drafting/question.html", context, status=422)


# --- diffs --------------------------------------------------------------------------------------------------


def _version_choices(numbers: list[int]) -> list[int]:
    return sorted(set(numbers) | {0})


@login_required
@require_safe
def answer_diff(request, pk):
    question, perms = _question_or_404(request, pk)
    if question.answer_version == 0:
        raise Http404(f"Q{question.number} has no saved answer yet, so there is nothing to compare.")
    diff = drafting.answer_diff(question, request.GET.get("from"), request.GET.get("to"))
    numbers = list(question.versions.values_list("number", flat=True))
    context = {
        "response": question.response,
        "question": question,
        "diff": diff,
        "numbers": _version_choices(numbers),
        "old_count": drafting.count_against_limit(diff.old.text, question.word_limit),
        "new_count": drafting.count_against_limit(diff.new.text, question.word_limit),
    }
    return render(request, "responses/drafting/answer_diff.html", context)


@login_required
@require_safe
def contribution_diff(request, pk):
    contribution, perms = _contribution_or_404(request, pk)
    diff = drafting.contribution_diff(contribution, request.GET.get("from"), request.GET.get("to"))
    numbers = list(contribution.versions.values_list("number", flat=True))
    context = {
        "response": contribution.question.response,
        "question": contribution.question,
        "contribution": contribution,
        "diff": diff,
        "numbers": _version_choices(numbers),
        "versions": drafting.contribution_versions(contribution),
    }
    return render(request, "responses/drafting/contribution_diff.html", context)


# --- editing a contribution ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def contribution_edit(request, pk):
    contribution, perms = _contribution_or_404(request, pk)
    if not drafting.may_edit_contribution(user=request.user, contribution=contribution, perms=perms):
        raise PermissionDenied
    question = contribution.question
    context = {"response": question.response, "question": question, "contribution": contribution}
    if request.method != "POST":
        form = ContributionEditForm(initial={"text": contribution.text, "base_version": contribution.version})
        return render(request, "responses/drafting/contribution_edit.html", {**context, "form": form})
    form = ContributionEditForm(request.POST)
    if form.is_valid():
        try:
            version = drafting.contribution_edit(
                user=request.user,
                contribution=contribution,
                text=form.cleaned_data["text"],
                base_version=form.cleaned_data["base_version"],
            )
        except drafting.ContributionConflict as conflict:
            return _contribution_conflict(request, contribution, conflict)
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            if not version.is_new:
                messages.info(request, "The contribution is unchanged: no new version was saved.")
            else:
                messages.success(request, f"Contribution saved as version {version.number}.")
            return redirect(_question_url(question, f"contribution-{contribution.pk}"))
    return render(request, "responses/drafting/contribution_edit.html", {**context, "form": form}, status=422)


def _contribution_conflict(request, contribution, conflict: drafting.ContributionConflict):
    current = conflict.current
    form = ContributionEditForm(initial={"text": conflict.submitted, "base_version": current.number})
    diff = drafting.text_diff(current.text, conflict.submitted)
    context = {
        "response": contribution.question.response,
        "question": contribution.question,
        "contribution": contribution,
        "message": conflict.message,
        "current": current,
        "submitted": conflict.submitted,
        "diff": drafting.diff_html(diff),
        "summary": drafting.diff_summary(diff),
        "form": form,
    }
    return render(request, "responses/drafting/contribution_conflict.html", context, status=409)
