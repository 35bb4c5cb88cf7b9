"""Reads of the inbound app, and who an inbound payment is for. Never write, never lock."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from rapidfuzz import fuzz, utils
from schwifty import IBAN

from apps.accounts.models import Account, AccountStatus
from apps.payments.selectors import account_alias_resolve

from .errors import ExceptionItemNotFound, InboundPaymentNotFound
from .models import ExceptionItem, ExceptionReason, InboundPayment, PaymentNotice

QENEX_ID_PREFIXES = ("acc_", "acc-")  # a QENEX id; SWIFT and Fedwire carry it with a hyphen


@dataclass(frozen=True)
class Resolution:
    """Who a payment is for: the account (or None), how it was found, and why it cannot be credited (if so)."""

    account: Account | None
    resolved_by: str
    problem: str = ""  # an ExceptionReason, or "" when the account can be credited
    detail: str = ""


def _is_iban(value: str) -> bool:
    try:
        IBAN(value)
    except ValueError:
        return False
    return True


def _ours(agent: str) -> bool:
    """Whether the sender addressed this bank (no agent named: the identifier alone decides, as SEPA allows)."""
    agent = agent.strip().upper()
    if not agent:
        return True
    if agent.isdigit():
        return agent == settings.QENEX_PAYMENTS_BANK_ABA
    return agent[:8] == settings.QENEX_PAYMENTS_BANK_BIC[:8]


def _find_account(identifier: str, agent: str) -> tuple[Account | None, str]:
    identifier = identifier.strip()
    if not identifier:
        return None, ""
    if identifier.startswith(QENEX_ID_PREFIXES):
        account = Account.objects.filter(public_id="acc_" + identifier[4:]).first()
        return account, "qenex id"
    compact = identifier.replace(" ", "").upper()
    if _is_iban(compact):
        public_id = account_alias_resolve(identifier=compact)
        return (Account.objects.filter(public_id=public_id).first() if public_id else None), "iban"
    if not _ours(agent):
        return None, ""
    public_id = account_alias_resolve(identifier=identifier)
    how = "account+routing" if agent.strip().isdigit() else ("bic+account" if agent.strip() else "account")
    return (Account.objects.filter(public_id=public_id).first() if public_id else None), how


def name_similarity(sent: str, held: str) -> float:
    """0..1: how alike the name the sender gave and the account's name are (word order and case ignored)."""
    return fuzz.token_sort_ratio(sent, held, processor=utils.default_process) / 100.0


def resolve_beneficiary(
    *, identifier: str, agent: str, name: str, currency: str, check_name: bool = True
) -> Resolution:
    """Find the account an inbound payment names, and say whether it can take the payment."""
    account, how = _find_account(identifier, agent)
    if account is None or account.is_internal:
        where = "" if _ours(agent) else f" (addressed to {agent}, not to us)"
        return Resolution(None, how, ExceptionReason.UNKNOWN_BENEFICIARY, f"no account for {how or 'it'}{where}")
    if account.status != AccountStatus.ACTIVE:
        return Resolution(account, how, ExceptionReason.ACCOUNT_NOT_ACTIVE, f"account is {account.status}")
    if account.currency != currency:
        return Resolution(account, how, ExceptionReason.CURRENCY_MISMATCH, f"account is in {account.currency}")
    threshold = settings.QENEX_INBOUND_NAME_MATCH_MIN
    if check_name and name and account.name and threshold > 0:
        score = name_similarity(name, account.name)
        if score < threshold:
            return Resolution(
                account, how, ExceptionReason.NAME_MISMATCH, f"name similarity {score:.2f} < {threshold:.2f}"
            )
    return Resolution(account, how)


def inbound_get(*, public_id: str) -> InboundPayment:
    try:
        return InboundPayment.objects.select_related("account").get(public_id=public_id)
    except InboundPayment.DoesNotExist:
        raise InboundPaymentNotFound(f"no inbound payment {public_id}", field="inbound") from None


def inbound_by_network_id(*, rail: str, network_id: str) -> InboundPayment | None:
    return InboundPayment.objects.filter(rail=rail, network_id=network_id).first()


def inbound_list(*, status: str | None = None, rail: str | None = None) -> QuerySet[InboundPayment]:
    qs = InboundPayment.objects.select_related("account")
    if status:
        qs = qs.filter(status=status)
    if rail:
        qs = qs.filter(rail=rail)
    return qs


def exception_get(*, public_id: str) -> ExceptionItem:
    try:
        return ExceptionItem.objects.select_related("inbound", "suggested_account", "resolved_account").get(
            public_id=public_id
        )
    except ExceptionItem.DoesNotExist:
        raise ExceptionItemNotFound(f"no exception item {public_id}", field="exception") from None


def exception_list(
    *, status: str | None = None, rail: str | None = None, reason: str | None = None
) -> QuerySet[ExceptionItem]:
    qs = ExceptionItem.objects.select_related("inbound", "suggested_account", "resolved_account")
    if status:
        qs = qs.filter(status=status)
    if rail:
        qs = qs.filter(inbound__rail=rail)
    if reason:
        qs = qs.filter(reason_code=reason)
    return qs


def exceptions_due(*, today) -> QuerySet[ExceptionItem]:
    """Open exception items whose return deadline is today or past: beat sends them back."""
    return ExceptionItem.objects.filter(status="OPEN", return_by__lte=today).order_by("return_by", "id")


def returns_pending() -> QuerySet[InboundPayment]:
    return InboundPayment.objects.filter(return_status="PENDING").order_by("id")


def notice_by_network_id(*, rail: str, network_id: str) -> PaymentNotice | None:
    return PaymentNotice.objects.filter(rail=rail, network_id=network_id).first()


# --- data-subject rights (apps.privacy calls these) -------------------------------------------------------------
def inbound_of_subject(*, subject_id: str) -> QuerySet[InboundPayment]:
    """Inbound payments to or from the customer's accounts: credited or debited, or parked with their account as
    the one meant (an exception item's suggested or resolved account)."""
    return InboundPayment.objects.filter(
        Q(account__owner_id=subject_id)
        | Q(exception__suggested_account__owner_id=subject_id)
        | Q(exception__resolved_account__owner_id=subject_id)
    ).distinct()


def subject_inbound_rows(*, subject_id: str) -> list[dict]:
    """The payments the customer received (or that debited them), as a subject-access export shows them."""
    return [
        {
            "id": p.public_id,
            "rail": p.rail,
            "direction": p.direction,
            "status": p.status,
            "amount_minor": p.amount_minor,
            "currency": p.currency,
            "value_date": p.value_date.isoformat() if p.value_date else None,
            "debtor_name": p.debtor_name,
            "debtor_account": p.debtor_account,
            "creditor_name": p.creditor_name,
            "creditor_account": p.creditor_account,
            "remittance_info": p.remittance_info,
            "account": p.account.public_id if p.account else None,
            "received_at": p.received_at.isoformat(),
        }
        for p in inbound_of_subject(subject_id=subject_id).select_related("account").order_by("id")
    ]
