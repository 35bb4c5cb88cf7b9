"""A retry with the same Idempotency-Key and body returns the first result, whatever defaults the server fills in.

The fingerprint is taken over what the client sent; a default computed by the server (a hold's expiry from the
clock, a capture's amount from the hold) is not part of the request and must not make a retry look different.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.core.errors import IdempotencyConflict
from apps.ledger import services
from apps.ledger.models import Hold
from tests.factories import funded_account

pytestmark = pytest.mark.django_db


def test_retried_hold_without_expiry_returns_the_first_hold():
    acc = funded_account("100.00")
    first = services.hold_place(account=acc.public_id, amount="10.00", currency="USD", idempotency_key="h-1")
    retry = services.hold_place(account=acc.public_id, amount="10.00", currency="USD", idempotency_key="h-1")
    assert (first.replayed, retry.replayed) == (False, True)
    assert retry.hold.pk == first.hold.pk and Hold.objects.count() == 1


def test_retried_hold_replays_even_after_the_default_expiry_setting_changed():
    acc = funded_account("100.00")
    first = services.hold_place(account=acc.public_id, amount="10.00", currency="USD", idempotency_key="h-1")
    with override_settings(QENEX_DEFAULT_HOLD_SECONDS=60):
        retry = services.hold_place(account=acc.public_id, amount="10.00", currency="USD", idempotency_key="h-1")
    assert retry.replayed and retry.hold.pk == first.hold.pk


def test_hold_retry_with_another_expiry_is_a_conflict():
    acc = funded_account("100.00")
    services.hold_place(account=acc.public_id, amount="10.00", currency="USD", idempotency_key="h-1")
    with pytest.raises(IdempotencyConflict):
        services.hold_place(
            account=acc.public_id,
            amount="10.00",
            currency="USD",
            expires_at=timezone.now() + timedelta(days=1),
            idempotency_key="h-1",
        )
    assert Hold.objects.count() == 1


def test_hold_retry_with_the_same_explicit_expiry_replays():
    acc = funded_account("100.00")
    at = timezone.now() + timedelta(days=1)
    first = services.hold_place(account=acc.public_id, amount="10", currency="USD", expires_at=at, idempotency_key="k")
    retry = services.hold_place(account=acc.public_id, amount="10", currency="USD", expires_at=at, idempotency_key="k")
    assert retry.replayed and retry.hold.pk == first.hold.pk


def test_capture_retry_without_amount_replays_and_an_explicit_amount_is_another_request():
    acc, merchant = funded_account("100.00"), funded_account("0", owner_id="merchant")
    hold = services.hold_place(account=acc.public_id, amount="10.00", currency="USD").hold
    first = services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id, idempotency_key="c-1")
    retry = services.hold_capture(hold_id=hold.public_id, to_account=merchant.public_id, idempotency_key="c-1")
    assert retry.replayed and retry.entry.pk == first.entry.pk
    with pytest.raises(IdempotencyConflict):
        services.hold_capture(
            hold_id=hold.public_id, to_account=merchant.public_id, amount="10.00", idempotency_key="c-1"
        )


def test_api_hold_retry_without_expiry_is_200_replayed(api):
    acc = funded_account("100.00")
    body = {"account": acc.public_id, "amount": "30.00", "currency": "USD"}
    first = api.post("/api/v1/holds", body, format="json", HTTP_IDEMPOTENCY_KEY="hold-retry")
    retry = api.post("/api/v1/holds", body, format="json", HTTP_IDEMPOTENCY_KEY="hold-retry")
    assert first.status_code == 201, first.content
    assert retry.status_code == 200, retry.content
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert retry.json()["id"] == first.json()["id"]
    assert Hold.objects.count() == 1
