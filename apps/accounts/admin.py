"""Officer-facing admin for accounts. Status changes go through the services, never raw edits."""

from django.contrib import admin, messages

from apps.core.errors import DomainError
from apps.core.money import format_amount
from apps.ledger import services

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


@admin.action(description="Freeze selected accounts", permissions=["freeze"])
def freeze(modeladmin, request, queryset):
    _change_status(modeladmin, request, queryset, "FROZEN")


@admin.action(
    description="Activate selected accounts (a FROZEN one needs a second person's approval)", permissions=["activate"]
)
def activate(modeladmin, request, queryset):
    from apps.approvals.models import ApprovalKind
    from apps.approvals.services import approval_request

    frozen = [a for a in queryset if a.status == "FROZEN"]
    for account in frozen:  # four-eyes: unfreezing becomes an approval request
        try:
            approval = approval_request(
                kind=ApprovalKind.ACCOUNT_UNFREEZE, payload={"account": account.public_id}, maker=request.user
            )
            modeladmin.message_user(request, f"{account.public_id}: unfreeze awaits approval ({approval.public_id}).")
        except DomainError as exc:
            modeladmin.message_user(request, f"{account.public_id}: {exc.message}", messages.ERROR)
    if request.user.has_perm("accounts.change_account"):
        _change_status(modeladmin, request, queryset.exclude(status="FROZEN"), "ACTIVE")


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["public_id", "owner_id", "account_type", "currency", "status", "overdraft", "created_at"]
    list_filter = ["status", "account_type", "currency"]
    # name is encrypted at rest: it is searched by exact (normalised) match on its blind index, below.
    search_fields = ["public_id", "owner_id"]
    readonly_fields = [f.name for f in Account._meta.fields]
    actions = [freeze, activate]

    def has_freeze_permission(self, request) -> bool:
        return request.user.has_perm("accounts.freeze_account")

    def has_activate_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_account") or request.user.has_perm("accounts.unfreeze_account")

    @admin.display(description="Overdraft limit")
    def overdraft(self, obj):
        return format_amount(obj.overdraft_limit_minor, obj.currency)

    def get_search_results(self, request, queryset, search_term):
        from apps.security.selectors import blind_index_filter

        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= blind_index_filter(queryset=queryset, field_name="name", value=search_term)
        return results, may_have_duplicates

    def has_add_permission(self, request):
        return False  # accounts are opened through the API or portal so the opening deposit is posted

    def has_delete_permission(self, request, obj=None):
        return False
