"""Bid statements assembled from the data: the team statement from the members' directory profiles and
expertise (works, grants), and, once a resources module exists, the facilities and resources statement.

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
FACILITIES_NOT_AVAILABLE = (
    "A facilities and resources statement cannot be assembled yet: MHI Hub has no catalogue of facilities and "
    "resources (the resources module does not exist). Write this section by hand for now."
)

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


def facilities_statement(*, bid: Bid) -> str:
    """Not available yet: MHI Hub has no resources catalogue to assemble it from, and inventing facilities
    would put false statements into a funding application."""
    return FACILITIES_NOT_AVAILABLE
