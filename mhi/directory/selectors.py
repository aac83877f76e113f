"""Reads of the directory, filtered by what the user may see."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from mhi.accounts import selectors as account_selectors
from mhi.directory.models import Affiliation, Organisation, OrganisationRelation, PartnerInstitution, Person


def organisations_visible_to(*, user) -> QuerySet[Organisation]:
    """The organisation directory is public reference data: everyone sees every organisation."""
    return Organisation.objects.select_related("icb")


def organisations_search(
    *,
    user,
    kind: str = "",
    region: str = "",
    icb: str = "",
    q: str = "",
    partners_only: bool = False,
) -> QuerySet[Organisation]:
    qs = organisations_visible_to(user=user)
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region=region)
    if icb:
        qs = qs.filter(Q(icb__ods_code=icb.upper()) | Q(ods_code=icb.upper(), kind=Organisation.Kind.ICB))
    if partners_only:
        qs = qs.filter(partnership__isnull=False)
    for word in q.split():
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(short_name__icontains=word)
            | Q(town__icontains=word)
            | Q(ods_code__iexact=word)
            | Q(ukprn=word)
            | Q(themes__icontains=word)
        )
    return qs.order_by("name")


def organisation_get(*, user, slug: str) -> Organisation:
    return organisations_visible_to(user=user).get(slug=slug)


def icbs_list(*, user) -> QuerySet[Organisation]:
    return organisations_visible_to(user=user).filter(kind=Organisation.Kind.ICB).order_by("name")


def people_visible_to(*, user) -> QuerySet[Person]:
    """Coordinators see everyone. Others see profiles with public consent, their own, and, for
    institution admins and leads, the people affiliated with their institutions."""
    qs = Person.objects.all()
    if account_selectors.user_is_coordinator(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.filter(public_profile_consent=True)
    managed = account_selectors.user_organisation_ids(user, roles={"institution_admin", "institution_lead"})
    return qs.filter(
        Q(public_profile_consent=True) | Q(user=user) | Q(affiliations__organisation_id__in=managed)
    ).distinct()


def people_search(*, user, q: str = "", organisation: str = "", kind: str = "") -> QuerySet[Person]:
    qs = people_visible_to(user=user)
    if organisation:
        qs = qs.filter(affiliations__organisation__slug=organisation)
    if kind:
        qs = qs.filter(kind=kind)
    for word in q.split():
        qs = qs.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(affiliations__department__icontains=word)
            | Q(affiliations__job_title__icontains=word)
            | Q(orcid=word)
        )
    return (
        qs.distinct()
        .prefetch_related(Prefetch("affiliations", queryset=Affiliation.objects.select_related("organisation")))
        .order_by("family_name", "given_name", "id")
    )


def organisations_with_people(*, user) -> QuerySet[Organisation]:
    """Organisations where someone the user may see is affiliated, for the people filter."""
    return (
        organisations_visible_to(user=user)
        .filter(affiliations__person__in=people_visible_to(user=user))
        .distinct()
        .order_by("name")
    )


def person_get(*, user, slug: str) -> Person:
    return people_search(user=user).get(slug=slug)


def person_email_visible(*, user, person: Person) -> bool:
    """No email address is ever shown to anonymous visitors."""
    return bool(person.email) and getattr(user, "is_authenticated", False)


def person_editable_by(*, user, person: Person) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if account_selectors.user_is_coordinator(user) or person.user_id == user.id:
        return True
    admin_orgs = account_selectors.user_admin_organisation_ids(user)
    return person.affiliations.filter(organisation_id__in=admin_orgs).exists()


def organisation_people(*, user, organisation: Organisation) -> QuerySet[Person]:
    return people_search(user=user, organisation=organisation.slug)


def organisation_relations(*, organisation: Organisation) -> dict[str, list[OrganisationRelation]]:
    """What the organisation hosts, what hosts it, and its partners in both directions."""
    outgoing = list(organisation.relations_out.select_related("target"))
    incoming = list(organisation.relations_in.select_related("subject"))
    return {
        "hosted_by": [r for r in outgoing if r.kind == OrganisationRelation.Kind.HOSTED_BY],
        "partners": [r for r in outgoing if r.kind == OrganisationRelation.Kind.PARTNER],
        "hosts": [r for r in incoming if r.kind == OrganisationRelation.Kind.HOSTED_BY],
        "partner_of": [r for r in incoming if r.kind == OrganisationRelation.Kind.PARTNER],
    }


def partnership_members(*, user) -> QuerySet[PartnerInstitution]:
    return PartnerInstitution.objects.select_related("organisation", "lead").order_by("organisation__name")


@dataclass(frozen=True)
class HeadlineFigures:
    partner_universities: int
    nhs_trusts: int
    icbs: int
    population_served: int
    research_infrastructure: int
    local_authorities: int


def headline_figures(*, user) -> HeadlineFigures:
    """The home page's figures, counted from the directory in one query."""
    kinds = Organisation.Kind
    row = Organisation.objects.aggregate(
        trusts=Count("id", filter=Q(kind=kinds.NHS_TRUST)),
        icbs=Count("id", filter=Q(kind=kinds.ICB)),
        population=Sum("population", filter=Q(kind=kinds.ICB)),
        infrastructure=Count("id", filter=Q(kind=kinds.RESEARCH_INFRASTRUCTURE)),
        local_authorities=Count("id", filter=Q(kind=kinds.LOCAL_GOVERNMENT, ons_code__isnull=False)),
        partners=Count("id", filter=Q(partnership__isnull=False)),
    )
    return HeadlineFigures(
        partner_universities=row["partners"],
        nhs_trusts=row["trusts"],
        icbs=row["icbs"],
        population_served=row["population"] or 0,
        research_infrastructure=row["infrastructure"],
        local_authorities=row["local_authorities"],
    )


def map_places(*, user) -> list[dict]:
    """Partner universities, NHS trusts and research infrastructure with a location, for the map."""
    qs = organisations_visible_to(user=user).filter(
        Q(kind__in=[Organisation.Kind.UNIVERSITY, Organisation.Kind.NHS_TRUST]),
        latitude__isnull=False,
        longitude__isnull=False,
    )
    return [
        {
            "name": org.name,
            "kind": org.kind,
            "kind_label": org.get_kind_display(),
            "lat": float(org.latitude),
            "lon": float(org.longitude),
            "url": org.get_absolute_url(),
            "town": org.town,
        }
        for org in qs.order_by("kind", "name")
    ]


def organisation_id_for_slug(slug: str | None, *, field: str) -> int | None:
    """The id of the organisation with this slug, None for an empty slug; an unknown slug is refused naming
    `field` (for API operations that take an organisation by slug)."""
    from mhi.core.errors import DomainError

    if not slug:
        return None
    pk = Organisation.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if pk is None:
        raise DomainError(f"No organisation “{slug}”.", field=field)
    return pk
