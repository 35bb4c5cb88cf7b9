"""Officer views of consents, privacy flags, erasure requests and the export log (writes through services)."""

from django.contrib import admin, messages

from apps.core.admin import ServiceSavedAdmin
from apps.core.errors import DomainError
from apps.ledger.admin import ReadOnlyAdmin

from . import services
from .models import Consent, ErasureRequest, PrivacyFlags, SubjectExport


@admin.register(Consent)
class ConsentAdmin(ServiceSavedAdmin):
    list_display = ["customer_id", "purpose", "granted", "source", "recorded_by", "recorded_at"]
    list_filter = ["purpose", "granted"]
    search_fields = ["customer_id"]
    fields = ["customer_id", "purpose", "granted", "source"]

    def has_change_permission(self, request, obj=None):
        return False  # history: a new decision is a new row

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = services.consent_record(
                customer_id=obj.customer_id,
                purpose=obj.purpose,
                granted=obj.granted,
                source=obj.source,
                actor=str(request.user),
            )
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
            return
        obj.pk = saved.pk


@admin.register(PrivacyFlags)
class PrivacyFlagsAdmin(ServiceSavedAdmin):
    list_display = ["customer_id", "do_not_sell_or_share", "processing_restricted", "updated_by", "updated_at"]
    list_filter = ["do_not_sell_or_share", "processing_restricted"]
    search_fields = ["customer_id"]
    fields = ["customer_id", "do_not_sell_or_share", "processing_restricted", "restriction_reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["customer_id"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = services.flags_set(
                customer_id=obj.customer_id,
                actor=str(request.user),
                do_not_sell_or_share=obj.do_not_sell_or_share,
                processing_restricted=obj.processing_restricted,
                restriction_reason=obj.restriction_reason,
            )
        except DomainError as exc:
            self.message_user(request, f"{exc.message} ({exc.code})", messages.ERROR)
            return
        obj.pk = saved.pk


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "customer_id",
        "status",
        "requested_by",
        "requested_at",
        "execute_after",
        "executed_at",
        "held_reason",
    ]
    list_filter = ["status"]
    search_fields = ["public_id", "customer_id"]


@admin.register(SubjectExport)
class SubjectExportAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "kind", "customer_id", "exported_by", "exported_at", "records", "sha256"]
    list_filter = ["kind"]
    search_fields = ["customer_id"]
