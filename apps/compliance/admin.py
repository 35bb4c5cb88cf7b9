"""Read-only admin for the sanctions lists: officers look entries and loads up; lists change only by loading a file."""

from django.contrib import admin

from apps.ledger.admin import ReadOnlyAdmin

from .models import SanctionsEntry, SanctionsListLoad, SanctionsName


class SanctionsNameInline(admin.TabularInline):
    model = SanctionsName
    fields = ["kind", "name", "normalised"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SanctionsListLoad)
class SanctionsListLoadAdmin(ReadOnlyAdmin):
    list_display = ["id", "sanctions_list", "loaded_at", "source", "published", "entry_count", "added", "removed"]
    list_filter = ["sanctions_list"]
    list_select_related = ["sanctions_list"]


@admin.register(SanctionsEntry)
class SanctionsEntryAdmin(ReadOnlyAdmin):
    list_display = ["entry_id", "sanctions_list", "primary_name", "entity_type", "listed", "last_changed_load"]
    list_filter = ["sanctions_list", "entity_type", "listed"]
    search_fields = ["entry_id", "names__normalised"]
    list_select_related = ["sanctions_list"]
    inlines = [SanctionsNameInline]

# AML monitoring, cases and reports: their own module.
from . import aml_admin  # noqa: E402,F401
