"""Ledger API: transactions, balances, statements, holds, FX rates. Views stay thin."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals.api.gate import four_eyes
from apps.approvals.models import ApprovalKind
from apps.core.api.idempotency import actor_of, idempotency_key_from, keyed_response
from apps.core.api.pagination import AscendingIdCursorPagination, IdCursorPagination
from apps.core.errors import DomainError, InvalidInput
from apps.core.money import active_currencies, format_amount, to_minor_units
from apps.iam.permissions import require_staff_permission
from apps.iam.tenancy import (
    Use,
    account_for,
    accounts_for,
    may,
    may_own_all,
    may_see_accounts,
    readable_entries,
    scope_of,
)
from apps.iam.tenancy import reachable as tenancy_reachable
from apps.ledger import closing, movements, selectors, services
from apps.ledger.errors import HoldNotFound, TransactionNotFound
from apps.ledger.metrics import posting_observed
from apps.ledger.models import FxRate, PeriodClose
from apps.ledger.rules import POSTING_ACCOUNT_FIELDS

from .serializers import (
    BatchCreateSerializer,
    FxRateSerializer,
    HoldCaptureSerializer,
    HoldCreateSerializer,
    HoldSerializer,
    PeriodCloseCreateSerializer,
    PeriodCloseSerializer,
    ReverseSerializer,
    StatementLineSerializer,
    TransactionCreateSerializer,
    TransactionSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per request; a retry with the same key and body returns the original result.",
)


def _parse_time(value: str | None, field: str):
    if value is None:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well-formed but impossible, such as 2026-02-30
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(f"{field} must be an ISO 8601 timestamp with a time zone", field=field)
    return parsed


def _posting_response(result, *, created_status=status.HTTP_201_CREATED) -> Response:
    return keyed_response(
        TransactionSerializer(result.entry).data, replayed=result.replayed, created_status=created_status
    )


def _entry_for(request, transaction_id: str, *, reverse: bool = False):
    """The entry if the caller may see it (or, to ``reverse`` it, owns all its customer accounts); else 404."""
    entry = selectors.transaction_get(public_id=transaction_id)
    accounts = [p.account for p in entry.postings.select_related("account")]
    allowed = may_own_all(request, accounts) if reverse else may_see_accounts(request, accounts)
    if not allowed:
        raise TransactionNotFound(
            f"no transaction {transaction_id}", field="original_transaction" if reverse else "transaction"
        )
    return entry


def _hold_for(request, hold_id: str, *, use: Use):
    hold = selectors.hold_get(public_id=hold_id)
    if not may(request, hold.account, use):
        raise HoldNotFound(f"no hold {hold_id}", field="hold")
    return hold


def _reverse(request, *, transaction_id: str, description: str, key: str) -> Response:
    """A reversal moves the original's amounts back: weighed by the four-eyes policy like any posting."""
    original = _entry_for(request, transaction_id, reverse=True)
    actor = actor_of(request)

    def run() -> Response:
        return _posting_response(
            services.post_reversal(
                transaction_id=transaction_id, description=description, idempotency_key=key, actor=actor
            )
        )

    return posting_observed(
        "REVERSAL",
        lambda: four_eyes(
            request,
            kind=ApprovalKind.POSTING,
            payload={"type": "REVERSAL", "original_transaction": transaction_id, "description": description},
            movements=movements.reversal_movements(original),
            run=run,
            idempotency_key=key,
            done_before=selectors.idempotency_key_used(key=key),
        ),
    )


def _account_uses(kind: str) -> dict[str, Use]:
    """The accounts a posting type names and how: the debited one must be the caller's; a transfer may pay into
    another customer's (``Use.CREDIT``, see apps.iam.tenancy)."""
    uses = {field: Use.OWN for field in POSTING_ACCOUNT_FIELDS[kind]}
    if kind == "TRANSFER":
        uses["to_account"] = Use.CREDIT
    return uses


def _gated_posting(request, *, kind: str, v: dict, key: str, actor: str) -> Response:
    """Post a DEPOSIT, WITHDRAWAL, FEE or TRANSFER, or (per the four-eyes policy) submit it for approval."""
    # The debited account must be the caller's; a transfer may pay into another customer's (see apps.iam.tenancy).
    named = accounts_for(request, {f: (v[f], use) for f, use in _account_uses(kind).items()})
    source, target = named.get("from_account"), named.get("to_account")
    moves = movements.posting_movements(
        entry_type=kind,
        amount_minor=to_minor_units(v["amount"], v["currency"]),
        currency=v["currency"],
        source=source,
        target=target,
    )

    def run() -> Response:
        result = services.post_by_type(
            entry_type=kind,
            from_account=v.get("from_account"),
            to_account=v.get("to_account"),
            amount=v["amount"],
            currency=v["currency"],
            description=v["description"],
            metadata=v["metadata"],
            idempotency_key=key,
            actor=actor,
        )
        return _posting_response(result)

    payload = {"type": kind, **{f: v.get(f) for f in ("from_account", "to_account", "amount", "currency")}}
    payload.update(description=v["description"], metadata=v["metadata"])
    return four_eyes(
        request,
        kind=ApprovalKind.POSTING,
        payload=payload,
        movements=moves,
        run=run,
        idempotency_key=key,
        done_before=selectors.idempotency_key_used(key=key),
    )


class TransactionListCreateView(generics.ListAPIView):
    required_scopes = {"GET": "transactions:read", "POST": "transactions:write"}
    # Staff: post_transaction (above the approval threshold: 202 with a four-eyes request instead);
    # REVERSAL also needs reverse_transaction.
    staff_permissions = {"GET": "ledger.view_journalentry", "POST": "ledger.post_transaction"}
    serializer_class = TransactionSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List transactions", parameters=[OpenApiParameter("account", str), OpenApiParameter("type", str)]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        account_id = self.request.query_params.get("account")
        account = account_for(self.request, account_id, use=Use.READ) if account_id else None
        entries = selectors.transaction_list(account=account, entry_type=self.request.query_params.get("type"))
        return readable_entries(self.request, entries).prefetch_related("postings__account")

    @extend_schema(
        summary="Post a transaction (DEPOSIT, WITHDRAWAL, TRANSFER, FEE, REVERSAL)",
        request=TransactionCreateSerializer,
        responses={201: TransactionSerializer, 200: TransactionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request):
        data = TransactionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        key = idempotency_key_from(request, v.pop("idempotency_key", None), required=True)
        kind = v.pop("type")
        actor = actor_of(request)
        if kind == "REVERSAL":
            require_staff_permission(request, "ledger.reverse_transaction")
            return _reverse(request, transaction_id=v["original_transaction"], description=v["description"], key=key)
        return posting_observed(kind, lambda: _gated_posting(request, kind=kind, v=v, key=key, actor=actor))


class TransactionDetailView(APIView):
    required_scopes = {"GET": "transactions:read"}
    staff_permissions = {"GET": "ledger.view_journalentry"}

    @extend_schema(summary="Get a transaction with its postings", responses={200: TransactionSerializer})
    def get(self, request, transaction_id: str):
        return Response(TransactionSerializer(_entry_for(request, transaction_id)).data)


class TransactionReverseView(APIView):
    required_scopes = {"POST": "transactions:write"}
    staff_permissions = {"POST": "ledger.reverse_transaction"}

    @extend_schema(
        summary="Reverse a transaction",
        request=ReverseSerializer,
        responses={201: TransactionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, transaction_id: str):
        data = ReverseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_key_from(request, None, required=True)
        return _reverse(request, transaction_id=transaction_id, description=data.validated_data["description"], key=key)


class BalanceView(APIView):
    required_scopes = {"GET": "accounts:read"}
    staff_permissions = {"GET": "accounts.view_account"}

    @extend_schema(
        summary="Current, available and held balance; or the ledger balance as of a time",
        parameters=[OpenApiParameter("as_of", str, description="ISO 8601 timestamp")],
        responses={200: dict},
    )
    def get(self, request, account_id: str):
        account = account_for(request, account_id, use=Use.READ)
        as_of = _parse_time(request.query_params.get("as_of"), "as_of")
        if as_of is not None:
            minor = selectors.balance_as_of(account=account, at=as_of)
            return Response(
                {
                    "account": account.public_id,
                    "currency": account.currency,
                    "as_of": as_of.isoformat(),
                    "balance": format_amount(minor, account.currency),
                }
            )
        bal = selectors.balance_get(account=account)
        return Response(
            {
                "account": account.public_id,
                "currency": account.currency,
                "balance": format_amount(bal.ledger_minor, account.currency),
                "held": format_amount(bal.held_minor, account.currency),
                "overdraft_limit": format_amount(bal.overdraft_limit_minor, account.currency),
                "available_balance": format_amount(bal.available_minor, account.currency),
            }
        )


def _batch_screen(request, actor: str):
    """The API's rules for each entry of a batch: the client's owner scope, then the four-eyes policy.

    An entry above the approval threshold (or over the maker's velocity, the batch's earlier entries counted) is
    refused with ``approval_required``: post it on its own, where it becomes an approval request. Entries whose key
    was already posted are left to the service, which replays them.
    """

    def screen(requests: dict) -> dict[int, DomainError]:
        from apps.accounts.selectors import accounts_by_public_id
        from apps.approvals.errors import ApprovalRequired
        from apps.approvals.policy import approval_reasons_for_batch

        names = [
            getattr(r, name)
            for r in requests.values()
            for name in ("account", "from_account", "to_account")
            if hasattr(r, name)
        ]
        accounts = accounts_by_public_id(public_ids=names)
        posted = selectors.idempotency_keys_posted(keys=[r.idempotency_key for r in requests.values()])
        refusals: dict[int, DomainError] = {}
        weighed: dict[int, list] = {}

        scope = scope_of(request)

        def reachable(public_id: str, field: str, use: Use):
            return tenancy_reachable(scope, accounts, public_id, use=use, field=field)

        with movements.bank_accounts_remembered():
            for index, r in requests.items():
                if r.idempotency_key in posted:
                    continue
                try:
                    if hasattr(r, "account"):
                        kind, account = r.entry_type, reachable(r.account, r.field, Use.OWN)
                        source, target = (None, account) if r.field == "to_account" else (account, None)
                    else:
                        kind = "TRANSFER"
                        source = reachable(r.from_account, "from_account", Use.OWN)
                        target = reachable(r.to_account, "to_account", Use.CREDIT)
                    weighed[index] = movements.posting_movements(
                        entry_type=kind, amount_minor=r.amount_minor, currency=r.currency, source=source, target=target
                    )
                except DomainError as exc:
                    refusals[index] = exc
        reasons = approval_reasons_for_batch(actor=actor, movements=list(weighed.values()))
        for index, reason in zip(weighed, reasons, strict=True):
            if reason:
                refusals[index] = ApprovalRequired(
                    f"this entry needs four-eyes approval ({reason}); post it on its own", field="amount"
                )
        return refusals

    return screen


class TransactionBatchView(APIView):
    required_scopes = {"POST": "transactions:write"}
    staff_permissions = {"POST": "ledger.post_transaction"}

    @extend_schema(
        summary="Post up to QENEX_BATCH_MAX_ENTRIES transactions in one database transaction",
        description=(
            "mode `atomic`: all or nothing (the first refused entry refuses the batch, named by its index); "
            "`independent`: per-entry results (posted / replayed / refused with a code). Every entry carries its "
            "own `idempotency_key`; replaying a batch posts nothing twice."
        ),
        request=BatchCreateSerializer,
        responses={201: dict, 200: dict},
    )
    def post(self, request):
        data = BatchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        actor = actor_of(request)
        refs = _batch_refs(v["entries"])
        from apps.approvals.locks import maker_serialized

        with maker_serialized(actor=actor, refs=refs):
            result = posting_observed(
                "BATCH",
                lambda: services.post_batch(
                    entries=v["entries"], mode=v["mode"], actor=actor, screen=_batch_screen(request, actor)
                ),
            )
        body = {
            "mode": result.mode,
            "posted": result.count("posted"),
            "replayed": result.count("replayed"),
            "refused": result.count("refused"),
            "results": [{k: val for k, val in vars(item).items() if val is not None} for item in result.items],
        }
        return Response(body, status=status.HTTP_201_CREATED if body["posted"] else status.HTTP_200_OK)


def _batch_refs(entries: list) -> list[str]:
    """What the four-eyes gate serialises a batch on: every account it names, the bank's included."""
    from apps.ledger.models import BANK_COUNTER_ACCOUNT

    refs: set[str] = set()
    with movements.bank_accounts_remembered():
        for raw in entries:
            if not isinstance(raw, dict):
                continue
            refs |= {raw[f] for f in ("from_account", "to_account") if isinstance(raw.get(f), str)}
            kind, currency = raw.get("type"), raw.get("currency")
            if kind in BANK_COUNTER_ACCOUNT and isinstance(currency, str):
                refs.add(movements.on_bank(BANK_COUNTER_ACCOUNT[kind], currency, 0).ref)
    return sorted(refs)


class StatementPagination(AscendingIdCursorPagination):
    """Keyset pages in the order of the running balance: the cursor holds the last (posted_at) seen, plus an
    offset only among postings stamped with the very same instant, so a page deep in a 10M-posting history costs
    what the first one does (one range of the (account, posted_at) index)."""

    ordering = ("posted_at", "id")


class StatementView(generics.ListAPIView):
    required_scopes = {"GET": "accounts:read"}
    staff_permissions = {"GET": "accounts.view_account"}
    serializer_class = StatementLineSerializer
    pagination_class = StatementPagination

    @extend_schema(
        summary="Statement lines with running balance, oldest first",
        parameters=[
            OpenApiParameter("from", str, description="ISO 8601, inclusive"),
            OpenApiParameter("to", str, description="ISO 8601, exclusive"),
        ],
    )
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        account = self._account
        start = _parse_time(request.query_params.get("from"), "from")
        response.data["account"] = account.public_id
        response.data["currency"] = account.currency
        response.data["opening_balance"] = format_amount(
            selectors.balance_as_of(account=account, at=start, inclusive=False) if start else 0, account.currency
        )
        return response

    def get_queryset(self):
        self._account = account_for(self.request, self.kwargs["account_id"], use=Use.READ)
        return selectors.statement_lines(
            account=self._account,
            start=_parse_time(self.request.query_params.get("from"), "from"),
            end=_parse_time(self.request.query_params.get("to"), "to"),
        )


class HoldCreateView(APIView):
    required_scopes = {"POST": "transactions:write"}
    staff_permissions = {"POST": "ledger.add_hold"}

    @extend_schema(
        summary="Place a hold (authorisation) on an account",
        request=HoldCreateSerializer,
        responses={201: HoldSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request):
        data = HoldCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        key = idempotency_key_from(request, v.pop("idempotency_key", None), required=True)
        account = account_for(request, v["account"], use=Use.OWN)
        moves = movements.hold_movements(account, to_minor_units(v["amount"], v["currency"]), v["currency"])

        def run() -> Response:
            result = services.hold_place(**v, idempotency_key=key, actor=actor_of(request))
            return keyed_response(HoldSerializer(result.hold).data, replayed=result.replayed)

        # A hold commits money: weighed like the debit it reserves.
        return four_eyes(
            request,
            kind=ApprovalKind.HOLD,
            payload=v,
            movements=moves,
            run=run,
            idempotency_key=key,
            done_before=selectors.idempotency_key_used(key=key),
        )


class HoldDetailView(APIView):
    required_scopes = {"GET": "transactions:read"}
    staff_permissions = {"GET": "ledger.view_hold"}

    @extend_schema(summary="Get a hold", responses={200: HoldSerializer})
    def get(self, request, hold_id: str):
        return Response(HoldSerializer(_hold_for(request, hold_id, use=Use.READ)).data)


class HoldCaptureView(APIView):
    required_scopes = {"POST": "transactions:write"}
    staff_permissions = {"POST": "ledger.change_hold"}

    @extend_schema(
        summary="Capture a hold into a transfer",
        request=HoldCaptureSerializer,
        responses={201: TransactionSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request, hold_id: str):
        data = HoldCaptureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        key = idempotency_key_from(request, v.pop("idempotency_key", None), required=True)
        return posting_observed("HOLD_CAPTURE", lambda: self._capture(request, hold_id=hold_id, v=v, key=key))

    @staticmethod
    def _capture(request, *, hold_id: str, v: dict, key: str) -> Response:
        hold = _hold_for(request, hold_id, use=Use.OWN)
        target = account_for(request, v["to_account"], use=Use.CREDIT, field="to_account")
        amount = v.get("amount")
        minor = hold.amount_minor if amount is None else to_minor_units(amount, hold.currency)

        def run() -> Response:
            result = services.hold_capture(hold_id=hold_id, idempotency_key=key, actor=actor_of(request), **v)
            return _posting_response(result)

        return four_eyes(
            request,
            kind=ApprovalKind.HOLD_CAPTURE,
            payload={"hold": hold_id, **v},
            movements=movements.capture_movements(hold, target, minor),
            run=run,
            idempotency_key=key,
            done_before=selectors.idempotency_key_used(key=key),
        )


class HoldVoidView(APIView):
    required_scopes = {"POST": "transactions:write"}
    staff_permissions = {"POST": "ledger.change_hold"}

    @extend_schema(summary="Void (release) a hold", request=None, responses={200: HoldSerializer})
    def post(self, request, hold_id: str):
        _hold_for(request, hold_id, use=Use.OWN)
        return Response(HoldSerializer(services.hold_void(hold_id=hold_id, actor=actor_of(request))).data)


class FxRateListCreateView(generics.ListAPIView):
    required_scopes = {"GET": "transactions:read", "POST": "fx:write"}
    staff_permissions = {"GET": "ledger.view_fxrate", "POST": "ledger.add_fxrate"}
    serializer_class = FxRateSerializer
    pagination_class = IdCursorPagination
    queryset = FxRate.objects.all()

    @extend_schema(
        summary="Record an FX rate (1 base = rate quote)", request=FxRateSerializer, responses={201: FxRateSerializer}
    )
    def post(self, request):
        data = FxRateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rate = services.fx_rate_set(
            base=v["base_currency"],
            quote=v["quote_currency"],
            rate=v["rate"],
            valid_from=v.get("valid_from"),
            source=v.get("source", ""),
            actor=actor_of(request),
        )
        return Response(FxRateSerializer(rate).data, status=status.HTTP_201_CREATED)


class CurrencyListView(APIView):
    public = True

    @extend_schema(summary="ISO 4217 currencies accounts can hold, with their decimal places", responses={200: dict})
    def get(self, request):
        return Response({"currencies": [{"code": c, "minor_units": e} for c, e in sorted(active_currencies().items())]})


class PeriodCloseListCreateView(generics.ListAPIView):
    """Closed periods with their trial balances; POST closes one. Staff only: no API-key scope grants it."""

    required_scopes: dict[str, str] = {}
    staff_permissions = {"GET": "ledger.view_periodclose", "POST": "ledger.add_periodclose"}
    serializer_class = PeriodCloseSerializer
    pagination_class = IdCursorPagination
    queryset = PeriodClose.objects.all()

    @extend_schema(
        summary="Close a past day or month: freeze its trial balance, refuse postings dated into it",
        request=PeriodCloseCreateSerializer,
        responses={201: PeriodCloseSerializer, 200: PeriodCloseSerializer},
    )
    def post(self, request):
        data = PeriodCloseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = closing.period_close(granularity=v["granularity"], day=v["date"], actor=actor_of(request))
        return Response(
            PeriodCloseSerializer(result.close).data,
            status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED,
        )
