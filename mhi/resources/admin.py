"""Shared resources in the admin, for coordinators: every change goes through the audit trail, and a resource's
Uniquip values are cleaned and checked as the catalogue's forms and imports do (mhi.resources.services)."""

from django import forms
from django.contrib import admin

from mhi.core.admin_site import AuditedModelAdmin, ViewOnlyAdmin, admin_site
from mhi.resources import services
from mhi.resources.models import (
    Booking,
    Closure,
    Induction,
    InductionClass,
    InductionEquivalence,
    Rate,
    Resource,
    TrainingRequest,
    WaitlistEntry,
)


class ResourceAdminForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = [*services.RESOURCE_FIELDS, "organisation", "managers"]

    def clean(self):
        cleaned = super().clean()
        for name in services.UNIQUIP_FIELDS:
            if name in cleaned:
                value, problem = services.uniquip_value(name, cleaned[name])
                if problem:
                    self.add_error(name, problem[0].upper() + problem[1:] + ".")
                else:
                    cleaned[name] = value
        return cleaned


class RateInline(admin.TabularInline):
    model = Rate
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["kind", "start", "end", "reason"]


@admin.register(Resource, site=admin_site)
class ResourceAdmin(AuditedModelAdmin):
    form = ResourceAdminForm
    list_display = ["name", "organisation", "uniquip_type", "uniquip_id", "technique", "status", "access_policy"]
    list_filter = ["status", "uniquip_type", "access_policy", "bookable", "instant_booking", "organisation"]
    search_fields = ["name", "uniquip_id", "technique", "description", "manufacturer", "model_name", "department"]
    autocomplete_fields = ["organisation", "managers"]
    raw_id_fields = ["induction_class"]
    inlines = [RateInline, ClosureInline]


@admin.register(InductionClass, site=admin_site)
class InductionClassAdmin(AuditedModelAdmin):
    list_display = ["name", "valid_days"]
    search_fields = ["name"]


# Bookings and waitlist entries change only through mhi.resources.booking (overlaps, rules, inductions, emails).


@admin.register(Booking, site=admin_site)
class BookingAdmin(ViewOnlyAdmin):
    list_display = ["resource", "user", "start", "end", "status", "tier", "quote_amount"]
    list_filter = ["status", "tier"]
    search_fields = ["resource__name", "user__email", "purpose"]
    raw_id_fields = ["resource", "user", "organisation", "decided_by"]
    date_hierarchy = "start"


@admin.register(WaitlistEntry, site=admin_site)
class WaitlistEntryAdmin(ViewOnlyAdmin):
    list_display = ["resource", "user", "start", "end", "status"]
    list_filter = ["status"]
    raw_id_fields = ["resource", "user"]


@admin.register(Induction, site=admin_site)
class InductionAdmin(AuditedModelAdmin):
    list_display = ["user", "resource", "induction_class", "organisation", "date", "expires", "trainer"]
    search_fields = ["user__email", "resource__name", "induction_class__name", "trainer"]
    raw_id_fields = ["user", "resource", "induction_class", "organisation", "recorded_by"]


@admin.register(InductionEquivalence, site=admin_site)
class InductionEquivalenceAdmin(AuditedModelAdmin):
    list_display = ["accepted_class", "accepted_organisation", "resource", "required_class", "declared_at"]
    raw_id_fields = ["accepted_class", "accepted_organisation", "resource", "required_class", "declared_by"]


@admin.register(TrainingRequest, site=admin_site)
class TrainingRequestAdmin(AuditedModelAdmin):
    list_display = ["user", "resource", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["user", "resource"]
