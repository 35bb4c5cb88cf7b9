"""The FX desk in the admin: quotes, deals, LP settlements and end-of-day reports read-only; limits set through the
service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from apps.core.admin import ServiceSavedAdmin
from apps.core.errors import DomainError
from apps.ledger.admin import ReadOnlyAdmin

from . import services
from .models import FxDeal, FxLimit, FxLimitKind, FxPositionReport, FxQuote, FxSettlement


@admin.register(FxQuote)
class FxQuoteAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "pair", "side", "rate", "status", "expires_at", "created_at"]
    list_filter = ["status", "pair"]
    search_fields = ["public_id", "from_account", "to_account"]


@admin.register(FxDeal)
class FxDealAdmin(ReadOnlyAdmin):
    list_display = ["public_id", "pair", "side", "rate", "status", "hedge_price", "hedged_at", "created_at"]
    list_filter = ["status", "pair"]
    search_fields = ["public_id", "owner_id", "hedge_exec_id"]


@admin.register(FxSettlement)
class FxSettlementAdmin(ReadOnlyAdmin):
    list_display = ["deal", "status", "pay_currency", "pay_minor", "receive_currency", "receive_minor", "value_date"]
    list_filter = ["status", "pay_currency"]
    list_select_related = ["deal"]
    search_fields = ["deal__public_id", "payment_id"]


@admin.register(FxPositionReport)
class FxPositionReportAdmin(ReadOnlyAdmin):
    list_display = ["business_date", "created_at"]


class FxLimitForm(forms.ModelForm):
    limit = forms.DecimalField(help_text="in the currency's major units, e.g. 250000.00")

    class Meta:
        model = FxLimit
        fields = ["kind", "counterparty", "currency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["limit"].initial = self.instance.limit_minor  # shown in minor units until saved again

    def clean(self):
        data = super().clean()
        if data.get("kind") == FxLimitKind.COUNTERPARTY and not data.get("counterparty"):
            self.add_error("counterparty", "a counterparty limit names the owner id")
        return data


@admin.register(FxLimit)
class FxLimitAdmin(ServiceSavedAdmin):
    form = FxLimitForm
    list_display = ["kind", "counterparty", "currency", "limit_minor", "created_at"]
    list_filter = ["kind", "currency"]

    def has_delete_permission(self, request, obj=None):
        return False  # a limit is lowered (to 0 to stop trading), never removed without a trace

    def save_model(self, request, obj, form, change):
        try:
            saved = services.limit_set(
                kind=form.cleaned_data["kind"],
                currency=form.cleaned_data["currency"],
                counterparty=form.cleaned_data.get("counterparty") or "",
                limit=str(form.cleaned_data["limit"]),
                actor=str(request.user),
            )
        except DomainError as exc:
            messages.error(request, f"{exc.code}: {exc.message}")
            return
        obj.pk = saved.pk
