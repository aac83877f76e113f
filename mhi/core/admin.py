from mhi.core.admin_site import CoordinatorModelAdmin, admin_site
from mhi.core.models import AuditEvent


class AuditEventAdmin(CoordinatorModelAdmin):
    list_display = ["created_at", "action", "object_repr", "content_type", "actor", "source"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin_site.register(AuditEvent, AuditEventAdmin)
