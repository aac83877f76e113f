from django.contrib import admin

from mhi.accounts.models import ApiToken, Invitation, Membership, User
from mhi.core.admin_site import AuditedModelAdmin, CoordinatorModelAdmin, admin_site


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]

    def has_view_permission(self, request, obj=None):
        from mhi.accounts.selectors import user_is_coordinator

        return user_is_coordinator(request.user)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


@admin.register(User, site=admin_site)
class UserAdmin(AuditedModelAdmin):
    list_display = ["email", "full_name", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    list_filter = ["is_active"]
    fields = ["email", "full_name", "is_active", "last_login", "date_joined"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [MembershipInline]


@admin.register(Membership, site=admin_site)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "role", "organisation", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organisation__name"]
    autocomplete_fields = ["organisation"]
    raw_id_fields = ["user"]


@admin.register(Invitation, site=admin_site)
class InvitationAdmin(CoordinatorModelAdmin):
    list_display = ["email", "role", "organisation", "status", "created_at"]
    readonly_fields = ["key_hash", "invited_by", "accepted_by", "accepted_at"]

    def has_add_permission(self, request):
        return False  # invitations are sent from the Invitations page, which emails the link


@admin.register(ApiToken, site=admin_site)
class ApiTokenAdmin(CoordinatorModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
