"""Bids in the admin, for coordinators to look into: read-only, because every write to a bid goes through
mhi.bids.services (stage rules, cap places, versions, the activity log). Deleting a bid or a cap place (to free
it by hand) is allowed and audited."""

from django.contrib import admin

from mhi.bids.models import Bid, BidDocument, BidEvent, BidMember, BidPartner, CapPlace, SelectionRound, StageChange
from mhi.core.admin_site import AuditedModelAdmin, admin_site


class ReadOnlyAdmin(AuditedModelAdmin):
    may_delete = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.may_delete and super().has_delete_permission(request, obj)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PartnerInline(ReadOnlyInline):
    model = BidPartner
    fields = ["organisation", "role", "note"]


class MemberInline(ReadOnlyInline):
    model = BidMember
    fields = ["person", "role", "organisation"]


class StageChangeInline(ReadOnlyInline):
    model = StageChange
    fields = ["at", "from_stage", "to_stage", "actor", "reason"]


class CapPlaceInline(ReadOnlyInline):
    model = CapPlace
    fields = ["scope", "number", "cap", "taken_by", "taken_at"]


class DocumentInline(ReadOnlyInline):
    model = BidDocument
    # Not the file: the private storage has no URL, and documents leave only through the bid's download view.
    fields = ["original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


@admin.register(Bid, site=admin_site)
class BidAdmin(ReadOnlyAdmin):
    may_delete = True
    list_display = ["title", "opportunity", "lead_organisation", "stage", "stage_changed_at", "version"]
    list_filter = ["stage"]
    search_fields = ["title", "opportunity__title", "lead_organisation__name"]
    list_select_related = ["opportunity", "lead_organisation"]
    inlines = [PartnerInline, MemberInline, StageChangeInline, CapPlaceInline, DocumentInline]


@admin.register(CapPlace, site=admin_site)
class CapPlaceAdmin(ReadOnlyAdmin):
    may_delete = True
    list_display = ["opportunity", "scope", "number", "cap", "bid", "taken_by", "taken_at"]
    list_filter = ["scope"]
    search_fields = ["opportunity__title", "bid__title"]
    list_select_related = ["opportunity", "bid", "taken_by"]


@admin.register(BidEvent, site=admin_site)
class BidEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "bid", "kind", "actor", "message"]
    list_filter = ["kind"]
    search_fields = ["bid__title", "message"]
    list_select_related = ["bid", "actor"]


@admin.register(SelectionRound, site=admin_site)
class SelectionRoundAdmin(ReadOnlyAdmin):
    list_display = ["title", "opportunity", "organisation", "status", "opened_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["title", "opportunity__title"]
    list_select_related = ["opportunity", "organisation"]
