"""Pages of the feasibility loop: sending a request to sites (by specialty, ICB or the system's suggestions), the
site user's inbox and questionnaire, the side-by-side comparison of the answers (and its CSV) and closing a request
with the sites chosen.

Each view makes one call into mhi.studies.feasibility. Refusals (DomainError) are shown on the form at the field
they name. Permissions (mhi.studies.access): a study or request the user may not see answers 404, one they see but
may not manage 403; an invite exists only for its site's users and for those who manage its request.
"""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from mhi.core.errors import DomainError
from mhi.core.paging import page_of
from mhi.studies import access, feasibility
from mhi.studies.forms_feasibility import FeasibilityAnswerForm, FeasibilityCloseForm, FeasibilityRequestForm
from mhi.studies.models import FeasibilityStatus, Interest
from mhi.studies.sites import icbs_with_sites, sites_matching

FILTER_LIMIT = 50  # the most sites listed for one filter


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _managed_study(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    if not access.may_manage_study(request.user, study):
        raise PermissionDenied
    return study


def _managed_request(request, pk):
    """The feasibility request, for those who manage its study: 404 for everyone else (site users open their
    invite instead), 403 for someone who sees the study's requests but may not manage it."""
    found = access.feasibility_request_for(user=request.user, pk=pk)
    if not access.may_manage_study(request.user, found.study):
        raise PermissionDenied
    return found


# --- sending ---------------------------------------------------------------------------------------------------


@login_required
def feasibility_create(request, pk):
    """Choose sites (the suggestions, or filtered by specialty, ICB or name), a deadline, a message and reminder
    days; send. Filtering keeps the sites already ticked."""
    study = _managed_study(request, pk)
    icb_choices = [(icb.ods_code, icb.name) for icb in icbs_with_sites() if icb.ods_code]
    action = request.POST.get("action", "send") if request.method == "POST" else "filter"
    source = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" and action == "send":
        form = FeasibilityRequestForm(request.POST, icb_choices=icb_choices)
    else:
        initial = {
            "specialty": source.get("specialty", ""),
            "icb": source.get("icb", ""),
            "q": source.get("q", ""),
            "deadline": source.get("deadline", ""),
            "message": source.get("message", ""),
            "reminder_days": source.get("reminder_days", "7,2"),
        }
        form = FeasibilityRequestForm(initial=initial, icb_choices=icb_choices)
    ticked = {v.strip() for v in source.getlist("sites") if v.strip().isdigit()}
    if request.method == "POST" and action == "send" and form.is_valid():
        data = form.cleaned_data
        try:
            result = feasibility.feasibility_request_create(
                user=request.user,
                study=study,
                site_ids=data["sites"],
                deadline=data["deadline"],
                message=data["message"],
                reminder_days=data["reminder_days"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            sent = len(result.invites) - len(result.unreachable)
            messages.success(
                request,
                f"Feasibility request sent to {feasibility._count(len(result.invites), 'site')}; "
                f"{feasibility._count(sent, 'site')} emailed.",
            )
            if result.unreachable:
                names = ", ".join(site.name for site in result.unreachable)
                messages.warning(
                    request,
                    f"Nobody to email at {names}: no user with a site role and no R&D contact email. "
                    f"Their invites wait in the hub; tell them another way.",
                )
            return redirect("studies:feasibility", pk=result.request.pk)
    specialty, icb, q = (source.get(k, "").strip() for k in ("specialty", "icb", "q"))
    filtered = []
    if specialty or icb or q:
        filtered = list(sites_matching(specialty=specialty, icb_code=icb, q=q)[:FILTER_LIMIT])
    suggestions = feasibility.suggest_sites(study=study)
    suggested = {s.site.pk for s in suggestions}
    filtered = [site for site in filtered if site.pk not in suggested]
    shown = suggested | {site.pk for site in filtered}
    kept = list(access.sites().filter(pk__in=[int(v) for v in ticked]).exclude(pk__in=shown).order_by("name"))
    context = {
        "study": study,
        "form": form,
        "suggestions": [(s.site, s.reason, str(s.site.pk) in ticked) for s in suggestions],
        "filtered": [(site, site.icb.name if site.icb_id else "", str(site.pk) in ticked) for site in filtered],
        "filtering": bool(specialty or icb or q),
        "kept": kept,
        "filter_limit": FILTER_LIMIT,
    }
    return render(request, "studies/feasibility/create.html", context)


# --- the site's inbox and questionnaire -------------------------------------------------------------------------


@login_required
@require_safe
def invites(request):
    """The invites of the user's own sites: open ones first, then answered and closed ones."""
    page = page_of(feasibility.inbox_invites(user=request.user), request)
    rows = []
    for invite in page:
        open_, why = feasibility.answer_open(invite)
        rows.append({"invite": invite, "response": feasibility.response_of(invite), "open": open_, "why": why})
    context = {"page_obj": page, "rows": rows, "is_site_user": bool(access.user_site_ids(request.user))}
    return render(request, "studies/feasibility/inbox.html", context)


@login_required
def invite(request, pk):
    """The structured questionnaire, for the invited site's users; read-only for those who manage the request."""
    found = access.invite_for(user=request.user, pk=pk)
    may_answer = access.may_answer_invite(request.user, found)
    if not may_answer and not access.may_manage_study(request.user, found.request.study):
        raise Http404("No such feasibility invite.")
    response = feasibility.response_of(found)
    open_, why = feasibility.answer_open(found)
    editable = may_answer and open_
    initial = {}
    if response is not None:
        initial = {name: getattr(response, name) for name in feasibility.ANSWER_FIELDS}
        if initial["monthly_recruitment"] is not None:
            initial["monthly_recruitment"] = str(initial["monthly_recruitment"])
    form = FeasibilityAnswerForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not may_answer:
            raise PermissionDenied
        if form.is_valid():
            try:
                feasibility.feasibility_answer(user=request.user, invite=found, data=form.answers())
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Your answers for {found.site.name} are saved. {why}",
                )
                return redirect("studies:invite", pk=found.pk)
    context = {
        "invite": found,
        "study": found.request.study,
        "feasibility_request": found.request,
        "response": response,
        "form": form,
        "editable": editable,
        "may_answer": may_answer,
        "open": open_,
        "why": why,
        "manages": access.may_manage_study(request.user, found.request.study),
        "reminders": list(found.reminders.order_by("-days_before")),
    }
    return render(request, "studies/feasibility/invite.html", context)


# --- comparison and closing -------------------------------------------------------------------------------------


COMPARISON_ROWS = [
    ("Interest", "interest"),
    ("Local PI", "local_pi"),
    ("Estimated participants a month", "monthly_recruitment"),
    ("Capacity and capability", "capacity"),
    ("Clinical trials pharmacy", "pharmacy"),
    ("Imaging", "imaging"),
    ("Earliest start", "earliest_start"),
    ("Comments", "comments"),
    ("Reach estimate (eligible patients)", "reach"),
    ("Capacity in its profile (a month)", "profile_capacity"),
]


def _cell(row: feasibility.ComparisonRow, key: str) -> str:
    """One answer of one site, as shown in the comparison and its CSV."""
    if key == "reach":
        return f"{row.eligible:,}" if row.eligible is not None else "Not known"
    if key == "profile_capacity":
        return f"{row.profile_capacity:,}" if row.profile_capacity is not None else "Not stated"
    response = row.response
    if response is None:
        return "No answer yet"
    if key == "interest":
        return response.get_interest_display()
    if key == "local_pi":
        return (
            " ".join(
                x for x in (response.local_pi, f"({response.local_pi_email})" if response.local_pi_email else "") if x
            )
            or "—"
        )
    if key == "monthly_recruitment":
        return f"{response.monthly_recruitment:,}" if response.monthly_recruitment is not None else "—"
    if key == "capacity":
        text = response.get_capacity_display() if response.capacity else "—"
        return f"{text}: {response.capacity_note}" if response.capacity_note else text
    if key in ("pharmacy", "imaging"):
        return getattr(response, f"get_{key}_display")() if getattr(response, key) else "—"
    if key == "earliest_start":
        return f"{response.earliest_start:%-d %B %Y}" if response.earliest_start else "—"
    return response.comments or "—"


@login_required
@require_safe
def feasibility_detail(request, pk):
    """Every invited site's answers side by side (sites in columns; `?layout=rows` for sites in rows)."""
    found = _managed_request(request, pk)
    compared = feasibility.comparison(found)
    table = [(label, [_cell(row, key) for row in compared.rows]) for label, key in COMPARISON_ROWS]
    site_rows = [(row, [_cell(row, key) for _, key in COMPARISON_ROWS]) for row in compared.rows]
    layout = "rows" if request.GET.get("layout") == "rows" else "columns"
    context = {
        "feasibility_request": found,
        "study": found.study,
        "compared": compared,
        "labels": [label for label, _ in COMPARISON_ROWS],
        "table": table,
        "site_rows": site_rows,
        "layout": layout,
        "chosen": [row for row in compared.rows if row.invite.chosen],
    }
    return render(request, "studies/feasibility/detail.html", context)


@login_required
@require_safe
def feasibility_csv(request, pk):
    found = _managed_request(request, pk)
    compared = feasibility.comparison(found)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Site", "ODS code", "Status", "Chosen", *[label for label, _ in COMPARISON_ROWS], "Reminders"])
    for row in compared.rows:
        writer.writerow(
            [
                row.site.name,
                row.site.ods_code or "",
                row.invite.get_status_display(),
                "yes" if row.invite.chosen else "no",
                *[_cell(row, key) for _, key in COMPARISON_ROWS],
                row.reminders_words,
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="feasibility-{found.pk}.csv"'
    return response


@login_required
def feasibility_close(request, pk):
    """Pick the chosen sites (those that answered yes or maybe) and a decision note; close the request."""
    found = _managed_request(request, pk)
    choosable = list(feasibility.choosable_invites(found))
    form = FeasibilityCloseForm(request.POST if request.method == "POST" else None)
    closed = found.status == FeasibilityStatus.CLOSED
    if request.method == "POST" and not closed and form.is_valid():
        try:
            feasibility.feasibility_close(
                user=request.user,
                request=found,
                site_ids=form.cleaned_data["sites"],
                decision_note=form.cleaned_data["decision_note"],
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            count = len(form.cleaned_data["sites"])
            messages.success(
                request,
                f"Request closed; {feasibility._count(count, 'site')} chosen and added to the study. "
                f"The invited sites are told the outcome by email.",
            )
            return redirect("studies:feasibility", pk=found.pk)
    ticked = set(request.POST.getlist("sites")) if request.method == "POST" else set()
    context = {
        "feasibility_request": found,
        "study": found.study,
        "choosable": choosable,
        "form": form,
        "closed": closed,
        "ticked": ticked,
        "interest_yes": Interest.YES,
    }
    return render(request, "studies/feasibility/close.html", context)
