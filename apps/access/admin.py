"""Admin for staff logins: see who is locked out from which address, unlock (audited), read the security event log.

Also the audited variants of the admins this app does not own: users and groups (permission changes reach
the audit trail as the last write of the change form's transaction) and MFA devices (deleting one is an
audited reset).
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import router, transaction
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.receivers import audit_deferred
from apps.core.errors import DomainError

from . import services
from .models import AccessEvent, LoginState


@admin.action(description="Unlock selected logins", permissions=["unlock"])
def unlock(modeladmin, request, queryset):
    done = 0
    for state in queryset.select_related("user"):
        try:
            services.user_unlock(
                user=state.user, actor=request.user.get_username(), reason="admin action", source_ip=state.source_ip
            )
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{state.user}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{done} login(s) unlocked.", messages.SUCCESS)


@admin.register(LoginState)
class LoginStateAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "source_ip",
        "failed_attempts",
        "locked_until",
        "locked_at",
        "last_failure_at",
        "last_success_at",
    ]
    list_filter = [("locked_until", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "=source_ip"]
    readonly_fields = list_display
    actions = [unlock]

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("access.unlock_user")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "user", "actor"]
    list_filter = ["kind"]
    search_fields = ["user__username", "actor"]
    readonly_fields = ["created_at", "kind", "user", "actor", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()


class PermissionAuditMixin:
    """Write the audit records of permission changes when the change form's work is done.

    The form saves the user (flags), then its groups and permissions, then the admin log; the records the
    signals write (``apps.audit.receivers``) are held back to the end so that no row is locked after the
    audit chain head, and ``groups.set()``'s remove-then-add becomes one record.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)), audit_deferred():
            return super().changeform_view(request, object_id, form_url, extra_context)


class StaffUserAdmin(PermissionAuditMixin, UserAdmin):
    """User admin for the administrator role: manage staff and their roles, but never mint a superuser.

    Only a superuser may change ``is_superuser`` or per-user permissions; everyone else grants access
    through the role groups, so the permission matrix stays the single source of truth.
    """

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields


class AuditedGroupAdmin(PermissionAuditMixin, GroupAdmin):
    pass


class MfaDeviceResetMixin:
    """Deleting a device (lost phone, leaked backup codes) is an audited reset; the user enrols again."""

    def delete_model(self, request, obj):
        services.mfa_device_reset(device=obj, actor=request.user.get_username())

    def delete_queryset(self, request, queryset):
        for device in queryset.order_by("pk"):
            services.mfa_device_reset(device=device, actor=request.user.get_username())


class AuditedTOTPDeviceAdmin(MfaDeviceResetMixin, TOTPDeviceAdmin):
    pass


class AuditedStaticDeviceAdmin(MfaDeviceResetMixin, StaticDeviceAdmin):
    pass


for _model, _model_admin in [
    (User, StaffUserAdmin),
    (Group, AuditedGroupAdmin),
    (TOTPDevice, AuditedTOTPDeviceAdmin),
    (StaticDevice, AuditedStaticDeviceAdmin),
]:
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, _model_admin)
