"""Who may see and do what in patient-based research. Every page and API operation of mhi.studies asks here.

- A *site user* is someone with the NHS R&D or institution admin role at a site (an NHS trust or a research
  infrastructure organisation). They see and answer only their own site's feasibility invites, and record
  recruitment only for their own site.
- A study is managed by coordinators and its owner (who created or imported it).
- A non-commercial study is visible to every signed-in user. A commercial study is confidential: it exists
  only for coordinators, its owner and the users of sites invited to it or planned for it; for everyone else
  it does not exist (404).
- Site profiles are public to read (R&D contacts only for signed-in users); a site's users, its institution
  admins and coordinators edit it.
- The prevalence table is read by everyone and loaded by coordinators and institution admins.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mhi.accounts.models import Role
from mhi.accounts.selectors import memberships_of, user_admin_organisation_ids, user_is_coordinator
from mhi.accounts.selectors import user_signed_in as signed_in  # the pages and API ask access.signed_in
from mhi.directory.models import Organisation
from mhi.studies.models import (
    SITE_KINDS,
    FeasibilityInvite,
    FeasibilityRequest,
    SponsorClass,
    Study,
    StudySite,
)

SITE_ROLES = frozenset({Role.NHS_RD, Role.INSTITUTION_ADMIN})


def sites() -> QuerySet[Organisation]:
    """Every site: NHS trusts and research infrastructure organisations."""
    return Organisation.objects.filter(kind__in=SITE_KINDS)


def user_site_ids(user) -> set[int]:
    """The sites the user works for (NHS R&D or institution admin there)."""
    if not signed_in(user):
        return set()
    return {
        m.organisation_id
        for m in memberships_of(user)
        if m.organisation_id and m.role in SITE_ROLES and m.organisation.kind in SITE_KINDS
    }


def may_edit_site(user, site: Organisation) -> bool:
    if not signed_in(user):
        return False
    return user_is_coordinator(user) or site.pk in user_site_ids(user) or site.pk in user_admin_organisation_ids(user)


def may_create_study(user) -> bool:
    """Coordinators and any signed-in member of an organisation (study teams, sponsors) may enter a study."""
    return signed_in(user) and (user_is_coordinator(user) or bool(memberships_of(user)))


def may_load_prevalence(user) -> bool:
    return signed_in(user) and (user_is_coordinator(user) or bool(user_admin_organisation_ids(user)))


def _site_involved_q(site_ids: set[int]) -> Q:
    invited = FeasibilityInvite.objects.filter(request__study=OuterRef("pk"), site_id__in=site_ids)
    planned = StudySite.objects.filter(study=OuterRef("pk"), site_id__in=site_ids)
    return Q(Exists(invited)) | Q(Exists(planned))


def studies_visible_to(*, user) -> QuerySet[Study]:
    qs = Study.objects.all()
    if not signed_in(user):
        return qs.none()
    if user_is_coordinator(user):
        return qs
    visible = ~Q(sponsor_class=SponsorClass.COMMERCIAL) | Q(owner=user)
    site_ids = user_site_ids(user)
    if site_ids:
        visible |= _site_involved_q(site_ids)
    return qs.filter(visible)


def study_for(*, user, pk: int) -> Study:
    """The study if the user may see it; Http404 otherwise (a confidential study does not exist for them)."""
    study = studies_visible_to(user=user).filter(pk=pk).first()
    if study is None:
        raise Http404("No such study.")
    return study


@dataclass(frozen=True)
class StudyPermissions:
    view: bool
    manage: bool  # edit the study, its sites, feasibility requests and placement runs
    record_recruitment_site_ids: frozenset[int]  # the study sites' *site* ids the user may record for
    record_any_site: bool  # coordinators and the owner record for every site of the study


def study_permissions(*, user, study: Study) -> StudyPermissions:
    if not signed_in(user):
        return StudyPermissions(False, False, frozenset(), False)
    manage = user_is_coordinator(user) or (study.owner_id is not None and study.owner_id == user.pk)
    view = manage or studies_visible_to(user=user).filter(pk=study.pk).exists()
    own = frozenset(user_site_ids(user)) if view else frozenset()
    return StudyPermissions(view, manage, own, manage)


def may_manage_study(user, study: Study) -> bool:
    return study_permissions(user=user, study=study).manage


def may_record_recruitment(user, study_site: StudySite) -> bool:
    perms = study_permissions(user=user, study=study_site.study)
    return perms.record_any_site or study_site.site_id in perms.record_recruitment_site_ids


def feasibility_requests_visible_to(*, user) -> QuerySet[FeasibilityRequest]:
    """Requests the user manages (coordinators, study owners). Site users see their invites instead."""
    qs = FeasibilityRequest.objects.select_related("study")
    if not signed_in(user):
        return qs.none()
    if user_is_coordinator(user):
        return qs
    return qs.filter(study__owner=user)


def feasibility_request_for(*, user, pk: int) -> FeasibilityRequest:
    """The request if the user manages it; 404 otherwise (site users open their invite, not the request)."""
    request = feasibility_requests_visible_to(user=user).filter(pk=pk).first()
    if request is None:
        raise Http404("No such feasibility request.")
    return request


def invites_visible_to(*, user) -> QuerySet[FeasibilityInvite]:
    """Invites the user may open: their own sites' (to answer) and those of requests they manage."""
    qs = FeasibilityInvite.objects.select_related("request__study", "site")
    if not signed_in(user):
        return qs.none()
    if user_is_coordinator(user):
        return qs
    return qs.filter(Q(site_id__in=user_site_ids(user)) | Q(request__study__owner=user))


def invite_for(*, user, pk: int) -> FeasibilityInvite:
    invite = invites_visible_to(user=user).filter(pk=pk).first()
    if invite is None:
        raise Http404("No such feasibility invite.")
    return invite


def may_answer_invite(user, invite: FeasibilityInvite) -> bool:
    """Only the invited site's own users answer; coordinators and owners read but do not answer for a site."""
    return signed_in(user) and invite.site_id in user_site_ids(user)
