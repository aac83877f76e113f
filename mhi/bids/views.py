"""Bid pages: the pipeline as a list (with its CSV/XLSX download) and as a board, "my bids", starting a bid (for
an opportunity or from a kept team), one bid with its stage, team, partners, documents, comments, activity and
selection outcomes, editing with conflict detection, the team statement, the partnership pipeline and success
rates (tables with CSV), cap use for an opportunity and the public page of awarded bids.

A bid the user may not see does not exist (404); one they may see but not change answers 403. Writes go through
mhi.bids.services; a DomainError it raises becomes a form error naming the field."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from mhi.accounts.selectors import user_organisation_ids
from mhi.bids import exports, reports, selection, selectors, services, statements
from mhi.bids.forms import (
    BidCreateForm,
    BidEditForm,
    BidFieldsForm,
    BidFilterForm,
    BidFromTeamForm,
    CommentForm,
    DocumentForm,
    MemberForm,
    PartnerForm,
    SuccessRatesForm,
    TransitionForm,
)
from mhi.bids.models import STAGE_ORDER, Bid, BidDocument, MemberRole, Stage
from mhi.core import errors
from mhi.core.paging import page_of, querystring_without_page
from mhi.directory.models import Organisation, Person
from mhi.opportunities import selectors as opportunity_selectors
from mhi.opportunities.models import Opportunity, TeamProposal
from mhi.opportunities.teams import team_proposal_get

BOARD_LIMIT = 500  # bids read for the board; each column shows at most BOARD_COLUMN_LIMIT of them
BOARD_COLUMN_LIMIT = 25
TIMELINE_LIMIT = 50
STAGE_LABELS = dict(Stage.choices)
FIELD_LABELS = {
    "title": "Title",
    "lead_organisation": "Lead organisation",
    "lead_person": "Lead person",
    "summary": "Non-confidential summary",
    "case": "Case for support (confidential)",
    "themes": "Themes",
    "value_requested": "Value requested (£)",
    "value_awarded": "Value awarded (£)",
    "reminder_days": "Reminders (days before each deadline)",
}


# --- helpers ----------------------------------------------------------------------------------------------


def _form_error(form, exc: errors.DomainError) -> None:
    """The service's refusal on the field it names, or for the whole form."""
    if isinstance(exc, errors.PermissionDenied):
        raise PermissionDenied(exc.message)
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _posted(request):
    """The POST data for a form, even when empty (an empty QueryDict is falsy, and `or None` would leave the
    form unbound, so an empty submission would show no errors)."""
    return request.POST if request.method == "POST" else None


def _bid_or_404(request, pk) -> Bid:
    return selectors.bid_for(user=request.user, pk=pk)


def _editable_bid(request, pk) -> tuple[Bid, "selectors.BidPermissions"]:
    bid = _bid_or_404(request, pk)
    permissions = selectors.bid_permissions(user=request.user, bid=bid)
    if not permissions.can_edit:
        raise PermissionDenied("You may read this bid but not change it.")
    return bid, permissions


def _filter_choices(user) -> dict:
    """The institutions, funders and themes of the bids the user may see, for the filter form."""
    visible = selectors.bids_visible_to(user=user).order_by()
    ids = visible.values("pk")
    institutions = (
        Organisation.objects.filter(Q(bids_led__in=ids) | Q(bid_partnerships__bid__in=ids)).distinct().order_by("name")
    )
    funders = sorted(set(visible.values_list("opportunity__funder_name", flat=True)) - {""})
    themes = sorted({theme for themes in visible.values_list("themes", flat=True) for theme in themes or []})
    return {"institutions": list(institutions), "funders": funders, "themes": themes}


def _filtered(request) -> tuple[BidFilterForm, "selectors.BidFilters"]:
    form = BidFilterForm(request.GET or None, **_filter_choices(request.user))
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.BidFilters(
        stage=data.get("stage", ""),
        institution=data.get("institution"),
        funder=data.get("funder", ""),
        theme=data.get("theme", ""),
        q=data.get("q", ""),
    )
    return form, filters


def _querystring(request) -> str:
    params = request.GET.copy()
    for name in ("page", "format"):
        params.pop(name, None)
    return params.urlencode()


def _next_stages(bid: Bid, permissions) -> list[str]:
    """The stages the page offers: the allowed moves, less deciding internal selection (forwards or unsuccessful)
    for those who may not: they may only withdraw the bid."""
    stages = list(bid.allowed_next_stages())
    if bid.stage == Stage.INTERNAL_SELECTION and not permissions.can_pass_selection:
        stages = [s for s in stages if s == Stage.WITHDRAWN]
    return stages


# --- the pipeline: list, board, my bids, export -------------------------------------------------------------


@login_required
def bid_list(request):
    form, filters = _filtered(request)
    qs = selectors.bids_filtered(user=request.user, filters=filters)
    context = {
        "form": form,
        "page_obj": page_of(qs, request),
        "querystring": _querystring(request),
        "now": timezone.now(),
        "can_create": selectors.user_may_create_bid(request.user),
        "view": "list",
    }
    template = "bids/list.html#results" if request.htmx else "bids/list.html"
    return render(request, template, context)


@login_required
def bid_board(request):
    form, filters = _filtered(request)
    bids = list(selectors.bids_filtered(user=request.user, filters=filters)[:BOARD_LIMIT])
    by_stage: dict[str, list[Bid]] = {stage: [] for stage in STAGE_ORDER}
    for bid in bids:
        by_stage[bid.stage].append(bid)
    querystring = _querystring(request)
    columns = [
        {
            "stage": stage,
            "label": STAGE_LABELS[stage],
            "count": len(in_stage),
            "bids": in_stage[:BOARD_COLUMN_LIMIT],
            "more": max(0, len(in_stage) - BOARD_COLUMN_LIMIT),
        }
        for stage, in_stage in by_stage.items()
    ]
    context = {
        "form": form,
        "columns": columns,
        "total": len(bids),
        "truncated": len(bids) == BOARD_LIMIT,
        "querystring": querystring,
        "now": timezone.now(),
        "can_create": selectors.user_may_create_bid(request.user),
        "view": "board",
    }
    return render(request, "bids/board.html", context)


@login_required
def bid_mine(request):
    context = {
        "page_obj": page_of(selectors.my_bids(user=request.user), request),
        "querystring": querystring_without_page(request),
        "now": timezone.now(),
        "can_create": selectors.user_may_create_bid(request.user),
    }
    return render(request, "bids/mine.html", context)


@login_required
def bid_export(request):
    """The filtered list as CSV or XLSX (`?format=`); without a format, a page offering both."""
    form, filters = _filtered(request)
    qs = selectors.bids_filtered(user=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        return exports.csv_response(qs)
    if request.GET.get("format") == "xlsx":
        return exports.xlsx_response(qs)
    context = {"form": form, "count": qs.count(), "querystring": _querystring(request)}
    return render(request, "bids/export.html", context)


# --- starting a bid ---------------------------------------------------------------------------------------


def _opportunity_from_query(request) -> Opportunity | None:
    raw = request.GET.get("opportunity", "")
    if not raw.isdigit():
        return None
    try:
        return opportunity_selectors.opportunity_get(user=request.user, pk=int(raw))
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity") from None


@login_required
def bid_create(request):
    if not selectors.user_may_create_bid(request.user):
        raise PermissionDenied("Industry and external partners take part in bids but do not start them.")
    if request.GET.get("team"):
        return _bid_create_from_team(request, request.GET["team"])
    opportunity = _opportunity_from_query(request)
    own_organisations = sorted(user_organisation_ids(request.user))
    initial = {
        "opportunity": opportunity.pk if opportunity else None,
        "title": opportunity.title if opportunity else "",
        "lead_organisation": own_organisations[0] if own_organisations else None,
        "themes": "\n".join(opportunity.themes) if opportunity else "",
        "reminder_days": ", ".join(str(d) for d in Bid._meta.get_field("reminder_days").get_default()),
    }
    form = BidCreateForm(
        _posted(request),
        initial=initial,
        user=request.user,
        opportunities=opportunity_selectors.opportunities_visible_to(user=request.user).order_by("title"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bid = services.bid_create(
                actor=request.user,
                opportunity=data["opportunity"],
                title=data["title"],
                lead_organisation=data["lead_organisation"],
                lead_person=data["lead_person"],
                summary=data["summary"],
                case=data["case"],
                themes=data["themes"],
                value_requested=data["value_requested"],
                reminder_days=data["reminder_days"],
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Bid “{bid.title}” started. Add its team and partners next.")
            return redirect(bid.get_absolute_url())
    return render(request, "bids/create.html", {"form": form, "opportunity": opportunity})


def _bid_create_from_team(request, raw_id: str):
    if not raw_id.isdigit():
        raise Http404("No such team")
    try:
        proposal = team_proposal_get(user=request.user, pk=int(raw_id))
    except TeamProposal.DoesNotExist:
        raise Http404("No such team") from None
    form = BidFromTeamForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            bid = services.bid_from_team_proposal(
                actor=request.user,
                proposal=proposal,
                title=form.cleaned_data["title"],
                lead_organisation=form.cleaned_data["lead_organisation"],
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Bid “{bid.title}” started with the kept team.")
            return redirect(bid.get_absolute_url())
    members = list(proposal.members.order_by("family_name", "given_name"))
    return render(request, "bids/create_from_team.html", {"form": form, "proposal": proposal, "members": members})


# --- one bid ----------------------------------------------------------------------------------------------


def _document_form(data=None, files=None) -> DocumentForm:
    from django.conf import settings

    return DocumentForm(
        data,
        files,
        max_bytes=settings.MHI_BID_UPLOAD_MAX_BYTES,
        extensions=settings.MHI_BID_UPLOAD_EXTENSIONS,
    )


def _detail_context(request, bid: Bid, permissions) -> dict:
    now = timezone.now()
    stages = _next_stages(bid, permissions) if permissions.can_edit else []
    may_pass = bid.stage == Stage.INTERNAL_SELECTION and permissions.can_pass_selection
    return {
        "bid": bid,
        "permissions": permissions,
        "now": now,
        "deadline": bid.deadline(),
        "deadline_label": _deadline_label(bid),
        "overdue": bid.is_overdue(now),
        "partners": selectors.bid_partners(bid=bid),
        "members": _members_in_role_order(bid),
        "documents": selectors.bid_documents(bid=bid),
        "comments": selectors.bid_comments(bid=bid),
        "timeline": list(selectors.bid_timeline(bid=bid))[:TIMELINE_LIMIT],
        "outcomes": selection.outcomes_for_bid(user=request.user, bid=bid),
        "cap_places": bid.cap_places.select_related("organisation").order_by("scope"),
        "stages": [(s, STAGE_LABELS[s]) for s in stages],
        "offers_award": Stage.AWARDED in stages,
        "transition_form": TransitionForm(stages=stages) if stages or may_pass else None,
        "document_form": _document_form() if permissions.can_edit else None,
        "comment_form": CommentForm() if permissions.can_comment else None,
    }


_ROLE_ORDER = {role: i for i, role in enumerate(MemberRole.values)}


def _members_in_role_order(bid: Bid) -> list:
    """The team as a funder lists it: the PI first, then co-investigators, researcher co-investigators and
    collaborators, each by family name."""
    members = selectors.bid_members(bid=bid)
    return sorted(members, key=lambda m: (_ROLE_ORDER.get(m.role, len(_ROLE_ORDER)), m.person.family_name))


_DEADLINE_LABELS = {
    "eoi_deadline": "Expression of interest deadline",
    "outline_deadline": "Outline deadline",
    "closes_at": "Closing date",
}


def _deadline_label(bid: Bid) -> str:
    return _DEADLINE_LABELS.get(bid.deadline_field or "", "Deadline")


@login_required
def bid_detail(request, pk):
    bid = _bid_or_404(request, pk)
    permissions = selectors.bid_permissions(user=request.user, bid=bid)
    return render(request, "bids/detail.html", _detail_context(request, bid, permissions))


@login_required
def bid_edit(request, pk):
    bid, _ = _editable_bid(request, pk)
    awarded = bid.stage == Stage.AWARDED
    if request.method != "POST":
        form = BidEditForm(
            initial={**BidFieldsForm.initial_for(bid), "version": bid.version},
            user=request.user,
            with_value_awarded=awarded,
        )
        return render(request, "bids/edit.html", {"form": form, "bid": bid})
    form = BidEditForm(request.POST, user=request.user, with_value_awarded=awarded)
    if form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if name != "version"}
        try:
            services.bid_update(actor=request.user, bid=bid, version=form.cleaned_data["version"], fields=fields)
        except services.BidConflict as exc:
            return _conflict(request, bid, exc, awarded)
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Bid saved.")
            return redirect(bid.get_absolute_url())
    return render(request, "bids/edit.html", {"form": form, "bid": bid})


def _shown_value(name: str, value) -> str:
    """A field's value in words, for the conflict page (values may come as objects or as ids)."""
    if value in (None, "", []):
        return "—"
    if name == "lead_organisation" and not isinstance(value, Organisation):
        value = Organisation.objects.filter(pk=value).first() or value
    if name == "lead_person" and not isinstance(value, Person):
        value = Person.objects.filter(pk=value).first() or value
    if isinstance(value, Person):
        return value.display_name
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if name.startswith("value_"):
        from mhi.opportunities.models import money_words

        try:
            return money_words(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _conflict(request, bid: Bid, exc, awarded: bool):
    """Someone saved the bid since this editor opened it: nothing is saved; both versions are shown, and the
    form comes back with the editor's values at the current version, to save them over the other change."""
    differing = set(exc.fields)
    names = [n for n in FIELD_LABELS if n in exc.current or n in exc.submitted]
    rows = [
        {
            "label": FIELD_LABELS[name],
            "yours": _shown_value(name, exc.submitted.get(name)),
            "current": _shown_value(name, exc.current.get(name)),
            "differs": name in differing,
        }
        for name in names
    ]
    data = request.POST.copy()
    data["version"] = str(exc.current_version)
    form = BidEditForm(data, user=request.user, with_value_awarded=awarded)
    context = {
        "bid": bid,
        "rows": sorted(rows, key=lambda r: not r["differs"]),
        "message": exc.message,
        "form": form,
        "current_version": exc.current_version,
    }
    return render(request, "bids/conflict.html", context, status=409)


@login_required
def bid_transition(request, pk):
    bid, permissions = _editable_bid(request, pk)
    stages = _next_stages(bid, permissions)
    form = TransitionForm(_posted(request), stages=STAGE_ORDER)
    if request.method == "POST" and request.POST.get("action") == "pass_selection":
        form = TransitionForm(stages=STAGE_ORDER)
        try:
            services.bid_pass_selection(actor=request.user, bid=bid, reason=request.POST.get("reason", ""))
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            bid.refresh_from_db()
            messages.success(request, f"Bid passed internal selection: now at {STAGE_LABELS[bid.stage].lower()}.")
            return redirect(bid.get_absolute_url())
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.bid_transition(
                actor=request.user,
                bid=bid,
                to_stage=data["to_stage"],
                reason=data["reason"],
                value_awarded=data.get("value_awarded"),
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Bid moved to {STAGE_LABELS[data['to_stage']].lower()}.")
            return redirect(bid.get_absolute_url())
    context = {
        "bid": bid,
        "form": form,
        "stages": [(s, STAGE_LABELS[s]) for s in stages],
        "offers_award": Stage.AWARDED in stages,
        "permissions": permissions,
        "deadline": bid.deadline(),
        "deadline_label": _deadline_label(bid),
    }
    return render(request, "bids/transition.html", context)


@login_required
def bid_team(request, pk):
    bid, _ = _editable_bid(request, pk)
    form = MemberForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.member_add(
                actor=request.user, bid=bid, person=data["person"], role=data["role"], organisation=data["organisation"]
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{member.person.display_name} added as {member.get_role_display().lower()}.")
            return redirect("bids:team", pk=bid.pk)
    members = _members_in_role_order(bid)
    return render(request, "bids/team.html", {"bid": bid, "form": form, "members": members})


@login_required
@require_POST
def bid_member_remove(request, pk, member_id):
    bid, _ = _editable_bid(request, pk)
    try:
        services.member_remove(actor=request.user, bid=bid, member_id=member_id)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Removed from the team.")
    return redirect("bids:team", pk=bid.pk)


@login_required
def bid_partners(request, pk):
    bid, _ = _editable_bid(request, pk)
    form = PartnerForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partner = services.partner_add(
                actor=request.user, bid=bid, organisation=data["organisation"], role=data["role"], note=data["note"]
            )
        except errors.DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{partner.organisation.name} added as a partner.")
            return redirect("bids:partners", pk=bid.pk)
    partners = selectors.bid_partners(bid=bid)
    return render(request, "bids/partners.html", {"bid": bid, "form": form, "partners": partners})


@login_required
@require_POST
def bid_partner_remove(request, pk, partner_id):
    bid, _ = _editable_bid(request, pk)
    try:
        services.partner_remove(actor=request.user, bid=bid, partner_id=partner_id)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Partner removed.")
    return redirect("bids:partners", pk=bid.pk)


@login_required
def bid_documents(request, pk):
    """The bid's documents; POST uploads one (the service checks size and type before anything is stored)."""
    bid = _bid_or_404(request, pk)
    permissions = selectors.bid_permissions(user=request.user, bid=bid)
    form = _document_form() if permissions.can_edit else None
    if request.method == "POST":
        if not permissions.can_edit:
            raise PermissionDenied("You may read this bid but not add documents to it.")
        form = _document_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = services.document_upload(
                    actor=request.user,
                    bid=bid,
                    uploaded_file=form.cleaned_data["file"],
                    description=form.cleaned_data["description"],
                )
            except errors.DomainError as exc:
                if exc.field not in form.fields:
                    exc.field = "file"
                _form_error(form, exc)
            else:
                messages.success(request, f"“{document.original_name}” uploaded.")
                return redirect(reverse("bids:detail", args=[bid.pk]) + "#documents")
    context = {"bid": bid, "form": form, "documents": selectors.bid_documents(bid=bid), "permissions": permissions}
    return render(request, "bids/documents.html", context)


def _document_or_404(bid: Bid, document_id: int) -> BidDocument:
    try:
        return bid.documents.get(pk=document_id)
    except BidDocument.DoesNotExist:
        raise Http404("No such document") from None


@login_required
@require_safe
def bid_document(request, pk, document_id):
    bid = _bid_or_404(request, pk)
    return services.document_response(document=_document_or_404(bid, document_id))


@login_required
@require_POST
def bid_document_delete(request, pk, document_id):
    bid, _ = _editable_bid(request, pk)
    document = _document_or_404(bid, document_id)
    try:
        services.document_delete(actor=request.user, bid=bid, document_id=document.pk)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"“{document.original_name}” deleted.")
    return redirect(reverse("bids:detail", args=[bid.pk]) + "#documents")


@login_required
def bid_comments(request, pk):
    bid = _bid_or_404(request, pk)
    permissions = selectors.bid_permissions(user=request.user, bid=bid)
    form = CommentForm(_posted(request)) if permissions.can_comment else None
    if request.method == "POST":
        if not permissions.can_comment:
            raise PermissionDenied("Reviewers read bids but do not comment on them.")
        if form.is_valid():
            try:
                services.comment_add(actor=request.user, bid=bid, text=form.cleaned_data["text"])
            except errors.DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "Comment added.")
                return redirect(reverse("bids:detail", args=[bid.pk]) + "#comments")
    context = {"bid": bid, "form": form, "comments": selectors.bid_comments(bid=bid)}
    return render(request, "bids/comments.html", context)


@login_required
def bid_statement(request, pk):
    """The team statement (Markdown), shown as text to copy, or downloaded with `?format=md`."""
    bid = _bid_or_404(request, pk)
    text = statements.team_statement(bid=bid)
    if request.GET.get("format") == "md":
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="team-statement-bid-{bid.pk}.md"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    context = {"bid": bid, "text": text, "facilities": statements.facilities_statement(bid=bid)}
    return render(request, "bids/statement.html", context)


# --- reports ----------------------------------------------------------------------------------------------


@login_required
def bid_pipeline(request):
    form, filters = _filtered(request)
    summary = reports.pipeline_summary(user=request.user, filters=filters)
    if request.GET.get("format") == "csv":
        return exports.pipeline_csv_response(summary)
    widest = max((t.count for t in summary.by_stage), default=0)
    context = {
        "form": form,
        "summary": summary,
        "grid": _pipeline_grid(summary),
        "bars": [(t, round(100 * t.count / widest) if widest else 0) for t in summary.by_stage],
        "querystring": _querystring(request),
    }
    return render(request, "bids/pipeline.html", context)


def _pipeline_grid(summary) -> list[dict]:
    """Institutions down, stages across: each cell the (count, value) of that stage's bids led there."""
    cells = {(row.stage, row.institution.pk): row for row in summary.rows}
    return [
        {"total": total, "cells": [cells.get((stage, total.institution.pk)) for stage in summary.stages]}
        for total in summary.by_institution
    ]


@login_required
def bid_success(request):
    form, filters = _filtered(request)
    by_form = SuccessRatesForm(request.GET or None)
    by = by_form.cleaned_data.get("by") if by_form.is_valid() else ""
    by = by or "funder"
    rows = reports.success_rates(user=request.user, by=by, filters=filters)
    if request.GET.get("format") == "csv":
        return exports.success_csv_response(rows, by=by)
    context = {
        "form": form,
        "by_form": by_form,
        "by": by,
        "by_label": dict(by_form.fields["by"].choices)[by],
        "rows": rows,
        "querystring": _querystring(request),
    }
    return render(request, "bids/success.html", context)


@login_required
def bid_caps(request, opportunity_id):
    if not selectors.user_may_see_cap_use(request.user):
        raise PermissionDenied("Cap use is for MHI coordinators and institution admins.")
    try:
        opportunity = opportunity_selectors.opportunity_get(user=request.user, pk=opportunity_id)
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity") from None
    bids = (
        selectors.bids_visible_to(user=request.user)
        .filter(opportunity=opportunity)
        .prefetch_related("cap_places__organisation")
        .order_by("lead_organisation__name", "title")
    )
    context = {"opportunity": opportunity, "rows": selectors.cap_use(opportunity=opportunity), "bids": bids}
    return render(request, "bids/caps.html", context)


def bid_awarded(request):
    """Awarded bids, for everyone: title, lead organisation, opportunity, funder and the non-confidential summary."""
    context = {
        "page_obj": page_of(selectors.awarded_bids_public(), request),
        "querystring": querystring_without_page(request),
    }
    return render(request, "bids/awarded.html", context)
