"""Pages: exports of a response (DOCX, PDF, one answer as Markdown or plain text) and the library of past positions.

Exports are for whoever may open the workspace, and for everyone once the response is published. The library is
for signed-in users; reusing a past answer needs the right to edit the target question's answer.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from mhi.core import errors
from mhi.responses import access, export, library
from mhi.responses.models import Question, Response
from mhi.responses.trail import event_record

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def export_download(request, response: Response, fmt: str) -> HttpResponse:
    """The response exported as `fmt` (docx or pdf), as an attachment that states its revision and hash in its
    headers; a signed-in user's export is recorded in the trail. Pages and the API both answer with this."""
    if fmt == "docx":
        content, data = export.export_docx(response)
        content_type = DOCX_TYPE
    else:
        content, data = export.export_pdf(response)
        content_type = "application/pdf"
    _record_export(request, response, data, fmt)
    return _attachment(content, content_type=content_type, filename=f"{data.stem}.{fmt}", data=data)


def _attachment(content: bytes, *, content_type: str, filename: str, data: export.ExportData) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["X-MHI-Revision"] = str(data.revision)
    response["X-MHI-SHA256"] = data.sha256
    return response


def _record_export(request, response: Response, data: export.ExportData, fmt: str) -> None:
    if request.user.is_authenticated:
        event_record(
            response=response,
            kind="exported",
            actor=request.user,
            summary=f"Exported as {fmt.upper()} (r{data.revision}{', draft' if data.is_draft else ''})",
            format=fmt,
            revision=data.revision,
            sha256=data.sha256,
        )


@require_safe
def export_docx(request, pk):
    return export_download(request, access.exportable_response(user=request.user, pk=pk), "docx")


@require_safe
def export_pdf(request, pk):
    return export_download(request, access.exportable_response(user=request.user, pk=pk), "pdf")


@require_safe
def answer_text(request, pk, fmt):
    """One question's answer as Markdown (`md`) or plain text (`txt`), shown inline for copying."""
    if fmt not in ("md", "txt"):
        raise Http404("Answers are given as md or txt.")
    question = Question.objects.filter(pk=pk).select_related("response").first()
    if question is None:
        raise Http404("No such question.")
    access.exportable_response(user=request.user, pk=question.response_id)
    if fmt == "md":
        body, content_type = export.answer_markdown(question), "text/markdown; charset=utf-8"
    else:
        body, content_type = export.answer_plain(question), "text/plain; charset=utf-8"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="response-{question.response_id}-q{question.number}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def library_page(request):
    """Search past positions; opened from a question (`?question=<pk>`), each hit can be reused there."""
    q = request.GET.get("q", "").strip()[:500]
    target = None
    if request.GET.get("question", "").isdigit():
        target = Question.objects.filter(pk=int(request.GET["question"])).select_related("response").first()
        if target is not None:
            permissions = access.response_permissions(user=request.user, response=target.response)
            if not permissions.view:
                raise Http404("No such question.")
            if target.pk not in permissions.edit_question_ids:
                target = None
    hits = library.library_search(user=request.user, q=q) if q else []
    context = {
        "q": q,
        "hits": hits,
        "target": target,
        "signed_count": library.answers_visible_to(user=request.user).count(),
    }
    return render(request, "responses/export/library.html", context)


@login_required
@require_POST
def reuse(request, pk, version_id):
    question = Question.objects.filter(pk=pk).select_related("response").first()
    permissions = access.response_permissions(user=request.user, response=question.response) if question else None
    if permissions is None or not permissions.view:
        raise Http404("No such question.")
    if question.pk not in permissions.edit_question_ids:
        raise PermissionDenied(
            f"Only the owner of Q{question.number} or the response's coordinator may change its answer."
        )
    try:
        base_version = int(request.POST.get("base_version", ""))
    except ValueError:
        base_version = -1
    try:
        library.answer_reuse(user=request.user, question=question, version_id=version_id, base_version=base_version)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except errors.Conflict:
        messages.error(
            request,
            f"Q{question.number}'s answer changed since you opened the library; nothing was replaced. "
            "Compare the versions and reuse the text again if you still want it.",
        )
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"The past answer is now Q{question.number}'s answer, with a link to where it came from."
        )
    return redirect("responses:question", pk=question.pk)
