"""Read-only admin listing of approval requests; decisions happen in the portal or the API."""

from django.contrib import admin

from .models import ApprovalRequest


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "kind",
        "status",
        "maker",
        "maker_client",
        "checker",
        "created_at",
        "decided_at",
        "result_ref",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["public_id", "maker__username", "maker_client__name", "checker__username", "result_ref"]
    list_select_related = ["maker", "maker_client", "checker"]
    readonly_fields = [f.name for f in ApprovalRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
