"""Study pages: the list (filtered, paged), adding a study by hand, importing ClinicalTrials.gov files, one study
with its planned sites and links to its feasibility, reach, placement and recruitment pages, editing it (with
conflict detection) and managing its planned sites.

A study the user may not see does not exist (404); one they may see but not manage answers 403. Writes go
through mhi.studies.studies and mhi.studies.ctgov; a DomainError becomes a form error naming the field."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse

from mhi.core import errors
from mhi.core.paging import page_of, querystring_without_page
from mhi.studies import access, ctgov, feasibility, recruitment
from mhi.studies import studies as services
from mhi.studies.forms_studies import (
    CtgovImportForm,
    SiteAddForm,
    SiteUpdateForm,
    StudyFilterForm,
    StudyForm,
    StudyStatusForm,
    study_initial,
)
from mhi.studies.models import InviteStatus, Phase, SponsorClass, Study, StudySiteStatus, StudyStatus, StudyType

# The other areas' pages for one study, by URL name, in the order shown.
STUDY_LINKS = [
    ("studies:feasibility_create", "Send a feasibility request", True),
    ("studies:reach", "Reach estimates by site", False),
    ("studies:placement", "Site placement", True),
    ("studies:recruitment", "Recruitment", False),
]


def _form_error(form, exc: errors.DomainError) -> None:
    if isinstance(exc, errors.PermissionDenied):
        raise PermissionDenied(exc.message)
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _managed_study(request, pk) -> Study:
    study = access.study_for(user=request.user, pk=pk)
    if not access.may_manage_study(request.user, study):
        raise PermissionDenied("Only coordinators and the study's owner change a study and its sites.")
    return study


# --- the list ---------------------------------------------------------------------------------------------------


@login_required
def study_list(request):
    form = StudyFilterForm(request.GET or None)
    results = access.studies_visible_to(user=request.user).none()
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        filters = services.StudyFilters(
            q=data.get("q", ""),
            condition=data.get("condition", ""),
            phase=data.get("phase", ""),
            sponsor_class=data.get("sponsor_class", ""),
            status=data.get("status", ""),
        )
        try:
            results = services.studies_search(user=request.user, filters=filters)
        except errors.DomainError as exc:
            _form_error(form, exc)
    page_obj = page_of(results, request)
    context = {
        "form": form,
        "page_obj": page_obj,
        "querystring": querystring_without_page(request),
        "filtered": form.is_bound and any(v for k, v in request.GET.items() if k != "page"),
        "can_create": access.may_create_study(request.user),
    }
    return render(request, "studies/list.html", context)


# --- adding and editing -----------------------------------------------------------------------------------------


def _fields(form) -> dict:
    return {name: value for name, value in form.cleaned_data.items() if name != "version"}


@login_required
def study_create(request):
    if not access.may_create_study(request.user):
        raise PermissionDenied("Only coordinators and members of an organisation in the hub add studies.")
    form = StudyForm(_posted(request), initial={"status": StudyStatus.SETUP})
    if request.method == "POST" and form.is_valid():
        try:
            study = services.study_create(user=request.user, fields=_fields(form))
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Study added.")
            return redirect(study.get_absolute_url())
    return render(request, "studies/form.html", {"form": form, "study": None})


@login_required
def study_edit(request, pk):
    study = _managed_study(request, pk)
    if request.method != "POST":
        form = StudyForm(initial=study_initial(study))
        return render(request, "studies/form.html", {"form": form, "study": study})
    form = StudyForm(request.POST)
    if form.is_valid():
        try:
            services.study_update(
                user=request.user, study=study, version=form.cleaned_data["version"] or 0, fields=_fields(form)
            )
        except services.StudyConflict as exc:
            return _conflict(request, study, exc)
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Study saved.")
            return redirect(study.get_absolute_url())
    return render(request, "studies/form.html", {"form": form, "study": study})


_CHOICE_LABELS = {
    "phase": dict(Phase.choices),
    "study_type": dict(StudyType.choices),
    "sponsor_class": dict(SponsorClass.choices),
    "status": dict(StudyStatus.choices),
}


def _shown(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name in _CHOICE_LABELS:
        return str(_CHOICE_LABELS[name].get(value, value))
    return str(value)


def _conflict(request, study: Study, exc):
    """Someone saved the study since this editor opened it: nothing is saved; both versions are shown, with the
    form holding the editor's values at the current version, to save them over the other change."""
    differing = set(exc.fields)
    rows = [
        {
            "label": str(Study._meta.get_field(name).verbose_name).capitalize(),
            "yours": _shown(name, exc.submitted.get(name)),
            "current": _shown(name, exc.current.get(name)),
            "differs": name in differing,
        }
        for name in exc.submitted
    ]
    data = request.POST.copy()
    data["version"] = str(exc.current_version)
    context = {
        "study": study,
        "rows": sorted(rows, key=lambda r: not r["differs"]),
        "message": exc.message,
        "form": StudyForm(data),
        "current_version": exc.current_version,
    }
    return render(request, "studies/conflict.html", context, status=409)


# --- one study --------------------------------------------------------------------------------------------------


def _feasibility_requests(user, study) -> list:
    return list(
        feasibility.requests_of(user=user, study=study).annotate(
            invite_count=Count("invites", distinct=True),
            answered_count=Count("invites", filter=Q(invites__status=InviteStatus.ANSWERED), distinct=True),
        )
    )


@login_required
def study_detail(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    manage = access.may_manage_study(request.user, study)
    status_form = StudyStatusForm(initial={"status": study.status})
    if request.method == "POST":
        if not manage:
            raise PermissionDenied("Only coordinators and the study's owner change a study's status.")
        status_form = StudyStatusForm(request.POST)
        if status_form.is_valid():
            try:
                services.study_status_set(user=request.user, study=study, status=status_form.cleaned_data["status"])
            except errors.DomainError as exc:
                _form_error(status_form, exc)
            else:
                messages.success(request, f"The study is now {study.get_status_display().lower()}.")
                return redirect(study.get_absolute_url())
    links = []
    for name, label, managers_only in STUDY_LINKS:
        if manage or not managers_only:
            links.append({"url": reverse(name, args=[study.pk]), "label": label})
    sites = list(services.study_sites_of(study))
    context = {
        "study": study,
        "manage": manage,
        "recruitment": recruitment.study_recruitment_summary(study) if sites else None,
        "feasibility_requests": _feasibility_requests(request.user, study) if manage else [],
        "sites": sites,
        "site_target_total": sum(s.target or 0 for s in sites),
        "links": links,
        "status_form": status_form,
        "edit_url": reverse("studies:edit", args=[study.pk]),
        "sites_url": reverse("studies:sites_manage", args=[study.pk]),
    }
    return render(request, "studies/detail.html", context)


# --- planned sites ----------------------------------------------------------------------------------------------


@login_required
def study_sites_manage(request, pk):
    study = _managed_study(request, pk)
    add_form = SiteAddForm(prefix="add")
    row_forms = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add":
            add_form = SiteAddForm(request.POST, prefix="add")
            if add_form.is_valid():
                data = dict(add_form.cleaned_data)
                site = data.pop("site")
                try:
                    services.study_site_add(user=request.user, study=study, site=site, **data)
                except errors.DomainError as exc:
                    _form_error(add_form, exc)
                else:
                    messages.success(request, f"{site.name} added to the study's sites.")
                    return redirect(reverse("studies:sites_manage", args=[study.pk]))
        elif action.startswith(("update:", "remove:")):
            verb, _, row_id = action.partition(":")
            row = services.study_site_for(study=study, pk=row_id)
            if verb == "remove":
                try:
                    services.study_site_remove(user=request.user, study_site=row)
                except errors.DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"{row.site.name} taken off the study's sites.")
                return redirect(reverse("studies:sites_manage", args=[study.pk]))
            form = SiteUpdateForm(request.POST, prefix=f"site-{row.pk}")
            row_forms[row.pk] = form
            if form.is_valid():
                try:
                    services.study_site_update(user=request.user, study_site=row, fields=dict(form.cleaned_data))
                except errors.DomainError as exc:
                    _form_error(form, exc)
                else:
                    messages.success(request, f"{row.site.name} saved.")
                    return redirect(reverse("studies:sites_manage", args=[study.pk]))
        else:
            add_form.add_error(None, "Choose what to do: add a site, save a site or take one off.")
    rows = []
    for row in services.study_sites_of(study):
        form = row_forms.get(row.pk) or SiteUpdateForm(
            prefix=f"site-{row.pk}",
            initial={name: getattr(row, name) for name in services.SITE_FIELDS},
        )
        rows.append({"row": row, "form": form})
    context = {
        "study": study,
        "rows": rows,
        "add_form": add_form,
        "statuses": StudySiteStatus.choices,
        "errors_forms": [f for f in [add_form, *row_forms.values()] if f.errors],
    }
    return render(request, "studies/sites_manage.html", context)


# --- ClinicalTrials.gov import ----------------------------------------------------------------------------------


@login_required
def study_import(request):
    if not access.may_create_study(request.user):
        raise PermissionDenied("Only coordinators and members of an organisation in the hub add studies.")
    form = CtgovImportForm(_posted(request), request.FILES if request.method == "POST" else None)
    result, problems = None, []
    if request.method == "POST" and form.is_valid():
        uploads = form.cleaned_data["files"]
        try:
            result = ctgov.ctgov_import(
                user=request.user,
                files=[(u.name, u.read()) for u in uploads],
                update=form.cleaned_data["update"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except errors.ImportFailed as exc:
            problems = exc.problems
        except errors.DomainError as exc:
            _form_error(form, exc)
    return render(request, "studies/import.html", {"form": form, "result": result, "problems": problems})
