"""Pages of the response workspace: the responses I take part in, a new response, its overview, editing it, and
its questions (add typed, paste a list, import a Word or CSV file, owners and word limits, order, delete).

A response the user may not see does not exist for them (404); one they see but may not manage answers 403 to
the pages that change it; anonymous users are sent to sign in. Each view makes one call into
mhi.responses.workspace; a refusal (DomainError) is shown on the form at the field it names, an import's
problems are listed, and nothing is written."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from mhi.core.errors import DomainError, ImportFailed
from mhi.core.paging import page_of, querystring_without_page
from mhi.opportunities.models import Kind as OpportunityKind
from mhi.opportunities.models import Opportunity
from mhi.responses import access, workspace
from mhi.responses.forms_workspace import (
    ImportForm,
    OwnersForm,
    PasteForm,
    QuestionForm,
    ResponseFilterForm,
    ResponseForm,
)
from mhi.responses.models import Question, Response


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _managed_or_403(request, pk) -> tuple[Response, access.ResponsePermissions]:
    response = access.response_for(user=request.user, pk=pk)
    permissions = access.response_permissions(user=request.user, response=response)
    if not permissions.manage:
        raise PermissionDenied
    return response, permissions


def _signoff_state(response: Response):
    from mhi.responses.signoff import signoff_state

    return signoff_state(response)


# --- the list -----------------------------------------------------------------------------------------------


@login_required
@require_safe
def response_list(request):
    form = ResponseFilterForm(request.GET or None)
    responses = access.responses_visible_to(user=request.user).prefetch_related("signatories__organisation")
    if form.is_bound and form.is_valid() and form.cleaned_data["status"]:
        responses = responses.filter(status=form.cleaned_data["status"])
    page_obj = page_of(responses, request)
    context = {
        "form": form,
        "page_obj": page_obj,
        "querystring": querystring_without_page(request),
        "filtered": bool(request.GET.get("status")),
        "can_create": access.may_create_response(request.user),
    }
    return render(request, "responses/workspace/list.html", context)


# --- a new response, editing one ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def response_create(request):
    if not access.may_create_response(request.user):
        raise PermissionDenied
    opportunity = None
    chosen = request.GET.get("opportunity")
    if chosen:
        try:
            opportunity = Opportunity.objects.get(pk=int(chosen), kind=OpportunityKind.CONSULTATION)
        except (ValueError, Opportunity.DoesNotExist):
            raise Http404("No such consultation.") from None
    initial = {
        "kind": "consultation" if opportunity else "position",
        "signatories": list(workspace.partner_institutions().values_list("pk", flat=True)),
    }
    if opportunity is not None:
        initial.update(opportunity=opportunity.pk, title=f"Response to {opportunity.title}"[: workspace.TITLE_MAX])
        if opportunity.closes_at:
            from django.utils import timezone

            initial["deadline"] = timezone.localtime(opportunity.closes_at).date()
    form = ResponseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            response = workspace.response_create(
                user=request.user,
                kind=data["kind"],
                opportunity=data["opportunity"],
                title=data["title"],
                introduction=data["introduction"],
                deadline=data["deadline"],
                coordinator=data["coordinator"],
                signatories=list(data["signatories"]),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"“{response.title}” started. Add its questions.")
            return redirect("responses:questions", pk=response.pk)
    return render(request, "responses/workspace/create.html", {"form": form, "opportunity": opportunity})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def response_edit(request, pk):
    response, permissions = _managed_or_403(request, pk)
    initial = {
        "title": response.title,
        "introduction": response.introduction,
        "deadline": response.deadline,
        "coordinator": response.coordinator_id,
        "signatories": list(response.signatories.values_list("organisation_id", flat=True)),
    }
    form = ResponseForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            workspace.response_update(
                user=request.user,
                response=response,
                title=data["title"],
                introduction=data["introduction"],
                deadline=data["deadline"],
                coordinator=data["coordinator"],
                signatories=list(data["signatories"]),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "The response was saved.")
            return redirect(response.get_absolute_url())
    return render(request, "responses/workspace/edit.html", {"form": form, "response": response})


# --- the overview ---------------------------------------------------------------------------------------------


@login_required
@require_safe
def response_detail(request, pk):
    response = access.response_for(user=request.user, pk=pk)
    permissions = access.response_permissions(user=request.user, response=response)
    rows = workspace.question_rows(response)
    states = _signoff_state(response)
    days_left = workspace.days_left(response)
    context = {
        "response": response,
        "permissions": permissions,
        "rows": rows,
        "days_left": days_left,
        "overdue_days": -days_left if days_left is not None and days_left < 0 else 0,
        "signatories": list(response.signatories.select_related("organisation")),
        "states": states,
        "answered": sum(1 for r in rows if r.answered),
    }
    return render(request, "responses/workspace/detail.html", context)


# --- the questions --------------------------------------------------------------------------------------------


def _edit_target(response: Response, value) -> Question | None:
    if not value:
        return None
    try:
        return response.questions.get(pk=int(value))
    except (ValueError, Question.DoesNotExist):
        raise Http404("No such question in this response.") from None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def response_questions(request, pk):
    response, permissions = _managed_or_403(request, pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound = {action: request.POST} if action else {}
    questions = list(response.questions.select_related("owner"))
    editing = _edit_target(response, request.POST.get("question") if action == "edit" else request.GET.get("edit"))
    add_form = QuestionForm(bound.get("add"), response=response, prefix="add")
    paste_form = PasteForm(bound.get("paste"), prefix="paste")
    import_form = ImportForm(bound.get("import"), request.FILES if action == "import" else None, prefix="import")
    owners_form = OwnersForm(bound.get("owners"), response=response, questions=questions, prefix="owners")
    edit_form = None
    if editing is not None:
        edit_initial = {
            "text": editing.text,
            "word_limit": editing.word_limit,
            "guidance": editing.guidance,
            "owner": editing.owner_id,
        }
        edit_form = QuestionForm(bound.get("edit"), response=response, prefix="edit", initial=edit_initial)
    problems, problem_source = [], ""
    if action:
        done = _questions_action(request, response, action, add_form, paste_form, import_form, owners_form, edit_form)
        if isinstance(done, str):
            messages.success(request, done)
            return redirect("responses:questions", pk=response.pk)
        if isinstance(done, ImportFailed):
            problems, problem_source = done.problems, action
    rows = workspace.question_rows(response)
    context = {
        "response": response,
        "permissions": permissions,
        "closed": response.is_locked or response.status == "withdrawn",
        "rows": rows,
        "add_form": add_form,
        "paste_form": paste_form,
        "import_form": import_form,
        "owners_form": owners_form,
        "edit_form": edit_form,
        "editing": editing,
        "problems": problems,
        "problem_source": problem_source,
        "action": action,
    }
    return render(request, "responses/workspace/questions.html", context)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _questions_action(request, response, action, add_form, paste_form, import_form, owners_form, edit_form):
    """Do one POSTed action: a message (str) when done, an ImportFailed to list, or None (errors on a form)."""
    user = request.user
    try:
        if action == "add" and add_form.is_valid():
            question = workspace.question_add(user=user, response=response, **add_form.cleaned_data)
            return f"Q{question.number} was added."
        if action == "paste" and paste_form.is_valid():
            created = workspace.questions_paste(user=user, response=response, text=paste_form.cleaned_data["text"])
            return f"{_plural(len(created), 'question')} added from the pasted list."
        if action == "import" and import_form.is_valid():
            upload = import_form.cleaned_data["file"]
            if upload.size > workspace.question_import.MAX_UPLOAD_BYTES:
                import_form.add_error(
                    "file",
                    f"The file is {upload.size / (1024 * 1024):.1f} MB; files of up to "
                    f"{workspace.question_import.MAX_UPLOAD_BYTES // (1024 * 1024)} MB can be imported.",
                )
                return None
            created = workspace.questions_import(
                user=user, response=response, content=upload.read(), filename=upload.name
            )
            return f"{_plural(len(created), 'question')} imported from {upload.name}."
        if action == "owners" and owners_form.is_valid():
            changed = workspace.questions_set_owners_and_limits(
                user=user, response=response, values=owners_form.values()
            )
            return f"Owners and word limits saved ({_plural(changed, 'question')} changed)."
        if action == "edit" and edit_form is not None and edit_form.is_valid():
            question = edit_form_question(response, request)
            workspace.question_update(user=user, question=question, **edit_form.cleaned_data)
            return f"Q{question.number} was saved."
        if action in {"up", "down", "delete"}:
            question = edit_form_question(response, request)
            if action == "delete":
                number = question.number
                workspace.question_delete(user=user, question=question)
                return f"Q{number} was deleted; the questions after it moved up."
            to = question.number - 1 if action == "up" else question.number + 1
            workspace.question_move(user=user, question=question, to=to)
            return f"Q{question.number} is now Q{to}."
        if action not in {"add", "paste", "import", "owners", "edit"}:
            raise Http404("No such action.")
    except ImportFailed as exc:
        return exc
    except DomainError as exc:
        form = {
            "add": add_form,
            "paste": paste_form,
            "import": import_form,
            "owners": owners_form,
            "edit": edit_form,
        }.get(action)
        if form is None:
            messages.error(request, exc.message)
            return None
        _form_error(form, exc)
    return None


def edit_form_question(response: Response, request) -> Question:
    question = _edit_target(response, request.POST.get("question"))
    if question is None:
        raise Http404("Name the question.")
    question.response = response
    return question
