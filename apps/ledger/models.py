"""The double-entry ledger: journal entries, their postings, cached balances, holds and FX rates.

Sign convention: a posting's ``amount_minor`` is positive when it credits the account (a customer's
balance goes up) and negative when it debits it. The postings of an entry sum to zero per currency,
so the balances of all accounts in one currency always sum to zero. Entries and postings are
append-only; a mistake is corrected by a REVERSAL entry. PostgreSQL enforces both rules
(see migration 0002).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import AccountType
from apps.core.ids import new_public_id


class EntryType(models.TextChoices):
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    TRANSFER = "TRANSFER"
    FEE = "FEE"
    REVERSAL = "REVERSAL"
    HOLD_CAPTURE = "HOLD_CAPTURE"


# The bank's own account on the other side of each single-account posting. The posting services post against it
# and the four-eyes rule (apps.ledger.movements) weighs it, so both read this one table.
BANK_COUNTER_ACCOUNT: dict[str, str] = {
    EntryType.DEPOSIT: AccountType.CASH,
    EntryType.WITHDRAWAL: AccountType.CASH,
    EntryType.FEE: AccountType.FEE_INCOME,
}


def _entry_public_id() -> str:
    return new_public_id("txn")


def _hold_public_id() -> str:
    return new_public_id("hld")


class JournalEntry(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_entry_public_id, editable=False)
    entry_type = models.CharField(max_length=16, choices=EntryType.choices)
    # What the entry did, in the caller's terms (the principal leg); the postings are the truth.
    from_account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=280, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    posted_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "journal entries"
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="entry_amount_positive"),
            models.CheckConstraint(condition=Q(entry_type__in=[t.value for t in EntryType]), name="entry_type_valid"),
        ]
        # The four-eyes velocity rule sums what one maker posted recently (apps.ledger.selectors.actor_volumes).
        indexes = [models.Index(fields=["actor", "posted_at"], name="entry_actor_posted_at")]

    def __str__(self) -> str:
        return f"{self.public_id} {self.entry_type}"


class Posting(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="postings")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(help_text="Positive credits the account, negative debits it")
    # Null on a high-volume account (see AccountBalance.hot_slots): its postings commit in parallel, so no posting
    # knows the balance "after" it; its statement computes running balances instead.
    balance_after_minor = models.BigIntegerField(
        null=True, blank=True, help_text="The account's ledger balance after this posting (null on a hot account)"
    )
    posted_at = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount_minor=0), name="posting_amount_nonzero")]
        indexes = [models.Index(fields=["account", "id"]), models.Index(fields=["account", "posted_at"])]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_minor:+d} {self.currency}"


class AccountBalance(models.Model):
    """Cached ledger balance of one account: ``ledger_minor`` plus its balance slots equals the sum of its postings.

    A high-volume account (``hot_slots`` > 0: the bank's cash, settlement, nostro or fee-income accounts) takes
    its postings in one of ``hot_slots`` BalanceSlot rows chosen at random, so concurrent postings do not queue
    on one row lock; its balance is ``ledger_minor`` + the sum of its slots. Only the bank's own accounts can be
    hot: they carry no limit, so no posting needs their exact balance before it commits.
    """

    account = models.OneToOneField("accounts.Account", on_delete=models.PROTECT, primary_key=True, related_name="+")
    currency = models.CharField(max_length=3)
    ledger_minor = models.BigIntegerField(default=0)
    hot_slots = models.PositiveSmallIntegerField(
        default=0, db_default=0, help_text="0: an ordinary account; N: postings spread"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.account_id}: {self.ledger_minor} {self.currency}"


class BalanceSlot(models.Model):
    """One part of a hot account's cached balance. Rows are never deleted, so a balance is always the full sum."""

    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    slot = models.PositiveSmallIntegerField()
    ledger_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "slot"], name="balance_slot_unique")]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.slot}: {self.ledger_minor}"


class HoldStatus(models.TextChoices):
    AUTHORIZED = "AUTHORIZED"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"
    EXPIRED = "EXPIRED"


class Hold(models.Model):
    """Funds reserved on an account (card authorisation, payment in flight) until captured, voided or expired."""

    public_id = models.CharField(max_length=32, unique=True, default=_hold_public_id, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="holds")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    captured_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=HoldStatus.choices, default=HoldStatus.AUTHORIZED)
    description = models.CharField(max_length=280, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    capture_entry = models.OneToOneField(
        JournalEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="captured_hold"
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_minor__gte=0) & Q(captured_minor__lte=models.F("amount_minor")),
                name="hold_captured_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["account", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.public_id} {self.status}"


class FxRate(models.Model):
    """One unit of ``base_currency`` buys ``rate`` units of ``quote_currency`` from ``valid_from`` on."""

    base_currency = models.CharField(max_length=3)
    quote_currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=28, decimal_places=12)
    valid_from = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=~Q(base_currency=models.F("quote_currency")), name="fx_distinct_pair"),
        ]
        indexes = [models.Index(fields=["base_currency", "quote_currency", "-valid_from"])]

    def __str__(self) -> str:
        return f"1 {self.base_currency} = {self.rate} {self.quote_currency} from {self.valid_from:%Y-%m-%d %H:%M}"


class PeriodGranularity(models.TextChoices):
    DAY = "DAY"
    MONTH = "MONTH"


class PeriodClose(models.Model):
    """A closed accounting period [period_start, period_end): its trial balance is frozen below.

    From the moment a close commits, PostgreSQL refuses every posting and entry dated before the latest
    ``period_end`` (trigger of migration 0004), so the frozen figures stay true. See apps.ledger.closing.
    """

    granularity = models.CharField(max_length=5, choices=PeriodGranularity.choices)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.CharField(max_length=150, blank=True)
    accounts = models.IntegerField(help_text="Accounts with a closing balance stored")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["granularity", "period_start"], name="one_close_per_period"),
            models.CheckConstraint(condition=Q(period_start__lt=models.F("period_end")), name="period_close_order"),
        ]

    def __str__(self) -> str:
        return f"{self.granularity} {self.period_start:%Y-%m-%d} .. {self.period_end:%Y-%m-%d}"


class PeriodCloseCurrency(models.Model):
    """The trial balance of one currency at a close: debit balances and credit balances, which must be equal."""

    period_close = models.ForeignKey(PeriodClose, on_delete=models.PROTECT, related_name="currencies")
    currency = models.CharField(max_length=3)
    debit_minor = models.BigIntegerField(help_text="Sum of the negative closing balances, as a positive number")
    credit_minor = models.BigIntegerField(help_text="Sum of the positive closing balances")
    accounts = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period_close", "currency"], name="one_trial_balance_per_currency"),
            models.CheckConstraint(condition=Q(debit_minor=models.F("credit_minor")), name="trial_balance_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.debit_minor}/{self.credit_minor}"


class PeriodCloseBalance(models.Model):
    """One account's ledger balance at a period end (postings dated before it)."""

    period_close = models.ForeignKey(PeriodClose, on_delete=models.PROTECT, related_name="balances")
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    closing_minor = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period_close", "account"], name="one_closing_balance_per_account")
        ]
        indexes = [models.Index(fields=["account", "period_close"], name="closing_balance_account")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.closing_minor} {self.currency}"
