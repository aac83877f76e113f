"""Pages: site placement. A study's candidates (with where each figure came from), the form to run placement and
its past runs; a run's result: the chosen sites, the completion date and the recruitment curves of the chosen
set and the alternatives, as an inline SVG chart with the same numbers in a table beside it.

Both pages are for whoever may see the study (a study they may not see does not exist: 404); running placement
is for its managers (403). Anonymous users are sent to sign in."""

import datetime
import math
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from mhi.core.errors import DomainError
from mhi.core.paging import page_of
from mhi.studies import access, placement
from mhi.studies.forms_placement import PlacementForm
from mhi.studies.models import PlacementObjective

# The chart's geometry (SVG user units) and each option's line: colour, dash pattern, width. Lines differ by
# dash pattern as well as colour, so the chart does not rely on colour alone.
CHART_WIDTH, CHART_HEIGHT = 720, 360
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 36, 16, 48
LINE_STYLES = {
    "optimal": ("#1d70b8", "", 4),
    "all": ("#505a5f", "8 4", 2),
    "by_rate": ("#d4351c", "2 4", 3),
    "by_start": ("#00703c", "12 4 3 4", 2),
}


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _pounds(value) -> str:
    if value is None or value == "":
        return "not known"
    amount = Decimal(value)
    return f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"


def _candidate_rows(candidates, *, start: datetime.date, chosen=()) -> list[dict]:
    chosen = set(chosen)
    return [
        {
            "candidate": c,
            "start_label": placement.month_start(start, c.start_month).strftime("%b %Y"),
            "cost_label": _pounds(c.cost),
            "chosen": c.site_id in chosen,
        }
        for c in candidates
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def placement_page(request, pk):
    study = access.study_for(user=request.user, pk=pk)
    perms = access.study_permissions(user=request.user, study=study)
    if request.method == "POST" and not perms.manage:
        raise PermissionDenied
    found = placement.candidates_for(study)
    form = None
    if perms.manage:
        form = PlacementForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = placement.placement_run_create(
                    user=request.user,
                    study=study,
                    objective=data["objective"],
                    max_sites=data["max_sites"],
                    budget=data["budget"],
                    horizon_months=data["horizon_months"],
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                return redirect("studies:placement_run", pk=run.pk)
    runs = page_of(placement.placement_runs_of(study), request)
    context = {
        "study": study,
        "found": found,
        "rows": _candidate_rows(found.candidates, start=found.start),
        "form": form,
        "can_manage": perms.manage,
        "page_obj": runs,
        "objectives": dict(PlacementObjective.choices),
        "study_budget": _pounds(study.budget) if study.budget is not None else None,
    }
    return render(request, "studies/placement/placement.html", context)


@login_required
@require_safe
def placement_run(request, pk):
    run = placement.placement_run_for(user=request.user, pk=pk)
    result = run.result
    start = datetime.date.fromisoformat(result["start"])
    candidates = [placement.PlacementCandidate.from_json(c) for c in run.candidates]
    by_id = {c.site_id: c for c in candidates}
    chosen = [by_id[i] for i in result["chosen"] if i in by_id]
    options = [_option_view(o, start) for o in result["alternatives"]]
    for o in options[1:]:
        o["same_as_chosen"] = sorted(o["site_ids"]) == sorted(result["chosen"])
    shown = _months_shown(result, options)
    context = {
        "run": run,
        "study": run.study,
        "result": result,
        "start": start,
        "chosen_rows": _candidate_rows(chosen, start=start, chosen=result["chosen"]),
        "other_rows": [
            r for r in _candidate_rows(candidates, start=start) if r["candidate"].site_id not in result["chosen"]
        ],
        "options": options,
        "months": _month_rows(options, start, shown, result["target"]),
        "chart": _chart(options, start, shown, result["target"]),
        "completion": None
        if result["completion_date"] is None
        else datetime.date.fromisoformat(result["completion_date"]),
        "completion_month": None
        if result["completion_index"] is None
        else placement.month_start(start, result["completion_index"]),
        "horizon_end": placement.month_end(start, result["horizon_months"] - 1),
        "cost_label": _pounds(result["cost"]),
        "budget_label": _pounds(result["budget"]) if result["budget"] is not None else None,
        "can_manage": access.may_manage_study(request.user, run.study),
        "objective_label": dict(PlacementObjective.choices).get(run.objective, run.objective),
    }
    return render(request, "studies/placement/run.html", context)


def _option_view(option: dict, start: datetime.date) -> dict:
    index = option["completion_index"]
    colour, dash, width = LINE_STYLES.get(option["key"], ("#0b0c0c", "", 2))
    return {
        **option,
        "completion_month": None if index is None else placement.month_start(start, index),
        "cost_label": _pounds(option["cost"])
        + (f" ({option['unknown_costs']} not known)" if option["unknown_costs"] else ""),
        "colour": colour,
        "dash": dash,
        "width": width,
    }


def _months_shown(result: dict, options: list[dict]) -> int:
    """Months in the chart and table: up to a month after the last option to complete, or the whole horizon
    when the chosen set does not complete."""
    horizon = result["horizon_months"]
    if result["completion_index"] is None:
        return horizon
    done = [o["completion_index"] for o in options if o["completion_index"] is not None]
    return min(horizon, max(done) + 2)


def _month_rows(options: list[dict], start: datetime.date, shown: int, target: int) -> list[dict]:
    rows = []
    for t in range(shown):
        cells = [{"value": o["curve"][t], "completes": o["completion_index"] == t} for o in options]
        rows.append({"index": t, "number": t + 1, "month": placement.month_start(start, t), "cells": cells})
    return rows


def _nice_step(span: float, ticks: int = 5) -> int:
    raw = max(span / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return max(1, int(factor * magnitude))
    return int(10 * magnitude)


def _chart(options: list[dict], start: datetime.date, shown: int, target: int) -> dict:
    """The recruitment curves as SVG geometry: cumulative participants at the end of each month (drawn at the
    start of the next), from 0 at the start of month 1, with the target as a dashed line."""
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top_value = max([target, *(max(o["curve"][:shown], default=0) for o in options)])
    step = _nice_step(top_value)
    y_max = step * math.ceil(top_value * 1.05 / step)

    def x(month: float) -> float:
        return round(MARGIN_LEFT + plot_w * month / shown, 1)

    def y(value: float) -> float:
        return round(MARGIN_TOP + plot_h * (1 - value / y_max), 1)

    lines = []
    for o in reversed(options):  # the chosen set last, on top
        points = [(x(0), y(0))] + [(x(t + 1), y(v)) for t, v in enumerate(o["curve"][:shown])]
        marker = None
        if o["completion_index"] is not None and o["completion_index"] < shown:
            t = o["completion_index"]
            marker = {"x": x(t + 1), "y": y(o["curve"][t])}
        lines.append(
            {
                "key": o["key"],
                "label": o["label"],
                "points": " ".join(f"{px},{py}" for px, py in points),
                "colour": o["colour"],
                "dash": o["dash"],
                "width": o["width"],
                "marker": marker,
            }
        )
    y_ticks = [{"value": v, "y": y(v)} for v in range(0, y_max + 1, step)]
    month_step = max(1, math.ceil(shown / 10))
    if month_step > 1:
        month_step = 3 * math.ceil(month_step / 3)  # quarters, half-years, years
    x_ticks = [
        {"x": x(t), "label": placement.month_start(start, t).strftime("%b %y")} for t in range(0, shown + 1, month_step)
    ]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": MARGIN_LEFT,
        "right": CHART_WIDTH - MARGIN_RIGHT,
        "top": MARGIN_TOP,
        "bottom": CHART_HEIGHT - MARGIN_BOTTOM,
        "axis_label_x": MARGIN_LEFT + plot_w / 2,
        "axis_label_y": CHART_HEIGHT - 8,
        "target_y": y(target),
        "target": target,
        "lines": lines,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
    }
