"""Writes to the directory. Each goes through the audit trail."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from mhi.core.audit import audit_save
from mhi.directory import selectors
from mhi.directory.models import Person

PROFILE_FIELDS = ("title", "given_name", "family_name", "kind", "orcid", "email", "biography", "public_profile_consent")


@transaction.atomic
def person_update_profile(*, actor, person: Person, data: dict) -> Person:
    """Update a profile. Consent to a public profile is timestamped whenever it changes."""
    if not selectors.person_editable_by(user=actor, person=person):
        raise PermissionDenied("You cannot edit this profile.")
    person = Person.objects.select_for_update().get(pk=person.pk)
    fields = {name: data[name] for name in PROFILE_FIELDS if name in data}
    if fields.get("public_profile_consent", person.public_profile_consent) != person.public_profile_consent:
        fields["consent_recorded_at"] = timezone.now()
    audit_save(instance=person, actor=actor, fields=fields)
    return person
