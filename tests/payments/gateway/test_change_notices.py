"""An ACH notification of change (NOC) corrects the payment it answers and every later payment to that counterparty."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditRecord
from apps.payments import services
from apps.payments.models import CounterpartyCorrection
from apps.payments.services.returns import NetworkNotice, payment_apply_change_notice
from tests.factories import funded_account

from .payments import CHASE_ABA, ach_body, request_from

pytestmark = pytest.mark.django_db
CORRECTED_ROUTING = "026009593"


def send(account, **overrides):
    body = ach_body(account.public_id, **overrides)
    return services.payment_send(request=request_from(body), debtor_account=account.public_id).payment


def notice(reply_id: str) -> NetworkNotice:
    return NetworkNotice(rail="ach", message_type="NACHA COR", reply_id=reply_id)


def test_a_noc_is_remembered_and_the_next_payment_to_the_counterparty_uses_the_corrected_account():
    account = funded_account("1000.00", "USD")
    first = send(account)
    assert (first.creditor_aba, first.creditor_identifier) == (CHASE_ABA, "123456789")
    payment_apply_change_notice(
        payment_id=first.public_id, change_code="C01", corrected_data="1234567891", notice=notice("cor-1")
    )
    first.refresh_from_db()
    assert first.creditor_identifier == "1234567891"  # the payment the NOC answers
    correction = CounterpartyCorrection.objects.get()
    assert (correction.creditor_identifier, correction.corrected_identifier) == ("123456789", "1234567891")
    record = AuditRecord.objects.get(action="payments.counterparty_corrected", object_id=first.public_id)
    assert record.after["correction"] == correction.public_id and "123456789" not in str(record.after)

    # The next payment, sent with the old details, goes to the corrected account and says why.
    second = send(account, amount="20.00")
    assert (second.creditor_aba, second.creditor_identifier) == (CHASE_ABA, "1234567891")
    assert f"counterparty corrected by NOC C01 ({correction.public_id}" in second.routing_reasons[-1]
    # Another counterparty is not touched.
    other = send(account, amount="30.00", receiver={"aba": CHASE_ABA, "account": "555000111", "name": "Ann Lee"})
    assert other.creditor_identifier == "555000111" and not other.routing_reasons[-1].startswith("counterparty")


def test_a_repeated_noc_changes_nothing_twice_and_corrections_chain():
    account = funded_account("1000.00", "USD")
    first = send(account)
    payment_apply_change_notice(
        payment_id=first.public_id, change_code="C01", corrected_data="1234567891", notice=notice("cor-2")
    )
    assert not payment_apply_change_notice(
        payment_id=first.public_id, change_code="C01", corrected_data="1234567891", notice=notice("cor-2")
    ).applied
    assert CounterpartyCorrection.objects.count() == 1
    # The corrected counterparty moves bank later (C03: routing and account): a payment with the first details
    # follows both corrections.
    second = send(account, amount="20.00")
    payment_apply_change_notice(
        payment_id=second.public_id,
        change_code="C03",
        corrected_data=f"{CORRECTED_ROUTING}   77700011",
        notice=notice("cor-3"),
    )
    third = send(account, amount="30.00")
    assert (third.creditor_aba, third.creditor_identifier) == (CORRECTED_ROUTING, "77700011")
    assert [r.split(" (")[0] for r in third.routing_reasons[-2:]] == [
        "counterparty corrected by NOC C01",
        "counterparty corrected by NOC C03",
    ]
