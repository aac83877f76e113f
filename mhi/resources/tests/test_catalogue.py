"""The catalogue's selectors and services: who may see, manage and import; creating and changing resources, their
rates and closures, with errors that name the field; the audit trail; the admin."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse

from mhi.accounts.tests.factories import UserFactory
from mhi.core.admin_site import admin_site
from mhi.core.audit import audit_events_for
from mhi.core.errors import DomainError, PermissionDenied
from mhi.core.models import AuditEvent
from mhi.expertise.index import DOCUMENT_SOURCES
from mhi.expertise.lexical_search import lexical_search
from mhi.resources import search, selectors, services, uniquip
from mhi.resources.models import (
    Booking,
    Closure,
    Induction,
    InductionClass,
    Rate,
    Resource,
    ResourceStatus,
)
from mhi.resources.tests.factories import (
    BookingFactory,
    ClosureFactory,
    InductionClassFactory,
    InductionFactory,
    RateFactory,
    ResourceFactory,
)

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def confocal(world):
    """An Aston resource managed by the Nottingham researcher."""
    return ResourceFactory(
        organisation=world.aston, name="Confocal 2", uniquip_id="AST-1", managers=[world.users["researcher"]]
    )


# --- the factories others build on ------------------------------------------------------------------------


def test_the_factories_make_valid_rows():
    resource = ResourceFactory()
    rate = RateFactory(resource=resource)
    closure = ClosureFactory(resource=resource)
    booking = BookingFactory(resource=resource)
    induction = InductionFactory(resource=resource)
    by_class = InductionFactory(resource=None, induction_class=InductionClassFactory(name="Lasers"))
    for obj in (resource, rate, closure, booking, induction, by_class):
        obj.full_clean()
    assert (booking.status, booking.end - booking.start) == (Booking.Status.REQUESTED, datetime.timedelta(hours=1))
    assert induction.organisation == resource.organisation
    assert (Induction.objects.count(), InductionClass.objects.get().name) == (2, "Lasers")


# --- who may do what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "may_manage", "may_import_aston"),
    [
        ("anonymous", False, False),
        ("coordinator", True, True),
        ("aston_admin", True, True),
        ("leicester_lead", False, False),
        ("researcher", True, False),  # a manager of the resource, not an admin
        ("nhs_rd", False, False),
        ("external", False, False),
    ],
)
def test_who_may_manage_a_resource_and_import_a_catalogue(world, confocal, persona, may_manage, may_import_aston):
    user = world.users[persona]
    assert selectors.user_may_manage_resource(user=user, resource=confocal) is may_manage
    assert selectors.user_may_import_for(user=user, organisation=world.aston) is may_import_aston
    assert selectors.user_may_import_for(user=user, organisation=world.leicester) is (persona == "coordinator")


def test_an_institution_admin_does_not_manage_another_institutions_resource(world):
    leicester_kit = ResourceFactory(organisation=world.leicester)
    assert selectors.user_may_manage_resource(user=world.users["aston_admin"], resource=leicester_kit) is False


def test_an_inactive_manager_manages_nothing(world, confocal):
    manager = world.users["researcher"]
    manager.is_active = False
    manager.save()
    assert selectors.user_may_manage_resource(user=manager, resource=confocal) is False


def test_the_public_catalogue_leaves_out_retired_resources(world):
    a = ResourceFactory(name="A", status=ResourceStatus.AVAILABLE)
    m = ResourceFactory(name="M", status=ResourceStatus.MAINTENANCE)
    ResourceFactory(name="R", status=ResourceStatus.RETIRED)
    assert list(selectors.resources_public()) == [a, m]


def test_a_retired_resource_is_found_only_by_those_who_may_manage_it(world, confocal):
    confocal.status = ResourceStatus.RETIRED
    confocal.save()
    assert selectors.resource_for(user=world.users["researcher"], pk=confocal.pk) == confocal
    assert selectors.resource_for(user=world.users["aston_admin"], pk=confocal.pk) == confocal
    for persona in ("anonymous", "leicester_lead", "external"):
        with pytest.raises(Http404):
            selectors.resource_for(user=world.users[persona], pk=confocal.pk)


def test_any_resource_in_the_catalogue_is_found_by_anyone_and_an_unknown_one_is_404(world, confocal):
    assert selectors.resource_for(user=None, pk=confocal.pk) == confocal
    with pytest.raises(Http404):
        selectors.resource_for(user=None, pk=confocal.pk + 1000)


def test_the_resources_a_user_manages(world, confocal):
    leicester_kit = ResourceFactory(organisation=world.leicester)
    retired = ResourceFactory(organisation=world.aston, status=ResourceStatus.RETIRED)
    assert set(selectors.resources_managed_by(user=world.users["researcher"])) == {confocal}
    assert set(selectors.resources_managed_by(user=world.users["aston_admin"])) == {confocal, retired}
    assert set(selectors.resources_managed_by(user=world.users["coordinator"])) == {confocal, retired, leicester_kit}
    assert list(selectors.resources_managed_by(user=None)) == []


# --- resources ----------------------------------------------------------------------------------------------


def test_an_admin_adds_a_resource_recorded_in_the_audit_trail(world):
    admin = world.users["aston_admin"]
    resource = services.resource_create(
        actor=admin,
        organisation=world.aston,
        fields={
            "uniquip_id": "AST-9",
            "name": "  Mass spectrometer ",
            "description": "Orbitrap\r\nfor proteomics",
            "uniquip_type": "Facility",
            "web_address": "www.aston.ac.uk/ms",
            "managers": [world.users["researcher"]],
        },
    )
    assert (resource.name, resource.description, resource.uniquip_type, resource.web_address) == (
        "Mass spectrometer",
        "Orbitrap\nfor proteomics",
        "facility",
        "https://www.aston.ac.uk/ms",
    )
    assert list(resource.managers.all()) == [world.users["researcher"]]
    event = audit_events_for(resource).get()
    assert (event.action, event.actor, event.changes["name"]) == (
        AuditEvent.Action.CREATE,
        admin,
        [None, "Mass spectrometer"],
    )


def test_a_resource_added_without_an_id_gets_one_derived_as_an_import_would(world):
    resource = services.resource_create(
        actor=world.users["coordinator"], organisation=world.aston, fields={"name": "Autoclave", "department": "Bio"}
    )
    assert resource.uniquip_id == uniquip.derived_id({"Type": "equipment", "Name": "Autoclave", "Department": "Bio"})


@pytest.mark.parametrize("persona", ["anonymous", "researcher", "leicester_lead"])
def test_only_coordinators_and_the_institutions_admins_add_resources(world, persona):
    with pytest.raises(PermissionDenied):
        services.resource_create(actor=world.users[persona], organisation=world.aston, fields={"name": "X"})
    assert Resource.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "Name: This field cannot be blank."),
        ({"contact_email": "lab at aston"}, "contact_email", "Contact Email: “lab at aston” is not an email address."),
        (
            {"photo": "javascript:alert(1)"},
            "photo",
            "Photo: “javascript:alert(1)” is not a web address; it should start with https:// or http://.",
        ),
        (
            {"uniquip_type": "gadget"},
            "uniquip_type",
            "Type: “gadget” is not a Uniquip type; use equipment or facility.",
        ),
        (
            {"description": "bell \x07"},
            "description",
            "Description: contains a control character, which cannot be stored; remove it.",
        ),
        ({"access_policy": "everyone"}, "access_policy", "Access policy: Value 'everyone' is not a valid choice."),
        (
            {"min_duration_minutes": 120, "max_duration_minutes": 60},
            "min_duration_minutes",
            "The shortest booking (120 minutes) is longer than the longest (60 minutes).",
        ),
        (
            {"latitude": Decimal("52.48")},
            "longitude",
            "Give both the latitude and the longitude, or neither; the longitude is missing.",
        ),
        ({"slot_minutes": 2}, "slot_minutes", "Slot minutes: Ensure this value is greater than or equal to 5."),
        (
            {"opening_hours": {"1": [["17:00", "09:00"]]}},
            "opening_hours",
            "Opening hours: day 1: 17:00–09:00 ends before it starts.",
        ),
        (
            {"opening_hours": {"8": []}},
            "opening_hours",
            "Opening hours: “8” is not a weekday: use 1 (Monday) to 7 (Sunday).",
        ),
        ({"colour": "red"}, "colour", "“colour” is not something a resource has."),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(world, fields, field, message):
    with pytest.raises(DomainError) as exc_info:
        services.resource_create(
            actor=world.users["coordinator"], organisation=world.aston, fields={"name": "Lathe", **fields}
        )
    assert (exc_info.value.field, exc_info.value.message) == (field, message)
    assert Resource.objects.count() == 0


def test_an_id_already_in_the_catalogue_is_refused(world, confocal):
    with pytest.raises(DomainError) as exc_info:
        services.resource_create(
            actor=world.users["coordinator"], organisation=world.aston, fields={"name": "X", "uniquip_id": "AST-1"}
        )
    assert (exc_info.value.field, exc_info.value.message) == (
        "uniquip_id",
        "Another resource of Aston University already has the ID “AST-1”.",
    )
    # The same ID at another organisation is fine.
    services.resource_create(
        actor=world.users["coordinator"], organisation=world.leicester, fields={"name": "X", "uniquip_id": "AST-1"}
    )


def test_a_manager_changes_a_resource_and_the_change_is_audited(world, confocal):
    manager = world.users["researcher"]
    services.resource_update(
        actor=manager, resource=confocal, fields={"technique": "Confocal microscopy", "instant_booking": True}
    )
    confocal.refresh_from_db()
    assert (confocal.technique, confocal.instant_booking) == ("Confocal microscopy", True)
    event = audit_events_for(confocal).get()
    assert (event.actor, event.changes) == (
        manager,
        {"technique": ["", "Confocal microscopy"], "instant_booking": [False, True]},
    )


def test_saving_the_same_values_records_nothing(world, confocal):
    services.resource_update(actor=world.users["coordinator"], resource=confocal, fields={"name": " Confocal 2 "})
    assert audit_events_for(confocal).count() == 0


@pytest.mark.parametrize("persona", ["anonymous", "leicester_lead", "external"])
def test_others_may_not_change_a_resource(world, confocal, persona):
    with pytest.raises(PermissionDenied):
        services.resource_update(actor=world.users[persona], resource=confocal, fields={"name": "Mine"})


def test_an_id_cannot_be_emptied(world, confocal):
    with pytest.raises(DomainError) as exc_info:
        services.resource_update(actor=world.users["coordinator"], resource=confocal, fields={"uniquip_id": " "})
    assert exc_info.value.field == "uniquip_id"


def test_retiring_a_resource_takes_it_out_of_the_catalogue(world, confocal):
    services.resource_update(actor=world.users["aston_admin"], resource=confocal, fields={"status": "retired"})
    assert list(selectors.resources_public()) == []


def test_a_resource_added_or_changed_is_found_by_its_words_at_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        resource = services.resource_create(
            actor=world.users["coordinator"], organisation=world.aston, fields={"name": "Cryostat"}
        )
    assert [h.object_id for h in lexical_search(kind="resource", query="cryostat")] == [resource.pk]
    assert search._index_build_enqueue in callbacks
    services.resource_update(actor=world.users["coordinator"], resource=resource, fields={"name": "Microtome"})
    assert lexical_search(kind="resource", query="cryostat") == []
    assert [h.object_id for h in lexical_search(kind="resource", query="microtome")] == [resource.pk]


def test_resources_are_the_resource_document_source_read_name_first():
    resource = ResourceFactory(
        name="Confocal 2",
        technique="Confocal microscopy",
        manufacturer="Zeiss",
        model_name="LSM 880",
        department="Life Sciences",
        building="Adrian Building",
        description="Live-cell imaging.",
        contact_email="not@searched.example.org",
    )
    assert list(DOCUMENT_SOURCES["resource"]()) == [
        (
            resource.pk,
            "Confocal 2\nConfocal microscopy\nZeiss LSM 880\nLife Sciences\nAdrian Building\nLive-cell imaging.",
        )
    ]


# --- rates --------------------------------------------------------------------------------------------------


def test_a_manager_sets_changes_and_removes_a_rate(world, confocal):
    manager = world.users["researcher"]
    rate = services.rate_set(actor=manager, resource=confocal, tier="partner", unit="hour", amount="£1,045.505")
    assert (rate.tier, rate.unit, rate.amount) == ("partner", "hour", Decimal("1045.51"))
    services.rate_set(actor=manager, resource=confocal, tier="partner", unit="day", amount=Decimal("300"))
    assert list(Rate.objects.values_list("tier", "unit", "amount")) == [("partner", "day", Decimal("300.00"))]
    assert services.rate_set(actor=manager, resource=confocal, tier="partner", unit="day", amount=None) is None
    assert Rate.objects.count() == 0
    events = AuditEvent.objects.filter(object_repr__startswith="Confocal 2:").order_by("pk")
    actions = list(events.values_list("action", flat=True))
    assert actions == [AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.DELETE]


@pytest.mark.parametrize(
    ("tier", "unit", "amount", "field", "message"),
    [
        ("friends", "hour", "10", "tier", "“friends” is not a price tier."),
        ("internal", "week", "10", "unit", "“week” is not a unit; use hour, day or session."),
        ("internal", "hour", "-1", "amount", "“-1” is not an amount in pounds of at least £0."),
        ("internal", "hour", "ten", "amount", "“ten” is not an amount in pounds, for example 45.00."),
    ],
)
def test_a_bad_rate_is_refused_naming_the_field(world, confocal, tier, unit, amount, field, message):
    with pytest.raises(DomainError) as exc_info:
        services.rate_set(actor=world.users["coordinator"], resource=confocal, tier=tier, unit=unit, amount=amount)
    assert (exc_info.value.field, exc_info.value.message) == (field, message)


def test_others_may_not_set_rates(world, confocal):
    with pytest.raises(PermissionDenied):
        services.rate_set(actor=world.users["external"], resource=confocal, tier="internal", unit="hour", amount=1)


# --- closures -----------------------------------------------------------------------------------------------


def test_a_closure_given_in_uk_time_is_stored_in_utc_and_can_be_removed(world, confocal):
    manager = world.users["researcher"]
    closure = services.closure_add(
        actor=manager,
        resource=confocal,
        kind="blackout",
        start=datetime.datetime(2026, 7, 1, 9, 0),
        end=datetime.datetime(2026, 7, 3, 17, 0, tzinfo=LONDON),
        reason="  Summer shutdown ",
    )
    closure.refresh_from_db()
    assert (closure.kind, closure.start, closure.end, closure.reason, closure.created_by) == (
        "blackout",
        datetime.datetime(2026, 7, 1, 8, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 3, 16, 0, tzinfo=datetime.UTC),
        "Summer shutdown",
        manager,
    )
    services.closure_remove(actor=manager, closure=closure)
    assert Closure.objects.count() == 0
    assert AuditEvent.objects.filter(object_id=str(closure.pk), action=AuditEvent.Action.DELETE).count() == 1


@pytest.mark.parametrize(
    ("kind", "hours", "field", "message"),
    [
        ("maintenance", 0, "end", "The closure must end after it starts."),
        ("maintenance", -2, "end", "The closure must end after it starts."),
        ("holiday", 2, "kind", "“holiday” is not a kind of closure; use maintenance or blackout."),
    ],
)
def test_a_bad_closure_is_refused_naming_the_field(world, confocal, kind, hours, field, message):
    start = datetime.datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)
    with pytest.raises(DomainError) as exc_info:
        services.closure_add(
            actor=world.users["coordinator"],
            resource=confocal,
            kind=kind,
            start=start,
            end=start + datetime.timedelta(hours=hours),
        )
    assert (exc_info.value.field, exc_info.value.message) == (field, message)


def test_others_may_not_close_or_reopen_a_resource(world, confocal):
    closure = ClosureFactory(resource=confocal)
    start = datetime.datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)
    with pytest.raises(PermissionDenied):
        services.closure_add(
            actor=world.users["leicester_lead"],
            resource=confocal,
            kind="maintenance",
            start=start,
            end=start + datetime.timedelta(hours=1),
        )
    with pytest.raises(PermissionDenied):
        services.closure_remove(actor=UserFactory(), closure=closure)


# --- the admin ----------------------------------------------------------------------------------------------


def test_the_resource_models_are_in_the_coordinators_admin():
    registered = {model._meta.label for model in admin_site._registry}
    assert {
        "resources.Resource",
        "resources.InductionClass",
        "resources.Booking",
        "resources.WaitlistEntry",
        "resources.Induction",
        "resources.InductionEquivalence",
        "resources.TrainingRequest",
    } <= registered


@pytest.mark.parametrize(
    "model",
    ["resource", "inductionclass", "booking", "waitlistentry", "induction", "inductionequivalence", "trainingrequest"],
)
def test_a_coordinator_opens_each_resource_admin_list_and_add_page(world, client, model):
    client.force_login(world.users["coordinator"])
    assert client.get(reverse(f"admin:resources_{model}_changelist")).status_code == 200
    # Bookings and waitlist entries change only through the booking service (overlaps, rules, emails).
    expected_add = 403 if model in {"booking", "waitlistentry"} else 200
    assert client.get(reverse(f"admin:resources_{model}_add")).status_code == expected_add


def test_a_coordinator_opens_a_resource_in_the_admin_and_others_are_sent_away(world, confocal, client):
    RateFactory(resource=confocal)
    ClosureFactory(resource=confocal)
    url = reverse("admin:resources_resource_change", args=[confocal.pk])
    client.force_login(world.users["aston_admin"])
    assert client.get(url).status_code == 302
    client.force_login(world.users["coordinator"])
    assert client.get(url).status_code == 200


def test_the_admin_checks_uniquip_values_as_the_forms_do(world, confocal, client):
    client.force_login(world.users["coordinator"])
    url = reverse("admin:resources_resource_change", args=[confocal.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data["managers"] = [u.pk for u in confocal.managers.all()]
    for prefix in ("rates", "closures"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, {**data, "web_address": "javascript:alert(1)"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["web_address"] == [
        "“javascript:alert(1)” is not a web address; it should start with https:// or http://."
    ]
    response = client.post(url, {**data, "description": "Line one\r\nLine two", "web_address": "www.aston.ac.uk"})
    assert response.status_code == 302
    confocal.refresh_from_db()
    assert (confocal.description, confocal.web_address) == ("Line one\nLine two", "https://www.aston.ac.uk")


def test_an_export_writes_values_as_an_import_would_store_them(world):
    resource = ResourceFactory(name="  Lathe ", description="One\r\nTwo\x16", uniquip_id="L1")
    first = uniquip.uniquip_export_csv(resources=[resource])
    fresh = world.leicester
    uniquip.uniquip_import(actor=None, organisation=fresh, path_or_file=first, filename="l.csv")
    again = uniquip.uniquip_export_csv(resources=Resource.objects.filter(organisation=fresh))
    assert again == first
    assert Resource.objects.get(organisation=fresh).description == "One\nTwo"
