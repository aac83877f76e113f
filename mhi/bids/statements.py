"""Bid statements assembled from the data: the team statement from the members' directory profiles and
expertise (works, grants), and the facilities and resources statement from the shared resources catalogue
(the equipment and facilities of the bid's lead and partner organisations that match the bid's text).

Statements are Markdown, to paste into a funder's form or render on the bid's page. Text from profiles is
escaped so a title with an asterisk or an angle bracket stays text.
"""

import re

from mhi.bids.models import Bid, MemberRole
from mhi.expertise.grants import grants_of
from mhi.expertise.selectors import works_of

RECENT_WORKS = 5
RECENT_GRANTS = 3
LEAD_PERSON_ROLE = "Lead person"
# At most this many matching resources per organisation in the facilities statement.
FACILITIES_PER_ORGANISATION = 8

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_ROLE_ORDER = {role: i for i, role in enumerate(MemberRole.values)}


def _md(text: str) -> str:
    """Plain text as Markdown that renders as the same text, on one line."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _affiliation(person, organisation):
    """The affiliation the member takes part through: at the organisation named on the bid if they have one
    there, else their primary (then first) current one."""
    affiliations = [a for a in person.affiliations.all() if a.is_current]
    if organisation is not None:
        for affiliation in affiliations:
            if affiliation.organisation_id == organisation.pk:
                return affiliation
    return next((a for a in affiliations if a.is_primary), affiliations[0] if affiliations else None)


def _years(start, end) -> str:
    if start and end:
        return f"{start.year}–{end.year}" if start.year != end.year else str(start.year)
    return str((start or end).year) if (start or end) else ""


def _person_section(person, role_label: str, organisation) -> list[str]:
    lines = [f"## {_md(person.display_name)} — {role_label}", ""]
    affiliation = _affiliation(person, organisation)
    place = organisation or (affiliation.organisation if affiliation else None)
    where = []
    if affiliation and affiliation.job_title:
        where.append(affiliation.job_title)
    if affiliation and affiliation.department:
        where.append(affiliation.department)
    if place is not None:
        where.append(place.name)
    if where:
        lines += [_md(", ".join(where)), ""]
    if person.biography.strip():
        lines += [_md(person.biography), ""]
    # works_of reads every work of the person (works are published; the user argument is not used to filter).
    works = list(works_of(user=None, person=person)[:RECENT_WORKS])
    if works:
        lines += ["Recent works:", ""]
        lines += [f"- {_md(w.title)}" + (f" ({w.year})" if w.year else "") for w in works]
        lines.append("")
    grants = list(grants_of(person)[:RECENT_GRANTS])
    if grants:
        lines += ["Grants:", ""]
        for grant in grants:
            detail = ", ".join(part for part in (grant.funder, _years(grant.start_date, grant.end_date)) if part)
            lines.append(f"- {_md(grant.title)}" + (f" ({_md(detail)})" if detail else ""))
        lines.append("")
    return lines


def team_statement(*, bid: Bid) -> str:
    """The team statement: each member (PI first, then by role and name) with their role on the bid, job title
    and organisation, biography, recent works and grants. The lead person comes first when not a member."""
    members = sorted(
        bid.members.select_related("person", "organisation").prefetch_related("person__affiliations__organisation"),
        key=lambda m: (_ROLE_ORDER.get(m.role, len(_ROLE_ORDER)), m.person.family_name, m.person.given_name),
    )
    lines = [f"# Team statement: {_md(bid.title)}", ""]
    lines += [f"For {_md(bid.opportunity.title)}, led by {_md(bid.lead_organisation.name)}.", ""]
    if bid.lead_person_id and bid.lead_person_id not in {m.person_id for m in members}:
        lines += _person_section(bid.lead_person, LEAD_PERSON_ROLE, bid.lead_organisation)
    for member in members:
        lines += _person_section(member.person, member.get_role_display(), member.organisation)
    if not members and not bid.lead_person_id:
        lines += ["The bid has no team members yet: add them on the bid's team page.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _organisations(bid: Bid) -> list:
    partners = [p.organisation for p in bid.partners.select_related("organisation").order_by("organisation__name")]
    return [bid.lead_organisation, *[o for o in partners if o.pk != bid.lead_organisation_id]]


def _resource_line(resource) -> str:
    """One catalogue entry as a Markdown list item: what it is, where, and who may use it."""
    name = f"**{_md(resource.name)}**"
    if resource.technique:
        name += f" ({_md(resource.technique)})"
    parts = [name]
    made = " ".join(x for x in (resource.manufacturer, resource.model_name) if x)
    if made:
        parts.append(_md(made))
    where = ", ".join(x for x in (resource.department, resource.building, resource.site_location) if x)
    if where:
        parts.append(_md(where))
    access = f"access: {resource.get_access_policy_display().lower()}"
    if resource.requires_induction:
        access += ", induction required"
    parts.append(access)
    if resource.service_level:
        parts.append(_md(resource.service_level))
    return "- " + "; ".join(parts) + "."


def facilities_statement(*, bid: Bid, embedder=None) -> str:
    """Markdown: for the lead and each partner organisation, its catalogued equipment and facilities that match
    the bid's title, summary, themes and call (the catalogue's own search, by meaning and words), best first.
    Only what the catalogue holds is stated; an organisation with nothing catalogued, or nothing matching, says
    so. `embedder` embeds the bid's text (tests pass the session's model)."""
    from mhi.resources.selectors import ResourceFilters, resources_public, resources_search

    text = " ".join(
        [bid.title, bid.summary, " ".join(bid.themes or []), bid.opportunity.title, bid.opportunity.summary]
    )
    lines = [f"# Facilities and resources: {_md(bid.title)}", ""]
    found = 0
    for organisation in _organisations(bid):
        catalogued = resources_public().filter(organisation=organisation).count()
        lines.append(f"## {_md(organisation.name)}")
        lines.append("")
        if not catalogued:
            lines.append("Nothing in the MHI Hub resources catalogue yet.")
            lines.append("")
            continue
        matches = list(
            resources_search(filters=ResourceFilters(q=text, institution=organisation.pk), embedder=embedder)
        )[:FACILITIES_PER_ORGANISATION]
        if not matches:
            lines.append(f"None of its {catalogued} catalogued resources matches the bid's text.")
            lines.append("")
            continue
        found += len(matches)
        lines.extend(_resource_line(r) for r in matches)
        lines.append("")
    if not found:
        lines.append(
            "No catalogued equipment or facilities of the bid's organisations match the bid: write this section by "
            "hand, or ask the institutions to publish their equipment in the catalogue."
        )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
