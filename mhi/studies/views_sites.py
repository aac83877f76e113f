"""Pages: every site and its research profile (public), editing a profile (the site's users, its institution
admins and coordinators), the research infrastructure directory (public), the prevalence table (public) and its
upload (coordinators and institution admins), and a study's reach estimates (whoever may see the study).

Each view makes one call into sites, prevalence or reach. Refusals (DomainError) are shown on the form at the
field they name; a bad prevalence file is refused as a whole, every bad row named.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from mhi.core.errors import DomainError, ImportFailed
from mhi.core.paging import page_of, querystring_without_page
from mhi.directory.models import Organisation
from mhi.studies import access, prevalence, reach, sites
from mhi.studies.forms_sites import (
    InfrastructureFilterForm,
    PrevalenceUploadForm,
    SiteFilterForm,
    SiteProfileForm,
)

INFRA = Organisation.InfrastructureType


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@require_safe
def site_list(request):
    form = SiteFilterForm(request.GET or None, icbs=sites.icbs_with_sites())
    filters = {"specialty": "", "icb_code": "", "q": "", "kind": ""}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {"specialty": data["specialty"], "icb_code": data["icb"], "q": data["q"], "kind": data["kind"]}
    page_obj = page_of(sites.sites_matching(**filters), request)
    rows = [
        {"site": site, "catchment": sites.site_catchment(site), "profile": sites.profile_of(site)}
        for site in page_obj.object_list
    ]
    context = {
        "form": form,
        "page_obj": page_obj,
        "rows": rows,
        "filtered": any(filters.values()),
        "querystring": querystring_without_page(request),
    }
    return render(request, "studies/sites/list.html", context)


@require_safe
def site_detail(request, slug):
    site = sites.site_by_slug(slug)
    is_site_user = site.pk in access.user_site_ids(request.user)
    context = {
        "site": site,
        "profile": sites.profile_of(site),
        "catchment": sites.site_catchment(site),
        "relations": sites.related_infrastructure(site),
        "may_edit": access.may_edit_site(request.user, site),
        "show_contacts": access.signed_in(request.user),
        "is_site_user": is_site_user,
    }
    return render(request, "studies/sites/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def site_edit(request, slug):
    site = sites.site_by_slug(slug)
    if not access.may_edit_site(request.user, site):
        raise PermissionDenied
    form = SiteProfileForm(request.POST if request.method == "POST" else None, instance=sites.profile_of(site))
    if request.method == "POST" and form.is_valid():
        try:
            sites.site_profile_update(user=request.user, site=site, data=form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"The research profile of {site.name} was saved.")
            return redirect("studies:site", slug=site.slug)
    return render(request, "studies/sites/edit.html", {"site": site, "form": form})


@require_safe
def infrastructure(request):
    partners = sites.partner_universities()
    form = InfrastructureFilterForm(request.GET or None, types=INFRA.choices, partners=partners)
    kind, partner = "", ""
    if form.is_bound and form.is_valid():
        kind, partner = form.cleaned_data["type"], form.cleaned_data["partner"]
    found = list(sites.infrastructure_directory(infrastructure_type=kind, partner=partner))
    groups = []
    for value, label in INFRA.choices:
        members = [o for o in found if o.infrastructure_type == value]
        if members:
            groups.append(
                {
                    "value": value,
                    "label": label,
                    "items": [
                        {
                            "org": o,
                            "hosts": [r for r in o.relations_out.all() if r.kind == sites.HOSTED_BY],
                            "partners": [r for r in o.relations_out.all() if r.kind == sites.PARTNER],
                        }
                        for o in members
                    ],
                }
            )
    context = {"form": form, "groups": groups, "count": len(found), "filtered": bool(kind or partner)}
    return render(request, "studies/sites/infrastructure.html", context)


@require_safe
def prevalence_table(request):
    context = {
        "figures": list(prevalence.figures()),
        "may_load": access.may_load_prevalence(request.user),
        "default_shipped": prevalence.default_shipped(),
    }
    return render(request, "studies/sites/prevalence.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def prevalence_upload(request):
    if not access.may_load_prevalence(request.user):
        raise PermissionDenied
    posted = request.method == "POST"
    form = PrevalenceUploadForm(request.POST if posted else None, request.FILES if posted else None)
    problems = []
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        name = upload.name or "upload.csv"
        try:
            text = prevalence.decode_upload(upload.read(prevalence.MAX_BYTES + 1), name=name)
            result = prevalence.prevalence_load(user=request.user, text=text, name=name)
        except ImportFailed as exc:
            problems = exc.problems
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, result.summary())
            return redirect("studies:prevalence")
    return render(request, "studies/sites/prevalence_upload.html", {"form": form, "problems": problems})


@login_required
@require_safe
def study_reach(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    candidates = reach.candidate_sites(study)
    estimates = reach.reach_estimates(study=study, sites=[site for site, _ in candidates])
    rows = [{"site": site, "why": why, "estimate": estimates[site.pk]} for site, why in candidates]
    largest = max((r["estimate"].eligible or 0 for r in rows), default=0)
    for row in rows:
        eligible = row["estimate"].eligible
        row["width"] = round(100 * eligible / largest) if eligible and largest else 0
    choice = reach.condition_for(study)
    context = {
        "study": study,
        "rows": rows,
        "choice": choice,
        "has_figures": bool(prevalence.conditions()),
    }
    return render(request, "studies/sites/reach.html", context)
