from django.contrib import admin, messages
from django.utils import timezone

from .models import ApiClient, ApiKey


@admin.action(description="Revoke selected keys", permissions=["change"])
def revoke(modeladmin, request, queryset):
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    modeladmin.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "client", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["client"]
    readonly_fields = ["client", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    exclude = ["secret_hash"]
    actions = [revoke]

    def has_add_permission(self, request):
        return False  # keys are issued by `manage.py create_api_client`, which shows the secret once
