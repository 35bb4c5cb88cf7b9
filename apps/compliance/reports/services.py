"""Writes of regulatory reports: CTR per customer and business day, SAR from a case, FBAR; review, approval, filing.

A report is generated as a DRAFT holding its FinCEN batch XML (validated against the official schema before it is
stored) and the figures it states. An officer reviews it, a second officer approves it (never the reviewer: four
eyes), and once submitted it is marked FILED with FinCEN's BSA id. Each step is one durable transaction that locks
the report row and writes one audit record last. With ``compliance.reporting_enabled`` false nothing is generated
automatically (the daily CTR task does nothing); officers can still draft reports by hand.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.errors import Conflict, DomainError, InvalidInput, NotFound
from apps.core.money import from_minor_units

from ..aml_models import AmlCase, AmlReport, ReportStatus, ReportType
from ..monitoring import movements as mv
from ..parties import Party, party_for_owner
from . import fbar, fincen, usd

logger = logging.getLogger("qenex.compliance.reports")
CTR_CURRENCY = "USD"  # FinCEN reports US dollars; other currencies are converted at the day's rate (reports.usd)


class ReportNotFound(NotFound):
    code = "report_not_found"


class ReportWrongStatus(Conflict):
    code = "report_wrong_status"


class SameOfficerRefused(DomainError):
    """Four eyes: the officer who reviewed (or drafted) a report cannot also approve it."""

    code = "same_officer_refused"
    http_status = 403


class ReportInvalid(DomainError):
    code = "report_schema_invalid"
    http_status = 422


def reporting_enabled() -> bool:
    return bool(settings.QENEX["compliance"].get("reporting_enabled", True))


def filer() -> fincen.Filer:
    """The reporting institution, from ``QENEX_FINCEN_FILER`` (a dict of ``fincen.Filer`` fields) when set."""
    return fincen.Filer(**getattr(settings, "QENEX_FINCEN_FILER", {}))


def subject_of(party: Party, accounts: list[str] | None = None) -> fincen.Subject:
    tin_types = {"SSN/ITIN": "1", "SSN": "1", "ITIN": "1", "EIN": "2", "foreign": "9"}
    return fincen.Subject(
        last_name=party.last_name or party.name or party.owner_id,
        first_name=party.first_name,
        is_entity=party.is_entity,
        tin=party.tin,
        tin_type=tin_types.get(party.tin_type, ""),
        date_of_birth=party.date_of_birth,
        street=party.street,
        city=party.city,
        state=party.state,
        zip_code=party.zip_code,
        country=party.country,
        occupation=party.occupation,
        accounts=accounts if accounts is not None else [a.public_id for a in party.accounts],
    )


def _store(**fields: Any) -> AmlReport:
    xml: bytes = fields.pop("xml")
    return AmlReport.objects.create(xml=xml.decode(), xml_sha256=hashlib.sha256(xml).hexdigest(), **fields)


def _audit(report: AmlReport, action: str, actor: str, before: dict | None = None, **after: Any) -> None:
    audit_record(
        action=action,
        object_type="aml_report",
        object_id=report.public_id,
        before=before,
        after={
            "type": report.report_type,
            "status": report.status,
            "owner_id": report.owner_id,
            "xml_sha256": report.xml_sha256,
            **after,
        },
        actor=actor,
    )


# --- CTR -------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CashDay:
    owner_id: str
    business_day: date
    cash_in_minor: int  # US cents: every currency's cash converted at the day's rate (``usd``)
    cash_out_minor: int
    in_accounts: list[str]
    out_accounts: list[str]
    transactions: list[str]
    # Per currency, what was counted: {"EUR": {"in": "6000.00", "out": "0.00", "usd_in": "6510.00", ...,
    # "rate": "EUR/USD 1.085 from ..."}}; left out when all of it was USD.
    by_currency: dict[str, dict[str, str]] = field(default_factory=dict)
    unconverted: list[str] = field(default_factory=list)  # currencies with no USD rate that day: not counted


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _cash_day(owner_id: str, day: date, moves: list[mv.Movement], rates: dict, threshold: int) -> CashDay | None:
    """One customer's cash of the day in US cents (``usd.cash_totals_usd``, the monitoring rule's too), if over."""
    totals = usd.cash_totals_usd(moves, rates)
    usd_totals = totals.usd_minor
    over = {d: usd_totals[d] > threshold for d in ("in", "out")}
    if not any(over.values()):
        return None
    counted = [m for m in moves if over[m.direction] and m.currency in rates]
    return CashDay(
        owner_id=owner_id,
        business_day=day,
        cash_in_minor=usd_totals["in"] if over["in"] else 0,
        cash_out_minor=usd_totals["out"] if over["out"] else 0,
        in_accounts=sorted({m.account for m in counted if m.direction == "in"}),
        out_accounts=sorted({m.account for m in counted if m.direction == "out"}),
        transactions=[m.transaction for m in counted],
        by_currency=totals.by_currency,
        unconverted=sorted({currency for currency, _ in totals.unconverted}),
    )


def cash_days_over_threshold(*, day: date) -> list[CashDay]:
    """Customers whose cash in, or cash out, on ``day`` (all their accounts, every currency converted to USD at the
    ledger's rate of the day, ``reports.usd``) is more than ``compliance.aml_threshold`` US dollars.

    Cash in a currency the ledger has no USD rate for that day cannot be counted: it is logged as an error and
    listed in the CTR's figures (``unconverted``); publish the rate and draft again (``ctrs_generate(day=...)``).
    """
    from apps.core.money import to_minor_units

    threshold = to_minor_units(settings.QENEX["compliance"]["aml_threshold"], CTR_CURRENCY, allow_zero=True)
    start, end = _day_bounds(day)
    per_owner: dict[str, list[mv.Movement]] = {}
    for m in mv.movements_posted(since=start, until=end):
        if m.cash:
            per_owner.setdefault(m.owner_id, []).append(m)
    rates, missing = usd.rates_of_day({m.currency for moves in per_owner.values() for m in moves}, day)
    for currency in missing:
        logger.error(
            "CTR %s: no %s/USD rate in force on %s; that cash is not counted toward the threshold", day, currency, day
        )
    found = []
    for owner_id, moves in sorted(per_owner.items()):
        cash = _cash_day(owner_id, day, moves, rates, threshold)
        if cash is not None:
            found.append(cash)
    return found


@transaction.atomic(durable=True)
def _ctr_create(*, cash: CashDay, actor: str) -> AmlReport | None:
    if AmlReport.objects.filter(
        report_type=ReportType.CTR, owner_id=cash.owner_id, business_day=cash.business_day
    ).exists():
        return None
    party = party_for_owner(cash.owner_id)
    cash_in = from_minor_units(cash.cash_in_minor, CTR_CURRENCY)
    cash_out = from_minor_units(cash.cash_out_minor, CTR_CURRENCY)
    xml = fincen.build_ctr(
        filer=filer(),
        subject=subject_of(party),
        business_day=cash.business_day,
        cash_in=cash_in,
        cash_out=cash_out,
        in_accounts=cash.in_accounts,
        out_accounts=cash.out_accounts,
        transactions=len(cash.transactions),
        filing_date=timezone.localdate(),
    )
    try:
        with transaction.atomic():
            report = _store(
                report_type=ReportType.CTR,
                owner_id=cash.owner_id,
                business_day=cash.business_day,
                figures={
                    "currency": CTR_CURRENCY,
                    "cash_in": str(cash_in),
                    "cash_out": str(cash_out),
                    "transactions": cash.transactions,
                    "accounts_in": cash.in_accounts,
                    "accounts_out": cash.out_accounts,
                    "threshold": str(settings.QENEX["compliance"]["aml_threshold"]),
                    "converted": cash.by_currency,
                    "unconverted": cash.unconverted,
                },
                xml=xml,
                created_by=actor,
            )
    except IntegrityError:
        return None  # a concurrent run drafted it
    _audit(
        report,
        "aml.report_generated",
        actor,
        business_day=cash.business_day.isoformat(),
        cash_in=str(cash_in),
        cash_out=str(cash_out),
    )
    return report


def previous_business_day() -> date:
    return timezone.localdate() - timedelta(days=1)


def ctrs_generate(*, day: date | None = None, actor: str = "system", automatic: bool = True) -> list[AmlReport]:
    """Draft a CTR for each customer over the threshold on ``day`` (yesterday by default); skip those drafted.

    ``automatic`` (the beat task) does nothing while ``reporting_enabled`` is false.
    """
    if automatic and not reporting_enabled():
        logger.info("reporting disabled: no CTRs generated")
        return []
    day = day or previous_business_day()
    drafted = []
    for cash in cash_days_over_threshold(day=day):
        report = _ctr_create(cash=cash, actor=actor)
        if report is not None:
            drafted.append(report)
    return drafted


# --- SAR -------------------------------------------------------------------------------------------------------------
def _narrative(case: AmlCase) -> str:
    lines = [
        f"Case {case.public_id} on customer {case.owner_id}, opened {case.created_at:%Y-%m-%d}, "
        f"decision: file SAR. Officer's reason: {case.decision_reason}",
        "Alerts:",
    ]
    for alert in case.alerts.select_related("rule", "rule_version").order_by("raised_at", "id"):
        lines.append(
            f"- {alert.raised_at:%Y-%m-%d %H:%M} {alert.rule.code} (version {alert.rule_version.version}): "
            f"{alert.summary}. Transactions: {', '.join(alert.transactions[:20])}."
        )
    return "\n".join(lines)


def _sar_amount(case: AmlCase) -> tuple[Decimal, date, date]:
    """The USD total of what the case's alerts name, with the first and last day: posted transactions and payments
    (a SAR reports attempted transactions too, e.g. a payment a sanctions match or an AML hold stopped). Other
    currencies count at the ledger's rate of each one's day, a currency's day total converted once (``usd``)."""
    from apps.ledger.models import JournalEntry
    from apps.payments.selectors import payment_list

    ids = {t for alert in case.alerts.all() for t in alert.transactions}
    items = [
        (e.currency, timezone.localdate(e.posted_at), e.amount_minor)
        for e in JournalEntry.objects.filter(public_id__in=ids)
    ]
    items += [
        (p.currency, timezone.localdate(p.created_at), p.amount_minor) for p in payment_list().filter(public_id__in=ids)
    ]
    per_day: dict[tuple[str, date], int] = {}
    for currency, day, minor in items:
        per_day[(currency, day)] = per_day.get((currency, day), 0) + minor
    total_minor = 0
    for (currency, day), minor in sorted(per_day.items()):
        try:
            total_minor += usd.usd_minor(minor, usd.usd_rate_of_day(currency, day))
        except usd.NoUsdRate as missing:
            logger.error("SAR of case %s: %s; that amount is not in the total", case.public_id, missing)
    days = [day for _, day, _ in items] or [timezone.localdate(case.created_at)]
    return from_minor_units(total_minor, usd.USD), min(days), max(days)


def sar_draft_from_case(*, case: AmlCase, actor: str) -> AmlReport:
    """Draft a SAR from a case (inside the case decision's transaction, before its audit record)."""
    party = party_for_owner(case.owner_id)
    total, first, last = _sar_amount(case)
    kinds = sorted(set(case.alerts.values_list("kind", flat=True)))
    xml = fincen.build_sar(
        filer=filer(),
        subject=subject_of(party),
        activity_from=first,
        activity_to=last,
        total_amount=total,
        kinds=kinds,
        narrative=_narrative(case),
        filing_date=timezone.localdate(),
        note=f"QENEX case {case.public_id}",
    )
    return _store(
        report_type=ReportType.SAR,
        owner_id=case.owner_id,
        case=case,
        figures={
            "currency": CTR_CURRENCY,
            "total": str(total),
            "from": first.isoformat(),
            "to": last.isoformat(),
            "alerts": list(case.alerts.values_list("public_id", flat=True)),
            "kinds": kinds,
        },
        xml=xml,
        created_by=actor,
    )


# --- FBAR ------------------------------------------------------------------------------------------------------------
class FbarNotRequired(DomainError):
    code = "fbar_not_required"
    http_status = 422


class FbarExists(Conflict):
    code = "fbar_exists"


def _fbar_existing(owner_id: str, year: int) -> AmlReport | None:
    return (
        AmlReport.objects.filter(report_type=ReportType.FBAR, owner_id=owner_id, year=year)
        .exclude(status=ReportStatus.REJECTED)
        .first()
    )


def _fbar_exists(existing: AmlReport) -> FbarExists:
    return FbarExists(
        f"customer {existing.owner_id} has FBAR {existing.public_id} for {existing.year} ({existing.status}); "
        "reject it to draft another",
        field="owner_id",
    )


def _fbar_refusal(found: fbar.FbarAssessment) -> str | None:
    """Why no FBAR is due (None: one is)."""
    if not found.party.us_person:
        return f"customer {found.party.owner_id} is not a US person (resident, citizen or US entity) on record"
    if not found.foreign_accounts:
        return f"customer {found.party.owner_id} held no account outside the US in {found.year}"
    if not found.required:
        total = from_minor_units(found.aggregate_usd_minor, usd.USD)
        unknown = f"; no USD rate for {', '.join(found.unknown_values)}" if found.unknown_values else ""
        return f"the foreign accounts' maximum values add up to USD {total}, not more than USD 10000.00{unknown}"
    return None


@transaction.atomic(durable=True)
def fbar_generate(*, owner_id: str, year: int, accounts: list[str] | None = None, actor: str) -> AmlReport:
    """Draft the FBAR of a US-person customer whose foreign accounts' aggregate maximum value in ``year`` is more
    than USD 10,000 (``reports.fbar``); it lists every foreign account (or those of ``accounts``) with its maximum
    value in USD. Refused (422 ``fbar_not_required``) when no FBAR is due, and (409 ``fbar_exists``) when the
    customer has one for the year that was not rejected (a resubmitted form drafts nothing twice)."""
    year = int(year)
    if not 1990 <= year <= timezone.localdate().year:
        raise InvalidInput("year must be a past calendar year", field="year")
    existing = _fbar_existing(owner_id, year)
    if existing is not None:
        raise _fbar_exists(existing)
    found = fbar.fbar_assess(owner_id=owner_id, year=year)
    if not found.party.accounts:
        raise InvalidInput(f"customer {owner_id} has no such account to report", field="accounts", code="no_accounts")
    refusal = _fbar_refusal(found)
    if refusal:
        raise FbarNotRequired(refusal, field="owner_id")
    listed = [a for a in found.foreign_accounts if accounts is None or a.public_id in accounts]
    if not listed:
        raise InvalidInput(
            f"none of {accounts} is a foreign account of {owner_id}", field="accounts", code="no_accounts"
        )
    xml = fincen.build_fbar(
        filer=filer(),
        subject=subject_of(found.party, accounts=[a.public_id for a in listed]),
        year=year,
        accounts=[
            fincen.ForeignAccount(
                a.public_id,
                from_minor_units(a.maximum_usd_minor, usd.USD) if a.maximum_usd_minor is not None else None,
                country=a.country,
            )
            for a in listed
        ],
        signature_date=timezone.localdate(),
    )
    try:
        with transaction.atomic():
            report = _fbar_store(owner_id, year, found, listed, xml, actor)
    except IntegrityError:  # a concurrent request drafted it (aml_one_fbar_per_customer_year)
        existing = _fbar_existing(owner_id, year)
        if existing is None:
            raise
        raise _fbar_exists(existing) from None
    _audit(report, "aml.report_generated", actor, year=year, accounts=[a.public_id for a in listed])
    return report


def _fbar_store(owner_id: str, year: int, found: fbar.FbarAssessment, listed: list, xml: bytes, actor: str):
    return _store(
        report_type=ReportType.FBAR,
        owner_id=owner_id,
        year=year,
        figures={
            "year": year,
            "currency": usd.USD,
            "aggregate_usd": str(from_minor_units(found.aggregate_usd_minor, usd.USD)),
            "threshold_usd": str(from_minor_units(fbar.FBAR_THRESHOLD_USD_MINOR, usd.USD)),
            "accounts": {
                a.public_id: {
                    "country": a.country,
                    "currency": a.currency,
                    "maximum": str(from_minor_units(a.maximum_minor, a.currency)),
                    "maximum_usd": str(from_minor_units(a.maximum_usd_minor, usd.USD))
                    if a.maximum_usd_minor is not None
                    else None,
                    "rate": a.rate,
                }
                for a in listed
            },
        },
        xml=xml,
        created_by=actor,
    )


def fbars_generate(*, year: int | None = None, actor: str = "system", automatic: bool = True) -> list[AmlReport]:
    """Draft an FBAR for each customer who must file one for ``year`` (last year by default) and has none yet
    (a rejected one does not count). ``automatic`` (the beat task) does nothing while ``reporting_enabled`` is off."""
    from apps.customers.selectors import customer_list

    if automatic and not reporting_enabled():
        logger.info("reporting disabled: no FBARs generated")
        return []
    year = year or timezone.localdate().year - 1
    drafted = []
    for owner_id in customer_list().order_by("pk").values_list("public_id", flat=True).iterator(chunk_size=500):
        if (
            AmlReport.objects.filter(report_type=ReportType.FBAR, owner_id=owner_id, year=year)
            .exclude(status=ReportStatus.REJECTED)
            .exists()
        ):
            continue
        found = fbar.fbar_assess(owner_id=owner_id, year=year)
        if not found.required:
            continue
        drafted.append(fbar_generate(owner_id=owner_id, year=year, actor=actor))
    return drafted


# --- review, approval, filing ------------------------------------------------------------------------------------
def _lock(public_id: str) -> AmlReport:
    report = AmlReport.objects.select_for_update(no_key=True).filter(public_id=public_id).first()
    if report is None:
        raise ReportNotFound(f"no report {public_id}", field="report")
    return report


def _expect(report: AmlReport, *statuses: str) -> None:
    if report.status not in statuses:
        raise ReportWrongStatus(f"report {report.public_id} is {report.status}", field="report")


@transaction.atomic(durable=True)
def report_review(*, report_id: str, actor: str) -> AmlReport:
    """An officer has read the draft: re-validate its XML and mark it REVIEWED."""
    report = _lock(report_id)
    _expect(report, ReportStatus.DRAFT)
    try:
        fincen.validate(fincen.FORM_OF_REPORT[report.report_type], report.xml.encode())
    except fincen.FincenSchemaError as exc:
        raise ReportInvalid(str(exc), field="xml") from None
    report.status, report.reviewed_by, report.reviewed_at = ReportStatus.REVIEWED, actor, timezone.now()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    _audit(report, "aml.report_reviewed", actor, before={"status": ReportStatus.DRAFT})
    return report


@transaction.atomic(durable=True)
def report_approve(*, report_id: str, actor: str) -> AmlReport:
    """A second officer (not the reviewer, nor the officer who drafted it by hand) approves the reviewed report."""
    report = _lock(report_id)
    _expect(report, ReportStatus.REVIEWED)
    if actor == report.reviewed_by:
        raise SameOfficerRefused("four-eyes: the reviewer of a report cannot approve it", field="report")
    if actor == report.created_by:
        raise SameOfficerRefused("four-eyes: the officer who drafted a report cannot approve it", field="report")
    report.status, report.approved_by, report.approved_at = ReportStatus.APPROVED, actor, timezone.now()
    report.save(update_fields=["status", "approved_by", "approved_at"])
    _audit(
        report, "aml.report_approved", actor, before={"status": ReportStatus.REVIEWED}, reviewed_by=report.reviewed_by
    )
    return report


@transaction.atomic(durable=True)
def report_mark_filed(*, report_id: str, bsa_id: str, actor: str) -> AmlReport:
    """Record that an approved report was submitted, with the BSA id of FinCEN's acknowledgement."""
    bsa_id = (bsa_id or "").strip()
    if not bsa_id.isdigit() or len(bsa_id) > 32:
        raise InvalidInput("bsa_id is the numeric BSA identifier of FinCEN's acknowledgement", field="bsa_id")
    report = _lock(report_id)
    if report.status == ReportStatus.FILED and report.bsa_id == bsa_id:
        return report  # a repeated request
    _expect(report, ReportStatus.APPROVED)
    if AmlReport.objects.filter(bsa_id=bsa_id).exclude(pk=report.pk).exists():
        raise Conflict(f"BSA id {bsa_id} is recorded for another report", field="bsa_id", code="bsa_id_used")
    report.status, report.bsa_id, report.filed_by, report.filed_at = ReportStatus.FILED, bsa_id, actor, timezone.now()
    report.save(update_fields=["status", "bsa_id", "filed_by", "filed_at"])
    _audit(report, "aml.report_filed", actor, before={"status": ReportStatus.APPROVED}, bsa_id=bsa_id)
    return report


@transaction.atomic(durable=True)
def report_reject(*, report_id: str, reason: str, actor: str) -> AmlReport:
    """Decide a draft or reviewed report is not to be filed, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a reason is required", field="reason", code="reason_required")
    report = _lock(report_id)
    _expect(report, ReportStatus.DRAFT, ReportStatus.REVIEWED)
    before = {"status": report.status}
    report.status, report.rejection_reason = ReportStatus.REJECTED, reason[:500]
    report.save(update_fields=["status", "rejection_reason"])
    _audit(report, "aml.report_rejected", actor, before=before)
    return report


# --- custom reports ----------------------------------------------------------------------------------------------
@transaction.atomic(durable=True)
def custom_report_save(*, name: str, source: str, filters: dict, columns: list[str], actor: str):
    """Create or change the saved custom report ``name`` (its definition checked first)."""
    from ..aml_models import CustomReport
    from .custom import check_definition

    name = (name or "").strip()
    if not name:
        raise InvalidInput("a custom report needs a name", field="name", code="missing_field")
    check_definition(source=source, filters=filters, columns=columns)
    report, created = CustomReport.objects.update_or_create(
        name=name, defaults={"source": source, "filters": filters, "columns": columns, "created_by": actor}
    )
    audit_record(
        action="aml.custom_report_saved",
        object_type="aml_custom_report",
        object_id=str(report.pk),
        after={"name": name, "source": source, "filters": filters, "columns": columns, "created": created},
        actor=actor,
    )
    return report
