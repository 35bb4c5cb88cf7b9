"""A customer with everything a bank holds about a person, built through the owning apps' services."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db.models import Sum

from apps.accounts.models import Account
from apps.ledger.models import Posting
from apps.ledger.selectors import ledger_minor, postings_sum
from apps.ledger.services import account_open, post_deposit
from apps.payments import services as payments
from tests.customers.conftest import verified
from tests.payments.gateway.payments import request_from, sct_body

IBAN = "DE44500105175407324931"


def rich_customer(name: str, *, national_id: str, email_like: str = "") -> tuple:
    """A verified customer with an EUR account, a deposit and a SEPA payment (cancelled, so the hold is gone)."""
    customer = verified(name=name, national_id=national_id, addresses=[f"{email_like or name} street 1"])
    account = account_open(
        owner_id=customer.public_id, currency="EUR", account_type="CHECKING", initial_balance="500.00", name=name
    )
    post_deposit(to_account=account.public_id, amount="25.00", currency="EUR", description="cash")
    body = sct_body(account.public_id)
    body["sender"] = {**body["sender"], "name": name, "iban": IBAN}
    payment = payments.payment_send(request=request_from(body), debtor_account=account.public_id).payment
    payments.payment_cancel(payment_id=payment.public_id, actor="officer")
    return customer, account, payment


def assert_ledger_intact() -> None:
    """Every currency sums to zero, every cached balance equals its postings, and the audit chain verifies."""
    sums = Posting.objects.values("currency").annotate(total=Sum("amount_minor")).values_list("currency", "total")
    assert all(total == 0 for _, total in sums), list(sums)
    for account in Account.objects.all():
        assert ledger_minor(account.pk) == postings_sum(account=account), account.public_id
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "audit trail intact" in out.getvalue(), out.getvalue()  # a broken chain exits non-zero first


def customer_everywhere(name: str, *, national_id: str) -> tuple:
    """``rich_customer`` whose name and IBAN also reach every other app that records parties to money.

    Her IBAN names her account (payments alias); another bank's pacs.008 credits it (inbound, raw XML kept); the
    nostro statement shows that credit with her as the debtor (reconciliation); and a block-list hit on her name
    raised a screening alert that an officer cleared after the block was revoked (compliance, allow list).
    """
    from apps.compliance.alert_selectors import alert_list
    from apps.compliance.alerts import alert_clear, block_list_add, block_list_revoke
    from apps.customers.services import customer_screen
    from apps.inbound.models import InboundPayment
    from apps.inbound.services.receive import message_receive
    from apps.reconciliation.services import reconciliation_run, statement_import
    from tests.inbound.messages import pacs008
    from tests.payments.formats.statement_samples import Line, camt_document
    from tests.reconciliation.helpers import TODAY, nostro

    customer, account, payment = rich_customer(name, national_id=national_id)
    payments.account_alias_register(identifier=IBAN, account_id=account.public_id)
    raw, uetr = pacs008(creditor_iban=IBAN, creditor_name=name, amount="40.00", debtor_name=f"{name} senior")
    (item,) = message_receive(raw=raw, rail="sepa", source="api").items
    assert item.outcome == "credited", item
    inbound = InboundPayment.objects.get(network_id=uetr)
    line = Line("40.00", "CRDT", end_to_end_id=inbound.end_to_end_id, uetr=uetr, remittance=f"from {name}")
    statement = camt_document("053", 8, [line], opening="0.00", day=TODAY).replace(b"ACME GmbH", name.encode())
    imported = statement_import(raw=statement, actor="ops", account=nostro().public_id)
    for stored in imported.statements:
        reconciliation_run(statement_id=stored.public_id, actor="ops")
    block = block_list_add(name=name, reason="test block", actor="officer")
    customer_screen(public_id=customer.public_id, source="manual", actor="officer")
    block_list_revoke(public_id=block.public_id, actor="officer")
    for alert in alert_list(subject_type="customer", subject_id=customer.public_id, status="open"):
        alert_clear(alert_id=alert.public_id, reason="block revoked", actor="officer")
    return customer, account, payment


def relationship_end(account) -> None:
    """Empty the account and close it: the customer has left the bank."""
    from apps.ledger.services import account_change_status, post_withdrawal

    balance = ledger_minor(account.pk)
    if balance:
        post_withdrawal(from_account=account.public_id, amount=f"{balance // 100}.{balance % 100:02d}", currency="EUR")
    account_change_status(public_id=account.public_id, status="CLOSED")


def pii_left_in_database(*needles: str) -> list[str]:
    """Where any needle (case-insensitive) is still readable: every table's rows as text, then every encrypted
    column decrypted. Returns ``table`` (plaintext in the row) or ``table.column pk=..`` (readable once decrypted)."""
    from django.apps import apps
    from django.db import connection

    from apps.security.fields import ENCRYPTED_FIELDS

    found: list[str] = []
    lowered = [n.casefold() for n in needles if n]
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            for needle in lowered:
                cursor.execute(f'SELECT t::text FROM "{table}" t WHERE lower(t::text) LIKE %s', [f"%{needle}%"])
                for (text,) in cursor.fetchall():
                    at = text.casefold().index(needle)
                    found.append(f"{table} ({needle}): ...{text[max(0, at - 80) : at + 40]}")
    for label, field_name in sorted(ENCRYPTED_FIELDS):
        model = apps.get_model(label)
        for row in model._default_manager.all().iterator():
            text = str(getattr(row, field_name) or "").casefold()
            for needle in lowered:
                if needle in text:
                    found.append(f"{model._meta.db_table}.{field_name} pk={row.pk} ({needle})")
    return found
