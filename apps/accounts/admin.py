"""Officer-facing admin for accounts. Status changes go through the services, never raw edits."""

from django.contrib import admin, messages

from apps.core.errors import DomainError
from apps.core.money import format_amount

from . import services
from .models import Account


def _change_status(modeladmin, request, queryset, status: str) -> None:
    done = 0
    for account in queryset:
        try:
            services.account_change_status(public_id=account.public_id, status=status, actor=request.user.username)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{account.public_id}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} account(s) now {status}.", messages.SUCCESS)


@admin.action(description="Freeze selected accounts", permissions=["change"])
def freeze(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, "FROZEN")


@admin.action(description="Unfreeze / activate selected accounts", permissions=["change"])
def activate(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, "ACTIVE")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["public_id", "owner_id", "account_type", "currency", "status", "overdraft", "created_at"]
    list_filter = ["status", "account_type", "currency"]
    search_fields = ["public_id", "owner_id", "name"]
    readonly_fields = [f.name for f in Account._meta.fields]
    actions = [freeze, activate]

    @admin.display(description="Overdraft limit")
    def overdraft(self, obj):
        return format_amount(obj.overdraft_limit_minor, obj.currency)

    def has_add_permission(self, request):
        return False  # accounts are opened through the API or portal so the opening deposit is posted

    def has_delete_permission(self, request, obj=None):
        return False
