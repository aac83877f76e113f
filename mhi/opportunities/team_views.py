"""Team builder pages: build a team for an opportunity or for a call's pasted text, keep one to start a bid,
and a kept team's page. Building is a POST (the text can be long) that writes nothing; keeping writes."""

import re
from collections import Counter
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mhi.core.errors import DomainError
from mhi.core.forms import GovukPlainForm
from mhi.expertise.engine.embedding import embedder
from mhi.opportunities import selectors
from mhi.opportunities.engine.teams import MAX_THEMES, TeamChoice, TeamInfeasible, TeamResult
from mhi.opportunities.intake import theme_list
from mhi.opportunities.models import MAX_THEME_LENGTH, Opportunity, TeamProposal
from mhi.opportunities.teams import (
    MAX_TEAM_SIZE,
    TeamMember,
    people_named,
    people_resolve,
    team_build,
    team_defaults,
    team_people,
    team_proposal_get,
    team_proposal_keep_from_token,
    team_proposal_order,
    team_result_token,
    themes_from_text,
    user_may_build_teams,
)

BRIEF_MAX_CHARS = 20_000
PEOPLE_HINT = "One per line: their name as the directory has it, or their profile address, for example naomi-clarke."


class TeamBuildForm(GovukPlainForm):
    text = forms.CharField(
        label="The call's text",
        required=False,
        max_length=BRIEF_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Paste the call or a description of the work. Themes are taken from it when you give none.",
    )
    themes = forms.CharField(
        label="Themes the team must cover",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"One per line, at most {MAX_THEMES}. Each theme counts its best-matching member.",
    )
    team_size = forms.IntegerField(
        label="Team size",
        min_value=1,
        max_value=MAX_TEAM_SIZE,
        help_text="How many people, counting anyone who must be in the team.",
    )
    min_partner_universities = forms.IntegerField(
        label="At least this many partner universities",
        min_value=0,
        max_value=50,
        help_text="Different partner universities among the members' organisations. 0 for no minimum.",
    )
    require_nhs = forms.BooleanField(
        label="An NHS person is required",
        required=False,
        help_text="Someone at an NHS trust or integrated care board, or an NHS clinician, who matches a theme.",
    )
    require_industry = forms.BooleanField(
        label="An industry person is required", required=False, help_text="Someone in industry who matches a theme."
    )
    include = forms.CharField(
        label="People who must be in the team",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=PEOPLE_HINT,
    )
    exclude = forms.CharField(
        label="People to leave out",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=PEOPLE_HINT,
    )
    max_live_bids = forms.IntegerField(
        label="Leave out people already in this many live bids",
        required=False,
        min_value=1,
        max_value=50,
        help_text="Empty for no limit. MHI Hub does not record bids yet, so for now nobody is in a live bid.",
    )

    def __init__(self, *args, user, for_brief: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.for_brief = user, for_brief
        if for_brief:
            themes_hint = (
                f"One per line, at most {MAX_THEMES}. Leave empty to take them from the text, then change them."
            )
            self.fields["themes"].help_text = themes_hint
        else:
            del self.fields["text"]
        for name in ("team_size", "min_partner_universities", "max_live_bids"):
            self.fields[name].widget.attrs["class"] += " govuk-input--width-3"

    def clean_themes(self):
        themes = theme_list(self.cleaned_data.get("themes") or "")
        if len(themes) > MAX_THEMES:
            raise forms.ValidationError(
                f"Give at most {MAX_THEMES} themes (there are {len(themes)}): merge or drop {len(themes) - MAX_THEMES}."
            )
        for theme in themes:
            if len(theme) > MAX_THEME_LENGTH:
                raise forms.ValidationError(
                    f"The theme “{theme[:40]}…” is longer than {MAX_THEME_LENGTH} characters; themes are short labels."
                )
        if not themes and not self.for_brief:
            raise forms.ValidationError("Give at least one theme for the team to cover.")
        return themes

    def _people(self, name: str) -> list[int]:
        people, problems = people_resolve(user=self.user, names=(self.cleaned_data.get(name) or "").splitlines())
        if problems:
            raise forms.ValidationError(problems)
        return [p.pk for p in people]

    def clean_include(self):
        return self._people("include")

    def clean_exclude(self):
        return self._people("exclude")

    def clean(self):
        data = super().clean()
        if self.for_brief and "themes" in data and not data["themes"] and "text" in data:
            if data["text"].strip():
                self.add_error("themes", "No themes could be taken from the text: give at least one theme.")
            else:
                self.add_error("text", "Paste the call's text, or give at least one theme.")
        return data


def _initial(defaults: dict) -> dict:
    return {**defaults, "themes": "\n".join(defaults["themes"])}


# --- what the page shows of a result ----------------------------------------------------------------------------


@dataclass
class Cell:
    similarity: float
    covers: bool


@dataclass
class ChoiceShown:
    number: int  # 0 for the best team, then the alternatives
    choice: TeamChoice
    members: list[TeamMember]
    rows: list[tuple[str, list[Cell]]]  # a theme and its cells, in the members' order
    covers: dict[int, list[str]]  # person id -> themes they cover
    swapped_out: list[TeamMember]
    swapped_in: list[TeamMember]
    status: str  # in words
    constraints: dict

    @property
    def caption(self) -> str:
        team = f"Alternative {self.number}" if self.number else "Why this team"
        return f"{team}: each member's similarity to each theme"

    @property
    def members_covering(self) -> list[tuple[TeamMember, str]]:
        return why_in_team(self.members, self.covers, self.constraints)


def why_in_team(members: list[TeamMember], covers: dict[int, list[str]], constraints: dict) -> list[tuple]:
    """What each member brings, in words: the themes they cover, or why they are in the team without one."""
    universities = Counter(m.organisation.pk for m in members if m.is_partner_university)

    def sole(flag: str) -> bool:  # no member covering a theme meets this requirement already
        return not any(getattr(o, flag) and covers.get(o.person.pk) for o in members)

    shown = []
    for member in members:
        themes = covers.get(member.person.pk, [])
        if themes:
            words = ", ".join(themes)
        elif member.person.pk in constraints.get("include", []):
            words = "No theme best: named to be in the team"
        elif constraints.get("require_nhs") and member.is_nhs and sole("is_nhs"):
            words = "No theme best: the NHS person required"
        elif constraints.get("require_industry") and member.is_industry and sole("is_industry"):
            words = "No theme best: the industry person required"
        elif member.is_partner_university and universities[member.organisation.pk] == 1:
            words = "No theme best: another partner university"
        else:
            words = "No theme best"
        shown.append((member, words))
    return shown


def status_words(status: str, gap: float | None, *, alternative: bool = False) -> str:
    if status == "optimal":
        return "proven next best" if alternative else "proven optimal"
    percent = f"{(gap or 0.0) * 100:.1f}"
    return f"best found, within {percent}% of {'the next best' if alternative else 'optimal'}"


def _shown(number: int, choice: TeamChoice, people: dict[int, TeamMember], constraints: dict) -> ChoiceShown:
    covers: dict[int, list[str]] = {}
    rows = []
    for cover, values in zip(choice.coverage, choice.table, strict=True):
        if cover.member is not None:
            covers.setdefault(cover.member, []).append(cover.theme)
        rows.append((cover.theme, [Cell(v, k == cover.member) for k, v in zip(choice.members, values, strict=True)]))
    return ChoiceShown(
        number,
        choice,
        [people[k] for k in choice.members],
        rows,
        covers,
        [people[k] for k in choice.swapped_out],
        [people[k] for k in choice.swapped_in],
        status_words(choice.status, choice.gap, alternative=number > 0),
        constraints,
    )


def _result_context(result: TeamResult, constraints: dict) -> dict:
    keys = {k for c in (result.best, *result.alternatives) for k in c.members}
    people = team_people(keys=keys)
    best = _shown(0, result.best, people, constraints)
    alternatives = [_shown(i, alt, people, constraints) for i, alt in enumerate(result.alternatives, start=1)]
    return {
        "result": result,
        "best": best,
        "alternatives": alternatives,
        "seconds": result.total_seconds + result.alternatives_seconds,
        "gain_over_greedy": result.objective - result.greedy_objective,
    }


# Which field a reason is about, so the error summary can link to it.
_REASON_FIELDS = [
    (re.compile(r"\bincluded\b"), "include"),
    (re.compile(r"\bexcluded\b"), "exclude"),
    (re.compile(r"live-bid|live bids"), "max_live_bids"),
    (re.compile(r"\bNHS\b"), "require_nhs"),
    (re.compile(r"\bindustry\b"), "require_industry"),
    (re.compile(r"partner universit"), "min_partner_universities"),
    (re.compile(r"[Tt]eam size|too small|team of \d+"), "team_size"),
    (re.compile(r"\btheme"), "themes"),
]


def reason_field(reason: str) -> str | None:
    return next((name for pattern, name in _REASON_FIELDS if pattern.search(reason)), None)


# --- pages ------------------------------------------------------------------------------------------------


def _may_build(request) -> None:
    if not user_may_build_teams(request.user):
        raise PermissionDenied


def _builder(request, *, opportunity: Opportunity | None):
    _may_build(request)
    for_brief = opportunity is None
    context = {"opportunity": opportunity, "reasons": [], "result": None}
    if request.method == "POST":
        data = request.POST.copy()
        if for_brief and not data.get("themes", "").strip() and data.get("text", "").strip():
            # Themes from the pasted text, put in the form so the user sees and can change them.
            data["themes"] = "\n".join(themes_from_text(data["text"][:BRIEF_MAX_CHARS]))
        form = TeamBuildForm(data, user=request.user, for_brief=for_brief)
        if form.is_valid():
            context.update(_build(request, form, opportunity))
    else:
        defaults = team_defaults(opportunity=opportunity)
        form = TeamBuildForm(initial=_initial(defaults), user=request.user, for_brief=for_brief)
        context["themes_suggested"] = bool(opportunity and defaults["themes"] and not opportunity.themes)
    context["form"] = form
    return render(request, "opportunities/team_builder.html", context)


def _build(request, form: TeamBuildForm, opportunity: Opportunity | None) -> dict:
    data = form.cleaned_data
    brief = (data.get("text") or "").strip() or "\n".join(data["themes"])
    constraints = {
        "team_size": data["team_size"],
        "min_partner_universities": data["min_partner_universities"],
        "require_nhs": data["require_nhs"],
        "require_industry": data["require_industry"],
        "include": data["include"],
        "exclude": data["exclude"],
        "max_live_bids": data["max_live_bids"],
    }
    try:
        result = team_build(
            user=request.user,
            opportunity=opportunity,
            brief=brief,
            themes=data["themes"],
            embedder=embedder(),
            **constraints,
        )
    except TeamInfeasible as exc:
        return {"reasons": [(reason, reason_field(reason)) for reason in exc.reasons]}
    token = team_result_token(
        user=request.user,
        result=result,
        opportunity=opportunity,
        brief="" if opportunity else brief,
        constraints={**constraints, "themes": list(result.themes)},
    )
    return {**_result_context(result, constraints), "token": token, "included": data["include"]}


@login_required
def team_builder(request, pk):
    try:
        opportunity = selectors.opportunity_get(user=request.user, pk=pk)
    except Opportunity.DoesNotExist:
        raise Http404("No such opportunity") from None
    return _builder(request, opportunity=opportunity)


@login_required
def team_builder_for_text(request):
    return _builder(request, opportunity=None)


@login_required
@require_POST
def team_keep(request):
    _may_build(request)
    try:
        choice = int(request.POST.get("choice", "0"))
    except ValueError:
        choice = -1
    try:
        proposal = team_proposal_keep_from_token(actor=request.user, token=request.POST.get("token", ""), choice=choice)
    except DomainError as exc:
        messages.error(request, exc.message)
        opportunity = request.POST.get("opportunity", "")
        if opportunity.isdigit():
            return redirect("opportunities:team", pk=int(opportunity))
        return redirect("opportunities:team_for_text")
    messages.success(request, "Team kept. Start a bid with it from this page.")
    return redirect("opportunities:team_proposal", pk=proposal.pk)


@login_required
def team_proposal_detail(request, pk):
    try:
        proposal = team_proposal_get(user=request.user, pk=pk)
    except TeamProposal.DoesNotExist:
        raise Http404("No such team") from None
    people = team_people(keys=proposal.members.values_list("pk", flat=True))
    members = team_proposal_order(proposal, [m.person for m in people.values()])
    rows = [
        (
            entry["theme"],
            [Cell(entry.get("similarities", {}).get(str(p.pk), 0.0), entry.get("person") == p.pk) for p in members],
        )
        for entry in proposal.coverage
    ]
    covers: dict[int, list[str]] = {}
    for entry in proposal.coverage:
        if entry.get("person") is not None:
            covers.setdefault(entry["person"], []).append(entry["theme"])
    context = {
        "proposal": proposal,
        "members_covering": why_in_team([people[p.pk] for p in members], covers, proposal.constraints),
        "members": [people[p.pk] for p in members],
        "rows": rows,
        "status": status_words(proposal.solver_status, proposal.gap),
        "constraints": proposal.constraints,
        "included": [people[k].person for k in proposal.constraints.get("include", []) if k in people],
        "excluded": people_named(user=request.user, ids=proposal.constraints.get("exclude", [])),
        "builder_url": (
            reverse("opportunities:team", args=[proposal.opportunity_id])
            if proposal.opportunity_id
            else reverse("opportunities:team_for_text")
        ),
    }
    return render(request, "opportunities/team_proposal.html", context)
