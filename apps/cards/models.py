"""Payment cards issued on an account, and the authorisations the issuer host answered for them.

A card's PAN is never stored in clear: it is encrypted at rest (bound to the card's row), searchable only through
its blind index, and shown as a token, the scheme, the BIN and the last four digits (what PCI DSS lets a
back office display).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.ids import new_public_id
from apps.security.fields import BlindIndexField, EncryptedTextField


class CardScheme(models.TextChoices):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"


class CardStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    BLOCKED = "BLOCKED"
    LOST = "LOST"
    EXPIRED = "EXPIRED"


# Which status changes are allowed: LOST and EXPIRED are final (a lost card is replaced, not found again).
CARD_TRANSITIONS: dict[str, frozenset[str]] = {
    CardStatus.ACTIVE: frozenset({CardStatus.BLOCKED, CardStatus.LOST, CardStatus.EXPIRED}),
    CardStatus.BLOCKED: frozenset({CardStatus.ACTIVE, CardStatus.LOST, CardStatus.EXPIRED}),
    CardStatus.LOST: frozenset(),
    CardStatus.EXPIRED: frozenset(),
}


def _card_public_id() -> str:
    return new_public_id("card")


def _card_token() -> str:
    return new_public_id("tok")


class Card(models.Model):
    public_id = models.CharField(max_length=32, unique=True, default=_card_public_id, editable=False)
    # The token stands for the PAN everywhere outside the issuer host; it is random, not derived from the PAN.
    token = models.CharField(max_length=32, unique=True, default=_card_token, editable=False)
    account = models.ForeignKey("accounts.Account", on_delete=models.PROTECT, related_name="cards")
    pan = EncryptedTextField(bind_to="public_id")
    pan_bidx = BlindIndexField(source="pan")
    bin = models.CharField(max_length=6)
    last_four = models.CharField(max_length=4)
    pan_length = models.PositiveSmallIntegerField()
    scheme = models.CharField(max_length=12, choices=CardScheme.choices)
    expiry_year = models.PositiveSmallIntegerField()
    expiry_month = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=8, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    currency = models.CharField(max_length=3)
    per_transaction_limit_minor = models.BigIntegerField()
    daily_limit_minor = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(status__in=[s.value for s in CardStatus]), name="card_status_valid"),
            models.CheckConstraint(condition=Q(scheme__in=[s.value for s in CardScheme]), name="card_scheme_valid"),
            models.CheckConstraint(condition=Q(expiry_month__gte=1, expiry_month__lte=12), name="card_expiry_month"),
            models.CheckConstraint(condition=Q(per_transaction_limit_minor__gt=0), name="card_tx_limit_positive"),
            models.CheckConstraint(
                condition=Q(daily_limit_minor__gte=models.F("per_transaction_limit_minor")),
                name="card_daily_limit_covers_one_transaction",
            ),
            # One card record per PAN, held by the database on the blind index (the PAN itself is ciphertext).
            models.UniqueConstraint(fields=["pan_bidx"], name="card_one_record_per_pan"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.scheme} ****{self.last_four}"

    @property
    def masked_pan(self) -> str:
        return f"{self.bin}{'*' * (self.pan_length - 10)}{self.last_four}"

    @property
    def expiry(self) -> str:
        """YYMM, as in ISO 8583 DE14."""
        return f"{self.expiry_year % 100:02d}{self.expiry_month:02d}"


class AuthorisationStatus(models.TextChoices):
    APPROVED = "APPROVED"  # hold placed, waiting for clearing
    DECLINED = "DECLINED"  # answered with a refusal code: nothing moved
    REVERSED = "REVERSED"  # 0400/0420: hold voided (a partial reversal, DE95, keeps it APPROVED with less held)
    CLEARED = "CLEARED"  # 0220 advice or clearing file: hold captured (possibly for less)
    EXPIRED = "EXPIRED"  # never cleared: the hold lapsed and the funds are available again


OPEN_STATUSES = frozenset({AuthorisationStatus.APPROVED})


def _authorisation_public_id() -> str:
    return new_public_id("auth")


class Authorisation(models.Model):
    """One 0100 the host answered, approved or not; ``network_key`` makes a duplicate find the first answer."""

    public_id = models.CharField(max_length=32, unique=True, default=_authorisation_public_id, editable=False)
    network_key = models.CharField(max_length=64, unique=True, help_text="acquirer, terminal, STAN and RRN of the 0100")
    request_fingerprint = models.CharField(max_length=64, help_text="keyed hash of PAN, processing code, amount")
    card = models.ForeignKey(Card, on_delete=models.PROTECT, null=True, blank=True, related_name="authorisations")
    status = models.CharField(max_length=8, choices=AuthorisationStatus.choices)
    response_code = models.CharField(max_length=2)
    decline_reason = models.CharField(max_length=200, blank=True)
    auth_code = models.CharField(max_length=6, blank=True)
    stan = models.CharField(max_length=6)
    rrn = models.CharField(max_length=12)
    transmission_datetime = models.CharField(max_length=10)
    terminal_id = models.CharField(max_length=8)
    merchant_id = models.CharField(max_length=15, blank=True)
    merchant_category = models.CharField(max_length=4, blank=True)
    acquirer_id = models.CharField(max_length=11, blank=True)
    processing_code = models.CharField(max_length=6)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    hold_id = models.CharField(max_length=32, blank=True, help_text="ledger hold (public id) of an approval")
    reversed_minor = models.BigIntegerField(
        default=0, help_text="released by partial reversals (DE95): the hold keeps amount_minor - reversed_minor"
    )
    cleared_minor = models.BigIntegerField(default=0)
    capture_transaction_id = models.CharField(max_length=32, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AuthorisationStatus]), name="authorisation_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="authorisation_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(cleared_minor__gte=0) & Q(cleared_minor__lte=models.F("amount_minor")),
                name="authorisation_cleared_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="APPROVED") | (Q(response_code="00") & ~Q(hold_id="")),
                name="authorisation_approved_has_hold",
            ),
        ]
        indexes = [
            models.Index(fields=["card", "created_at"]),
            models.Index(fields=["rrn"]),
            models.Index(fields=["status", "expires_at"]),
            # Fraud scoring reads a terminal's authorisations of the look-back (apps.fraud.selectors.histories).
            models.Index(fields=["merchant_id", "terminal_id", "created_at"], name="cards_auth_terminal_time"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.status} {self.response_code}"


#: The one card switch the host is connected to today; a row per network leaves room for more than one.
SWITCH_NETWORK = "switch"


class NetworkSession(models.Model):
    """Whether a card network is signed on (0800 DE70 001) or off (002), as every host process sees it.

    A database row, not process memory or Redis: several ``run_card_host`` processes serve one switch, the sign-off
    may reach any of them, and the change must commit with its audit record (a Redis key cannot join that
    transaction, nor survive a flush). No row means signed on: a host that never saw a sign-off serves.
    """

    network = models.CharField(max_length=32, unique=True)
    signed_on = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by_stan = models.CharField(max_length=6, blank=True, help_text="DE11 of the 0800 that changed it")

    def __str__(self) -> str:
        return f"{self.network} {'signed on' if self.signed_on else 'signed off'}"
