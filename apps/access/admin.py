"""Admin for staff logins: see who is locked, unlock (audited), read the security event log."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from apps.core.errors import DomainError

from . import services
from .models import AccessEvent, LoginState


@admin.action(description="Unlock selected logins", permissions=["unlock"])
def unlock(modeladmin, request, queryset):
    done = 0
    for state in queryset.select_related("user"):
        try:
            services.user_unlock(user=state.user, actor=request.user.get_username(), reason="admin action")
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{state.user}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(request, f"{done} login(s) unlocked.", messages.SUCCESS)


@admin.register(LoginState)
class LoginStateAdmin(admin.ModelAdmin):
    list_display = ["user", "failed_attempts", "locked_at", "last_failure_at", "last_success_at"]
    list_filter = [("locked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__username"]
    readonly_fields = ["user", "failed_attempts", "locked_at", "last_failure_at", "last_success_at"]
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


class StaffUserAdmin(UserAdmin):
    """User admin for the administrator role: manage staff and their roles, but never mint a superuser.

    Only a superuser may change ``is_superuser`` or per-user permissions; everyone else grants access
    through the role groups, so the permission matrix stays the single source of truth.
    """

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
