"""Recording changes in the audit trail. Services call these explicitly around their writes."""

import datetime
import decimal
import uuid

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from mhi.core.models import AuditEvent


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    return value


# Never copied into the audit trail: a change is recorded as "changed", not with its value.
SECRET_FIELDS = frozenset({"password", "key_hash"})


def audit_snapshot(instance: models.Model) -> dict:
    """The instance's concrete field values (foreign keys as ids), JSON-ready. Timestamps that the
    database refreshes on every save are left out: they are when, not what."""
    data = {}
    for field in instance._meta.concrete_fields:
        if getattr(field, "auto_now", False) or field.name in SECRET_FIELDS:
            continue
        data[field.attname] = _plain(getattr(instance, field.attname))
    return data


def audit_record(
    *,
    instance: models.Model,
    action: str,
    before: dict | None = None,
    actor=None,
    source: str = "",
) -> AuditEvent | None:
    """Record a create, update or delete. An update that changed nothing records nothing."""
    after = None if action == AuditEvent.Action.DELETE else audit_snapshot(instance)
    if action == AuditEvent.Action.CREATE:
        changes = {k: [None, v] for k, v in after.items() if k != "id" and v not in (None, "")}
    elif action == AuditEvent.Action.DELETE:
        changes = {k: [v, None] for k, v in (before or {}).items() if k != "id" and v not in (None, "")}
    else:
        changes = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
        if not changes:
            return None
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        source=source[:100],
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        changes=changes,
    )


def audit_save(*, instance: models.Model, actor=None, source: str = "", fields: dict | None = None) -> bool:
    """Apply `fields` to the instance (if given), save it and record the change. Returns True if it changed."""
    creating = instance.pk is None or instance._state.adding
    before = None if creating else audit_snapshot(type(instance).objects.get(pk=instance.pk))
    for name, value in (fields or {}).items():
        setattr(instance, name, value)
    if not creating and audit_snapshot(instance) == before:
        return False
    instance.full_clean()
    instance.save()
    audit_record(
        instance=instance,
        action=AuditEvent.Action.CREATE if creating else AuditEvent.Action.UPDATE,
        before=before,
        actor=actor,
        source=source,
    )
    return True


def audit_save_or_refuse(*, instance: models.Model, actor=None, source: str = "", fields: dict | None = None) -> bool:
    """audit_save for services: a model validation error becomes a DomainError naming the field, and an actor who
    is not signed in (a command, a task) is recorded as nobody."""
    from django.core.exceptions import ValidationError

    from mhi.core.errors import domain_error_from_validation

    actor = actor if getattr(actor, "is_authenticated", False) else None
    try:
        return audit_save(instance=instance, actor=actor, source=source, fields=fields)
    except ValidationError as exc:
        raise domain_error_from_validation(exc) from None


def audit_delete(*, instance: models.Model, actor=None, source: str = "") -> None:
    before = audit_snapshot(instance)
    pk = instance.pk
    audit_record(instance=instance, action=AuditEvent.Action.DELETE, before=before, actor=actor, source=source)
    instance.delete()
    instance.pk = pk


def audit_events_for(instance: models.Model):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=str(instance.pk),
    ).select_related("actor")
