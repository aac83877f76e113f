"""Who may see and do what with joint responses. Every page and API operation of mhi.responses asks here.

- Coordinators create responses and see and manage every one.
- A response's *coordinator* (the user named on it) manages it: questions, signatories, owners, the
  consolidated answers, marking final, publishing.
- Its *contributors* are the users with any role other than external at one of its signatory institutions,
  and the owners of its questions. They see the draft, add contributions and comments, and edit the
  consolidated answer of the questions they own.
- Each signatory's *institution leads* (role institution lead at that institution) decide on sign-off for it.
- Everyone else, and the public, see a response only once it is published (`responses_published`); drafts do
  not exist for them (404).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mhi.accounts.models import Role
from mhi.accounts.selectors import memberships_of, user_is_coordinator
from mhi.accounts.selectors import user_signed_in as signed_in  # the pages and API ask access.signed_in
from mhi.responses.models import Question, Response, ResponseStatus, Signatory


def contributor_organisation_ids(user) -> set[int]:
    """Organisations the user may contribute for: any role there but external."""
    return {m.organisation_id for m in memberships_of(user) if m.organisation_id and m.role != Role.EXTERNAL}


def lead_organisation_ids(user) -> set[int]:
    """Organisations the user signs off for (institution lead there)."""
    return {m.organisation_id for m in memberships_of(user) if m.organisation_id and m.role == Role.INSTITUTION_LEAD}


def may_create_response(user) -> bool:
    return signed_in(user) and user_is_coordinator(user)


def responses_visible_to(*, user) -> QuerySet[Response]:
    """Workspaces the user takes part in (drafts and finished ones). The public reads published responses
    through `responses_published` and `published_response`, never the workspace."""
    qs = Response.objects.select_related("opportunity", "coordinator")
    if not signed_in(user):
        return qs.none()
    if user_is_coordinator(user):
        return qs
    partner = Signatory.objects.filter(response=OuterRef("pk"), organisation_id__in=contributor_organisation_ids(user))
    owns = Question.objects.filter(response=OuterRef("pk"), owner=user)
    return qs.filter(Q(coordinator=user) | Q(created_by=user) | Q(Exists(partner)) | Q(Exists(owns)))


def responses_published() -> QuerySet[Response]:
    return Response.objects.filter(status=ResponseStatus.PUBLISHED).order_by("-published_at", "-id")


def published_response(*, pk: int) -> Response:
    response = responses_published().filter(pk=pk).first()
    if response is None:
        raise Http404("No such published response.")
    return response


def exportable_response(*, user, pk: int) -> Response:
    """The response if the user may export it: whoever may open its workspace, and everyone once it is
    published. Http404 otherwise (a draft's address is not private, as a published one's exports are public)."""
    response = Response.objects.filter(pk=pk).select_related("opportunity").first()
    if response is not None and (
        response.status == ResponseStatus.PUBLISHED or response_permissions(user=user, response=response).view
    ):
        return response
    raise Http404("No such response.")


def response_for(*, user, pk: int) -> Response:
    response = responses_visible_to(user=user).filter(pk=pk).first()
    if response is None:
        raise Http404("No such response.")
    return response


@dataclass(frozen=True)
class ResponsePermissions:
    view: bool  # open the workspace (drafts included); the public page of a published response is for all
    manage: bool  # coordinator of it: questions, signatories, answers, final, publish
    contribute: bool  # add contributions and comments
    sign_for: frozenset[int]  # signatory organisation ids the user decides for
    edit_question_ids: frozenset[int]  # questions whose consolidated answer the user may edit


def response_permissions(*, user, response: Response) -> ResponsePermissions:
    if not signed_in(user):
        return ResponsePermissions(False, False, False, frozenset(), frozenset())
    manage = user_is_coordinator(user) or response.coordinator_id == user.pk
    signatory_ids = set(response.signatories.values_list("organisation_id", flat=True))
    partner = bool(signatory_ids & contributor_organisation_ids(user))
    owned = frozenset(response.questions.filter(owner=user).values_list("pk", flat=True))
    view = manage or partner or bool(owned) or response.created_by_id == user.pk
    open_for_text = not response.is_locked and response.status != ResponseStatus.WITHDRAWN
    contribute = view and open_for_text
    if manage:
        edit = frozenset(response.questions.values_list("pk", flat=True)) if open_for_text else frozenset()
    else:
        edit = owned if open_for_text else frozenset()
    sign_for = frozenset(signatory_ids & lead_organisation_ids(user))
    return ResponsePermissions(view, manage, contribute, sign_for, edit)
