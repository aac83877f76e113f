"""Reach estimates: how many patients a site could reach for a study.

eligible = catchment population × prevalence / 100 × eligibility fraction, rounded down. Every figure comes with
the assumption behind it in words (which population, which prevalence figure, which fraction) so a reader can
judge it; what is missing is said, not guessed.
"""

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from mhi.directory.models import Organisation
from mhi.studies.models import PrevalenceFigure, SiteProfile, Study, StudySite
from mhi.studies.prevalence import ENGLAND, figures_for_condition
from mhi.studies.sites import site_catchment


@dataclass
class ReachEstimate:
    site: Organisation
    population: int | None
    prevalence_percent: Decimal | None
    prevalence_source: str
    prevalence_area: str  # the area code of the figure used: an ICB's ODS code or "ENG"
    indicative: bool
    eligibility_fraction: Decimal | None
    eligible: int | None
    condition_key: str = ""
    condition_choice: str = ""  # how the condition was chosen, in words
    prevalence_year: str = ""
    icb: Organisation | None = None
    assumptions: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConditionChoice:
    key: str  # "" when none could be chosen
    explanation: str


def condition_for(study: Study) -> ConditionChoice:
    """The prevalence table's condition key for a study: its `prevalence_condition`, else the first of its
    conditions that equals (case-insensitively) a condition key or name in the table, else the first whose
    words contain a key or name (for example “Type 2 diabetes” matches the key “diabetes”)."""
    if study.prevalence_condition.strip():
        key = study.prevalence_condition.strip()
        return ConditionChoice(key, f"The study's prevalence condition is set to “{key}”.")
    table = list(
        PrevalenceFigure.objects.values_list("condition_key", "condition").distinct().order_by("condition_key")
    )
    names = {}
    for key, name in table:
        names.setdefault(key.lower(), key)
        names.setdefault(name.strip().lower(), key)
    conditions = study.condition_list
    for condition in conditions:
        key = names.get(condition.lower())
        if key:
            return ConditionChoice(key, f"The study's condition “{condition}” matches the prevalence table's “{key}”.")
    for condition in conditions:
        lowered = f" {condition.lower()} "
        for text, key in sorted(names.items(), key=lambda item: (-len(item[0]), item[0])):
            readable = text.replace("_", " ").replace("-", " ")
            if f" {readable} " in lowered.replace("-", " ").replace(",", " "):
                return ConditionChoice(
                    key, f"The study's condition “{condition}” contains the prevalence table's “{readable}” ({key})."
                )
    if not conditions:
        return ConditionChoice("", "The study lists no conditions and has no prevalence condition set.")
    return ConditionChoice(
        "",
        "None of the study's conditions matches a condition in the prevalence table, and no prevalence "
        "condition is set.",
    )


def _fmt_int(value: int) -> str:
    return f"{value:,}"


def _estimate(study: Study, site: Organisation, choice: ConditionChoice, figures: dict[str, PrevalenceFigure]):
    catchment = site_catchment(site)
    assumptions, missing = [], []
    population = catchment.population
    if population is not None:
        assumptions.append(f"Population {_fmt_int(population)}: {catchment.basis}")
    else:
        missing.append(f"A catchment population: {catchment.basis}")
    assumptions.append(choice.explanation)
    figure = None
    if choice.key:
        if catchment.icb is not None and catchment.icb.ods_code in figures:
            figure = figures[catchment.icb.ods_code]
        elif ENGLAND in figures:
            figure = figures[ENGLAND]
    if figure is not None:
        where = figure.area_name or figure.area_code
        flag = "indicative (a national default, not the area's own figure)" if figure.indicative else "not indicative"
        fallback = ""
        if figure.area_code == ENGLAND and catchment.icb is not None:
            fallback = f" England's figure is used because none is loaded for {catchment.icb.name}."
        basis = f", {figure.population_basis}" if figure.population_basis else ""
        assumptions.append(
            f"Prevalence {figure.percent.normalize():f}% — {figure.condition} in {where} ({figure.area_code}{basis}), "
            f"year {figure.year or 'not stated'}, source: {figure.source}; {flag}.{fallback}"
        )
    elif choice.key:
        missing.append(f"A prevalence figure for “{choice.key}” for {catchment.icb or 'its ICB'} or England.")
    else:
        missing.append("A prevalence condition for the study.")
    fraction = study.eligibility_fraction
    if fraction is not None:
        assumptions.append(f"Eligibility fraction {fraction.normalize():f}: the study's own estimate.")
    else:
        assumptions.append("Eligibility fraction: not set.")
        missing.append("The study's eligibility fraction.")
    eligible = None
    if population is not None and figure is not None and fraction is not None:
        eligible = math.floor(Decimal(population) * figure.percent / Decimal(100) * fraction)
    return ReachEstimate(
        site=site,
        population=population,
        prevalence_percent=figure.percent if figure else None,
        prevalence_source=figure.source if figure else "",
        prevalence_area=figure.area_code if figure else "",
        indicative=bool(figure and figure.indicative),
        eligibility_fraction=fraction,
        eligible=eligible,
        condition_key=choice.key,
        condition_choice=choice.explanation,
        prevalence_year=figure.year if figure else "",
        icb=catchment.icb,
        assumptions=assumptions,
        missing=missing,
    )


def reach_estimate(*, study: Study, site: Organisation) -> ReachEstimate:
    choice = condition_for(study)
    return _estimate(study, site, choice, figures_for_condition(choice.key))


def reach_estimates(*, study: Study, sites) -> dict[int, ReachEstimate]:
    """One estimate per site (keyed by the site's id), with the condition and its figures read once."""
    choice = condition_for(study)
    figures = figures_for_condition(choice.key)
    return {site.pk: _estimate(study, site, choice, figures) for site in sites}


def _within(part: str, whole: str) -> bool:
    """Whether `part` occurs in `whole` as whole words ("diabetes" in "type 2 diabetes", not "ear" in "heart")."""
    return bool(part) and re.search(rf"(?<!\w){re.escape(part)}(?!\w)", whole) is not None


def candidate_sites(study: Study) -> list[tuple[Organisation, str]]:
    """The study's planned sites, then sites whose specialties match one of its conditions: (site, why)."""
    out: dict[int, tuple[Organisation, str]] = {}
    planned = StudySite.objects.filter(study=study).select_related("site__icb").order_by("site__name")
    for study_site in planned:
        out[study_site.site_id] = (study_site.site, f"{study_site.get_status_display()} for the study")
    words = study.condition_list
    profiles = SiteProfile.objects.exclude(organisation_id__in=out.keys()).select_related("organisation__icb")
    matches: dict[int, tuple[Organisation, list[str]]] = {}
    for profile in profiles:
        specialties = [s.lower() for s in profile.specialty_list]
        for condition in words:
            lowered = condition.lower()
            hit = next((s for s in specialties if _within(s, lowered) or _within(lowered, s)), None)
            if hit:
                matches.setdefault(profile.organisation_id, (profile.organisation, []))[1].append(condition)
    for site_id, (site, conditions) in sorted(matches.items(), key=lambda item: item[1][0].name):
        out[site_id] = (site, "Specialty matches " + ", ".join(f"“{c}”" for c in conditions))
    return list(out.values())
