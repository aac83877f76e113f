"""Recruitment pages: a study's recruitment (per-site table with RAG status, forecast, the cumulative chart
with its data table, the months recorded, and a form to record a month), the CSV upload and the CSV download.

Whoever may see the study sees its recruitment (404 otherwise); recording is for the users of the site in
question, the study's owner and coordinators (403 for the rest); anonymous users are sent to sign in.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from mhi.core.errors import DomainError, ImportFailed
from mhi.core.paging import page_of
from mhi.studies import access, recruitment
from mhi.studies.forms_recruitment import RecruitmentRecordForm, RecruitmentUploadForm
from mhi.studies.models import RecruitmentEntry, RecruitmentSource, StudySite


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _record(request, form) -> bool:
    """Record (or, when asked, correct) the form's month. False with the refusal on the form."""
    data = form.cleaned_data
    study_site = data["study_site"]
    try:
        month = recruitment.month_parse(data["month"])
        existing = RecruitmentEntry.objects.filter(study_site=study_site, month=month).first()
        if existing is not None and data["correct"]:
            old = existing.recruited
            recruitment.recruitment_correct(user=request.user, entry=existing, recruited=data["recruited"])
            messages.success(
                request,
                f"{recruitment.month_label(month)} at {study_site.site.name} corrected from {old} to "
                f"{data['recruited']}.",
            )
        else:
            entry = recruitment.recruitment_record(
                user=request.user,
                study_site=study_site,
                month=month,
                recruited=data["recruited"],
                source=RecruitmentSource.FORM,
            )
            messages.success(
                request,
                f"{entry.recruited} recruited in {recruitment.month_label(entry.month)} at "
                f"{study_site.site.name} recorded.",
            )
    except DomainError as exc:
        _form_error(form, exc)
        return False
    return True


@login_required
def recruitment_page(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    recordable = recruitment.sites_recordable_by(user=request.user, study=study)
    choices = StudySite.objects.filter(pk__in=[s.pk for s in recordable]).select_related("site", "study")
    form = None
    if recordable:
        form = RecruitmentRecordForm(request.POST or None, study_sites=choices)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid() and _record(request, form):
            return redirect("studies:recruitment", pk=study.pk)
    summary = recruitment.study_recruitment_summary(study)
    entries = RecruitmentEntry.objects.filter(study_site__study=study).select_related("study_site__site", "entered_by")
    context = {
        "study": study,
        "summary": summary,
        "chart": recruitment.recruitment_chart(summary),
        "form": form,
        "entries": page_of(entries.order_by("-month", "study_site__site__name", "pk"), request),
        "may_upload": bool(recordable),
    }
    return render(request, "studies/recruitment/recruitment.html", context)


@login_required
def recruitment_upload(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    if not recruitment.sites_recordable_by(user=request.user, study=study):
        raise PermissionDenied
    may_replace = access.may_manage_study(request.user, study)
    form = RecruitmentUploadForm(request.POST or None, request.FILES or None, may_replace=may_replace)
    report, problems = None, []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = recruitment.recruitment_upload(
                user=request.user,
                study=study,
                data=upload.read(),
                filename=upload.name,
                replace=form.cleaned_data.get("replace", False),
            )
        except ImportFailed as exc:
            problems = exc.problems
        except DomainError as exc:
            _form_error(form, exc)
    context = {"study": study, "form": form, "report": report, "problems": problems}
    return render(request, "studies/recruitment/upload.html", context)


@login_required
@require_safe
def recruitment_csv(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    response = HttpResponse(
        recruitment.recruitment_csv(study).encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="study-{study.pk}-recruitment.csv"'
    return response
