"""Data-subject rights: subject access, consents and CCPA, erasure by crypto-shredding under retention rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Account
from apps.approvals.services import approval_approve
from apps.audit.models import AuditRecord
from apps.customers.models import Customer, CustomerDocument
from apps.ledger.services import account_change_status, post_withdrawal
from apps.payments.models import PaymentOrder
from apps.privacy import services
from apps.privacy.models import ErasureStatus, SubjectExport
from apps.security.errors import SubjectErased
from apps.security.models import SubjectKey
from apps.security.selectors import blind_index_filter
from apps.security.subject_keys import ERASED_TEXT
from tests.conftest import make_client
from tests.staff import make_staff

from .helpers import (
    IBAN,
    assert_ledger_intact,
    customer_everywhere,
    pii_left_in_database,
    relationship_end,
    rich_customer,
)

pytestmark = pytest.mark.django_db


def officers():
    return make_staff("dpo", "compliance_officer"), make_staff("checker", "compliance_officer")


def test_subject_fields_are_encrypted_under_one_key_per_customer():
    customer, account, payment = rich_customer("Ottilie Quast", national_id="QX-771")
    stored = Customer.objects.filter(pk=customer.pk).values_list("name", flat=True).get()
    assert stored.startswith(f"qxs1:{customer.public_id}:") and "Quast" not in stored
    assert Account.objects.filter(pk=account.pk).values_list("name", flat=True).get().startswith("qxs1:")
    assert (
        PaymentOrder.objects.filter(pk=payment.pk)
        .values_list("debtor_identifier", flat=True)
        .get()
        .startswith(f"qxs1:{customer.public_id}:")
    )
    assert SubjectKey.objects.filter(subject_id=customer.public_id).count() == 1
    assert Customer.objects.get(pk=customer.pk).name == "Ottilie Quast"


def test_the_export_holds_the_persons_data_and_nobody_elses(tmp_path):
    alice, _, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    rich_customer("Bruno Vexler", national_id="BV-992")
    services.consent_record(customer_id=alice.public_id, purpose="marketing", granted=True, actor="dpo")
    call_command("export_subject", alice.public_id, "--out", str(tmp_path), "--actor", "dpo")
    export = SubjectExport.objects.get(customer_id=alice.public_id)
    data = json.loads((tmp_path / f"{export.public_id}.json").read_text())
    page = (tmp_path / f"{export.public_id}.html").read_text()
    text = json.dumps(data)
    assert data["customer"]["name"] == "Ottilie Quast" and data["customer"]["national_id"] == "QX-771"
    assert data["customer"]["documents"][0]["number"] == "C01X00T47"
    assert {a["currency"] for a in data["accounts"]} == {"EUR"} and data["accounts"][0]["balance_minor"] == 52500
    assert sorted(t["amount_minor"] for t in data["transactions"]) == [2500, 50000]
    assert data["payments"][0]["debtor_identifier"] == IBAN and data["payments"][0]["status"] == "CANCELLED"
    assert data["consents_in_force"] == {"marketing": True}
    assert data["screening"]["sanctions_status"] == "clear"
    assert any(r["action"] == "customer.kyc_verified" for r in data["access_log"])
    assert "Vexler" not in text and "BV-992" not in text and "Vexler" not in page
    assert "Ottilie Quast" in page
    record = AuditRecord.objects.get(action="privacy.subject_exported")
    assert record.object_id == alice.public_id and record.after["sha256"] == export.sha256
    assert "Quast" not in json.dumps(record.after)


def test_an_unknown_customer_is_a_clear_cli_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="subject_not_found"):
        call_command("export_subject", "cus_nobody", "--out", str(tmp_path))
    assert not SubjectExport.objects.exists()


def test_the_partner_list_honours_consent_and_do_not_sell():
    alice, _, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    bruno, _, _ = rich_customer("Bruno Vexler", national_id="BV-992")
    for c in (alice, bruno):
        services.consent_record(customer_id=c.public_id, purpose="third_party_sharing", granted=True, actor="dpo")
    services.flags_set(customer_id=bruno.public_id, do_not_sell_or_share=True, actor="dpo")
    rows, _ = services.third_party_share_export(actor="dpo")
    assert [r["id"] for r in rows] == [alice.public_id]
    services.consent_record(customer_id=alice.public_id, purpose="third_party_sharing", granted=False, actor="dpo")
    services.flags_set(
        customer_id=bruno.public_id,
        do_not_sell_or_share=False,
        processing_restricted=True,
        restriction_reason="accuracy contested",
        actor="dpo",
    )
    assert services.third_party_share_export(actor="dpo")[0] == []
    assert AuditRecord.objects.filter(action="privacy.flags_changed").count() == 2


def test_an_erasure_without_retention_runs_on_approval_and_leaves_ledger_and_audit_intact(settings):
    settings.QENEX_PRIVACY_RETENTION_DAYS = {k: 0 for k in ("kyc", "transactions", "payments", "screening", "cards")}
    alice, account, payment = rich_customer("Ottilie Quast", national_id="QX-771")
    bruno, _, _ = rich_customer("Bruno Vexler", national_id="BV-992")
    post_withdrawal(from_account=account.public_id, amount="525.00", currency="EUR")
    account_change_status(public_id=account.public_id, status="CLOSED")
    dpo, checker = officers()
    erasure = services.erasure_request(customer_id=alice.public_id, maker=dpo, reason="art. 17 request")
    assert erasure.status == ErasureStatus.PENDING_APPROVAL
    with pytest.raises(Exception, match="maker"):
        approval_approve(public_id=erasure.approval_id, checker=dpo)  # four-eyes
    approval_approve(public_id=erasure.approval_id, checker=checker)
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.EXECUTED, erasure.held_reason

    gone = Customer.objects.get(pk=alice.pk)
    assert (gone.name, gone.national_id, gone.date_of_birth) == (ERASED_TEXT,) * 3
    assert CustomerDocument.objects.get(customer=gone).number == ERASED_TEXT
    assert Account.objects.get(pk=account.pk).name == ERASED_TEXT
    assert PaymentOrder.objects.get(pk=payment.pk).debtor_identifier == ERASED_TEXT
    assert not blind_index_filter(queryset=Customer.objects.all(), field_name="name", value="Ottilie Quast").exists()
    assert gone.occupation == "" and CustomerDocument.objects.get(customer=gone).sha256 == ""
    assert Customer.objects.get(pk=bruno.pk).name == "Bruno Vexler"  # nobody else is touched
    gone.save()  # an erased record still saves (keeps its unreadable values) ...
    gone.name = "New Name"
    with pytest.raises(SubjectErased), transaction.atomic():
        gone.save()  # ... but nothing new can be encrypted for an erased subject
    assert_ledger_intact()
    trail = json.dumps([[r.before, r.after] for r in AuditRecord.objects.all()])
    assert "Quast" not in trail and "QX-771" not in trail
    shown = make_client(["customers:read"], name="crm").get(f"/api/v1/customers/{alice.public_id}")
    assert shown.status_code == 200 and shown.json()["name"] == ERASED_TEXT, shown.content
    assert shown.json()["addresses"] == [ERASED_TEXT]


def test_a_retention_held_erasure_is_executed_by_the_beat_task_when_retention_ends():
    from apps.privacy.services import erasures_execute_due

    alice, account, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    dpo, checker = officers()
    erasure = services.erasure_request(customer_id=alice.public_id, maker=dpo)
    approval_approve(public_id=erasure.approval_id, checker=checker)
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.SCHEDULED and erasure.execute_after is None  # account still open
    assert "relationship not ended" in erasure.held_reason

    post_withdrawal(from_account=account.public_id, amount="525.00", currency="EUR")
    account_change_status(public_id=account.public_id, status="CLOSED")
    assert erasures_execute_due() == []  # AML retention: five years after the relationship ended
    erasure.refresh_from_db()
    closed = Account.objects.get(pk=account.pk).updated_at
    assert erasure.execute_after == closed + dt.timedelta(days=5 * 365)
    assert set(erasure.retention_kinds) >= {"kyc", "transactions", "payments"}
    assert Customer.objects.get(pk=alice.pk).name == "Ottilie Quast"

    later = timezone.now() + dt.timedelta(days=5 * 365 + 1)
    assert erasures_execute_due(now=later) == [erasure.public_id]
    assert Customer.objects.get(pk=alice.pk).name == ERASED_TEXT
    assert erasures_execute_due(now=later) == []  # run twice: nothing more
    assert_ledger_intact()


def test_an_open_screening_alert_is_a_legal_hold():
    from apps.compliance.alert_models import ScreeningAlert
    from apps.privacy.selectors import legal_hold_reason

    alice, _, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    assert legal_hold_reason(customer_id=alice.public_id) == ""
    alert = ScreeningAlert(
        subject_type="customer",
        subject_id=alice.public_id,
        party_role="customer",
        list_code="UN",
        entry_id="x",
        matched_name="X",
        score=0.9,
        source="test",
    )
    alert.party_name = "Ottilie Quast"
    alert.save()
    assert legal_hold_reason(customer_id=alice.public_id) == "open screening alert"


def test_rectification_goes_through_the_customer_service_with_audit():
    from apps.customers.services import customer_update

    alice, _, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    customer_update(public_id=alice.public_id, fields={"addresses": ["Neue Strasse 2, Berlin"]}, actor="dpo")
    assert json.loads(Customer.objects.get(pk=alice.pk).addresses) == ["Neue Strasse 2, Berlin"]
    record = AuditRecord.objects.filter(object_id=alice.public_id).order_by("-sequence").first()
    assert record.action == "customer.updated" and "Neue" not in json.dumps(record.after)


def test_legacy_values_move_to_the_subject_key_before_shredding():
    from apps.security import envelope
    from apps.security.fields import Ciphertext
    from apps.security.services import subject_keys_migrate

    alice, _, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    legacy = envelope.encrypt_text(
        plaintext="Ottilie Quast", table="customers_customer", column="name", row=alice.public_id
    )
    Customer.objects.filter(pk=alice.pk).update(name=Ciphertext(legacy))  # as written before subject keys
    assert Customer.objects.get(pk=alice.pk).name == "Ottilie Quast"  # still reads
    assert subject_keys_migrate(subject_id=alice.public_id) == 1
    stored = Customer.objects.filter(pk=alice.pk).values_list("name", flat=True).get()
    assert stored.startswith("qxs1:") and Customer.objects.get(pk=alice.pk).name == "Ottilie Quast"


def test_after_erasure_no_table_holds_her_name_iban_address_or_id_readable(settings):
    """The erasure reaches every app that recorded her as a party: scanned over every table and every encrypted
    column (decrypted), not a list of known columns; the ledger still balances and the audit chain verifies."""
    settings.QENEX_PRIVACY_RETENTION_DAYS = {k: 0 for k in ("kyc", "transactions", "payments", "screening", "cards")}
    name, national_id = "Henrike Zwaantje Olberding", "HZO-5521-ERASE"
    customer, account, _ = customer_everywhere(name, national_id=national_id)
    needles = (name, IBAN, f"{name} street 1", national_id)
    assert pii_left_in_database(*needles)  # the scan finds her before the erasure (it can fail)
    exported, _ = services.subject_export(customer_id=customer.public_id, actor="dpo")  # each app's selector
    assert [p["creditor_account"] for p in exported["payments_received"]] == [IBAN]
    assert [a["status"] for a in exported["screening"]["decided_alerts"]] == ["cleared"]
    relationship_end(account)
    dpo, checker = officers()
    erasure = services.erasure_request(customer_id=customer.public_id, maker=dpo, reason="art. 17 request")
    approval_approve(public_id=erasure.approval_id, checker=checker)
    erasure.refresh_from_db()
    assert erasure.status == ErasureStatus.EXECUTED, erasure.held_reason
    left = pii_left_in_database(*needles)
    assert left == [], "\n".join(left)
    assert_ledger_intact()


def test_restriction_of_processing_stops_every_secondary_use_through_one_check(tmp_path):
    from apps.fraud.dataset import read_rows
    from apps.fraud.selectors import training_rows_permitted
    from apps.privacy.errors import InvalidPurpose
    from apps.privacy.selectors import FRAUD_MODEL_TRAINING, USES, processing_permitted

    alice, _, _ = rich_customer("Ottilie Quast", national_id="QX-771")
    bruno, _, _ = rich_customer("Bruno Vexler", national_id="BV-992")
    both = {alice.public_id, bruno.public_id}
    for c in (alice, bruno):
        for purpose in ("marketing", "profiling", "third_party_sharing"):
            services.consent_record(customer_id=c.public_id, purpose=purpose, granted=True, actor="dpo")
    assert all(processing_permitted(customer_ids=both, purpose=p) == both for p in USES)
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "transaction_id,timestamp,customer_id,counterparty_id,amount,label\n"
        + "".join(f"t{i},2026-01-0{i}T10:00:00,{cid},m1,12.50,0\n" for i, cid in enumerate(sorted(both), 1))
    )
    assert len(training_rows_permitted(rows=read_rows(csv))) == 2

    services.flags_set(
        customer_id=bruno.public_id, processing_restricted=True, restriction_reason="accuracy contested", actor="dpo"
    )
    for purpose in USES - {"contract"}:  # consent in force does not lift a restriction
        assert processing_permitted(customer_ids=both, purpose=purpose) == {alice.public_id}, purpose
    assert processing_permitted(customer_ids=both, purpose="contract") == both  # storage and the contract go on
    assert [r["id"] for r in services.third_party_share_export(actor="dpo")[0]] == [alice.public_id]
    assert [r.txn.customer_id for r in training_rows_permitted(rows=read_rows(csv))] == [alice.public_id]
    assert FRAUD_MODEL_TRAINING in USES
    with pytest.raises(InvalidPurpose):
        processing_permitted(customer_ids=both, purpose="resale")
