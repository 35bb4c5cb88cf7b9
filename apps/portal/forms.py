"""Forms of the portal: list filters (GET) and action forms (POST). Every field has a label (accessibility)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from django import forms

from apps.accounts.models import AccountStatus, AccountType
from apps.core.money import active_currencies
from apps.payments.models import Rail
from apps.payments.states import PaymentStatus

from .formatting import portal_time_zone


def _choices(values, empty="Any") -> list[tuple[str, str]]:
    return [("", empty)] + [(v, v) for v in values]


def _currencies() -> list[tuple[str, str]]:
    return _choices(sorted(active_currencies()))


class AccountFilterForm(forms.Form):
    q = forms.CharField(label="Account id or customer reference", required=False, max_length=64)
    currency = forms.ChoiceField(label="Currency", required=False, choices=_currencies)
    status = forms.ChoiceField(label="Status", required=False, choices=_choices(AccountStatus.values))
    account_type = forms.ChoiceField(label="Type", required=False, choices=_choices(AccountType.values))


class RailFilterForm(forms.Form):
    """The filter of a list of one status (held payments, dead letters)."""

    rail = forms.ChoiceField(label="Rail", required=False, choices=[("", "Any")] + list(Rail.choices))


class PaymentFilterForm(RailFilterForm):
    status = forms.ChoiceField(label="Status", required=False, choices=_choices(PaymentStatus.values))
    field_order = ["status", "rail"]


class StatementRangeForm(forms.Form):
    """A date range in the portal's time zone: [from 00:00, to + 1 day 00:00)."""

    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError("“To” must not be before “From”.")
        return data

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        if not self.is_valid():
            return None, None
        return day_range_bounds(self.cleaned_data.get("start"), self.cleaned_data.get("end"))


def day_range_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Days ``start`` to ``end`` (inclusive) in the portal's time zone as [start 00:00, end + 1 day 00:00)."""
    zone = portal_time_zone()
    return (
        datetime.combine(start, time(), zone) if start else None,
        datetime.combine(end + timedelta(days=1), time(), zone) if end else None,
    )


class KeyedForm(forms.Form):
    """An action form with an idempotency key minted when it is rendered: a resubmit does the work once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class AmountField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "any"})


class TransferForm(KeyedForm):
    to_account = forms.CharField(label="To account", max_length=32)
    amount = AmountField(label="Amount")
    description = forms.CharField(label="Description", max_length=280, required=False)


class DepositForm(KeyedForm):
    amount = AmountField(label="Amount")
    description = forms.CharField(label="Description", max_length=280, required=False)


class HoldForm(KeyedForm):
    amount = AmountField(label="Amount")
    description = forms.CharField(label="Reason", max_length=280, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=280, required=False)
