"""Sanctions screening in the gateway's check registry: payments, inbound payments and postings.

- ``payment`` (outbound, inside the order's transaction, must not write): both parties are screened with the
  officers' allow and block lists applied; a hit holds the payment (HELD) and its alerts are recorded after the
  payment commits. A payment debiting a customer who has an unresolved or confirmed hit is held too.
- ``inbound_payment``: the same screening of both parties; a hit holds the inbound payment.
- ``posting``: a deposit, withdrawal or transfer of a customer with an open or confirmed hit is refused
  (``sanctions_hit``). It costs one query (the accounts' owners as a subquery); a batch of postings one for the batch.

The hold reason names the list entries and scores, never the screened names (PII: the reason is stored in the
payment's history in clear).
"""

from __future__ import annotations

from apps.core import checks
from apps.core.db import on_commit_robust

from . import subjects
from .alert_models import PartyRole, SubjectType
from .alert_selectors import customers_of_accounts_with_stopping_hits, customers_with_stopping_hits
from .party_screening import Party, PartyHit, screen_party

NAME = "compliance.sanctions"
CODE = "sanctions_hit"


def _parties(subject) -> list[Party]:
    return [
        Party(PartyRole.DEBTOR, subject.debtor_name or "", subject.debtor_country or ""),
        Party(PartyRole.CREDITOR, subject.creditor_name or "", subject.creditor_country or ""),
    ]


def _screen(parties: list[Party]) -> list[tuple[Party, PartyHit]]:
    return [(party, hit) for party in parties if party.name for hit in screen_party(party)]


def _reason(found: list[tuple[Party, PartyHit]]) -> str:
    best: dict[str, PartyHit] = {}
    for party, hit in found:
        best.setdefault(party.role, hit)  # hits come best first
    return "sanctions screening: " + "; ".join(
        f"{role} ~ {hit.list} {hit.entry_id} (score {hit.score:.2f})" for role, hit in best.items()
    )


def _record_after_commit(subject_type: str, subject_id: str, found, owner_id: str, account: str) -> None:
    from .alerts import subject_alerts_record

    # robust: the payment is HELD with its reason whatever happens here; a failed alert write is logged.
    on_commit_robust(
        subject_alerts_record,
        subject_type=subject_type,
        subject_id=subject_id,
        found=found,
        owner_id=owner_id,
        account=account,
    )


def sanctions_check(payment) -> checks.CheckResult:
    found = _screen(_parties(payment))
    account = payment.debtor_account
    if found:
        _record_after_commit(SubjectType.PAYMENT, payment.public_id, found, account.owner_id, account.public_id)
        return checks.CheckResult.hold(
            _reason(found), code=CODE, hits=[(p.role, h.list, h.entry_id, h.score) for p, h in found]
        )
    if customers_with_stopping_hits(owner_ids=[account.owner_id]):
        return checks.CheckResult.hold("the paying customer has an unresolved or confirmed screening hit", code=CODE)
    return checks.CheckResult.passed()


def inbound_sanctions_check(inbound) -> checks.CheckResult:
    found = _screen(_parties(inbound))
    if found:
        owner_id = ""
        if getattr(inbound, "credit_account", None):
            from apps.ledger.selectors import account_owner_ids

            owner_id = account_owner_ids(public_ids=[inbound.credit_account]).get(inbound.credit_account, "")
        _record_after_commit(
            SubjectType.INBOUND_PAYMENT,
            str(inbound.message_id),
            found,
            owner_id,
            getattr(inbound, "credit_account", None) or "",
        )
        return checks.CheckResult.hold(
            _reason(found), code=CODE, hits=[(p.role, h.list, h.entry_id, h.score) for p, h in found]
        )
    return checks.CheckResult.passed()


def _posting_verdict(stopped: set[str]) -> checks.CheckResult:
    if stopped:
        return checks.CheckResult.reject(
            "the customer has an unresolved or confirmed sanctions screening hit", code=CODE, customers=sorted(stopped)
        )
    return checks.CheckResult.passed()


def _posting_accounts(subject) -> list[str]:
    return [a for a in (getattr(subject, "debit_account", None), getattr(subject, "credit_account", None)) if a]


def sanctions_posting_check(subject) -> checks.CheckResult:
    return _posting_verdict(customers_of_accounts_with_stopping_hits(accounts=_posting_accounts(subject)))


def sanctions_posting_check_many(subjects_: list) -> list[checks.CheckResult]:
    """The posting check for a batch: one query for every owner the batch touches (``owner_ids`` is known)."""
    owners = [set(subject.owner_ids.values()) for subject in subjects_]
    stopped = customers_with_stopping_hits(owner_ids=sorted(set().union(*owners)))
    return [_posting_verdict(stopped & mine) for mine in owners]


# --- held payments as screening subjects (a rescreen after a list load reaches them) --------------------------


def _held_payments():
    from apps.payments.selectors import payment_list
    from apps.payments.states import PaymentStatus

    return payment_list(status=PaymentStatus.HELD).order_by("pk")


def _held_payment_subjects():
    for payment in _held_payments().iterator(chunk_size=500):
        yield subjects.ScreeningSubject(
            subject_id=payment.public_id,
            parties=_parties(payment),
            owner_id=payment.debtor_account.owner_id,
            account=payment.debtor_account.public_id,
        )


def _payment_accounts(payment_id: str) -> list[str]:
    from apps.payments.selectors import payment_get

    return [payment_get(public_id=payment_id).debtor_account.public_id]


def register() -> None:
    checks.register("payment", NAME, sanctions_check)
    checks.register("inbound_payment", NAME, inbound_sanctions_check)
    checks.register("posting", NAME, sanctions_posting_check, many=sanctions_posting_check_many)
    subjects.register(
        SubjectType.PAYMENT,
        subjects.SubjectHandler(
            parties=_held_payment_subjects,
            count=lambda: _held_payments().count(),
            alerts_changed=lambda subject_id: None,  # the decision itself releases or rejects the payment
            accounts=_payment_accounts,
        ),
    )
