"""`mhi load-reference`: the real partnership from data/reference (see its SOURCES.md).

Every file is read and checked before anything is written; one bad row fails the whole load with file,
row and column named. Rows are found again by a reference key, so a second run changes nothing and a
changed file updates rows in place. Every change goes through the audit trail.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from mhi.core.audit import audit_delete, audit_save
from mhi.core.imports import CsvRow, ImportProblems, csv_rows
from mhi.core.validators import ror_normalise
from mhi.directory.models import Affiliation, Organisation, OrganisationRelation, PartnerInstitution, Person

REFERENCE_DIR = Path(settings.BASE_DIR) / "data" / "reference"
SOURCE = "mhi load-reference"
Kind = Organisation.Kind
Infra = Organisation.InfrastructureType

REGIONS = {"East Midlands": Organisation.Region.EAST_MIDLANDS, "West Midlands": Organisation.Region.WEST_MIDLANDS}

# The scheme names used in research_infrastructure.csv's `type`, mapped to our infrastructure types.
INFRASTRUCTURE_TYPES = [
    ("(BRC)", Infra.BRC),
    ("(CRF)", Infra.CRF),
    ("(ARC)", Infra.ARC),
    ("(MIC)", Infra.MEDTECH),
    ("(HRC)", Infra.MEDTECH),
    ("CRN)", Infra.RDN),
    ("(RRDN)", Infra.RDN),
    ("(CRDC)", Infra.CRDC),
    ("CRDC Network", Infra.CRDC),
    ("(PRC)", Infra.CRDC),
]


@dataclass
class OrgSpec:
    key: str
    fields: dict
    row: CsvRow | None = None
    icb_code: str = ""


@dataclass
class RelationSpec:
    subject_key: str
    target_key: str
    kind: str
    note: str = ""


@dataclass
class ReferenceReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: int = 0
    relations_created: int = 0
    relations_removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values()) or sum(self.updated.values()) or self.relations_created or self.relations_removed
        )

    def summary(self) -> str:
        def fmt(counter):
            return ", ".join(f"{n} {k}" for k, n in sorted(counter.items())) or "none"

        return (
            f"created: {fmt(self.created)}; updated: {fmt(self.updated)}; unchanged: {self.unchanged}; "
            f"relations created: {self.relations_created}, removed: {self.relations_removed}"
        )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _name_and_note(text: str) -> tuple[str, str]:
    """“University of Warwick (academic lead)” → ("University of Warwick", "academic lead")."""
    match = re.match(r"^(.*?)\s*\((.*)\)\s*$", text)
    return (match.group(1).strip(), match.group(2).strip()) if match else (text.strip(), "")


def _canonical_name(name: str) -> str:
    name = re.sub(r"\bNHS FT\b", "NHS Foundation Trust", name)
    return re.sub(r"\s+", " ", name).strip().lower()


def _decimal(row: CsvRow, column: str, problems: ImportProblems) -> Decimal | None:
    raw = row.get(column)
    if not raw:
        return None
    try:
        return Decimal(raw).quantize(Decimal("0.000001"))
    except InvalidOperation:
        problems.add(row, column, f"“{raw}” is not a number")
        return None


def _integer(row: CsvRow, column: str, problems: ImportProblems) -> int | None:
    raw = row.get(column).replace(",", "")
    if not raw:
        return None
    if not raw.isdigit():
        problems.add(row, column, f"“{raw}” is not a whole number")
        return None
    return int(raw)


def _region(row: CsvRow, column: str, problems: ImportProblems) -> str:
    raw = row.get(column)
    if raw not in REGIONS:
        problems.add(row, column, f"“{raw}” is not East Midlands or West Midlands")
        return ""
    return REGIONS[raw]


def _plan_icbs(directory: Path, problems: ImportProblems, la_regions: dict[str, Counter]) -> list[OrgSpec]:
    specs = []
    required = ["icb_name", "icb_ods_code", "icb_ons_code", "population_census2021_derived", "population_note"]
    for row in csv_rows(directory / "icbs_midlands.csv", required=required, problems=problems):
        code = row.get("icb_ods_code")
        regions = la_regions.get(code)
        name = row.get("icb_name")
        specs.append(
            OrgSpec(
                key=f"icb:{code}",
                row=row,
                fields={
                    "kind": Kind.ICB,
                    "name": name,
                    "short_name": name.removeprefix("NHS ").removesuffix(" Integrated Care Board"),
                    "ods_code": code,
                    "ons_code": row.get("icb_ons_code"),
                    "population": _integer(row, "population_census2021_derived", problems),
                    "population_note": row.get("population_note")[:300],
                    "region": regions.most_common(1)[0][0] if regions else "",
                    "source": "ONS ICB names and codes (December 2024); population derived from Census 2021",
                },
            )
        )
    return specs


def _plan_local_authorities(directory: Path, problems: ImportProblems) -> tuple[list[OrgSpec], dict[str, Counter]]:
    specs, regions = [], {}
    required = [
        "lad_code",
        "lad_name",
        "ons_region",
        "icb_ods_code",
        "population_census2011",
        "population_census2021_rounded100",
    ]
    for row in csv_rows(directory / "population_la_midlands.csv", required=required, problems=problems):
        region = _region(row, "ons_region", problems)
        regions.setdefault(row.get("icb_ods_code"), Counter())[region] += 1
        specs.append(
            OrgSpec(
                key=f"la:{row.get('lad_code')}",
                row=row,
                icb_code=row.get("icb_ods_code"),
                fields={
                    "kind": Kind.LOCAL_GOVERNMENT,
                    "name": row.get("lad_name"),
                    "subtype": "Local authority",
                    "ons_code": row.get("lad_code"),
                    "region": region,
                    "population": _integer(row, "population_census2021_rounded100", problems),
                    "population_note": (
                        f"Census 2021 usual residents, rounded to the nearest 100 "
                        f"(Census 2011: {row.get('population_census2011')})"
                    ),
                    "source": "ONS Census 2021 first results (ONSvisual/census-population-scrolly)",
                },
            )
        )
    return specs, regions


def _plan_universities(directory: Path, problems: ImportProblems) -> tuple[list[OrgSpec], list[dict]]:
    partnership = {}
    required = ["university_ror_id", "region", "lead_title", "lead_given_name", "lead_family_name", "is_chair"]
    for row in csv_rows(directory / "partnership.csv", required=required, problems=problems):
        if row.get("region") not in Organisation.Region.values:
            problems.add(row, "region", f"“{row.get('region')}” is not one of {', '.join(Organisation.Region.values)}")
        if row.get("is_chair") not in ("yes", "no"):
            problems.add(row, "is_chair", "must be yes or no")
        partnership[ror_normalise(row.get("university_ror_id"))] = row
    specs = []
    required = ["name", "short_name", "city", "ror_id", "ukprn", "website", "latitude", "longitude", "postcode"]
    for row in csv_rows(directory / "universities.csv", required=required, problems=problems):
        ror = ror_normalise(row.get("ror_id"))
        member = partnership.get(ror)
        specs.append(
            OrgSpec(
                key=f"university:{row.get('ukprn')}",
                row=row,
                fields={
                    "kind": Kind.UNIVERSITY,
                    "name": row.get("name"),
                    "short_name": row.get("short_name"),
                    "town": row.get("city"),
                    "ror_id": ror,
                    "ukprn": row.get("ukprn"),
                    "website": row.get("website"),
                    "postcode": row.get("postcode"),
                    "latitude": _decimal(row, "latitude", problems),
                    "longitude": _decimal(row, "longitude", problems),
                    "region": member.get("region") if member else "",
                    "source": f"ROR; {row.get('latlon_source')}",
                },
            )
        )
    members = []
    for ror, row in partnership.items():
        spec = next((s for s in specs if s.fields["ror_id"] == ror), None)
        if spec is None:
            problems.add(row, "university_ror_id", f"no university with ROR id {ror} in universities.csv")
            continue
        members.append({"key": spec.key, "row": row, "ror": ror})
    return specs, members


def _plan_trusts(directory: Path, problems: ImportProblems) -> list[OrgSpec]:
    specs = []
    required = [
        "ods_code",
        "name",
        "trust_type",
        "ons_region",
        "icb_ods_code",
        "hq_address",
        "town",
        "postcode",
        "latitude",
        "longitude",
    ]
    for row in csv_rows(directory / "nhs_trusts_midlands.csv", required=required, problems=problems):
        specs.append(
            OrgSpec(
                key=f"trust:{row.get('ods_code')}",
                row=row,
                icb_code=row.get("icb_ods_code"),
                fields={
                    "kind": Kind.NHS_TRUST,
                    "name": row.get("name"),
                    "ods_code": row.get("ods_code"),
                    "subtype": row.get("trust_type")[:80],
                    "address": row.get("hq_address").title(),
                    "town": row.get("town"),
                    "postcode": row.get("postcode"),
                    "latitude": _decimal(row, "latitude", problems),
                    "longitude": _decimal(row, "longitude", problems),
                    "region": _region(row, "ons_region", problems),
                    "source": f"NHS ODS etr.csv; location: {row.get('latlon_source')}"[:300],
                    "verification": row.get("verification")[:400],
                },
            )
        )
    return specs


def _infrastructure_type(scheme: str) -> str:
    return next((value for marker, value in INFRASTRUCTURE_TYPES if marker in scheme), Infra.OTHER)


def _plan_infrastructure(
    directory: Path, problems: ImportProblems, known: dict[str, OrgSpec]
) -> tuple[list[OrgSpec], list[RelationSpec]]:
    """Research infrastructure rows, their hosts and partners. A partner named in the file but not in the
    other files becomes an organisation of its own so the relation can be shown and followed."""
    specs, relations = [], []
    by_ods = {s.fields.get("ods_code"): s for s in known.values() if s.fields.get("ods_code")}
    by_name = {_canonical_name(s.fields["name"]): s for s in known.values()}
    named: dict[str, OrgSpec] = {}

    def find_or_name(text: str, default_kind: str) -> OrgSpec:
        canonical = _canonical_name(text)
        if canonical in by_name:
            return by_name[canonical]
        if canonical not in named:
            kind = default_kind
            if default_kind == Kind.OTHER and (text.startswith("University of") or text.endswith("University")):
                kind = Kind.UNIVERSITY
            named[canonical] = OrgSpec(
                key=f"named:{slugify(text)[:140]}",
                fields={"kind": kind, "name": text, "source": "named in research_infrastructure.csv"},
            )
        return named[canonical]

    required = [
        "name",
        "type",
        "host_organisation",
        "host_ods_code",
        "partner_universities",
        "other_partners",
        "themes",
    ]
    for row in csv_rows(directory / "research_infrastructure.csv", required=required, problems=problems):
        name = row.get("name")
        key = f"infrastructure:{slugify(name)[:130]}"
        host_codes = _split(row.get("host_ods_code"))
        host_texts = _split(row.get("host_organisation"))
        hosts: list[tuple[OrgSpec, str]] = []
        for index, code in enumerate(host_codes):
            host = by_ods.get(code.upper())
            if host is None:
                problems.add(
                    row, "host_ods_code", f"“{code}” is not the ODS code of a trust in nhs_trusts_midlands.csv"
                )
                continue
            note = _name_and_note(host_texts[index])[1] if len(host_texts) == len(host_codes) else ""
            hosts.append((host, note))
        if not host_codes:
            for text in host_texts:
                host_name, note = _name_and_note(text)
                hosts.append((find_or_name(host_name, Kind.OTHER), note))
        region = next((h.fields.get("region") for h, _ in hosts if h.fields.get("region")), "")
        specs.append(
            OrgSpec(
                key=key,
                row=row,
                fields={
                    "kind": Kind.RESEARCH_INFRASTRUCTURE,
                    "name": name,
                    "scheme": row.get("type")[:120],
                    "infrastructure_type": _infrastructure_type(row.get("type")),
                    "themes": "\n".join(_split(row.get("themes"))),
                    "years_active": row.get("years_active")[:200],
                    "funding_note": row.get("funding_note")[:300],
                    "verification": row.get("verification")[:400],
                    "source": f"research_infrastructure.csv sources {', '.join(_split(row.get('sources')))} (SOURCES.md §4)"[
                        :300
                    ],
                    "region": region,
                },
            )
        )
        relations += [RelationSpec(key, host.key, OrganisationRelation.Kind.HOSTED_BY, note) for host, note in hosts]
        for text in _split(row.get("partner_universities")):
            partner_name, note = _name_and_note(text)
            relations.append(RelationSpec(key, find_or_name(partner_name, Kind.UNIVERSITY).key, "partner", note))
        for text in _split(row.get("other_partners")):
            partner_name, note = _name_and_note(text)
            relations.append(RelationSpec(key, find_or_name(partner_name, Kind.OTHER).key, "partner", note))
    return specs + list(named.values()), relations


# Model field → CSV column, so a validation error names the column the user has to fix.
COLUMNS = {
    "ror_id": "ror_id",
    "ukprn": "ukprn",
    "ods_code": "ods_code",
    "postcode": "postcode",
    "name": "name",
    "website": "website",
    "latitude": "latitude",
    "longitude": "longitude",
    "ons_code": "lad_code",
}


def _validate(specs: list[OrgSpec], problems: ImportProblems) -> None:
    seen: dict[tuple[str, str], OrgSpec] = {}
    for spec in specs:
        candidate = Organisation(slug="x", **spec.fields)
        try:
            candidate.clean_fields(exclude=["slug", "icb"])
            candidate.clean()
        except ValidationError as exc:
            if spec.row is not None:
                columns = dict(COLUMNS)
                if spec.key.startswith("icb:"):
                    columns |= {"ods_code": "icb_ods_code", "ons_code": "icb_ons_code", "name": "icb_name"}
                if spec.key.startswith("la:"):
                    columns |= {"name": "lad_name"}
                problems.add_validation_error(spec.row, exc, columns)
            continue
        spec.fields.update({k: getattr(candidate, k) for k in ("ror_id", "ods_code", "postcode")})
        for ident in ("ror_id", "ukprn", "ods_code", "ons_code"):
            value = spec.fields.get(ident)
            if not value:
                continue
            other = seen.get((ident, value))
            if other is not None and spec.row is not None:
                problems.add(spec.row, COLUMNS.get(ident, ident), f"{value} is already used in row {other.row.number}")
            seen[(ident, value)] = spec


def _unique_slug(base: str, model) -> str:
    base = slugify(base)[:110] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply_org(spec: OrgSpec, icbs: dict[str, Organisation], actor, report: ReferenceReport) -> Organisation:
    fields = dict(spec.fields)
    if spec.icb_code:
        fields["icb"] = icbs[spec.icb_code]
    org = Organisation.objects.filter(reference_key=spec.key).first()
    if org is None:
        org = Organisation(
            reference_key=spec.key,
            slug=_unique_slug(
                fields.get("short_name") if fields["kind"] == Kind.UNIVERSITY else fields["name"], Organisation
            ),
        )
        audit_save(instance=org, fields=fields, actor=actor, source=SOURCE)
        report.created[fields["kind"]] += 1
    elif audit_save(instance=org, fields=fields, actor=actor, source=SOURCE):
        report.updated[fields["kind"]] += 1
    else:
        report.unchanged += 1
    return org


def _apply_relations(relations: list[RelationSpec], orgs: dict[str, Organisation], actor, report: ReferenceReport):
    subjects = {r.subject_key for r in relations} | {k for k in orgs if k.startswith("infrastructure:")}
    wanted = {(r.subject_key, r.target_key, r.kind): r for r in relations}
    existing = OrganisationRelation.objects.filter(subject__reference_key__in=subjects).select_related(
        "subject", "target"
    )
    for relation in existing:
        spec = wanted.pop((relation.subject.reference_key, relation.target.reference_key, relation.kind), None)
        if spec is None:
            audit_delete(instance=relation, actor=actor, source=SOURCE)
            report.relations_removed += 1
        elif audit_save(instance=relation, fields={"note": spec.note[:200]}, actor=actor, source=SOURCE):
            report.updated["relation"] += 1
    for spec in wanted.values():
        relation = OrganisationRelation(subject=orgs[spec.subject_key], target=orgs[spec.target_key], kind=spec.kind)
        audit_save(instance=relation, fields={"note": spec.note[:200]}, actor=actor, source=SOURCE)
        report.relations_created += 1


def _apply_partnership(members: list[dict], orgs: dict[str, Organisation], actor, report: ReferenceReport):
    # Clear the chair first so moving it between universities never meets the one-chair constraint.
    for seat in PartnerInstitution.objects.filter(is_chair=True):
        if not any(m["row"].get("is_chair") == "yes" and orgs[m["key"]].pk == seat.organisation_id for m in members):
            audit_save(instance=seat, fields={"is_chair": False}, actor=actor, source=SOURCE)
    for member in members:
        row, org = member["row"], orgs[member["key"]]
        lead_key = f"lead:{member['ror']}"
        person_fields = {
            "title": row.get("lead_title"),
            "given_name": row.get("lead_given_name"),
            "family_name": row.get("lead_family_name"),
            "kind": Person.Kind.ACADEMIC,
        }
        person = Person.objects.filter(reference_key=lead_key).first()
        if person is None:
            person = Person(
                reference_key=lead_key,
                slug=_unique_slug(f"{person_fields['given_name']} {person_fields['family_name']}", Person),
            )
            audit_save(instance=person, fields=person_fields, actor=actor, source=SOURCE)
            report.created["person"] += 1
        elif audit_save(instance=person, fields=person_fields, actor=actor, source=SOURCE):
            report.updated["person"] += 1
        if not Affiliation.objects.filter(person=person, organisation=org, job_title="MHI institutional lead").exists():
            affiliation = Affiliation(person=person, organisation=org, job_title="MHI institutional lead")
            affiliation.is_primary = not person.affiliations.filter(is_primary=True).exists()
            audit_save(instance=affiliation, actor=actor, source=SOURCE)
        seat = PartnerInstitution.objects.filter(organisation=org).first() or PartnerInstitution(organisation=org)
        creating = seat.pk is None
        changed = audit_save(
            instance=seat, fields={"lead": person, "is_chair": row.get("is_chair") == "yes"}, actor=actor, source=SOURCE
        )
        if changed:
            (report.created if creating else report.updated)["partner seat"] += 1


def reference_load(*, directory: Path | None = None, actor=None) -> ReferenceReport:
    """Load the reference data; raises ImportFailed (nothing written) when any row is bad."""
    directory = Path(directory or REFERENCE_DIR)
    problems = ImportProblems()
    local_authorities, la_regions = _plan_local_authorities(directory, problems)
    icbs = _plan_icbs(directory, problems, la_regions)
    universities, members = _plan_universities(directory, problems)
    trusts = _plan_trusts(directory, problems)
    icb_codes = {s.fields["ods_code"] for s in icbs}
    for spec in local_authorities + trusts:
        if spec.icb_code not in icb_codes:
            problems.add(spec.row, "icb_ods_code", f"“{spec.icb_code}” is not an ICB in icbs_midlands.csv")
    known = {s.key: s for s in icbs + universities + trusts}
    infrastructure, relations = _plan_infrastructure(directory, problems, known)
    specs = icbs + local_authorities + universities + trusts + infrastructure
    _validate(specs, problems)
    problems.raise_if_any()

    report = ReferenceReport()
    with transaction.atomic():
        orgs: dict[str, Organisation] = {}
        for spec in icbs:
            orgs[spec.key] = _apply_org(spec, {}, actor, report)
        by_code = {o.ods_code: o for o in orgs.values()}
        for spec in local_authorities + universities + trusts + infrastructure:
            orgs[spec.key] = _apply_org(spec, by_code, actor, report)
        _apply_relations(relations, orgs, actor, report)
        _apply_partnership(members, orgs, actor, report)
    return report
