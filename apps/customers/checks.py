"""KYC in the gateway's check registry, and customers as compliance's screening subjects.

- ``account_opening``: with ``kyc_required`` on, an account opens only for a customer whose KYC is verified
  (``kyc_not_verified`` otherwise, ``unknown_customer`` for an owner id that is no customer); a customer with an
  open or confirmed screening hit gets none either way (``sanctions_hit``).
- ``posting``: with ``kyc_required`` on, a customer whose KYC is not verified (pending, lapsed, rejected) may move
  at most ``QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR`` per posting (``kyc_not_verified`` beyond). Owners that are
  no customer (the bank's own accounts, accounts opened before customers existed) pass: the check has nothing
  to say. It costs one query, only when ``kyc_required`` is on.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings

from apps.compliance import subjects
from apps.compliance.alert_models import SubjectType
from apps.core import checks

from .models import KycStatus, SanctionsStatus

NAME = "customers.kyc"
STOPPED = (SanctionsStatus.POTENTIAL_MATCH, SanctionsStatus.CONFIRMED)


def kyc_required() -> bool:
    return bool(settings.QENEX["compliance"]["kyc_required"])


def opening_check(subject) -> checks.CheckResult:
    from .selectors import kyc_states

    state = kyc_states(public_ids=[subject.owner_id]).get(subject.owner_id)
    if state is None:
        if kyc_required():
            return checks.CheckResult.reject(
                f"owner {subject.owner_id} is not a customer: create and verify the customer first",
                code="unknown_customer",
            )
        return checks.CheckResult.passed()
    kyc, sanctions = state
    if sanctions in STOPPED:
        return checks.CheckResult.reject(f"the customer's sanctions screening is {sanctions}", code="sanctions_hit")
    if kyc_required() and kyc != KycStatus.VERIFIED:
        return checks.CheckResult.reject(f"the customer's KYC is {kyc}, not verified", code="kyc_not_verified")
    return checks.CheckResult.passed()


def _posting_verdict(unverified: list[str], limit: int) -> checks.CheckResult:
    if unverified:
        return checks.CheckResult.reject(
            f"KYC not verified for {', '.join(unverified)}: at most {limit} minor units per posting",
            code="kyc_not_verified",
            customers=unverified,
        )
    return checks.CheckResult.passed()


def _over_limit(subject) -> bool:
    return kyc_required() and getattr(subject, "amount_minor", 0) > settings.QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR


def posting_check(subject) -> checks.CheckResult:
    if not _over_limit(subject):
        return checks.CheckResult.passed()
    from .selectors import unverified_owners_of_accounts

    unverified = unverified_owners_of_accounts(
        accounts=[a for a in (subject.debit_account, subject.credit_account) if a]
    )
    return _posting_verdict(unverified, settings.QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR)


def posting_check_many(subjects_: list) -> list[checks.CheckResult]:
    """The posting check for a batch: one query for the owners of every entry over the limit."""
    over = [_over_limit(subject) for subject in subjects_]
    if not any(over):
        return [checks.CheckResult.passed() for _ in subjects_]
    from .selectors import kyc_states

    owners = [set(subject.owner_ids.values()) if o else set() for subject, o in zip(subjects_, over, strict=True)]
    states = kyc_states(public_ids=sorted(set().union(*owners)))
    unverified = {owner for owner, (kyc, _sanctions) in states.items() if kyc != KycStatus.VERIFIED}
    limit = settings.QENEX_KYC_UNVERIFIED_POSTING_LIMIT_MINOR
    return [_posting_verdict(sorted(mine & unverified), limit) for mine in owners]


def _screening_subjects() -> Iterator[subjects.ScreeningSubject]:
    from .selectors import customers_for_screening
    from .services import screening_parties

    for customer in customers_for_screening().iterator(chunk_size=500):
        yield subjects.ScreeningSubject(
            subject_id=customer.public_id, parties=screening_parties(customer), owner_id=customer.public_id
        )


def _count() -> int:
    from .selectors import customers_for_screening

    return customers_for_screening().count()


def _alerts_changed(customer_id: str) -> None:
    from .services import customer_sanctions_refresh

    customer_sanctions_refresh(public_id=customer_id)


def _accounts(customer_id: str) -> list[str]:
    from apps.accounts.selectors import account_list

    return list(account_list(owner_id=customer_id).values_list("public_id", flat=True))


def register() -> None:
    checks.register("account_opening", NAME, opening_check)
    checks.register("posting", NAME, posting_check, many=posting_check_many)
    subjects.register(
        SubjectType.CUSTOMER,
        subjects.SubjectHandler(
            parties=_screening_subjects, count=_count, alerts_changed=_alerts_changed, accounts=_accounts
        ),
    )
