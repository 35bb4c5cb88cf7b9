"""Read-only admin for the ledger: officers inspect, nobody edits. Corrections are reversal entries."""

from django.contrib import admin

from apps.core.money import format_amount

from .models import AccountBalance, FxRate, Hold, JournalEntry, PeriodClose, PeriodCloseCurrency, Posting


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ["account", "signed_amount", "currency", "balance_after"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount")
    def signed_amount(self, obj):
        return format_amount(obj.amount_minor, obj.currency)

    @admin.display(description="Balance after")
    def balance_after(self, obj):
        return "—" if obj.balance_after_minor is None else format_amount(obj.balance_after_minor, obj.currency)


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "entry_type", "amount", "currency", "from_account", "to_account", "posted_at", "actor"]
    list_filter = ["entry_type", "currency"]
    search_fields = ["public_id", "description", "from_account__public_id", "to_account__public_id"]
    date_hierarchy = "posted_at"
    inlines = [PostingInline]
    list_select_related = ["from_account", "to_account"]

    @admin.display(description="Amount")
    def amount(self, obj):
        return format_amount(obj.amount_minor, obj.currency)


@admin.register(AccountBalance)
class AccountBalanceAdmin(ReadOnlyAdmin):
    list_display = ["account", "balance", "currency", "updated_at"]
    search_fields = ["account__public_id"]
    list_select_related = ["account"]

    @admin.display(description="Ledger balance")
    def balance(self, obj):
        return format_amount(obj.ledger_minor, obj.currency)


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "account", "currency", "status", "expires_at", "created_at"]
    list_filter = ["status", "currency"]
    search_fields = ["public_id", "account__public_id"]


@admin.register(FxRate)
class FxRateAdmin(ReadOnlyAdmin):
    list_display = ["base_currency", "quote_currency", "rate", "valid_from", "source"]
    list_filter = ["base_currency", "quote_currency"]


class PeriodCloseCurrencyInline(admin.TabularInline):
    model = PeriodCloseCurrency
    fields = ["currency", "debit", "credit", "accounts"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Debit balances")
    def debit(self, obj):
        return format_amount(obj.debit_minor, obj.currency)

    @admin.display(description="Credit balances")
    def credit(self, obj):
        return format_amount(obj.credit_minor, obj.currency)


@admin.register(PeriodClose)
class PeriodCloseAdmin(ReadOnlyAdmin):
    """Closed periods and their trial balances; closing is `manage.py close_period` or the API."""

    list_display = ["granularity", "period_start", "period_end", "accounts", "closed_at", "closed_by"]
    list_filter = ["granularity"]
    date_hierarchy = "period_end"
    inlines = [PeriodCloseCurrencyInline]
