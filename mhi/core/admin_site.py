"""Django admin, open to MHI coordinators (who must have MFA, enforced by middleware)."""

from django.contrib import admin
from django.db import models

from mhi.accounts.selectors import user_is_coordinator


class CoordinatorAdminSite(admin.AdminSite):
    site_header = "MHI Hub administration"
    site_title = "MHI Hub admin"
    index_title = "Directory and accounts"

    def has_permission(self, request) -> bool:
        return user_is_coordinator(request.user)


admin_site = CoordinatorAdminSite(name="admin")


class CoordinatorModelAdmin(admin.ModelAdmin):
    """Coordinators may do everything in the admin; nobody else gets in."""

    # A typed "www.example.org" becomes https://, as Django 6 will do by default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request) -> bool:
        return user_is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return user_is_coordinator(request.user)

    def has_add_permission(self, request) -> bool:
        return user_is_coordinator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return user_is_coordinator(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return user_is_coordinator(request.user)


class AuditedModelAdmin(CoordinatorModelAdmin):
    """Writes through the audit trail, so every admin change is recorded with who and what."""

    def save_model(self, request, obj, form, change):
        from mhi.core.audit import audit_save

        audit_save(instance=obj, actor=request.user, source="admin")

    def delete_model(self, request, obj):
        from mhi.core.audit import audit_delete

        audit_delete(instance=obj, actor=request.user, source="admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        """Inline rows (for example a user's roles) go through the audit trail too."""
        from mhi.core.audit import audit_delete, audit_save

        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_delete(instance=obj, actor=request.user, source="admin")
        for obj in instances:
            audit_save(instance=obj, actor=request.user, source="admin")
        formset.save_m2m()


class ViewOnlyAdmin(AuditedModelAdmin):
    """Records that change only through their services (which check the rules across rows and send the emails):
    the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
