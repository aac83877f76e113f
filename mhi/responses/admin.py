"""Joint responses in the admin, for coordinators: shown, not changed. Their text changes only through
mhi.responses services, which keep every version, void approvals after an edit and lock signed responses."""

from django.contrib import admin

from mhi.core.admin_site import ViewOnlyAdmin, admin_site
from mhi.responses.models import Approval, Response


@admin.register(Response, site=admin_site)
class ResponseAdmin(ViewOnlyAdmin):
    list_display = ["title", "kind", "status", "deadline", "coordinator", "revision"]
    list_filter = ["status", "kind"]
    search_fields = ["title"]
    raw_id_fields = ["opportunity", "coordinator", "created_by"]


@admin.register(Approval, site=admin_site)
class ApprovalAdmin(ViewOnlyAdmin):
    list_display = ["response", "organisation", "decision", "revision", "decided_by", "decided_at", "voided_at"]
    list_filter = ["decision"]
    raw_id_fields = ["response", "organisation", "decided_by", "voided_by"]
