"""Customer FX API: firm quotes and their acceptance (booking + hedge), deals and the desk's positions."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of, idempotency_header, idempotency_key_from, keyed_response
from apps.iam.tenancy import Use, account_for
from apps.treasury import selectors, services
from apps.treasury.fix.client import lp_client

from .serializers import FxDealSerializer, FxQuoteAcceptSerializer, FxQuoteCreateSerializer, FxQuoteSerializer

ACCEPT_KEY = idempotency_header("Unique per accept; a retry with the same key for the same quote returns the deal.")


class FxQuoteCreateView(APIView):
    required_scopes = {"POST": "fx:write"}
    staff_permissions = {"POST": "treasury.add_fxquote"}

    @extend_schema(summary="A firm FX quote (our markup over the LP)", request=FxQuoteCreateSerializer,
                   responses={201: FxQuoteSerializer})  # fmt: skip
    def post(self, request):
        data = FxQuoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        account_for(request, v["from_account"], use=Use.OWN, field="from_account")
        account_for(request, v["to_account"], use=Use.OWN, field="to_account")
        quote = services.quote_create(**v, actor=actor_of(request))
        return Response(FxQuoteSerializer(quote).data, status=status.HTTP_201_CREATED)


class FxQuoteAcceptView(APIView):
    required_scopes = {"POST": "fx:write"}
    staff_permissions = {"POST": "treasury.add_fxdeal"}

    @extend_schema(summary="Accept a quote: book the deal in the ledger and hedge it with the LP",
                   request=FxQuoteAcceptSerializer, responses={201: FxDealSerializer, 200: FxDealSerializer},
                   parameters=[ACCEPT_KEY])  # fmt: skip
    def post(self, request, quote_id: str):
        data = FxQuoteAcceptSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        key = idempotency_key_from(request, data.validated_data.get("idempotency_key"), required=True)
        quote = selectors.quote_get(public_id=quote_id)
        account_for(request, quote.from_account, use=Use.OWN, field="quote_id")
        accepted = services.quote_accept(quote_id=quote_id, idempotency_key=key, actor=actor_of(request))
        return keyed_response(FxDealSerializer(accepted.deal).data, replayed=accepted.replayed)


class FxPositionsView(APIView):
    required_scopes = {"GET": "transactions:read"}
    staff_permissions = {"GET": "treasury.view_fxdeal"}

    @extend_schema(summary="The desk's open positions per currency and P&L marked to the LP", responses={200: dict})
    def get(self, request):
        return Response(selectors.positions_and_pnl(prices=lp_client().prices()))
