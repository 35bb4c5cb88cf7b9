"""Read-only admin for the audit trail: officers search and read it, nobody adds, edits or deletes."""

import json

from django.contrib import admin
from django.utils.html import format_html

from .models import AuditCheckpoint, AuditRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "sequence",
        "shard",
        "shard_sequence",
        "occurred_at",
        "action",
        "actor",
        "object_type",
        "object_id",
        "source_ip",
        "request_id",
    ]
    list_filter = ["action", "object_type", "occurred_at"]
    search_fields = ["=object_id", "=actor", "=request_id", "=source_ip"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it
    fields = [
        "sequence",
        "shard",
        "shard_sequence",
        "chain_format",
        "occurred_at",
        "action",
        "actor",
        "actor_user_id",
        "actor_api_client_id",
        "object_type",
        "object_id",
        "before_json",
        "after_json",
        "request_id",
        "source_ip",
        "prev_hash",
        "hash",
    ]
    readonly_fields = fields

    @admin.display(description="Before")
    def before_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.before, indent=2, sort_keys=True))

    @admin.display(description="After")
    def after_json(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.after, indent=2, sort_keys=True))


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["id", "sequence", "created_at", "algorithm", "key_fingerprint"]
    fields = [
        "sequence",
        "chain_hash",
        "heads",
        "created_at",
        "algorithm",
        "key_fingerprint",
        "public_key",
        "signature",
    ]
    readonly_fields = fields
