"""The induction passport: when an induction satisfies a resource, equivalences, recording and training requests."""

import datetime

import pytest

from mhi.accounts.tests.factories import MembershipFactory, UserFactory
from mhi.core.errors import Conflict, DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.directory.tests.factories import OrganisationFactory
from mhi.resources import inductions
from mhi.resources.models import Induction, InductionEquivalence, TrainingRequest
from mhi.resources.tests.factories import InductionClassFactory, InductionFactory, ResourceFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 6, 1)


@pytest.fixture
def aston():
    return OrganisationFactory(name="Aston University", slug="aston")


@pytest.fixture
def leicester():
    return OrganisationFactory(name="University of Leicester", slug="leicester")


@pytest.fixture
def laser():
    return InductionClassFactory(name="Laser safety", valid_days=365)


@pytest.fixture
def confocal(aston, laser):
    return ResourceFactory(name="Confocal 2", organisation=aston, requires_induction=True, induction_class=laser)


def _admin(organisation):
    user = UserFactory()
    MembershipFactory(user=user, role="institution_admin", organisation=organisation)
    return user


def _coordinator():
    user = UserFactory()
    MembershipFactory(user=user, role="coordinator", organisation=None)
    return user


# --- induction_satisfied --------------------------------------------------------------------------------


def test_it_is_satisfied_when_the_resource_needs_no_induction(aston):
    resource = ResourceFactory(organisation=aston, requires_induction=False)
    assert inductions.induction_satisfied(user=UserFactory(), resource=resource, on=DAY) == (True, "")


def test_it_refuses_someone_with_no_induction_naming_what_is_missing(confocal):
    ok, reason = inductions.induction_satisfied(user=UserFactory(), resource=confocal, on=DAY)
    assert ok is False
    assert reason == (
        "Confocal 2 needs an induction on Confocal 2 or in “Laser safety”, and you have none. "
        "Ask Confocal 2's managers for training on its page."
    )


def test_it_is_satisfied_by_an_induction_on_the_resource(confocal):
    induction = InductionFactory(resource=confocal, date=DAY - datetime.timedelta(days=10))
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY) == (True, "")


def test_it_is_satisfied_by_an_induction_in_the_resource_class_given_anywhere(confocal, leicester, laser):
    induction = InductionFactory(resource=None, induction_class=laser, organisation=leicester, date=DAY)
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY) == (True, "")


def test_an_induction_is_not_valid_before_its_date(confocal):
    induction = InductionFactory(resource=confocal, date=DAY + datetime.timedelta(days=1))
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY)[0] is False


def test_an_induction_expires_after_its_own_expiry_day(confocal):
    induction = InductionFactory(resource=confocal, date=datetime.date(2026, 1, 1), expires=DAY)
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY) == (True, "")
    ok, reason = inductions.induction_satisfied(
        user=induction.user, resource=confocal, on=DAY + datetime.timedelta(days=1)
    )
    assert ok is False
    assert reason.startswith(
        "Confocal 2 needs an induction on Confocal 2 or in “Laser safety”; yours expired on 1 June 2026."
    )


def test_without_its_own_expiry_an_induction_lasts_its_class_valid_days(confocal, laser):
    # 365 days from 1 June 2025: the last valid day is 31 May 2026.
    induction = InductionFactory(
        resource=None, induction_class=laser, organisation=confocal.organisation, date=datetime.date(2025, 6, 1)
    )
    user = induction.user
    assert inductions.induction_satisfied(user=user, resource=confocal, on=datetime.date(2026, 5, 31)) == (True, "")
    assert inductions.induction_satisfied(user=user, resource=confocal, on=datetime.date(2026, 6, 1))[0] is False


def test_an_induction_on_the_resource_takes_the_resource_class_valid_days(confocal):
    induction = InductionFactory(resource=confocal, date=datetime.date(2025, 6, 1))
    assert inductions.induction_last_day(induction) == datetime.date(2026, 5, 31)


def test_with_no_class_expiry_an_induction_does_not_expire(aston):
    resource = ResourceFactory(organisation=aston, requires_induction=True)
    induction = InductionFactory(resource=resource, date=datetime.date(2000, 1, 1))
    assert inductions.induction_satisfied(user=induction.user, resource=resource, on=DAY) == (True, "")


def test_an_induction_on_another_resource_does_not_count(confocal, aston):
    other = ResourceFactory(organisation=aston, requires_induction=True)
    induction = InductionFactory(resource=other, date=DAY)
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY)[0] is False


def test_someone_signed_out_is_told_to_sign_in(confocal):
    from django.contrib.auth.models import AnonymousUser

    ok, reason = inductions.induction_satisfied(user=AnonymousUser(), resource=confocal, on=DAY)
    assert ok is False
    assert "Sign in" in reason


# --- equivalences ---------------------------------------------------------------------------------------


@pytest.fixture
def leicester_lasers(leicester):
    return InductionClassFactory(name="Leicester laser course", valid_days=None)


def test_an_equivalence_for_the_resource_accepts_the_other_institution_class(confocal, leicester, leicester_lasers):
    induction = InductionFactory(resource=None, induction_class=leicester_lasers, organisation=leicester, date=DAY)
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY)[0] is False
    inductions.equivalence_declare(
        actor=_admin(confocal.organisation),
        accepted_class=leicester_lasers,
        accepted_organisation=leicester,
        resource=confocal,
    )
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY) == (True, "")


def test_an_equivalence_for_the_class_reaches_every_resource_in_it(confocal, leicester, leicester_lasers, laser):
    induction = InductionFactory(resource=None, induction_class=leicester_lasers, organisation=leicester, date=DAY)
    inductions.equivalence_declare(
        actor=_coordinator(), accepted_class=leicester_lasers, accepted_organisation=leicester, required_class=laser
    )
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY) == (True, "")


def test_an_equivalence_accepts_only_inductions_given_at_the_stated_institution(
    confocal, leicester, leicester_lasers, aston
):
    elsewhere = OrganisationFactory(name="Elsewhere")
    induction = InductionFactory(resource=None, induction_class=leicester_lasers, organisation=elsewhere, date=DAY)
    inductions.equivalence_declare(
        actor=_admin(aston), accepted_class=leicester_lasers, accepted_organisation=leicester, resource=confocal
    )
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY)[0] is False


def test_an_equivalence_needs_the_accepted_induction_unexpired(confocal, leicester, aston):
    short = InductionClassFactory(name="Short course", valid_days=30)
    induction = InductionFactory(
        resource=None, induction_class=short, organisation=leicester, date=DAY - datetime.timedelta(days=30)
    )
    inductions.equivalence_declare(
        actor=_admin(aston), accepted_class=short, accepted_organisation=leicester, resource=confocal
    )
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY)[0] is False
    assert inductions.induction_satisfied(user=induction.user, resource=confocal, on=DAY - datetime.timedelta(days=1))[
        0
    ]


def test_an_institution_admin_declares_only_for_their_own_resources(confocal, leicester, leicester_lasers):
    with pytest.raises(PermissionDenied):
        inductions.equivalence_declare(
            actor=_admin(leicester), accepted_class=leicester_lasers, accepted_organisation=leicester, resource=confocal
        )


def test_only_coordinators_declare_for_a_whole_class(aston, leicester, leicester_lasers, laser):
    with pytest.raises(PermissionDenied, match="Only coordinators"):
        inductions.equivalence_declare(
            actor=_admin(aston), accepted_class=leicester_lasers, accepted_organisation=leicester, required_class=laser
        )


def test_declaring_the_same_equivalence_twice_is_a_conflict(confocal, leicester, leicester_lasers):
    admin = _admin(confocal.organisation)
    kwargs = {"accepted_class": leicester_lasers, "accepted_organisation": leicester, "resource": confocal}
    equivalence = inductions.equivalence_declare(actor=admin, **kwargs, note=" Same syllabus ")
    assert (equivalence.declared_by, equivalence.note) == (admin, "Same syllabus")
    with pytest.raises(Conflict):
        inductions.equivalence_declare(actor=admin, **kwargs)
    assert InductionEquivalence.objects.count() == 1


def test_an_equivalence_is_for_a_resource_or_a_class_not_both(confocal, leicester, leicester_lasers, laser):
    with pytest.raises(DomainError):
        inductions.equivalence_declare(
            actor=_coordinator(),
            accepted_class=leicester_lasers,
            accepted_organisation=leicester,
            resource=confocal,
            required_class=laser,
        )


# --- recording ------------------------------------------------------------------------------------------


def test_a_manager_records_an_induction_on_their_resource(confocal):
    manager, learner = UserFactory(), UserFactory()
    confocal.managers.add(manager)
    induction = inductions.induction_record(
        actor=manager,
        user=learner,
        resource=confocal,
        organisation=confocal.organisation,
        date=DAY,
        trainer=" Sam Trainer ",
    )
    assert (induction.user, induction.resource, induction.trainer, induction.recorded_by) == (
        learner,
        confocal,
        "Sam Trainer",
        manager,
    )
    assert AuditEvent.objects.filter(object_id=str(induction.pk), action="create").count() == 1


def test_someone_who_does_not_manage_the_resource_cannot_record(confocal, leicester):
    for actor in (UserFactory(), _admin(leicester)):
        with pytest.raises(PermissionDenied):
            inductions.induction_record(
                actor=actor,
                user=UserFactory(),
                resource=confocal,
                organisation=confocal.organisation,
                date=DAY,
                trainer="Sam",
            )
    assert Induction.objects.count() == 0


def test_an_institution_admin_records_a_class_induction_for_their_organisation(aston, laser):
    induction = inductions.induction_record(
        actor=_admin(aston), user=UserFactory(), induction_class=laser, organisation=aston, date=DAY, trainer="Sam"
    )
    assert (induction.induction_class, induction.organisation) == (laser, aston)


def test_a_manager_of_a_resource_in_the_class_records_class_inductions_for_its_owner(confocal, laser, leicester):
    manager = UserFactory()
    confocal.managers.add(manager)
    inductions.induction_record(
        actor=manager,
        user=UserFactory(),
        induction_class=laser,
        organisation=confocal.organisation,
        date=DAY,
        trainer="Sam",
    )
    with pytest.raises(PermissionDenied):
        inductions.induction_record(
            actor=manager, user=UserFactory(), induction_class=laser, organisation=leicester, date=DAY, trainer="Sam"
        )


def test_an_induction_on_a_resource_is_given_by_its_owner(confocal, leicester):
    with pytest.raises(DomainError) as refused:
        inductions.induction_record(
            actor=_coordinator(), user=UserFactory(), resource=confocal, organisation=leicester, date=DAY, trainer="S"
        )
    assert refused.value.field == "organisation"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trainer": "  "}, "trainer"),
        ({"date": datetime.date(2999, 1, 1)}, "date"),
        ({"expires": DAY - datetime.timedelta(days=1)}, "expires"),
    ],
)
def test_bad_induction_values_are_refused_naming_the_field(confocal, changes, field):
    kwargs = {"date": DAY, "trainer": "Sam", **changes}
    with pytest.raises(DomainError) as refused:
        inductions.induction_record(
            actor=_coordinator(), user=UserFactory(), resource=confocal, organisation=confocal.organisation, **kwargs
        )
    assert refused.value.field == field


# --- training requests ----------------------------------------------------------------------------------


def test_a_user_asks_for_training_once(confocal):
    user = UserFactory()
    request = inductions.training_request(user=user, resource=confocal, note="  I start in July ")
    assert (request.status, request.note) == ("open", "I start in July")
    with pytest.raises(Conflict):
        inductions.training_request(user=user, resource=confocal)
    assert TrainingRequest.objects.count() == 1


def test_a_manager_schedules_then_recording_the_induction_closes_the_request(confocal):
    manager, user = UserFactory(), UserFactory()
    confocal.managers.add(manager)
    request = inductions.training_request(user=user, resource=confocal)
    inductions.training_request_respond(
        actor=manager, request=request, status="scheduled", response="Tuesday 10:00, room 2"
    )
    assert TrainingRequest.objects.get().status == "scheduled"
    inductions.induction_record(
        actor=manager, user=user, resource=confocal, organisation=confocal.organisation, date=DAY, trainer="Sam"
    )
    request.refresh_from_db()
    assert (request.status, request.response) == ("done", "Induction recorded: 1 June 2026, given by Sam.")


def test_recording_a_class_induction_closes_requests_for_resources_in_the_class(confocal, laser):
    user = UserFactory()
    request = inductions.training_request(user=user, resource=confocal)
    inductions.induction_record(
        actor=_admin(confocal.organisation),
        user=user,
        induction_class=laser,
        organisation=confocal.organisation,
        date=DAY,
        trainer="Sam",
    )
    request.refresh_from_db()
    assert request.status == "done"


def test_only_managers_respond_to_training_requests(confocal, leicester):
    request = inductions.training_request(user=UserFactory(), resource=confocal)
    with pytest.raises(PermissionDenied):
        inductions.training_request_respond(actor=_admin(leicester), request=request, status="declined", response="No")


def test_a_response_must_be_scheduled_done_or_declined_and_say_why(confocal):
    admin = _admin(confocal.organisation)
    request = inductions.training_request(user=UserFactory(), resource=confocal)
    with pytest.raises(DomainError) as refused:
        inductions.training_request_respond(actor=admin, request=request, status="open")
    assert refused.value.field == "status"
    with pytest.raises(DomainError) as refused:
        inductions.training_request_respond(actor=admin, request=request, status="declined", response=" ")
    assert refused.value.field == "response"
    inductions.training_request_respond(actor=admin, request=request, status="declined", response="Fully booked")
    with pytest.raises(DomainError, match="already declined"):
        inductions.training_request_respond(actor=admin, request=request, status="done")


def test_training_requests_are_seen_by_the_asker_and_the_managers(confocal, leicester):
    asker, manager = UserFactory(), UserFactory()
    confocal.managers.add(manager)
    request = inductions.training_request(user=asker, resource=confocal)
    assert list(inductions.training_requests_for(user=asker)) == [request]
    assert list(inductions.training_requests_for(user=manager)) == [request]
    assert list(inductions.training_requests_for(user=_admin(confocal.organisation))) == [request]
    assert list(inductions.training_requests_for(user=_admin(leicester))) == []


# --- the passport ---------------------------------------------------------------------------------------


def test_the_passport_lists_inductions_with_their_status(confocal, laser, leicester):
    user = UserFactory()
    old = InductionFactory(user=user, resource=confocal, date=datetime.date(2024, 1, 1))
    current = InductionFactory(
        user=user, resource=None, induction_class=laser, organisation=leicester, date=datetime.date(2026, 3, 1)
    )
    InductionFactory(resource=confocal, date=DAY)  # someone else's
    passport = inductions.passport_for(user=user, on=DAY)
    assert [(e.induction, e.covers, e.last_day, e.status) for e in passport] == [
        (current, "Laser safety", datetime.date(2027, 2, 28), "valid"),
        (old, "Confocal 2", datetime.date(2024, 12, 30), "expired"),
    ]
