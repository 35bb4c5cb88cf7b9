"""The ledger driven by Hypothesis against a simple in-memory model, on PostgreSQL, checked after every step.

The model is a few dicts: balances in minor units per account, holds, journal entries (as net movements per
account) and used idempotency keys. Each rule asks the model what must happen - "posted, moving exactly these
amounts" or "refused with one of these codes" - calls the real service, and compares. After every step the
invariants are read back with SQL and through the ledger's selectors:

* per currency, the cached balances of all accounts sum to zero;
* every account's cached balance equals the sum of its postings, and each posting's running balance is right;
* every model account's ledger balance, open holds and status equal the model;
* no customer account is below its overdraft limit (ledger - open holds + overdraft >= 0);
* every entry has at least two postings and they balance per currency;
* the number of entries and holds grew only by what the model posted (refusals and replays add nothing).

Replays of an earlier idempotency key with the same request return the same entry or hold and change nothing
(not even the audit trail); the same key with a different request is refused.

CI runs a bounded number of examples; ``QENEX_STATEFUL_EXAMPLES`` and ``QENEX_STATEFUL_STEPS`` run it longer.
Hypothesis runs every example in one test database that is not emptied between examples, so the model starts
each example from what the bank's own accounts hold at that moment, and ``teardown`` expires every hold left open.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from apps.accounts.models import BANK_OWNER_ID, Account, AccountStatus
from apps.accounts.services import account_set_overdraft_limit
from apps.audit.models import AuditRecord
from apps.core.errors import DomainError
from apps.core.money import format_amount
from apps.ledger import selectors, services
from apps.ledger.models import AccountBalance, Hold, JournalEntry, Posting
from apps.ledger.services import account_change_status, account_open
from tests.ledger.invariants import ledger_violations

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES = int(os.environ.get("QENEX_STATEFUL_EXAMPLES", "40"))
STEPS = int(os.environ.get("QENEX_STATEFUL_STEPS", "30"))
# Shrinking a failure replays hundreds of database-backed runs (minutes); QENEX_STATEFUL_SHRINK=0 skips it.
PHASES = [p for p in Phase if p != Phase.shrink or os.environ.get("QENEX_STATEFUL_SHRINK", "1") != "0"]

CURRENCIES = ("USD", "EUR", "JPY")
EXPONENT = {"USD": 2, "EUR": 2, "JPY": 0}
# Short holds expire within the run (an expiry sweep with ``now`` an hour ahead), long ones never do; neither
# expires by the wall clock while the test runs, so the model needs no clock.
SHORT_HOLD = timedelta(minutes=30)
LONG_HOLD = timedelta(days=1)
SWEEP_AHEAD = timedelta(hours=1)

AccountKey = int | tuple[str, str]  # a customer account's pk, or (account type, currency) for the bank's own


def floor_convert(amount_minor: int, base: str, quote: str, rate: Decimal) -> int:
    """The model's FX conversion, independent of the ledger's: exact rational arithmetic, floored."""
    exact = Fraction(amount_minor) * Fraction(10) ** (EXPONENT[quote] - EXPONENT[base]) * Fraction(rate)
    return exact.numerator // exact.denominator


@dataclass
class ModelAccount:
    public_id: str
    pk: int
    currency: str
    overdraft: int
    status: str = AccountStatus.ACTIVE


@dataclass
class ModelHold:
    public_id: str
    account_pk: int
    amount: int
    short: bool
    status: str = "AUTHORIZED"


@dataclass
class ModelEntry:
    public_id: str
    entry_type: str
    legs: dict[AccountKey, int]  # net movement per account
    reversed: bool = False


@dataclass
class KeyUse:
    """A request that succeeded with an idempotency key, so that it can be sent again."""

    service: str
    kwargs: dict[str, Any]
    result_id: str  # the entry's or the hold's public id


@dataclass(frozen=True)
class Outcome:
    """What the model says a request must do: refuse with one of ``codes``, or post ``legs``."""

    codes: frozenset[str] = frozenset()
    legs: dict[AccountKey, int] = field(default_factory=dict)
    entry_type: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.codes)


indexes = st.integers(min_value=0, max_value=10_000)  # picks an item of a model list (modulo its length)
# Mostly amounts the accounts can afford; sometimes more than any of them holds.
amounts = st.one_of(
    st.integers(min_value=1, max_value=500), st.integers(min_value=1, max_value=20_000), st.integers(1, 300_000)
)
rarely = st.integers(min_value=0, max_value=5).map(lambda n: n == 5)  # a wrong currency, a wrong target
# Rates with up to 6 decimals, from "almost nothing" (every small conversion rounds to zero) to 300.
rates = st.integers(min_value=1, max_value=300_000_000).map(lambda n: Decimal(n).scaleb(-6))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.run = uuid.uuid4().hex[:10]
        self.counter = 0
        self.accounts: list[ModelAccount] = []
        self.by_pk: dict[int, ModelAccount] = {}
        self.balance: dict[AccountKey, int] = {}
        self.holds: list[ModelHold] = []
        self.entries: list[ModelEntry] = []
        self.entry_keys: dict[str, KeyUse] = {}
        self.hold_keys: dict[str, KeyUse] = {}
        self.rates: dict[tuple[str, str], Decimal] = {}
        self.internal_pk: dict[tuple[str, str], int] = {}
        self.touched: set[int] = set()  # customer accounts the current step involved

    # --- set-up --------------------------------------------------------------------------------------------

    @initialize(
        opening=st.lists(st.integers(min_value=0, max_value=200_000), min_size=6, max_size=6),
        overdrafts=st.lists(st.sampled_from([0, 0, 1, 5_000, 50_000]), min_size=6, max_size=6),
        pair_rates=st.lists(rates, min_size=6, max_size=6),
    )
    def open_accounts(self, opening: list[int], overdrafts: list[int], pair_rates: list[Decimal]) -> None:
        # What the bank's own accounts hold now (earlier examples moved money through them).
        for pk, kind, currency in AccountBalance.objects.filter(account__owner_id=BANK_OWNER_ID).values_list(
            "account_id", "account__account_type", "account__currency"
        ):
            self.internal_pk[(kind, currency)] = pk
            self.balance[(kind, currency)] = selectors.ledger_minor(pk)  # its row plus any balance slots
        self.base_entries = JournalEntry.objects.count()
        self.base_holds = Hold.objects.count()
        pairs = [(b, q) for b in CURRENCIES for q in CURRENCIES if b != q]
        for (base, quote), rate in zip(pairs, pair_rates, strict=True):
            services.fx_rate_set(base=base, quote=quote, rate=rate)
            self.rates[(base, quote)] = rate
        # Two USD, two EUR, two JPY accounts; each may have an overdraft limit and an opening deposit.
        for index, (minor, limit) in enumerate(zip(opening, overdrafts, strict=True)):
            currency = CURRENCIES[index // 2]
            account = account_open(
                owner_id=f"sm-{self.run}-{index}",
                account_type="CHECKING",
                currency=currency,
                overdraft_limit=format_amount(limit, currency),
            )
            model = ModelAccount(account.public_id, account.pk, currency, limit)
            self.accounts.append(model)
            self.by_pk[account.pk] = model
            self.balance[account.pk] = 0
            if minor:
                self._run_posting(
                    "post_deposit", {"to_account": account.public_id, "amount": minor, "currency": currency}
                )
        # One account closed from the start: every posting to it must be refused.
        closed = account_open(owner_id=f"sm-{self.run}-closed", account_type="SAVINGS", currency="USD")
        account_change_status(public_id=closed.public_id, status=AccountStatus.CLOSED)
        model = ModelAccount(closed.public_id, closed.pk, "USD", 0, AccountStatus.CLOSED)
        self.accounts.append(model)
        self.by_pk[closed.pk] = model
        self.balance[closed.pk] = 0

    def teardown(self) -> None:
        # The next example shares this database: leave no hold open to count in its expiry sweep.
        services.holds_expire(now=timezone.now() + timedelta(days=3650))

    # --- the model -----------------------------------------------------------------------------------------

    def _key(self) -> str:
        self.counter += 1
        return f"sm-{self.run}-{self.counter}"

    def _account(self, index: int) -> ModelAccount:
        account = self.accounts[index % len(self.accounts)]
        self.touched.add(account.pk)
        return account

    def _account_in(self, index: int, currency: str, *, but: ModelAccount) -> ModelAccount:
        """Another account in ``currency`` (a plain transfer or a capture that can post)."""
        candidates = [a for a in self.accounts if a.currency == currency and a is not but]
        account = candidates[index % len(candidates)]
        self.touched.add(account.pk)
        return account

    def _held(self, pk: int) -> int:
        return sum(h.amount for h in self.holds if h.account_pk == pk and h.status == "AUTHORIZED")

    def _funds_refusals(self, legs: dict[AccountKey, int], *, released_hold: ModelHold | None = None) -> set[str]:
        """'insufficient_funds' if a debit takes a customer account below ledger - holds + overdraft >= 0."""
        for key, movement in legs.items():
            if movement >= 0 or not isinstance(key, int):
                continue  # credits, and the bank's own accounts, carry no floor
            held = self._held(key) - (released_hold.amount if released_hold and released_hold.account_pk == key else 0)
            if self.balance[key] + movement - held < -self.by_pk[key].overdraft:
                return {"insufficient_funds"}
        return set()

    def _inactive(self, *accounts: ModelAccount) -> set[str]:
        return {"account_not_active"} if any(a.status != AccountStatus.ACTIVE for a in accounts) else set()

    def _predict(self, service: str, kw: dict[str, Any]) -> Outcome:
        """What the ledger must do with this request (the idempotency key aside)."""
        if service in ("post_deposit", "post_withdrawal", "post_fee"):
            account = self._by_public_id(kw["to_account"] if service == "post_deposit" else kw["from_account"])
            currency, amount = kw["currency"], kw["amount"]
            codes = {"currency_mismatch"} if currency != account.currency else set()
            codes |= self._inactive(account)
            counter = "FEE_INCOME" if service == "post_fee" else "CASH"
            sign = 1 if service == "post_deposit" else -1
            legs = {account.pk: sign * amount, (counter, currency): -sign * amount}
            codes |= self._funds_refusals(legs)
            return Outcome(
                frozenset(codes), legs, {"post_deposit": "DEPOSIT", "post_withdrawal": "WITHDRAWAL"}.get(service, "FEE")
            )
        if service == "post_transfer":
            source, target = self._by_public_id(kw["from_account"]), self._by_public_id(kw["to_account"])
            currency, amount = kw["currency"], kw["amount"]
            if source is target:
                return Outcome(frozenset({"same_account"}))
            codes = {"currency_mismatch"} if currency != source.currency else set()
            codes |= self._inactive(source, target)
            if target.currency == currency:
                legs = {source.pk: -amount, target.pk: amount}
            elif currency != source.currency:
                return Outcome(frozenset(codes))  # refused before any conversion
            else:
                converted = floor_convert(amount, currency, target.currency, self.rates[(currency, target.currency)])
                if converted <= 0:
                    codes.add("amount_below_minimum")
                legs = {
                    source.pk: -amount,
                    ("FX_POSITION", currency): amount,
                    ("FX_POSITION", target.currency): -converted,
                    target.pk: converted,
                }
            codes |= self._funds_refusals(legs)
            return Outcome(frozenset(codes), legs, "TRANSFER")
        if service == "hold_capture":
            hold = self._hold(kw["hold_id"])
            held_account, target = self.by_pk[hold.account_pk], self._by_public_id(kw["to_account"])
            amount = hold.amount if kw.get("amount") is None else kw["amount"]
            codes = set()
            if target is held_account:
                codes.add("same_account")
            if target.currency != held_account.currency:
                codes.add("currency_mismatch")
            if amount > hold.amount:
                codes.add("invalid_amount")
            if hold.status != "AUTHORIZED":
                codes.add("hold_not_active")
            codes |= self._inactive(held_account, target)
            legs = {held_account.pk: -amount, target.pk: amount}
            if not codes:
                codes |= self._funds_refusals(legs, released_hold=hold)
            return Outcome(frozenset(codes), legs, "HOLD_CAPTURE")
        if service == "post_reversal":
            original = self._entry(kw["transaction_id"])
            if original.entry_type == "REVERSAL":
                return Outcome(frozenset({"not_reversible"}))
            codes = {"already_reversed"} if original.reversed else set()
            customers = [self.by_pk[k] for k in original.legs if isinstance(k, int)]
            if any(a.status == AccountStatus.CLOSED for a in customers):
                codes.add("account_not_active")  # a reversal may move a FROZEN account's money, not a CLOSED one's
            legs = {key: -movement for key, movement in original.legs.items()}
            codes |= self._funds_refusals(legs)
            return Outcome(frozenset(codes), legs, "REVERSAL")
        if service == "hold_place":
            account = self._by_public_id(kw["account"])
            codes = {"currency_mismatch"} if kw["currency"] != account.currency else set()
            codes |= self._inactive(account)
            if self.balance[account.pk] - self._held(account.pk) - kw["amount"] < -account.overdraft:
                codes.add("insufficient_funds")
            return Outcome(frozenset(codes))
        raise AssertionError(service)

    def _by_public_id(self, public_id: str) -> ModelAccount:
        return next(a for a in self.accounts if a.public_id == public_id)

    def _hold(self, public_id: str) -> ModelHold:
        return next(h for h in self.holds if h.public_id == public_id)

    def _entry(self, public_id: str) -> ModelEntry:
        return next(e for e in self.entries if e.public_id == public_id)

    # --- calling the services ------------------------------------------------------------------------------

    def _call(self, service: str, kw: dict[str, Any]):
        """Call the service with amounts turned from the model's minor units into the decimal strings it takes."""
        sent = dict(kw)
        if sent.get("amount") is not None:
            currency = sent.get("currency") or self.by_pk[self._hold(sent["hold_id"]).account_pk].currency
            sent["amount"] = format_amount(sent["amount"], currency)
        return getattr(services, service)(**sent)

    def _movements_of(self, entry: JournalEntry) -> dict[AccountKey, int]:
        keys = {pk: key for key, pk in self._internal_pks().items()}
        moved: dict[AccountKey, int] = {}
        for account_id, amount in Posting.objects.filter(entry=entry).values_list("account_id", "amount_minor"):
            key = account_id if account_id in self.by_pk else keys[account_id]
            moved[key] = moved.get(key, 0) + amount
        return {k: v for k, v in moved.items() if v}

    def _internal_pks(self) -> dict[tuple[str, str], int]:
        for pk, kind, currency in Account.objects.filter(owner_id=BANK_OWNER_ID).values_list(
            "pk", "account_type", "currency"
        ):
            self.internal_pk[(kind, currency)] = pk
        return self.internal_pk

    def _expect_refusal(self, codes: frozenset[str], service: str, kw: dict[str, Any]) -> None:
        audit_before = AuditRecord.objects.count()
        with pytest.raises(DomainError) as refused:
            self._call(service, kw)
        assert refused.value.code in codes, (service, kw, refused.value.code, refused.value, sorted(codes))
        event(f"{service} refused: {refused.value.code}")
        assert AuditRecord.objects.count() == audit_before, "a refusal wrote an audit record"

    def _run_posting(self, service: str, kw: dict[str, Any], *, keyed: bool = False) -> None:
        """Send a posting request; check it against the model and apply it to the model if it posted."""
        if keyed:
            kw = {**kw, "idempotency_key": self._key()}
        expected = self._predict(service, kw)
        self.touched.update(key for key in expected.legs if isinstance(key, int))
        if expected.refused:
            self._expect_refusal(expected.codes, service, kw)
            return
        result = self._call(service, kw)
        event(f"{service} posted" + (" (FX)" if len(expected.legs) == 4 else ""))
        assert not result.replayed
        assert result.entry.entry_type == expected.entry_type
        moved = self._movements_of(result.entry)
        assert moved == expected.legs, (service, kw, moved, expected.legs)
        for key, movement in expected.legs.items():
            self.balance[key] = self.balance.get(key, 0) + movement
        self.entries.append(ModelEntry(result.entry.public_id, expected.entry_type, dict(expected.legs)))
        if service == "post_reversal":
            self._entry(kw["transaction_id"]).reversed = True
        if service == "hold_capture":
            self._hold(kw["hold_id"]).status = "CAPTURED"
        if keyed:
            self.entry_keys[kw["idempotency_key"]] = KeyUse(service, kw, result.entry.public_id)

    # --- rules: postings -----------------------------------------------------------------------------------

    @rule(i=indexes, amount=amounts, wrong_currency=rarely, keyed=st.booleans())
    def deposit(self, i: int, amount: int, wrong_currency: bool, keyed: bool) -> None:
        account = self._account(i)
        currency = self._other_currency(account.currency) if wrong_currency else account.currency
        self._run_posting(
            "post_deposit", {"to_account": account.public_id, "amount": amount, "currency": currency}, keyed=keyed
        )

    @rule(i=indexes, amount=amounts, whole_balance=rarely, fee=st.booleans(), keyed=st.booleans())
    def withdraw_or_charge(self, i: int, amount: int, whole_balance: bool, fee: bool, keyed: bool) -> None:
        account = self._account(i)
        if whole_balance and self.balance[account.pk] > 0:
            amount = self.balance[account.pk]  # empties the account, so that it can be closed
        kw = {"from_account": account.public_id, "amount": amount, "currency": account.currency}
        self._run_posting("post_fee" if fee else "post_withdrawal", kw, keyed=keyed)

    @rule(i=indexes, j=indexes, amount=amounts, wrong_currency=rarely, fx=st.booleans(), keyed=st.booleans())
    def transfer(self, i: int, j: int, amount: int, wrong_currency: bool, fx: bool, keyed: bool) -> None:
        source = self._account(i)
        if fx:
            target = self._account_in(j, self._other_currency(source.currency, j), but=source)
        else:
            target = self._account_in(j, source.currency, but=source) if j % 8 else self._account(j)
        currency = self._other_currency(source.currency) if wrong_currency else source.currency
        kw = {"from_account": source.public_id, "to_account": target.public_id, "amount": amount, "currency": currency}
        self._run_posting("post_transfer", kw, keyed=keyed)

    @rule(i=indexes, keyed=st.booleans())
    def reverse(self, i: int, keyed: bool) -> None:
        if self.entries:
            self._run_posting(
                "post_reversal", {"transaction_id": self.entries[i % len(self.entries)].public_id}, keyed=keyed
            )

    @rule(pair=st.sampled_from([(b, q) for b in CURRENCIES for q in CURRENCIES if b != q]), rate=rates)
    def set_rate(self, pair: tuple[str, str], rate: Decimal) -> None:
        services.fx_rate_set(base=pair[0], quote=pair[1], rate=rate)
        self.rates[pair] = rate

    # --- rules: holds --------------------------------------------------------------------------------------

    @rule(i=indexes, amount=amounts, short=st.booleans(), wrong_currency=rarely, keyed=st.booleans())
    def place_hold(self, i: int, amount: int, short: bool, wrong_currency: bool, keyed: bool) -> None:
        account = self._account(i)
        currency = self._other_currency(account.currency) if wrong_currency else account.currency
        kw: dict[str, Any] = {"account": account.public_id, "amount": amount, "currency": currency}
        kw["expires_at"] = timezone.now() + (SHORT_HOLD if short else LONG_HOLD)
        if keyed:
            kw["idempotency_key"] = self._key()
        expected = self._predict("hold_place", kw)
        if expected.refused:
            self._expect_refusal(expected.codes, "hold_place", kw)
            return
        result = self._call("hold_place", kw)
        event("hold_place placed")
        assert not result.replayed
        assert (result.hold.amount_minor, result.hold.status) == (amount, "AUTHORIZED")
        self.holds.append(ModelHold(result.hold.public_id, account.pk, amount, short))
        if keyed:
            self.hold_keys[kw["idempotency_key"]] = KeyUse("hold_place", kw, result.hold.public_id)

    @rule(
        h=indexes,
        j=indexes,
        part=st.one_of(st.none(), st.integers(min_value=1, max_value=300_000)),
        wrong_target=rarely,
        keyed=st.booleans(),
    )
    def capture(self, h: int, j: int, part: int | None, wrong_target: bool, keyed: bool) -> None:
        if not self.holds:
            return
        hold = self.holds[h % len(self.holds)]
        self.touched.add(hold.account_pk)
        # Mostly a valid amount (whole or partial); sometimes more than the hold, which is refused.
        amount = None if part is None else (part if part > hold.amount * 2 else min(part, hold.amount))
        held = self.by_pk[hold.account_pk]
        target = self._account(j) if wrong_target else self._account_in(j, held.currency, but=held)
        kw = {"hold_id": hold.public_id, "to_account": target.public_id, "amount": amount}
        self._run_posting("hold_capture", kw, keyed=keyed)

    @rule(h=indexes)
    def void(self, h: int) -> None:
        if not self.holds:
            return
        hold = self.holds[h % len(self.holds)]
        self.touched.add(hold.account_pk)
        if hold.status in ("CAPTURED", "EXPIRED"):
            self._expect_refusal(frozenset({"hold_not_active"}), "hold_void", {"hold_id": hold.public_id})
            return
        audit_before = AuditRecord.objects.count()
        voided = services.hold_void(hold_id=hold.public_id)
        assert voided.status == "VOIDED"
        if hold.status == "VOIDED":  # voiding twice is a no-op
            assert AuditRecord.objects.count() == audit_before
        hold.status = "VOIDED"

    @rule()
    def expire(self) -> None:
        due = [h for h in self.holds if h.status == "AUTHORIZED" and h.short]
        assert services.holds_expire(now=timezone.now() + SWEEP_AHEAD) == len(due)
        event(f"holds_expire expired {min(len(due), 2)}{'+' if len(due) >= 2 else ''}")
        for hold in due:
            hold.status = "EXPIRED"
            self.touched.add(hold.account_pk)

    # --- rules: replays and key reuse ----------------------------------------------------------------------

    @rule(k=indexes, holds=st.booleans())
    def replay(self, k: int, holds: bool) -> None:
        """The same request with an earlier key answers with the first result and changes nothing."""
        used = self.hold_keys if holds else self.entry_keys
        if not used:
            return
        earlier = list(used.values())[k % len(used)]
        audit_before = AuditRecord.objects.count()
        result = self._call(earlier.service, earlier.kwargs)
        assert result.replayed
        got = result.hold.public_id if holds else result.entry.public_id
        assert got == earlier.result_id
        assert AuditRecord.objects.count() == audit_before, "a replay wrote an audit record"
        event(f"{earlier.service} replayed")

    @rule(k=indexes, holds=st.booleans())
    def reuse_key_for_another_request(self, k: int, holds: bool) -> None:
        used = self.hold_keys if holds else self.entry_keys
        if not used:
            return
        earlier = list(used.values())[k % len(used)]
        changed = {**earlier.kwargs, "description": "another request, same key"}
        self._expect_refusal(frozenset({"idempotency_key_reused"}), earlier.service, changed)

    # --- rules: accounts -----------------------------------------------------------------------------------

    @rule(
        i=indexes,
        status=st.sampled_from(
            [AccountStatus.ACTIVE, AccountStatus.ACTIVE, AccountStatus.FROZEN, AccountStatus.CLOSED]
        ),
    )
    def change_status(self, i: int, status: str) -> None:
        account = self._account(i)
        kw = {"public_id": account.public_id, "status": status}
        allowed = {
            AccountStatus.ACTIVE: {AccountStatus.FROZEN, AccountStatus.CLOSED},
            AccountStatus.FROZEN: {AccountStatus.ACTIVE},
            AccountStatus.CLOSED: set(),
        }[account.status]
        if status != account.status and status not in allowed:
            self._expect_status_refusal("invalid_status_transition", kw)
        elif (
            status == AccountStatus.CLOSED
            and status != account.status
            and (self.balance[account.pk] != 0 or self._held(account.pk) != 0)
        ):
            self._expect_status_refusal("account_not_empty", kw)
        else:
            assert account_change_status(**kw).status == status
            event(f"account_change_status to {status}")
            account.status = status

    def _expect_status_refusal(self, code: str, kw: dict[str, Any]) -> None:
        with pytest.raises(DomainError) as refused:
            account_change_status(**kw)
        assert refused.value.code == code, (kw, refused.value)

    @rule(i=indexes, limit=st.sampled_from([0, 1, 2_000, 50_000]))
    def set_overdraft(self, i: int, limit: int) -> None:
        account = self._account(i)
        used = self._held(account.pk) - self.balance[account.pk]  # how far below zero, holds counted
        kw = {"public_id": account.public_id, "limit": format_amount(limit, account.currency)}
        if limit < account.overdraft and used > limit:
            with pytest.raises(DomainError) as refused:
                account_set_overdraft_limit(**kw)
            assert refused.value.code == "overdraft_in_use"
            return
        assert account_set_overdraft_limit(**kw).overdraft_limit_minor == limit
        account.overdraft = limit

    # --- rules: batches and hot accounts ---------------------------------------------------------------------

    @rule(
        drawn=st.lists(
            st.tuples(
                st.sampled_from(["post_deposit", "post_withdrawal", "post_fee", "post_transfer"]),
                indexes,
                indexes,
                amounts,
                rarely,
            ),
            min_size=1,
            max_size=6,
        ),
        independent=st.booleans(),
        replay_one=st.booleans(),
    )
    def batch(self, drawn: list, independent: bool, replay_one: bool) -> None:
        """``post_batch`` with the same model: entries predicted in order, each seeing the ones before it."""
        requests: list[tuple[str, dict[str, Any]]] = []
        for service, i, j, amount, odd in drawn:
            account = self._account(i)
            if service == "post_transfer":
                # Batches stay in one currency: an FX target is refused there (``odd`` picks one).
                if odd:
                    target = self._account_in(j, self._other_currency(account.currency, j), but=account)
                else:
                    target = self._account_in(j, account.currency, but=account)
                kw = {"from_account": account.public_id, "to_account": target.public_id}
            else:
                field_name = "to_account" if service == "post_deposit" else "from_account"
                kw = {field_name: account.public_id}
            kw |= {"amount": amount, "currency": account.currency, "idempotency_key": self._key()}
            requests.append((service, kw))
        earlier = [
            u
            for u in self.entry_keys.values()
            if u.service in {"post_deposit", "post_withdrawal", "post_fee", "post_transfer"}
        ]
        if replay_one and earlier:
            requests.insert(len(requests) // 2, ("replay", {"use": earlier[len(requests) % len(earlier)]}))
        # Predict in order against a copy of the balances.
        saved = dict(self.balance)
        predicted: list[tuple[str, Outcome | KeyUse, dict[str, Any]]] = []
        for service, kw in requests:
            if service == "replay":
                predicted.append(("replay", kw["use"], kw["use"].kwargs))
                continue
            outcome = self._predict(service, kw)
            if service == "post_transfer" and len(outcome.legs) == 4:
                outcome = Outcome(frozenset({"currency_mismatch"}))
            if not outcome.refused:
                for key, movement in outcome.legs.items():
                    self.balance[key] = self.balance.get(key, 0) + movement
            predicted.append((service, outcome, kw))
        self.balance = saved
        first_refused = next((o for s, o, _ in predicted if s != "replay" and o.refused), None)
        entries = []
        for service, kw in requests:
            if service == "replay":
                service, kw = kw["use"].service, kw["use"].kwargs
            kind = {"post_deposit": "DEPOSIT", "post_withdrawal": "WITHDRAWAL", "post_fee": "FEE"}.get(
                service, "TRANSFER"
            )
            entries.append({**kw, "type": kind, "amount": format_amount(kw["amount"], kw["currency"])})
        audit_before = AuditRecord.objects.count()
        if not independent and first_refused is not None:
            with pytest.raises(DomainError) as refused:
                services.post_batch(entries=entries, mode="atomic")
            assert refused.value.code in first_refused.codes, (refused.value, first_refused)
            assert AuditRecord.objects.count() == audit_before
            event("post_batch atomic refused")
            return
        result = services.post_batch(entries=entries, mode="independent" if independent else "atomic")
        posted_any = False
        for item, (service, expected, kw) in zip(result.items, predicted, strict=True):
            if service == "replay":
                assert (item.status, item.transaction) == ("replayed", expected.result_id), item
                continue
            if expected.refused:
                assert item.status == "refused" and item.code in expected.codes, (item, expected, kw)
                continue
            assert item.status == "posted", (item, expected, kw)
            posted_any = True
            moved = self._movements_of(JournalEntry.objects.get(public_id=item.transaction))
            assert moved == expected.legs, (kw, moved, expected.legs)
            for key, movement in expected.legs.items():
                self.balance[key] = self.balance.get(key, 0) + movement
            self.touched.update(key for key in expected.legs if isinstance(key, int))
            self.entries.append(ModelEntry(item.transaction, expected.entry_type, dict(expected.legs)))
            self.entry_keys[kw["idempotency_key"]] = KeyUse(service, kw, item.transaction)
        assert (AuditRecord.objects.count() > audit_before) == posted_any
        event(f"post_batch {'independent' if independent else 'atomic'} posted")

    @rule(
        kind=st.sampled_from(["CASH", "FEE_INCOME", "FX_POSITION"]),
        currency=st.sampled_from(CURRENCIES),
        slots=st.sampled_from([0, 1, 4]),
    )
    def make_hot(self, kind: str, currency: str, slots: int) -> None:
        """A bank account's postings spread over balance slots (or back to one row): balances stay exact."""
        pk = self._internal_pks().get((kind, currency))
        if pk is None:
            return
        services.account_set_hot(public_id=Account.objects.get(pk=pk).public_id, slots=slots)
        event(f"account_set_hot {slots}")

    @staticmethod
    def _other_currency(currency: str, pick: int = 0) -> str:
        return CURRENCIES[(CURRENCIES.index(currency) + 1 + pick % 2) % len(CURRENCIES)]

    # --- invariants ----------------------------------------------------------------------------------------

    @invariant()
    def ledger_is_exact(self) -> None:
        if not self.accounts:
            return  # before the set-up
        assert ledger_violations() == {}
        assert JournalEntry.objects.count() == self.base_entries + len(self.entries)
        assert Hold.objects.count() == self.base_holds + len(self.holds)

    @invariant()
    def accounts_match_the_model(self) -> None:
        if not self.accounts:
            return
        internal = self._internal_pks()
        expected = {(internal[k] if isinstance(k, tuple) else k): v for k, v in self.balance.items()}
        cached = {pk: selectors.ledger_minor(pk) for pk in expected}  # row + slots (hot accounts)
        assert {pk: cached.get(pk, 0) for pk in expected} == expected
        fresh = {a.pk: a for a in Account.objects.filter(pk__in=self.by_pk)}
        assert {pk: (a.status, a.overdraft_limit_minor) for pk, a in fresh.items()} == {
            m.pk: (m.status, m.overdraft) for m in self.accounts
        }
        # Through the ledger's own reads, for the accounts the last step touched (all of them would be slow).
        for pk in sorted(self.touched):
            balance = selectors.balance_get(account=fresh[pk])
            assert (balance.ledger_minor, selectors.postings_sum(account=fresh[pk]), balance.held_minor) == (
                self.balance[pk],
                self.balance[pk],
                self._held(pk),
            ), self.by_pk[pk]
            assert balance.available_minor >= 0, self.by_pk[pk]
        self.touched.clear()
        open_holds = sorted(
            Hold.objects.filter(account_id__in=self.by_pk, status="AUTHORIZED").values_list("public_id", "amount_minor")
        )
        assert open_holds == sorted((h.public_id, h.amount) for h in self.holds if h.status == "AUTHORIZED")
        statuses = dict(
            Hold.objects.filter(public_id__in=[h.public_id for h in self.holds]).values_list("public_id", "status")
        )
        assert statuses == {h.public_id: h.status for h in self.holds}


def test_ledger_matches_its_model_under_random_operations(on_postgresql):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            phases=PHASES,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
