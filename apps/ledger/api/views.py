"""Ledger API: transactions, balances, statements, holds, FX rates. Views stay thin."""

from __future__ import annotations

import time

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import account_get
from apps.approvals.api.gate import posting_needs_four_eyes, submit_for_approval
from apps.approvals.models import ApprovalKind
from apps.core.api.idempotency import actor_of, idempotency_key_from
from apps.core.api.pagination import AscendingIdCursorPagination, IdCursorPagination
from apps.core.errors import DomainError, InvalidInput
from apps.core.money import active_currencies, format_amount
from apps.iam.permissions import require_staff_permission
from apps.ledger import selectors, services
from apps.ledger.metrics import TRANSACTION_DURATION, TRANSACTION_ERRORS_TOTAL
from apps.ledger.models import FxRate

from .serializers import (
    FxRateSerializer,
    HoldCaptureSerializer,
    HoldCreateSerializer,
    HoldSerializer,
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
    parsed = parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(f"{field} must be an ISO 8601 timestamp with a time zone", field=field)
    return parsed


def _posting_response(result, *, created_status=status.HTTP_201_CREATED) -> Response:
    response = Response(
        TransactionSerializer(result.entry).data,
        status=status.HTTP_200_OK if result.replayed else created_status,
    )
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _post(entry_type: str, call):
    """Run a posting service, recording the seed's duration and error metrics."""
    started = time.perf_counter()
    try:
        return call()
    except DomainError as exc:
        TRANSACTION_ERRORS_TOTAL.labels(entry_type, exc.code).inc()
        raise
    finally:
        TRANSACTION_DURATION.labels(entry_type).observe(time.perf_counter() - started)


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
        account = account_get(public_id=account_id, field="account") if account_id else None
        return selectors.transaction_list(
            account=account, entry_type=self.request.query_params.get("type")
        ).prefetch_related("postings__account")

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
            result = _post(
                kind,
                lambda: services.post_reversal(
                    transaction_id=v["original_transaction"],
                    description=v["description"],
                    idempotency_key=key,
                    actor=actor,
                ),
            )
            return _posting_response(result)
        if posting_needs_four_eyes(request, amount=v["amount"], currency=v["currency"]):
            payload = {"type": kind, **{f: v.get(f) for f in ("from_account", "to_account", "amount", "currency")}}
            payload.update(description=v["description"], metadata=v["metadata"])
            return submit_for_approval(request, kind=ApprovalKind.POSTING, payload=payload, idempotency_key=key)
        result = _post(
            kind,
            lambda: services.post_by_type(
                entry_type=kind,
                from_account=v.get("from_account"),
                to_account=v.get("to_account"),
                amount=v["amount"],
                currency=v["currency"],
                description=v["description"],
                metadata=v["metadata"],
                idempotency_key=key,
                actor=actor,
            ),
        )
        return _posting_response(result)


class TransactionDetailView(APIView):
    required_scopes = {"GET": "transactions:read"}
    staff_permissions = {"GET": "ledger.view_journalentry"}

    @extend_schema(summary="Get a transaction with its postings", responses={200: TransactionSerializer})
    def get(self, request, transaction_id: str):
        return Response(TransactionSerializer(services.transaction_get(public_id=transaction_id)).data)


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
        result = _post(
            "REVERSAL",
            lambda: services.post_reversal(
                transaction_id=transaction_id,
                description=data.validated_data["description"],
                idempotency_key=key,
                actor=actor_of(request),
            ),
        )
        return _posting_response(result)


class BalanceView(APIView):
    required_scopes = {"GET": "accounts:read"}
    staff_permissions = {"GET": "accounts.view_account"}

    @extend_schema(
        summary="Current, available and held balance; or the ledger balance as of a time",
        parameters=[OpenApiParameter("as_of", str, description="ISO 8601 timestamp")],
        responses={200: dict},
    )
    def get(self, request, account_id: str):
        account = account_get(public_id=account_id)
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


class StatementView(generics.ListAPIView):
    required_scopes = {"GET": "accounts:read"}
    staff_permissions = {"GET": "accounts.view_account"}
    serializer_class = StatementLineSerializer
    pagination_class = AscendingIdCursorPagination

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
            selectors.balance_as_of(account=account, at=start) if start else 0, account.currency
        )
        return response

    def get_queryset(self):
        self._account = account_get(public_id=self.kwargs["account_id"])
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
        result = services.hold_place(**v, idempotency_key=key, actor=actor_of(request))
        response = Response(
            HoldSerializer(result.hold).data, status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED
        )
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class HoldDetailView(APIView):
    required_scopes = {"GET": "transactions:read"}
    staff_permissions = {"GET": "ledger.view_hold"}

    @extend_schema(summary="Get a hold", responses={200: HoldSerializer})
    def get(self, request, hold_id: str):
        hold = services.hold_get(public_id=hold_id)
        return Response(HoldSerializer(hold).data)


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
        result = _post(
            "HOLD_CAPTURE",
            lambda: services.hold_capture(hold_id=hold_id, idempotency_key=key, actor=actor_of(request), **v),
        )
        return _posting_response(result)


class HoldVoidView(APIView):
    required_scopes = {"POST": "transactions:write"}
    staff_permissions = {"POST": "ledger.change_hold"}

    @extend_schema(summary="Void (release) a hold", request=None, responses={200: HoldSerializer})
    def post(self, request, hold_id: str):
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
