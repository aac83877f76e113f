"""Writes to the resource catalogue: resources, their rates and their closures. Each goes through the audit trail.

Values are cleaned the same way here and in the Uniquip import (mhi.resources.uniquip), so a resource edited by
hand exports and imports again unchanged: text is stripped, line breaks are stored as "\\n", control characters are
refused (a spreadsheet cannot hold them), an email address must be one, and a web address must be http(s) (one
written without a scheme, "www.example.ac.uk", is stored with https://; any other scheme, javascript: for example,
is refused, because the pages make links of these).
"""

import datetime
import decimal
import re
import zoneinfo

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from mhi.core.audit import audit_delete, audit_save
from mhi.core.errors import DomainError, PermissionDenied
from mhi.resources import selectors
from mhi.resources.models import (
    UNIQUIP_COLUMNS,
    Closure,
    InductionClass,
    Rate,
    RateUnit,
    Resource,
    Tier,
    UniquipType,
)
from mhi.resources.search import resources_searchable

LONDON = zoneinfo.ZoneInfo(settings.TIME_ZONE)
PENNY = decimal.Decimal("0.01")

UNIQUIP_FIELDS = tuple(field for _, field in UNIQUIP_COLUMNS)
FIELD_COLUMNS = {field: column for column, field in UNIQUIP_COLUMNS}
# What a person may set on a resource (forms, the API), besides `managers` (a list of users).
RESOURCE_FIELDS = (
    *UNIQUIP_FIELDS,
    "manufacturer",
    "model_name",
    "access_policy",
    "training_requirement",
    "requires_induction",
    "induction_class",
    "status",
    "latitude",
    "longitude",
    "bookable",
    "instant_booking",
    "opening_hours",
    "slot_minutes",
    "min_duration_minutes",
    "max_duration_minutes",
    "lead_time_hours",
    "horizon_days",
    "cancellation_notice_hours",
)
URL_FIELDS = frozenset({"contact_url", "secondary_contact_url", "photo", "web_address"})
EMAIL_FIELDS = frozenset({"contact_email", "secondary_contact_email"})
_TEXT_FIELDS = frozenset(
    f.name
    for f in Resource._meta.concrete_fields
    if f.get_internal_type() in {"CharField", "TextField"} and f.name in RESOURCE_FIELDS and not f.choices
)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_BARE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+(:\d+)?([/?#].*)?$")
_TLD = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$", re.IGNORECASE)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


# --- values -------------------------------------------------------------------------------------------------


def field_label(name: str) -> str:
    """How a field is named to a person: its Uniquip column, or the model's verbose name."""
    if name in FIELD_COLUMNS:
        return FIELD_COLUMNS[name]
    try:
        return str(Resource._meta.get_field(name).verbose_name).capitalize()
    except Exception:  # noqa: BLE001 - a name that is not a field is shown as it is
        return name


def text_clean(value) -> str:
    """Text as stored: stripped, with Windows and old-Mac line breaks as "\\n"."""
    if value is None:
        return ""
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def email_problem(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        return f"“{value}” is not an email address"
    domain_end = value.rsplit(".", 1)[-1]
    if not _TLD.match(domain_end):
        # Django accepts any letters (internationalised domains); a top-level domain like "ukÊ" is a character
        # garbled by a file's encoding, and mail to it would never arrive.
        return f"“{value}” is not an email address: “{domain_end}” is not a top-level domain"
    return ""


def uniquip_value(name: str, value) -> tuple[object, str]:
    """(the value as stored, a problem or ""): one Uniquip or text field, the same for forms and imports."""
    text = text_clean(value)
    if CONTROL_CHARACTERS.search(text):
        return text, "contains a control character, which cannot be stored; remove it"
    if name == "uniquip_type":
        lowered = text.lower()
        for choice in UniquipType:
            if lowered in {choice.value, choice.label.lower()}:
                return choice.value, ""
        if not text:
            return UniquipType.EQUIPMENT.value, ""
        return text, f"“{text}” is not a Uniquip type; use equipment or facility"
    if name in EMAIL_FIELDS and text:
        return text, email_problem(text)
    if name in URL_FIELDS and text:
        scheme = _SCHEME.match(text)
        if scheme is None and _BARE_HOST.match(text):
            return "https://" + text, ""
        if scheme is None or scheme.group(1).lower() not in {"http", "https"}:
            return text, f"“{text}” is not a web address; it should start with https:// or http://"
    return text, ""


def opening_hours_problem(value) -> str:
    """Opening hours are {"1".."7" (ISO weekday): [["HH:MM", "HH:MM"], ...]} with each period's start before its end."""
    if not isinstance(value, dict):
        return "should map weekdays 1 (Monday) to 7 (Sunday) to lists of [start, end] times"
    for day, periods in value.items():
        if day not in {str(d) for d in range(1, 8)}:
            return f"“{day}” is not a weekday: use 1 (Monday) to 7 (Sunday)"
        if not isinstance(periods, list):
            return f"day {day} should have a list of [start, end] times"
        for period in periods:
            if (
                not isinstance(period, list | tuple)
                or len(period) != 2
                or not all(isinstance(t, str) and _HHMM.match(t) for t in period)
            ):
                return f"day {day}: {period!r} is not a [start, end] pair of HH:MM times"
            if period[0] >= period[1]:
                return f"day {day}: {period[0]}–{period[1]} ends before it starts"
    return ""


def _resource_values(fields: dict) -> dict:
    """The fields given, cleaned; a DomainError naming the field for the first bad one."""
    unknown = [name for name in fields if name not in RESOURCE_FIELDS and name != "managers"]
    if unknown:
        raise DomainError(f"“{unknown[0]}” is not something a resource has.", field=unknown[0])
    out = {}
    for name, value in fields.items():
        if name in UNIQUIP_FIELDS or name in _TEXT_FIELDS:
            value, problem = uniquip_value(name, value)
            if problem:
                raise DomainError(f"{field_label(name)}: {problem}.", field=name)
        elif name == "opening_hours":
            problem = opening_hours_problem(value)
            if problem:
                raise DomainError(f"Opening hours: {problem}.", field=name)
        elif name == "induction_class" and value is not None and not isinstance(value, InductionClass):
            raise DomainError("Induction class: choose one of the induction classes.", field=name)
        out[name] = value
    return out


def _rules_problems(resource: Resource) -> None:
    """The rules that span fields (the database checks them too), with a message and a field to show it at."""
    if (resource.latitude is None) != (resource.longitude is None):
        missing = "longitude" if resource.longitude is None else "latitude"
        raise DomainError(
            f"Give both the latitude and the longitude, or neither; the {missing} is missing.", field=missing
        )
    if (
        resource.min_duration_minutes is not None
        and resource.max_duration_minutes is not None
        and resource.min_duration_minutes > resource.max_duration_minutes
    ):
        raise DomainError(
            f"The shortest booking ({resource.min_duration_minutes} minutes) is longer than the longest "
            f"({resource.max_duration_minutes} minutes).",
            field="min_duration_minutes",
        )
    if resource.uniquip_id:
        taken = Resource.objects.filter(organisation_id=resource.organisation_id, uniquip_id=resource.uniquip_id)
        if resource.pk:
            taken = taken.exclude(pk=resource.pk)
        if taken.exists():
            raise DomainError(
                f"Another resource of {resource.organisation} already has the ID “{resource.uniquip_id}”.",
                field="uniquip_id",
            )


def domain_error_from(exc: ValidationError) -> DomainError:
    """A model validation error as a DomainError naming its field (the first, when there are several)."""
    if not hasattr(exc, "error_dict"):
        return DomainError(" ".join(exc.messages))
    name, messages = next(iter(exc.message_dict.items()))
    if name == NON_FIELD_ERRORS:
        return DomainError(" ".join(messages))
    return DomainError(f"{field_label(name)}: {' '.join(messages)}", field=name)


def resource_save(*, resource: Resource, actor=None, source: str = "", fields: dict | None = None) -> bool:
    """Apply already-cleaned fields, check the rules and save through the audit trail. True if it changed."""
    for name, value in (fields or {}).items():
        setattr(resource, name, value)
    _rules_problems(resource)
    try:
        return audit_save(instance=resource, actor=actor, source=source)
    except ValidationError as exc:
        raise domain_error_from(exc) from None


# --- resources ----------------------------------------------------------------------------------------------


@transaction.atomic
def resource_create(*, actor, organisation, fields: dict) -> Resource:
    """Add a resource to an organisation's catalogue (coordinators and the organisation's institution admins).
    Without an ID it gets one derived from its Uniquip values, as a row of an import without one does."""
    if not selectors.user_may_import_for(user=actor, organisation=organisation):
        raise PermissionDenied("Only coordinators and the institution's admins add resources to its catalogue.")
    values = _resource_values(fields)
    managers = values.pop("managers", None)
    resource = Resource(organisation=organisation)
    for name, value in values.items():
        setattr(resource, name, value)
    if not resource.uniquip_id:
        from mhi.resources.uniquip import derived_id

        resource.uniquip_id = derived_id({FIELD_COLUMNS[f]: getattr(resource, f) for f in UNIQUIP_FIELDS})
    resource_save(resource=resource, actor=actor)
    if managers is not None:
        resource.managers.set(managers)
    resources_searchable(ids=[resource.pk])
    return resource


@transaction.atomic
def resource_update(*, actor, resource: Resource, fields: dict) -> Resource:
    if not selectors.user_may_manage_resource(user=actor, resource=resource):
        raise PermissionDenied("Only the resource's managers, its institution's admins and coordinators change it.")
    values = _resource_values(fields)
    managers = values.pop("managers", None)
    if "uniquip_id" in values and not values["uniquip_id"]:
        raise DomainError("ID: give the resource an ID (its owner's own id for it).", field="uniquip_id")
    locked = Resource.objects.select_for_update().get(pk=resource.pk)
    resource_save(resource=locked, actor=actor, fields=values)
    if managers is not None:
        locked.managers.set(managers)
    resources_searchable(ids=[locked.pk])
    return locked


# --- rates --------------------------------------------------------------------------------------------------


def _money(amount) -> decimal.Decimal:
    try:
        value = decimal.Decimal(str(amount).replace("£", "").replace(",", "").strip())
    except decimal.InvalidOperation:
        raise DomainError(f"“{amount}” is not an amount in pounds, for example 45.00.", field="amount") from None
    if not value.is_finite() or value < 0:
        raise DomainError(f"“{amount}” is not an amount in pounds of at least £0.", field="amount")
    if value >= decimal.Decimal("1e8"):
        raise DomainError(f"£{amount} is more than a rate can be (£99,999,999.99).", field="amount")
    return value.quantize(PENNY, rounding=decimal.ROUND_HALF_UP)


@transaction.atomic
def rate_set(*, actor, resource: Resource, tier: str, unit: str, amount) -> Rate | None:
    """What `tier` pays, per `unit`. An amount of None removes the tier's rate (it then has no price listed)."""
    if not selectors.user_may_manage_resource(user=actor, resource=resource):
        raise PermissionDenied("Only the resource's managers, its institution's admins and coordinators set rates.")
    if tier not in Tier.values:
        raise DomainError(f"“{tier}” is not a price tier.", field="tier")
    existing = Rate.objects.select_for_update().filter(resource=resource, tier=tier).first()
    if amount is None or amount == "":
        if existing is not None:
            audit_delete(instance=existing, actor=actor)
        return None
    if unit not in RateUnit.values:
        raise DomainError(f"“{unit}” is not a unit; use hour, day or session.", field="unit")
    rate = existing or Rate(resource=resource, tier=tier)
    try:
        audit_save(instance=rate, actor=actor, fields={"unit": unit, "amount": _money(amount)})
    except ValidationError as exc:
        raise domain_error_from(exc) from None
    return rate


# --- closures -----------------------------------------------------------------------------------------------


def _aware(value: datetime.datetime, *, field: str) -> datetime.datetime:
    """An aware datetime; a naive one is UK wall time."""
    if not isinstance(value, datetime.datetime):
        raise DomainError("Give a date and time.", field=field)
    if value.tzinfo is None:
        value = value.replace(tzinfo=LONDON)
    return value.astimezone(datetime.UTC)


@transaction.atomic
def closure_add(
    *, actor, resource: Resource, kind: str, start: datetime.datetime, end: datetime.datetime, reason: str = ""
) -> Closure:
    """A maintenance or blackout period: the resource cannot be booked from `start` to `end`. Bookings already
    made in it are left for the managers to move or cancel."""
    if not selectors.user_may_manage_resource(user=actor, resource=resource):
        raise PermissionDenied("Only the resource's managers, its institution's admins and coordinators close it.")
    if kind not in Closure.Kind.values:
        raise DomainError(f"“{kind}” is not a kind of closure; use maintenance or blackout.", field="kind")
    start, end = _aware(start, field="start"), _aware(end, field="end")
    if end <= start:
        raise DomainError("The closure must end after it starts.", field="end")
    reason, problem = uniquip_value("reason", reason)
    if problem:
        raise DomainError(f"Reason: {problem}.", field="reason")
    closure = Closure(resource=resource, kind=kind, start=start, end=end, reason=reason, created_by=actor)
    try:
        audit_save(instance=closure, actor=actor)
    except ValidationError as exc:
        raise domain_error_from(exc) from None
    return closure


@transaction.atomic
def closure_remove(*, actor, closure: Closure) -> None:
    if not selectors.user_may_manage_resource(user=actor, resource=closure.resource):
        raise PermissionDenied("Only the resource's managers, its institution's admins and coordinators reopen it.")
    audit_delete(instance=closure, actor=actor)
