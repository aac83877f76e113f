from mhi.accounts.tests.factories import UserFactory
from mhi.core.audit import audit_delete, audit_events_for, audit_save
from mhi.core.models import AuditEvent
from mhi.directory.models import Organisation
from mhi.directory.tests.factories import OrganisationFactory


def test_create_update_delete_are_recorded_with_who_and_what(db):
    user = UserFactory(email="editor@example.org")
    org = Organisation(name="Acme", slug="acme", kind="industry")
    assert audit_save(instance=org, actor=user) is True
    assert audit_save(instance=org, actor=user, fields={"town": "Derby"}) is True
    pk = org.pk
    audit_delete(instance=org, actor=user)

    events = list(AuditEvent.objects.filter(object_id=str(pk)).order_by("id"))
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert events[0].changes["name"] == [None, "Acme"]
    assert events[1].changes == {"town": ["", "Derby"]}
    assert events[2].changes["name"] == ["Acme", None]
    assert {e.actor_id for e in events} == {user.pk}
    assert not Organisation.objects.filter(pk=pk).exists()


def test_saving_without_a_change_records_nothing(db):
    org = OrganisationFactory(name="Same")
    assert audit_save(instance=org, fields={"name": "Same"}, source="test") is False
    assert audit_events_for(org).count() == 0


def test_source_is_shown_when_no_user_acted(db):
    org = Organisation(name="Loaded", slug="loaded", kind="charity")
    audit_save(instance=org, source="mhi load-reference")
    event = audit_events_for(org).get()
    assert event.who == "mhi load-reference"
    assert event.actor is None


def test_snapshot_values_are_json_ready_for_files_and_uuids():
    import json
    import uuid

    from django.db.models.fields.files import FieldFile

    from mhi.bids.models import BidDocument
    from mhi.core.audit import _plain

    document = BidDocument(original_name="case.pdf")
    document.file.name = "bids/1/abc-def"
    series = uuid.UUID("12345678-1234-5678-1234-567812345678")

    assert isinstance(document.file, FieldFile)
    assert _plain(document.file) == "bids/1/abc-def"
    assert _plain(series) == "12345678-1234-5678-1234-567812345678"
    assert json.loads(json.dumps([_plain(document.file), _plain(series)])) == [
        "bids/1/abc-def",
        "12345678-1234-5678-1234-567812345678",
    ]
