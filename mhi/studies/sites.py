"""Sites: NHS trusts and research infrastructure organisations, their research profiles and their catchment.

Selectors (`site_catchment`, `profile_of`, `sites_matching`, ...) never write. Services (`site_profile_update`,
`site_profiles_sync`) check permissions, write inside a transaction and record every change in the audit trail.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from mhi.core.audit import audit_save
from mhi.core.errors import DomainError, PermissionDenied
from mhi.directory.models import Organisation, OrganisationRelation
from mhi.studies import access
from mhi.studies.models import SITE_KINDS, SiteProfile

TRUST = Organisation.Kind.NHS_TRUST
INFRASTRUCTURE = Organisation.Kind.RESEARCH_INFRASTRUCTURE
HOSTED_BY = OrganisationRelation.Kind.HOSTED_BY
PARTNER = OrganisationRelation.Kind.PARTNER


@dataclass(frozen=True)
class Catchment:
    """The ICB a site serves and that ICB's population. `basis` says where both come from, in words."""

    icb: Organisation | None
    population: int | None
    basis: str
    via: Organisation | None = None  # for research infrastructure: the host trust whose ICB it is


def _hosts(site: Organisation) -> list[Organisation]:
    """The organisations hosting a research infrastructure organisation, in the order the reference file names
    them (relations are created in file order)."""
    relations = (
        OrganisationRelation.objects.filter(subject=site, kind=HOSTED_BY).select_related("target__icb").order_by("pk")
    )
    return [relation.target for relation in relations]


def _icb_basis(icb: Organisation) -> str:
    note = icb.population_note or "no note on how the figure was derived"
    if icb.population is None:
        return f"{icb.name} has no population figure in the directory."
    return f"Population of {icb.name}, Census 2021 usual residents as the directory states it: {note}"


def site_catchment(site: Organisation) -> Catchment:
    """A trust's own ICB; a research infrastructure organisation's first host trust's ICB."""
    if site.kind == INFRASTRUCTURE:
        for host in _hosts(site):
            if host.icb_id:
                icb = host.icb
                return Catchment(
                    icb=icb,
                    population=icb.population,
                    basis=f"The ICB of its host, {host.name}. {_icb_basis(icb)}",
                    via=host,
                )
        return Catchment(None, None, "No host trust with an ICB is recorded in the directory.")
    if site.icb_id:
        icb = site.icb
        return Catchment(icb=icb, population=icb.population, basis=_icb_basis(icb))
    return Catchment(None, None, "No ICB is recorded for this organisation in the directory.")


def profile_of(site: Organisation) -> SiteProfile:
    """The site's saved research profile, or an unsaved blank one. Never writes."""
    try:
        return site.site_profile
    except SiteProfile.DoesNotExist:
        return SiteProfile(organisation=site)


def sites_matching(*, specialty: str = "", icb_code: str = "", q: str = "", kind: str = "") -> QuerySet[Organisation]:
    """Sites (trusts and research infrastructure), filtered.

    - `specialty`: words found in the profile's specialties (case-insensitive), or — for a site with no
      profile yet — in the organisation's own themes.
    - `icb_code`: the ICB's ODS code; research infrastructure matches through a host trust in that ICB.
    - `q`: words in the name, short name, town or ODS code.
    - `kind`: "nhs_trust" or "research_infrastructure".
    """
    qs = access.sites().select_related("icb", "site_profile")
    if kind:
        qs = qs.filter(kind=kind) if kind in SITE_KINDS else qs.none()
    if specialty.strip():
        term = specialty.strip()
        qs = qs.filter(
            Q(site_profile__specialties__icontains=term) | (Q(site_profile__isnull=True) & Q(themes__icontains=term))
        )
    if icb_code.strip():
        code = icb_code.strip().upper()
        hosted_in = OrganisationRelation.objects.filter(kind=HOSTED_BY, target__icb__ods_code=code).values("subject_id")
        qs = qs.filter(Q(icb__ods_code=code) | Q(kind=INFRASTRUCTURE, pk__in=hosted_in))
    for word in q.split():
        qs = qs.filter(
            Q(name__icontains=word) | Q(short_name__icontains=word) | Q(town__icontains=word) | Q(ods_code__iexact=word)
        )
    return qs.order_by("name")


def site_by_slug(slug: str) -> Organisation:
    """The site with that slug; Http404 for any other organisation (it is not a site)."""
    return get_object_or_404(access.sites().select_related("icb"), slug=slug)


def related_infrastructure(site: Organisation) -> dict[str, list[OrganisationRelation]]:
    """For a trust: the infrastructure it hosts and that it partners; for infrastructure: its hosts and partners."""
    if site.kind == INFRASTRUCTURE:
        out = site.relations_out.select_related("target").order_by("kind", "pk")
        return {
            "hosted_by": [r for r in out if r.kind == HOSTED_BY],
            "partners": [r for r in out if r.kind == PARTNER],
            "hosts": [],
            "partner_of": [],
        }
    incoming = (
        site.relations_in.filter(subject__kind=INFRASTRUCTURE).select_related("subject").order_by("subject__name")
    )
    return {
        "hosted_by": [],
        "partners": [],
        "hosts": [r for r in incoming if r.kind == HOSTED_BY],
        "partner_of": [r for r in incoming if r.kind == PARTNER],
    }


def infrastructure_directory(*, infrastructure_type: str = "", partner: str = "") -> QuerySet[Organisation]:
    """Research infrastructure organisations with their relations prefetched, filtered by type and by a partner
    university (its slug)."""
    qs = Organisation.objects.filter(kind=INFRASTRUCTURE).prefetch_related(
        Prefetch(
            "relations_out",
            queryset=OrganisationRelation.objects.select_related("target").order_by("kind", "pk"),
        )
    )
    if infrastructure_type:
        qs = qs.filter(infrastructure_type=infrastructure_type)
    if partner:
        qs = qs.filter(
            relations_out__kind=PARTNER,
            relations_out__target__slug=partner,
            relations_out__target__kind=Organisation.Kind.UNIVERSITY,
        ).distinct()
    return qs.order_by("infrastructure_type", "name")


def partner_universities() -> QuerySet[Organisation]:
    """Universities that partner at least one research infrastructure organisation (for the directory's filter)."""
    ids = OrganisationRelation.objects.filter(
        kind=PARTNER, subject__kind=INFRASTRUCTURE, target__kind=Organisation.Kind.UNIVERSITY
    ).values("target_id")
    return Organisation.objects.filter(pk__in=ids).order_by("name")


def icbs_with_sites() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.ICB).order_by("name")


# ---------------------------------------------------------------------------------------------------------------
# Services

PROFILE_FIELDS = (
    "specialties",
    "beds",
    "clinic_rooms",
    "has_imaging",
    "imaging_note",
    "has_pharmacy",
    "has_laboratory",
    "laboratory_note",
    "monthly_capacity",
    "setup_cost",
    "rd_contact_name",
    "rd_contact_email",
    "rd_contact_phone",
    "notes",
)
NUMBER_FIELDS = ("beds", "clinic_rooms", "monthly_capacity", "setup_cost")


def _clean_specialties(text: str) -> str:
    seen, lines = set(), []
    for line in (text or "").splitlines():
        value = line.strip()
        if value and value.lower() not in seen:
            seen.add(value.lower())
            lines.append(value)
    return "\n".join(lines)


def site_profile_update(*, user, site: Organisation, data: dict, source: str = "web") -> SiteProfile:
    """Save the fields of `data` (names from PROFILE_FIELDS) on the site's profile, creating it if needed.

    Refused with PermissionDenied unless the user may edit the site; a negative number or an unknown field is a
    DomainError naming the field.
    """
    if site.kind not in SITE_KINDS:
        raise DomainError(f"{site.name} is not a site (an NHS trust or research infrastructure).")
    if not access.may_edit_site(user, site):
        raise PermissionDenied("Only the site's users, its institution admins and coordinators may edit its profile.")
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise DomainError(f"Unknown field “{unknown[0]}”.", field=unknown[0])
    fields = dict(data)
    for name in NUMBER_FIELDS:
        value = fields.get(name)
        if value is not None and value < 0:
            raise DomainError("Enter a number that is 0 or more.", field=name)
    for name, value in list(fields.items()):
        if value is None and name not in NUMBER_FIELDS:  # an empty text or box from an API caller
            fields[name] = False if name.startswith("has_") else ""
    if "specialties" in fields:
        fields["specialties"] = _clean_specialties(fields["specialties"])
    fields["updated_by"] = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        profile = SiteProfile.objects.select_for_update().filter(organisation=site).first()
        profile = profile or SiteProfile(organisation=site)
        try:
            audit_save(instance=profile, actor=user, source=source, fields=fields)
        except ValidationError as error:
            name, errors = next(iter(error.message_dict.items()))
            raise DomainError(errors[0], field=name) from error
    return profile


def seed_specialties(site: Organisation) -> str:
    """Specialties a blank profile starts with: infrastructure's own themes; for a trust, the themes of the
    research infrastructure it hosts (each once, in order)."""
    if site.kind == INFRASTRUCTURE:
        return _clean_specialties(site.themes)
    hosted = (
        OrganisationRelation.objects.filter(target=site, kind=HOSTED_BY, subject__kind=INFRASTRUCTURE)
        .select_related("subject")
        .order_by("subject__name")
    )
    return _clean_specialties("\n".join(r.subject.themes for r in hosted))


@dataclass(frozen=True)
class SyncReport:
    created: int
    existing: int

    def summary(self) -> str:
        return f"{self.created} site profiles created, {self.existing} already present."


def site_profiles_sync(*, actor=None) -> SyncReport:
    """Create a blank profile (specialties seeded from the reference data's themes) for every site without one.
    Idempotent: a second run creates nothing and changes no existing profile."""
    created = 0
    with transaction.atomic():
        have = set(SiteProfile.objects.values_list("organisation_id", flat=True))
        all_sites = list(access.sites().order_by("pk"))
        for site in all_sites:
            if site.pk in have:
                continue
            profile = SiteProfile(organisation=site, specialties=seed_specialties(site))
            audit_save(instance=profile, actor=actor, source="sync-site-profiles")
            created += 1
    return SyncReport(created=created, existing=len(all_sites) - created)
