from django.contrib import admin, messages
from django.utils import timezone

from .models import ApiClient, ApiKey


@admin.action(description="Revoke selected keys", permissions=["change"])
def revoke(modeladmin, request, queryset):
    count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    modeladmin.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "all_customers", "owner_ids", "credit_any_customer", "created_at"]
    # The owner scope changes through `manage.py set_api_client_scope` (audited), never a raw edit.
    readonly_fields = ["owner_ids", "all_customers", "credit_any_customer"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "client", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["client"]
    readonly_fields = ["client", "prefix", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    exclude = ["secret_hash"]
    actions = [revoke]

    def has_add_permission(self, request):
        return False  # keys are issued by `manage.py create_api_client`, which shows the secret once
