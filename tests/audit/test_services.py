"""The audit trail records every state change in the same transaction, as a hash chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.services import account_set_overdraft_limit
from apps.audit import selectors
from apps.audit.chain import GENESIS_HASH, HASHED_FIELDS, record_hash
from apps.audit.models import AuditChainHead, AuditCheckpoint, AuditRecord
from apps.audit.services import audit_record
from apps.audit.verification import audit_chain_verify
from apps.core import request_context
from apps.core.errors import DomainError
from apps.iam.services import api_client_create, api_key_revoke, api_key_rotate
from apps.ledger import services
from apps.ledger.services import account_change_status, account_open
from tests.factories import funded_account

pytestmark = [pytest.mark.django_db]


def _actions() -> list[str]:
    return list(AuditRecord.objects.order_by("sequence").values_list("action", flat=True))


def test_records_form_a_chain_from_the_genesis_hash():
    first = audit_record(action="test.one", object_type="thing", object_id="t1", after={"n": 1})
    second = audit_record(action="test.two", object_type="thing", object_id="t1", before={"n": 1}, after={"n": 2})
    assert (first.prev_hash, second.prev_hash) == (GENESIS_HASH, first.hash)
    assert (second.shard, second.shard_sequence) == (first.shard, first.shard_sequence + 1)
    assert second.sequence > first.sequence  # the global order
    head = AuditChainHead.objects.get(id=first.shard)
    assert (head.sequence, head.hash, head.record_sequence) == (second.shard_sequence, second.hash, second.sequence)
    assert audit_chain_verify().ok


def test_an_objects_records_go_to_the_shard_its_identity_hashes_to(settings, on_postgresql):
    from apps.audit.chain import shard_of

    settings.QENEX_AUDIT_CHAIN_SHARDS = 16
    record = audit_record(action="test.one", object_type="account", object_id="ACC1")
    assert record.shard == shard_of(object_type="account", object_id="ACC1", shards=16) == 13  # BLAKE2b: stable
    assert audit_record(action="test.two", object_type="account", object_id="ACC2").shard == 13  # pinned, see below
    assert shard_of(object_type="account", object_id="ACC2", shards=16) == 6


def test_hash_covers_what_the_database_gives_back():
    record = audit_record(action="test.values", after={"amount": 1.5, "z": [1, {"b": None, "a": "é"}], "ok": True})
    stored = AuditRecord.objects.values(*HASHED_FIELDS).get(pk=record.pk)
    assert record_hash(**stored) == record.hash
    assert stored["after"]["amount"] == "1.5"  # non-integer numbers are kept as strings


def test_an_audit_record_costs_two_statements(django_assert_num_queries, on_postgresql):
    audit_record(action="test.warm")  # the head row exists (and the test's transaction is pinned to its shard)
    with django_assert_num_queries(2):  # lock the shard head; insert the record and advance the head (one CTE)
        audit_record(action="test.cost")


def test_transfer_writes_one_record_with_the_postings():
    a, b = funded_account("100.00"), funded_account("0")
    result = services.post_transfer(
        from_account=a.public_id, to_account=b.public_id, amount="12.50", currency="USD", actor="teller-1"
    )
    record = AuditRecord.objects.order_by("-sequence").first()
    assert record.action == "ledger.transfer_posted"
    assert (record.object_type, record.object_id, record.actor) == ("transaction", result.entry.public_id, "teller-1")
    assert record.after["amount_minor"] == 1250
    assert {(p["account"], p["amount_minor"]) for p in record.after["postings"]} == {
        (a.public_id, -1250),
        (b.public_id, 1250),
    }


def test_a_transfer_with_its_audit_record_costs_eight_queries(django_assert_num_queries, on_postgresql):
    a, b = funded_account("100.00"), funded_account("0")
    services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD")
    # savepoint (the test's transaction stands in for BEGIN), lock both accounts, read balances + holds + the
    # idempotency key, write entry + postings + balances, release: 5 for the ledger (apps.ledger.services.engine);
    # lock the shard's chain head, then insert the record and advance the head in one CTE: 2 for the audit trail;
    # before the transaction, the sanctions posting check (an open hit of either account's owner?): 1.
    with django_assert_num_queries(8):
        services.post_transfer(
            from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD", idempotency_key="k-cost"
        )


def test_idempotent_replay_writes_no_second_record():
    a, b = funded_account("100.00"), funded_account("0")
    kwargs = dict(from_account=a.public_id, to_account=b.public_id, amount="5", currency="USD", idempotency_key="k1")
    services.post_transfer(**kwargs)
    count = AuditRecord.objects.count()
    assert services.post_transfer(**kwargs).replayed
    assert AuditRecord.objects.count() == count


def test_refused_transfer_writes_nothing():
    a, b = funded_account("10.00"), funded_account("0")
    count, heads = AuditRecord.objects.count(), list(AuditChainHead.objects.values_list("id", "sequence"))
    with pytest.raises(DomainError, match="insufficient"):
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="50", currency="USD")
    assert AuditRecord.objects.count() == count
    assert list(AuditChainHead.objects.values_list("id", "sequence")) == heads


def test_failure_after_the_audit_write_rolls_the_record_back():
    a, b = funded_account("10.00"), funded_account("0")
    count = AuditRecord.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.post_transfer(from_account=a.public_id, to_account=b.public_id, amount="1", currency="USD")
        raise RuntimeError("the caller's transaction fails after the posting")
    assert AuditRecord.objects.count() == count
    assert audit_chain_verify().ok


def test_every_posting_kind_is_recorded():
    a, b = funded_account("100.00"), funded_account("0")
    eur = funded_account("0", currency="EUR")
    services.fx_rate_set(base="USD", quote="EUR", rate="0.9", actor="treasury")
    services.post_deposit(to_account=a.public_id, amount="1", currency="USD")
    services.post_withdrawal(from_account=a.public_id, amount="1", currency="USD")
    services.post_fee(from_account=a.public_id, amount="1", currency="USD")
    fx = services.post_transfer(from_account=a.public_id, to_account=eur.public_id, amount="10", currency="USD")
    services.post_reversal(transaction_id=fx.entry.public_id)
    hold = services.hold_place(account=a.public_id, amount="2", currency="USD").hold
    services.hold_capture(hold_id=hold.public_id, to_account=b.public_id)
    other = services.hold_place(account=a.public_id, amount="2", currency="USD").hold
    services.hold_void(hold_id=other.public_id)
    services.hold_void(hold_id=other.public_id)  # a no-op: nothing recorded
    actions = _actions()
    for action in [
        "ledger.fx_rate_set",
        "ledger.deposit_posted",
        "ledger.withdrawal_posted",
        "ledger.fee_posted",
        "ledger.transfer_posted",
        "ledger.reversal_posted",
        "ledger.hold_placed",
        "ledger.hold_captured",
        "ledger.hold_voided",
    ]:
        assert action in actions
    assert actions.count("ledger.hold_voided") == 1
    fx_record = selectors.audit_records_for_object(object_type="transaction", object_id=fx.entry.public_id).get()
    assert fx_record.after["metadata"]["fx"]["rate"] == "0.9"
    assert audit_chain_verify().ok


def test_expired_holds_are_recorded_one_by_one():
    a = funded_account("100.00")
    hold = services.hold_place(account=a.public_id, amount="2", currency="USD").hold
    assert services.holds_expire(now=timezone.now() + timedelta(days=30)) == 1
    history = selectors.audit_records_for_object(object_type="hold", object_id=hold.public_id)
    assert [r.action for r in history] == ["ledger.hold_placed", "ledger.hold_expired"]


def test_account_lifecycle_is_recorded_with_before_and_after():
    account = account_open(owner_id="c1", account_type="CHECKING", currency="USD", name="Ada Lovelace", actor="ops")
    account_set_overdraft_limit(public_id=account.public_id, limit="25.00", actor="ops")
    account_change_status(public_id=account.public_id, status="FROZEN", actor="ops")
    account_change_status(public_id=account.public_id, status="FROZEN", actor="ops")  # unchanged: not recorded
    history = list(selectors.audit_records_for_object(object_type="account", object_id=account.public_id))
    assert [r.action for r in history] == [
        "account.opened",
        "account.overdraft_limit_changed",
        "account.status_changed",
    ]
    assert "name" not in history[0].after  # PII stays out of a trail that can never be erased
    assert (history[1].before, history[1].after) == ({"overdraft_limit_minor": 0}, {"overdraft_limit_minor": 2500})
    assert (history[2].before, history[2].after) == ({"status": "ACTIVE"}, {"status": "FROZEN"})


def test_opening_with_a_balance_records_the_deposit_then_the_account():
    account = funded_account("10.00")
    assert _actions()[-2:] == ["ledger.deposit_posted", "account.opened"]
    assert AuditRecord.objects.order_by("-sequence").first().object_id == account.public_id


def test_idempotent_account_open_replay_writes_no_second_record():
    kwargs = dict(owner_id="c2", account_type="CHECKING", currency="USD", idempotency_key="open-1")
    account_open(**kwargs)
    count = AuditRecord.objects.count()
    account_open(**kwargs)
    assert AuditRecord.objects.count() == count


def test_api_key_issue_rotate_and_revoke_are_recorded_without_secrets():
    issued = api_client_create(name="partner", scopes=["accounts:read"], actor="admin")
    successor = api_key_rotate(prefix=issued.key.prefix, actor="admin")
    api_key_revoke(prefix=successor.key.prefix, actor="admin")
    assert _actions() == [
        "iam.api_client_created",
        "iam.api_key_issued",
        "iam.api_key_issued",
        "iam.api_key_rotated",
        "iam.api_key_revoked",
    ]
    for record in AuditRecord.objects.all():
        text = str(record.before) + str(record.after)
        assert issued.token.split("_", 2)[2] not in text and "secret" not in text
    revoked = selectors.audit_records_for_object(object_type="api_key", object_id=successor.key.prefix).last()
    assert revoked.before["revoked_at"] is None and revoked.after["revoked_at"] is not None


def test_request_id_ip_and_api_client_come_from_the_http_request(api):
    a = funded_account("100.00")
    b = funded_account("0")
    response = api.post(
        "/api/v1/transactions",
        {
            "type": "TRANSFER",
            "from_account": a.public_id,
            "to_account": b.public_id,
            "amount": "1.00",
            "currency": "USD",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="req-1",
        HTTP_X_REQUEST_ID="req-abc-123",
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 201, response.content
    record = selectors.audit_records_by_actor(api_client_id=api.api_key.client_id).get()
    assert (record.action, record.request_id, record.source_ip) == (
        "ledger.transfer_posted",
        "req-abc-123",
        "203.0.113.7",
    )
    assert record.actor == "api:test-client" and record.actor_user_id is None


def test_outside_a_request_there_is_no_request_id():
    assert request_context.current_request() is None
    record = audit_record(action="test.batch")
    assert (record.request_id, record.source_ip, record.actor) == ("", "", "system")


def test_login_success_and_failure_are_recorded(client):
    user = get_user_model().objects.create_user("officer", password="a-long-password-1")
    assert authenticate(username="officer", password="wrong") is None  # sends user_login_failed
    client.force_login(user)  # sends user_logged_in
    failed = selectors.audit_records_between(action="auth.login_failed").get()
    assert failed.after == {"username": "officer"} and "wrong" not in str(failed.after)
    succeeded = selectors.audit_records_by_actor(user_id=user.pk).get()
    assert succeeded.action == "auth.login_succeeded"


def test_selectors_filter_by_time_range():
    record = audit_record(action="test.time")
    after = record.occurred_at + timedelta(seconds=1)
    assert selectors.audit_records_between(start=record.occurred_at, end=after).get() == record
    assert not selectors.audit_records_between(start=after).exists()


def test_middleware_publishes_and_clears_the_request_context():
    from apps.core.middleware import RequestIdMiddleware

    seen = {}

    def view(request):
        seen["ctx"] = request_context.current_request()
        from django.http import HttpResponse

        return HttpResponse()

    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="abc", REMOTE_ADDR="2001:DB8::1")
    RequestIdMiddleware(view)(request)
    assert (seen["ctx"].request_id, seen["ctx"].source_ip) == ("abc", "2001:db8::1")
    assert request_context.current_request() is None


def test_admin_is_read_only(rf):
    from django.contrib import admin

    request = rf.get("/")
    for model in (AuditRecord, AuditCheckpoint):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
