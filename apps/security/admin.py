"""Read-only view of KEK versions for officers; keys are created and rotated only by ``rotate_keys``."""

from django.contrib import admin

from .models import KekVersion


@admin.register(KekVersion)
class KekVersionAdmin(admin.ModelAdmin):
    list_display = ["kek_id", "version", "provider", "state", "created_at", "superseded_at", "retired_at"]
    list_filter = ["state", "provider"]
    readonly_fields = [f.name for f in KekVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
