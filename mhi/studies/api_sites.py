"""API: sites, the research infrastructure directory, the prevalence table and reach estimates.

Sites, their profiles, the infrastructure directory and the prevalence table are public to read; R&D contacts
are given to signed-in callers only. A site's profile is changed by the site's users, its institution admins and
coordinators. Prevalence figures are loaded (CSV, all or nothing) by coordinators and institution admins. A
study's reach is for whoever may see the study; a study they may not see does not exist for them (404).
"""

from decimal import Decimal

from ninja import Field, File, Query, Router, Schema, UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status as HttpStatus

from mhi.api.auth import OPTIONAL_AUTH, REQUIRED_AUTH
from mhi.api.errors import ErrorOut, error_body
from mhi.core.errors import DomainError, ImportFailed, PermissionDenied
from mhi.directory.models import Organisation
from mhi.studies import access, prevalence, reach, sites

router = Router(tags=["studies"], auth=OPTIONAL_AUTH)


# --- schemas ------------------------------------------------------------------------------------------------


class CatchmentOut(Schema):
    icb: str | None = Field(description="The ICB's ODS code")
    icb_name: str | None
    population: int | None
    basis: str
    via: str | None = Field(description="For research infrastructure: the slug of the host trust whose ICB it is")


class FacilitiesOut(Schema):
    beds: int | None
    clinic_rooms: int | None
    imaging: bool
    imaging_note: str
    pharmacy: bool
    laboratory: bool
    laboratory_note: str


class SiteOut(Schema):
    slug: str
    name: str
    kind: str
    infrastructure_type: str
    ods_code: str | None
    catchment: CatchmentOut
    specialties: list[str]
    monthly_capacity: int | None
    facilities: FacilitiesOut
    has_profile: bool


class ContactOut(Schema):
    name: str
    email: str
    phone: str


class RelationOut(Schema):
    slug: str
    name: str
    kind: str
    note: str


class SiteDetailOut(SiteOut):
    setup_cost: Decimal | None
    notes: str
    rd_contact: ContactOut | None = Field(description="Null for callers who are not signed in")
    hosted_by: list[RelationOut]
    partners: list[RelationOut]
    hosts: list[RelationOut] = Field(description="For a trust: the research infrastructure it hosts")
    partner_of: list[RelationOut]
    updated_at: str | None


class SiteFiltersIn(Schema):
    specialty: str = Field("", description="Words in the site's specialties")
    icb: str = Field("", description="An ICB's ODS code, for example QHL")
    q: str = Field("", description="Words in the name or town")
    kind: str = Field("", description="nhs_trust or research_infrastructure")


class ProfileIn(Schema):
    specialties: list[str] | str = Field("", description="A list, or one specialty per line")
    beds: int | None = Field(None, ge=0)
    clinic_rooms: int | None = Field(None, ge=0)
    has_imaging: bool = False
    imaging_note: str = ""
    has_pharmacy: bool = False
    has_laboratory: bool = False
    laboratory_note: str = ""
    monthly_capacity: int | None = Field(None, ge=0)
    setup_cost: Decimal | None = Field(None, ge=0)
    rd_contact_name: str = ""
    rd_contact_email: str = ""
    rd_contact_phone: str = ""
    notes: str = ""


class InfrastructureOut(Schema):
    slug: str
    name: str
    type: str
    type_label: str
    scheme: str
    hosted_by: list[RelationOut]
    partners: list[RelationOut]
    themes: list[str]
    years_active: str
    funding_note: str
    verification: str
    source: str


class PrevalenceOut(Schema):
    condition_key: str
    condition: str
    area_code: str
    area_name: str
    percent: Decimal
    population_basis: str
    year: str
    source: str
    indicative: bool


class PrevalenceLoadOut(Schema):
    created: int
    updated: int
    unchanged: int
    summary: str


class ReachOut(Schema):
    site: str = Field(description="The site's slug")
    site_name: str
    why: str = Field(description="Why the site is a candidate")
    icb: str | None
    population: int | None
    prevalence_percent: Decimal | None
    prevalence_area: str
    prevalence_year: str
    prevalence_source: str
    indicative: bool
    eligibility_fraction: Decimal | None
    eligible: int | None
    assumptions: list[str]
    missing: list[str]


class StudyReachOut(Schema):
    study: int
    condition_key: str
    condition_choice: str
    sites: list[ReachOut]


# --- helpers -----------------------------------------------------------------------------------------------


def _catchment(site: Organisation) -> dict:
    c = sites.site_catchment(site)
    return {
        "icb": c.icb.ods_code if c.icb else None,
        "icb_name": c.icb.name if c.icb else None,
        "population": c.population,
        "basis": c.basis,
        "via": c.via.slug if c.via else None,
    }


def _site(site: Organisation) -> dict:
    profile = sites.profile_of(site)
    return {
        "slug": site.slug,
        "name": site.name,
        "kind": site.kind,
        "infrastructure_type": site.infrastructure_type,
        "ods_code": site.ods_code,
        "catchment": _catchment(site),
        "specialties": profile.specialty_list,
        "monthly_capacity": profile.monthly_capacity,
        "facilities": {
            "beds": profile.beds,
            "clinic_rooms": profile.clinic_rooms,
            "imaging": profile.has_imaging,
            "imaging_note": profile.imaging_note,
            "pharmacy": profile.has_pharmacy,
            "laboratory": profile.has_laboratory,
            "laboratory_note": profile.laboratory_note,
        },
        "has_profile": profile.pk is not None,
    }


def _relation(org: Organisation, relation) -> dict:
    return {"slug": org.slug, "name": org.name, "kind": org.kind, "note": relation.note}


def _site_detail(request, site: Organisation) -> dict:
    profile = sites.profile_of(site)
    relations = sites.related_infrastructure(site)
    contact = None
    if access.signed_in(request.user):
        contact = {
            "name": profile.rd_contact_name,
            "email": profile.rd_contact_email,
            "phone": profile.rd_contact_phone,
        }
    return {
        **_site(site),
        "setup_cost": profile.setup_cost,
        "notes": profile.notes,
        "rd_contact": contact,
        "hosted_by": [_relation(r.target, r) for r in relations["hosted_by"]],
        "partners": [_relation(r.target, r) for r in relations["partners"]],
        "hosts": [_relation(r.subject, r) for r in relations["hosts"]],
        "partner_of": [_relation(r.subject, r) for r in relations["partner_of"]],
        "updated_at": profile.updated_at.isoformat() if profile.pk and profile.updated_at else None,
    }


# --- sites -------------------------------------------------------------------------------------------------


@router.get("/sites", response=list[SiteOut], summary="Every site (NHS trusts and research infrastructure), filtered")
@paginate(LimitOffsetPagination)
def sites_list(request, filters: Query[SiteFiltersIn]):
    if filters.kind and filters.kind not in ("nhs_trust", "research_infrastructure"):
        raise DomainError("Kind must be nhs_trust or research_infrastructure.", field="kind")
    found = sites.sites_matching(specialty=filters.specialty, icb_code=filters.icb, q=filters.q, kind=filters.kind)
    return _LazySites(found)


class _LazySites:
    """A queryset whose items are turned into SiteOut dicts only for the page the paginator slices."""

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self):
        return self.queryset.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, item):
        return [_site(site) for site in self.queryset[item]]


@router.get("/sites/{slug}", response=SiteDetailOut, summary="One site's research profile and catchment")
def site_detail(request, slug: str):
    return _site_detail(request, sites.site_by_slug(slug))


@router.put(
    "/sites/{slug}/profile",
    response=SiteDetailOut,
    auth=REQUIRED_AUTH,
    summary="Replace a site's research profile (its users, its institution admins and coordinators)",
)
def site_profile_put(request, slug: str, payload: ProfileIn):
    site = sites.site_by_slug(slug)
    data = payload.dict()
    if isinstance(data["specialties"], list):
        data["specialties"] = "\n".join(data["specialties"])
    sites.site_profile_update(user=request.user, site=site, data=data, source="api")
    return _site_detail(request, sites.site_by_slug(slug))


# --- the infrastructure directory --------------------------------------------------------------------------


@router.get("/infrastructure", response=list[InfrastructureOut], summary="The research infrastructure directory")
def infrastructure_list(
    request,
    type: str = Query("", description="brc, crf, arc, rdn, crdc, medtech or other"),
    partner: str = Query("", description="Slug of a partner university"),
):
    if type and type not in Organisation.InfrastructureType.values:
        raise DomainError(f"Unknown type “{type}”.", field="type")
    out = []
    for org in sites.infrastructure_directory(infrastructure_type=type, partner=partner):
        relations = list(org.relations_out.all())
        out.append(
            {
                "slug": org.slug,
                "name": org.name,
                "type": org.infrastructure_type,
                "type_label": org.get_infrastructure_type_display(),
                "scheme": org.scheme,
                "hosted_by": [_relation(r.target, r) for r in relations if r.kind == sites.HOSTED_BY],
                "partners": [_relation(r.target, r) for r in relations if r.kind == sites.PARTNER],
                "themes": org.theme_list,
                "years_active": org.years_active,
                "funding_note": org.funding_note,
                "verification": org.verification,
                "source": org.source,
            }
        )
    return out


# --- prevalence --------------------------------------------------------------------------------------------


@router.get("/prevalence", response=list[PrevalenceOut], summary="The prevalence table")
def prevalence_list(request, condition: str = Query("", description="A condition key")):
    figures = prevalence.figures()
    if condition:
        figures = figures.filter(condition_key__iexact=condition)
    return list(figures)


@router.post(
    "/prevalence",
    response={200: PrevalenceLoadOut, 422: ErrorOut},
    auth=REQUIRED_AUTH,
    summary="Load prevalence figures from CSV (coordinators and institution admins; all or nothing)",
)
def prevalence_upload(request, file: File[UploadedFile]):
    """A file with a bad row is refused (422) with every problem, by row and column, in `fields.file`; nothing is
    written. A good file replaces the figures of the conditions and areas it names."""
    if not access.may_load_prevalence(request.user):
        raise PermissionDenied("Only coordinators and institution admins may load prevalence figures.")
    name = file.name or "upload.csv"
    try:
        text = prevalence.decode_upload(file.read(prevalence.MAX_BYTES + 1), name=name)
        result = prevalence.prevalence_load(user=request.user, text=text, name=name)
    except ImportFailed as failed:
        problems = {"file": [str(p) for p in failed.problems]}
        return HttpStatus(422, error_body(422, "invalid", failed.message, problems))
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "summary": result.summary(),
    }


# --- reach ------------------------------------------------------------------------------------------------


@router.get(
    "/studies/{study_id}/reach",
    response=StudyReachOut,
    auth=REQUIRED_AUTH,
    summary="Reach estimates for a study's candidate sites",
)
def study_reach(request, study_id: int):
    study = access.study_for(user=request.user, pk=study_id)
    candidates = reach.candidate_sites(study)
    estimates = reach.reach_estimates(study=study, sites=[site for site, _ in candidates])
    choice = reach.condition_for(study)
    rows = []
    for site, why in candidates:
        e = estimates[site.pk]
        rows.append(
            {
                "site": site.slug,
                "site_name": site.name,
                "why": why,
                "icb": e.icb.ods_code if e.icb else None,
                "population": e.population,
                "prevalence_percent": e.prevalence_percent,
                "prevalence_area": e.prevalence_area,
                "prevalence_year": e.prevalence_year,
                "prevalence_source": e.prevalence_source,
                "indicative": e.indicative,
                "eligibility_fraction": e.eligibility_fraction,
                "eligible": e.eligible,
                "assumptions": e.assumptions,
                "missing": e.missing,
            }
        )
    return {"study": study.pk, "condition_key": choice.key, "condition_choice": choice.explanation, "sites": rows}
