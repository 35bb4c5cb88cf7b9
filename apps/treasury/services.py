"""FX dealing desk writes: quote a customer, book an accepted quote in the ledger, hedge it with the LP.

Calls to the LP (FIX) happen between short transactions: mark pending, commit, call, re-lock, re-check, finish.
The customer's legs post through the bank's FX_POSITION account in each currency (the ledger's FX legs) at the
quoted rate, as one atomic ledger batch of two same-currency transfers whose idempotency keys derive from the deal
id: booking the same deal again replays, never posts twice. The hedge's ClOrdID is the deal id, so a resend after
a disconnect is the same order to the LP, which never fills a ClOrdID twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import AccountType
from apps.accounts.selectors import account_get
from apps.audit.services import audit_record
from apps.core.errors import DomainError, InvalidInput
from apps.core.idempotency import check_key, ensure_same_request, fingerprint
from apps.core.money import currency_exponent, to_decimal
from apps.events.services import fx_deal_booked_emit
from apps.ledger.services import post_batch
from apps.ledger.services.gl import gl_account

from . import selectors
from .errors import (
    FxLimitExceeded,
    LiquidityUnavailable,
    QuoteAlreadyAccepted,
    QuoteExpired,
    QuoteMoved,
    UnsupportedPair,
)
from .fix.client import LpExecution, LpUnavailable, lp_client
from .models import (
    FxDeal,
    FxDealStatus,
    FxLimit,
    FxLimitKind,
    FxPositionReport,
    FxQuote,
    FxQuoteStatus,
    FxSettlement,
    FxSettlementStatus,
    FxSide,
)
from .pricing import customer_rate, deal_amounts, major


def _lp_price(pair: str):
    try:
        return lp_client().quote(pair)
    except LpUnavailable as exc:
        raise LiquidityUnavailable(f"the liquidity provider is unavailable: {exc}") from None


def _quote_audit(quote: FxQuote) -> dict:
    return {
        "pair": quote.pair,
        "side": quote.side,
        "rate": format(quote.rate, "f"),
        "lp_rate": format(quote.lp_rate, "f"),
        "base_amount_minor": quote.base_amount_minor,
        "quote_amount_minor": quote.quote_amount_minor,
        "from_account": quote.from_account,
        "to_account": quote.to_account,
        "expires_at": quote.expires_at,
        "status": quote.status,
    }


def quote_create(
    *,
    pair: str,
    side: str,
    amount: object,
    amount_currency: str,
    from_account: str,
    to_account: str,
    actor: str = "system",
) -> FxQuote:
    """A firm quote: the LP's current price plus our markup, valid QENEX_FX_QUOTE_TTL_SECONDS."""
    pair = (pair or "").upper().replace("/", "")
    if pair not in settings.QENEX_FX_PAIRS:
        raise UnsupportedPair(f"pair must be one of {', '.join(settings.QENEX_FX_PAIRS)}", field="pair")
    if side not in FxSide.values:
        raise InvalidInput("side must be BUY or SELL (the customer buys or sells the base currency)", field="side")
    base, quote_ccy = pair[:3], pair[3:]
    if amount_currency not in (base, quote_ccy):
        raise InvalidInput(f"amount_currency must be {base} or {quote_ccy}", field="amount_currency")
    value = to_decimal(amount, field="amount")
    exponent = currency_exponent(amount_currency)
    if value <= 0 or value != value.quantize(Decimal(1).scaleb(-exponent)):
        raise InvalidInput(f"amount must be positive with at most {exponent} decimals", field="amount")
    amount_minor = int(value.scaleb(exponent))
    pays, receives = (quote_ccy, base) if side == FxSide.BUY else (base, quote_ccy)
    source = account_get(public_id=from_account, field="from_account")
    target = account_get(public_id=to_account, field="to_account")
    if source.currency != pays:
        raise InvalidInput(f"from_account must hold {pays} (the customer pays it)", field="from_account")
    if target.currency != receives:
        raise InvalidInput(f"to_account must hold {receives} (the customer receives it)", field="to_account")
    if source.owner_id != target.owner_id:
        raise InvalidInput("both accounts must belong to one customer", field="to_account")
    lp = _lp_price(pair)  # outside any transaction
    markup = settings.QENEX_FX_MARKUP_BP
    rate = customer_rate(side=side, lp_bid=lp.bid, lp_offer=lp.offer, markup_bp=markup)
    base_minor, quote_minor = deal_amounts(
        pair=pair, side=side, rate=rate, amount_minor=amount_minor, amount_currency=amount_currency
    )
    if base_minor <= 0 or quote_minor <= 0:
        raise InvalidInput("amount is too small to convert", field="amount", code="amount_below_minimum")
    ttl = timedelta(seconds=settings.QENEX_FX_QUOTE_TTL_SECONDS)
    expires = min(timezone.now() + ttl, lp.valid_until)
    with transaction.atomic(durable=True):
        quote = FxQuote.objects.create(
            owner_id=source.owner_id,
            pair=pair,
            side=side,
            from_account=from_account,
            to_account=to_account,
            base_amount_minor=base_minor,
            quote_amount_minor=quote_minor,
            rate=rate,
            lp_rate=lp.offer if side == FxSide.BUY else lp.bid,
            lp_quote_id=lp.quote_id,
            markup_bp=markup,
            expires_at=expires,
        )
        audit_record(
            action="treasury.fx_quote_created",
            object_type="fx_quote",
            object_id=quote.public_id,
            after=_quote_audit(quote),
            actor=actor,
        )
    return quote


def _check_limits(quote: FxQuote) -> None:
    flows = {
        quote.base_currency: (-1 if quote.side == FxSide.BUY else 1) * quote.base_amount_minor,
        quote.quote_currency: (1 if quote.side == FxSide.BUY else -1) * quote.quote_amount_minor,
    }
    positions = selectors.open_positions()
    for currency, flow in flows.items():
        limit = selectors.limit_for(kind=FxLimitKind.COUNTERPARTY, currency=currency, counterparty=quote.owner_id)
        if limit is not None:
            used = selectors.counterparty_exposure(owner_id=quote.owner_id, currency=currency)
            if used + abs(flow) > limit.limit_minor:
                raise FxLimitExceeded(
                    f"the counterparty limit of {quote.owner_id} in {currency} would be exceeded", field="amount"
                )
        limit = selectors.limit_for(kind=FxLimitKind.CURRENCY, currency=currency)
        if limit is not None and abs(positions.get(currency, 0) + flow) > limit.limit_minor:
            raise FxLimitExceeded(f"the desk's {currency} position limit would be exceeded", field="amount")


@dataclass(frozen=True)
class DealAccepted:
    deal: FxDeal
    replayed: bool  # an earlier accept with the same Idempotency-Key booked it


def _accept_fingerprint(quote_id: str) -> str:
    return fingerprint({"type": "FX_ACCEPT", "quote": quote_id})


def _replay(deal: FxDeal, request_fp: str, actor: str) -> DealAccepted:
    """The deal an earlier accept under this key booked (finishing what it started), or 409 for another request."""
    ensure_same_request(deal.request_fingerprint, request_fp)
    return DealAccepted(_book_and_hedge(deal.pk, actor), True)


def quote_accept(*, quote_id: str, idempotency_key: str | None = None, actor: str = "system") -> DealAccepted:
    """Book an open, unexpired quote (refused with a code when expired, moved or over a limit), then hedge it.

    With an ``idempotency_key`` (the API always sends one, caller-scoped) a retry replays the first accept's deal;
    the same key for another quote is 409 ``idempotency_key_reused``. A second accept of an accepted quote under
    another key (or none) is 409 ``quote_already_accepted``.
    """
    idempotency_key = check_key(idempotency_key)
    request_fp = _accept_fingerprint(quote_id)
    if idempotency_key:
        earlier = FxDeal.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _replay(earlier, request_fp, actor)
    quote = selectors.quote_get(public_id=quote_id)
    if quote.status != FxQuoteStatus.OPEN:
        raise QuoteAlreadyAccepted(f"quote {quote_id} was already accepted", field="quote_id")
    if quote.expires_at <= timezone.now():
        raise QuoteExpired(f"quote {quote_id} expired at {quote.expires_at.isoformat()}", field="quote_id")
    lp = _lp_price(quote.pair)  # has the market moved past our markup?
    lp_now = lp.offer if quote.side == FxSide.BUY else lp.bid
    if (quote.side == FxSide.BUY and lp_now > quote.rate) or (quote.side == FxSide.SELL and lp_now < quote.rate):
        raise QuoteMoved(f"the market moved: LP {lp_now} against quoted {quote.rate}", field="quote_id")
    try:
        deal, created = _deal_create(
            quote_pk=quote.pk, idempotency_key=idempotency_key, request_fp=request_fp, actor=actor
        )
    except IntegrityError:  # a concurrent accept under the same key (for another quote) committed first
        return _replay(FxDeal.objects.get(idempotency_key=idempotency_key), request_fp, actor)
    if not created:  # a concurrent accept under the same key won the quote's lock first
        return _replay(deal, request_fp, actor)
    return DealAccepted(_book_and_hedge(deal.pk, actor), False)


def _deal_create(*, quote_pk: int, idempotency_key: str | None, request_fp: str, actor: str) -> tuple[FxDeal, bool]:
    """Accept the quote under its lock and create its deal (BOOKING); (deal, False) if this key accepted it first."""
    with transaction.atomic(durable=True):
        quote = FxQuote.objects.select_for_update().get(pk=quote_pk)
        if quote.status != FxQuoteStatus.OPEN:
            deal = FxDeal.objects.get(quote=quote)
            if idempotency_key is None or deal.idempotency_key != idempotency_key:
                raise QuoteAlreadyAccepted(f"quote {quote.public_id} was already accepted", field="quote_id")
            return deal, False
        if quote.expires_at <= timezone.now():
            raise QuoteExpired(f"quote {quote.public_id} expired at {quote.expires_at.isoformat()}", field="quote_id")
        FxLimit.objects.select_for_update().all().exists()  # one booking at a time checks the limits
        _check_limits(quote)
        quote.status = FxQuoteStatus.ACCEPTED
        quote.save(update_fields=["status"])
        deal = FxDeal.objects.create(
            quote=quote,
            owner_id=quote.owner_id,
            pair=quote.pair,
            side=quote.side,
            base_amount_minor=quote.base_amount_minor,
            quote_amount_minor=quote.quote_amount_minor,
            rate=quote.rate,
            idempotency_key=idempotency_key,
            request_fingerprint=request_fp if idempotency_key else "",
        )
        audit_record(
            action="treasury.fx_quote_accepted",
            object_type="fx_quote",
            object_id=quote.public_id,
            after={"deal": deal.public_id},
            actor=actor,
        )
        audit_record(
            action="treasury.fx_deal_created",
            object_type="fx_deal",
            object_id=deal.public_id,
            after={"status": deal.status, "rate": format(deal.rate, "f"), "pair": deal.pair},
            actor=actor,
        )
    return deal, True


def _customer_legs(deal: FxDeal, quote: FxQuote) -> tuple[tuple[int, str], tuple[int, str]]:
    """What the customer pays and receives, (minor units, currency) each: buying the base pays the quote currency."""
    base, counter = (deal.base_amount_minor, quote.base_currency), (deal.quote_amount_minor, quote.quote_currency)
    return (counter, base) if deal.side == FxSide.BUY else (base, counter)


def _ledger_entries(deal: FxDeal, quote: FxQuote) -> list[dict]:
    (paid_minor, pays), (received_minor, receives) = _customer_legs(deal, quote)
    fx_in = gl_account(account_type=AccountType.FX_POSITION, currency=pays).public_id
    fx_out = gl_account(account_type=AccountType.FX_POSITION, currency=receives).public_id
    metadata = {"fx": {"deal": deal.public_id, "pair": deal.pair, "side": deal.side, "rate": format(deal.rate, "f")}}
    return [
        {
            "type": "TRANSFER",
            "from_account": quote.from_account,
            "to_account": fx_in,
            "currency": pays,
            "amount": str(major(paid_minor, pays)),
            "description": f"FX deal {deal.public_id}",
            "metadata": metadata,
            "idempotency_key": f"fxdeal:{deal.public_id}:pay",
        },
        {
            "type": "TRANSFER",
            "from_account": fx_out,
            "to_account": quote.to_account,
            "currency": receives,
            "amount": str(major(received_minor, receives)),
            "description": f"FX deal {deal.public_id}",
            "metadata": metadata,
            "idempotency_key": f"fxdeal:{deal.public_id}:receive",
        },
    ]


def _deal_booked_event(deal: FxDeal) -> None:
    """The stream's ``fx.deal_booked``, in the transaction that records the booking (apps.events outbox)."""
    quote = deal.quote
    (sold_minor, sold_currency), (bought_minor, bought_currency) = _customer_legs(deal, quote)
    fx_deal_booked_emit(
        deal_id=deal.public_id,
        customer_account=quote.from_account,
        pair=deal.pair,
        side=deal.side,
        sold_currency=sold_currency,
        sold_minor=sold_minor,
        bought_currency=bought_currency,
        bought_minor=bought_minor,
        rate=format(deal.rate, "f"),
        transactions=list(deal.ledger_transactions),
    )


def _set_status(deal_pk: int, expected: tuple[str, ...], actor: str, *, booked: bool = False, **changes) -> FxDeal:
    with transaction.atomic(durable=True):
        deal = FxDeal.objects.select_for_update().get(pk=deal_pk)
        if deal.status not in expected:
            return deal  # someone else finished it meanwhile
        before = {k: str(getattr(deal, k)) for k in changes}
        for name, value in changes.items():
            setattr(deal, name, value)
        deal.save()
        audit_record(
            action="treasury.fx_deal_updated",
            object_type="fx_deal",
            object_id=deal.public_id,
            before=before,
            after={k: str(v) for k, v in changes.items()},
            actor=actor,
        )
        if booked:
            _deal_booked_event(deal)
        return deal


def _book_and_hedge(deal_pk: int, actor: str) -> FxDeal:
    deal = FxDeal.objects.select_related("quote").get(pk=deal_pk)
    if deal.status == FxDealStatus.BOOKING:
        try:
            result = post_batch(entries=_ledger_entries(deal, deal.quote), mode="atomic", actor=actor)
        except DomainError as exc:
            _set_status(deal_pk, (FxDealStatus.BOOKING,), actor, status=FxDealStatus.FAILED, failure=exc.message[:200])
            raise
        deal = _set_status(
            deal_pk,
            (FxDealStatus.BOOKING,),
            actor,
            booked=True,
            status=FxDealStatus.HEDGE_PENDING,
            ledger_transactions=[item.transaction for item in result.items],
        )
    if deal.status == FxDealStatus.HEDGE_PENDING:
        deal = hedge(deal_pk=deal_pk, actor=actor)
    return deal


def _hedge_order(deal: FxDeal) -> dict:
    return {"cl_ord_id": deal.cl_ord_id, "symbol": deal.pair, "buy": deal.side == FxSide.BUY}


def _record_execution(deal_pk: int, execution: LpExecution, actor: str) -> FxDeal:
    """HEDGE_PENDING → HEDGED (the fill) or HEDGE_REJECTED, once: a deal already moved on is answered as it is.

    A fill is then settled with the LP by a task (``lp_settlement_create``: the payment and the MT300), so the
    customer's accept never waits for (or fails with) the payment gateway; the sweeper settles what a lost task left.
    """
    if execution.filled:
        deal = _set_status(
            deal_pk,
            (FxDealStatus.HEDGE_PENDING,),
            actor,
            status=FxDealStatus.HEDGED,
            hedge_exec_id=execution.exec_id,
            hedge_order_id=execution.order_id,
            hedge_price=execution.price,
            hedged_at=timezone.now(),
        )
        if deal.status == FxDealStatus.HEDGED:
            _queue_settlement(deal_pk)
        return deal
    return _set_status(
        deal_pk,
        (FxDealStatus.HEDGE_PENDING,),
        actor,
        status=FxDealStatus.HEDGE_REJECTED,
        hedge_exec_id=execution.exec_id,
        failure=execution.text[:200],
    )


def _queue_settlement(deal_pk: int) -> None:
    from .tasks import lp_settle

    transaction.on_commit(lambda: lp_settle.delay(deal_pk))


def hedge(*, deal_pk: int, actor: str = "system") -> FxDeal:
    """Send (or resend: same ClOrdID) the deal's offsetting order to the LP and record the execution."""
    deal = FxDeal.objects.get(pk=deal_pk)
    if deal.status != FxDealStatus.HEDGE_PENDING:
        return deal
    try:
        execution = lp_client().order(**_hedge_order(deal), quantity=major(deal.base_amount_minor, deal.pair[:3]))
    except LpUnavailable:
        return deal  # stays HEDGE_PENDING: the sweeper (hedge_pending) asks the LP after it
    return _record_execution(deal_pk, execution, actor)


def hedge_recover(*, deal_pk: int, actor: str = "system") -> FxDeal:
    """Finish a deal left HEDGE_PENDING (the process that sent its order died, or the LP did not answer in time).

    Ask the LP for the order's status first (OrderStatusRequest): filled or rejected, record that; never received,
    resend it with the same ClOrdID; still being worked or no answer, leave it for the next sweep.
    """
    deal = FxDeal.objects.get(pk=deal_pk)
    if deal.status != FxDealStatus.HEDGE_PENDING:
        return deal
    try:
        status = lp_client().order_status(**_hedge_order(deal))
    except LpUnavailable:
        return deal
    if status.state == "done":
        return _record_execution(deal_pk, status.execution, actor)
    if status.state == "unknown":
        return hedge(deal_pk=deal_pk, actor=actor)
    return deal


# A lost settlement task is found within a sweep or two; older unsettled fills (deals hedged before settlement was
# built) are the desk's to settle by hand, never paid in bulk by a deploy.
SETTLEMENT_SWEEP_WINDOW = timedelta(days=1)


def hedge_pending(*, actor: str = "system", older_than: timedelta | None = None) -> int:
    """The sweeper (Celery beat ``treasury-hedge-sweep``): recover every deal HEDGE_PENDING for longer than
    ``older_than`` (QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS, longer than an accept waits for its report, so a live
    accept is not raced), and settle every deal hedged as long ago (within SETTLEMENT_SWEEP_WINDOW) without a
    settlement; answer how many are hedged now."""
    if older_than is None:
        older_than = timedelta(seconds=settings.QENEX_FX_HEDGE_SWEEP_AFTER_SECONDS)
    stuck = selectors.deals_hedge_pending(changed_before=timezone.now() - older_than)
    hedged = sum(hedge_recover(deal_pk=pk, actor=actor).status == FxDealStatus.HEDGED for pk in stuck)
    now = timezone.now()
    for pk in selectors.deals_unsettled(hedged_before=now - older_than, hedged_after=now - SETTLEMENT_SWEEP_WINDOW):
        lp_settlement_create(deal_pk=pk, actor=actor)  # its settlement task was lost (a worker died)
    return hedged


def limit_set(*, kind: str, currency: str, limit: object, counterparty: str = "", actor: str = "system") -> FxLimit:
    if kind not in FxLimitKind.values:
        raise InvalidInput("kind must be COUNTERPARTY or CURRENCY", field="kind")
    exponent = currency_exponent(currency, field="currency")
    value = to_decimal(limit, field="limit")
    if value < 0:
        raise InvalidInput("limit must not be negative", field="limit")
    with transaction.atomic(durable=True):
        row, _ = FxLimit.objects.update_or_create(
            kind=kind,
            currency=currency,
            counterparty=counterparty,
            defaults={"limit_minor": int(value.scaleb(exponent))},
        )
        audit_record(
            action="treasury.fx_limit_set",
            object_type="fx_limit",
            object_id=str(row.pk),
            after={"kind": kind, "currency": currency, "counterparty": counterparty, "limit_minor": row.limit_minor},
            actor=actor,
        )
        return row


def eod_position_report(*, actor: str = "system") -> FxPositionReport:
    """Record today's positions and P&L marked to the LP's latest prices (once per business day)."""
    try:
        prices = {pair: (q.bid, q.offer, None) for pair in settings.QENEX_FX_PAIRS if (q := lp_client().quote(pair))}
    except LpUnavailable:
        prices = lp_client().prices()
    report = selectors.positions_and_pnl(prices=prices)
    report["prices"] = {pair: [format(b, "f"), format(o, "f")] for pair, (b, o, _) in prices.items()}
    with transaction.atomic(durable=True):
        row, _ = FxPositionReport.objects.update_or_create(
            business_date=timezone.now().date(), defaults={"report": report}
        )
        audit_record(
            action="treasury.fx_eod_report",
            object_type="fx_position_report",
            object_id=str(row.pk),
            after=report,
            actor=actor,
        )
        return row


# --- settlement of LP trades ---------------------------------------------------------------------------------


def _lp_legs(deal: FxDeal) -> tuple[tuple[int, str], tuple[int, str]]:
    """What the bank pays the LP and receives from it, (minor units, currency) each, at the hedge's fill price.

    The hedge offsets the customer: the customer buying base means we buy base from the LP and pay it the quote
    currency (base × fill price, rounded half-up to the currency's minor unit), the customer selling base the reverse.
    """
    base, counter = deal.pair[:3], deal.pair[3:]
    counter_minor = int(
        (major(deal.base_amount_minor, base) * deal.hedge_price)
        .scaleb(currency_exponent(counter))
        .to_integral_value(rounding=ROUND_HALF_UP)
    )
    base_leg, counter_leg = (deal.base_amount_minor, base), (counter_minor, counter)
    return (counter_leg, base_leg) if deal.side == FxSide.BUY else (base_leg, counter_leg)


def _bic8(bic: str) -> str:
    return bic[:8]


def _settlement_reference(deal: FxDeal) -> str:
    """The deal in the SWIFT character set and 16 characters (MT300 :20:, the payment's reference)."""
    return ("FX" + deal.public_id.partition("_")[2]).upper()[:16]


def lp_settlement_create(*, deal_pk: int, actor: str = "system") -> FxSettlement | None:
    """Settle a HEDGED deal with the LP once: the payment of what we sold it (the payment gateway's own path:
    validation, routing, checks, a hold on our FX_POSITION account, submission), and the deal's MT300.

    The payment's idempotency key is the deal's, so a second call (a retry after a crash between the payment and
    the settlement row) finds the same payment. A refused payment is a FAILED settlement for the desk, audited.
    """
    from apps.payments.formats.mt300 import MT300, build_mt300
    from apps.payments.request import Party, PaymentRequest
    from apps.payments.services import payment_send

    deal = FxDeal.objects.get(pk=deal_pk)
    existing = FxSettlement.objects.filter(deal=deal).first()
    if existing is not None or deal.status != FxDealStatus.HEDGED:
        return existing
    (pay_minor, pay_currency), (receive_minor, receive_currency) = _lp_legs(deal)
    our_bic, lp_bic = settings.QENEX_PAYMENTS_BANK_BIC, settings.QENEX_FX_LP_BIC
    debtor = gl_account(account_type=AccountType.FX_POSITION, currency=pay_currency)
    reference = _settlement_reference(deal)
    payment_id, failure, value_date = "", "", None
    lp_account = settings.QENEX_FX_LP_ACCOUNTS.get(pay_currency, "")
    if not lp_account:
        failure = f"no LP account in {pay_currency} (QENEX_FX_LP_ACCOUNTS)"
    else:
        request = PaymentRequest(
            sender=Party(name="QENEX FX desk", account=debtor.public_id, bic=our_bic),
            receiver=Party(
                name=settings.QENEX_FX_LP_NAME,
                bic=lp_bic,
                country=settings.QENEX_FX_LP_COUNTRY,
                account=lp_account,  # an account number (not an IBAN: interbank, by SWIFT, never SEPA)
            ),
            amount=major(pay_minor, pay_currency),
            currency=pay_currency,
            reference=reference,
            remittance_info=f"FX DEAL {reference} {deal.pair}",
        )
        try:
            sent = payment_send(
                request=request,
                debtor_account=debtor.public_id,
                idempotency_key=f"fxsettle:{deal.public_id}",
                actor=actor,
            )
            payment_id, value_date = sent.payment.public_id, sent.payment.value_date
        except DomainError as exc:
            failure = f"{exc.code}: {exc.message}"[:200]
    trade_date = timezone.localdate(deal.hedged_at or timezone.now())
    value_date = value_date or trade_date
    mt300 = build_mt300(
        MT300(
            sender_bic=our_bic,
            receiver_bic=lp_bic,
            reference=reference,
            party_a=_bic8(our_bic),
            party_b=_bic8(lp_bic),
            trade_date=trade_date,
            value_date=value_date,
            rate=deal.hedge_price,
            bought_currency=receive_currency,
            bought_minor=receive_minor,
            bought_agent=_bic8(our_bic),  # the LP pays what we bought into our nostro
            sold_currency=pay_currency,
            sold_minor=pay_minor,
            sold_agent=_bic8(lp_bic),  # we pay what we sold to the LP's account
        )
    )
    with transaction.atomic(durable=True):
        settlement, created = FxSettlement.objects.get_or_create(
            deal=deal,
            defaults={
                "status": FxSettlementStatus.FAILED if failure else FxSettlementStatus.SENT,
                "pay_currency": pay_currency,
                "pay_minor": pay_minor,
                "receive_currency": receive_currency,
                "receive_minor": receive_minor,
                "trade_date": trade_date,
                "value_date": value_date,
                "payment_id": payment_id,
                "failure": failure,
                "mt300": mt300,
            },
        )
        if created:
            audit_record(
                action="treasury.fx_settlement_created",
                object_type="fx_deal",
                object_id=deal.public_id,
                after={
                    "status": settlement.status,
                    "pay": f"{pay_currency} {pay_minor}",
                    "receive": f"{receive_currency} {receive_minor}",
                    "payment": payment_id,
                    "failure": failure,
                },
                actor=actor,
            )
    return settlement
