"""Officer-facing admin for cards and their authorisations: read-only; status changes through the services."""

from django.contrib import admin, messages

from apps.core.errors import DomainError

from . import services
from .models import Authorisation, Card, CardStatus


def _change_status(modeladmin, request, queryset, status: str) -> None:
    done = 0
    for card in queryset:
        try:
            services.card_change_status(card_id=card.public_id, status=status, actor=request.user.username)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{card.public_id}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} card(s) now {status}.", messages.SUCCESS)


@admin.action(description="Block selected cards", permissions=["change"])
def block(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, CardStatus.BLOCKED)


@admin.action(description="Unblock selected cards", permissions=["change"])
def unblock(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, CardStatus.ACTIVE)


@admin.action(description="Report selected cards lost (final)", permissions=["change"])
def report_lost(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, CardStatus.LOST)


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    # The PAN is never shown: token, scheme, BIN and last four identify a card.
    list_display = ["public_id", "token", "scheme", "masked_pan", "account", "status", "expiry", "created_at"]
    list_filter = ["status", "scheme", "currency"]
    search_fields = ["public_id", "token", "last_four", "account__public_id"]
    fields = [
        "public_id",
        "token",
        "account",
        "scheme",
        "bin",
        "last_four",
        "expiry_year",
        "expiry_month",
        "status",
        "currency",
        "per_transaction_limit_minor",
        "daily_limit_minor",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    actions = [block, unblock, report_lost]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Authorisation)
class AuthorisationAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "card",
        "status",
        "response_code",
        "amount_minor",
        "cleared_minor",
        "currency",
        "rrn",
        "stan",
        "terminal_id",
        "created_at",
    ]
    list_filter = ["status", "response_code", "currency"]
    search_fields = ["public_id", "rrn", "stan", "terminal_id", "hold_id", "card__public_id"]
    exclude = ["network_key", "request_fingerprint"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Authorisation._meta.fields if f.name not in self.exclude]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # answers are records: viewed, never edited

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
