"""Cards API: issue, get, block, list a card's authorisations. Thin: parse, check scope and account, one service."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of, idempotency_key_from, keyed_response
from apps.core.api.pagination import IdCursorPagination
from apps.core.errors import InvalidInput
from apps.iam.tenancy import OwnerNotAllowed, Use, account_for, may, scope_of

from .. import selectors, services
from ..errors import CardNotFound
from ..iso import answer_message
from .serializers import AuthorisationSerializer, CardBlockSerializer, CardIssueSerializer, CardSerializer

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="A retry with the same key and body returns the card first issued.",
)


def _card_for(request, card_id: str, *, use: Use):
    """The card if the caller may ``use`` its account; else 404, as if it did not exist."""
    card = selectors.card_get(public_id=card_id)
    if not may(request, card.account, use):
        raise CardNotFound(f"no card {card_id}", field="card")
    return card


class CardIssueView(APIView):
    required_scopes = {"POST": "cards:write"}
    staff_permissions = {"POST": "cards.add_card"}

    @extend_schema(
        summary="Issue a card on an account (the PAN is stored encrypted; answers show a token and the last four)",
        request=CardIssueSerializer,
        responses={201: CardSerializer, 200: CardSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request):
        data = CardIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = idempotency_key_from(request, values.get("idempotency_key"), required=False)
        account = account_for(request, values["account"], use=Use.OWN)
        issued = services.card_issue(
            account=account.public_id,
            pan=values["pan"],
            expiry_year=values["expiry_year"],
            expiry_month=values["expiry_month"],
            per_transaction_limit=values["per_transaction_limit"],
            daily_limit=values["daily_limit"],
            idempotency_key=key,
            actor=actor_of(request),
        )
        return keyed_response(CardSerializer(issued.card).data, replayed=issued.replayed)


class CardDetailView(APIView):
    required_scopes = {"GET": "cards:read"}
    staff_permissions = {"GET": "cards.view_card"}

    @extend_schema(summary="Get a card", responses={200: CardSerializer})
    def get(self, request, card_id: str):
        return Response(CardSerializer(_card_for(request, card_id, use=Use.READ)).data)


class CardBlockView(APIView):
    required_scopes = {"POST": "cards:write"}
    staff_permissions = {"POST": "cards.change_card"}

    @extend_schema(
        summary="Block a card (or report it LOST, which is final): later authorisations are declined",
        request=CardBlockSerializer,
        responses={200: CardSerializer},
    )
    def post(self, request, card_id: str):
        data = CardBlockSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _card_for(request, card_id, use=Use.OWN)
        card = services.card_change_status(
            card_id=card_id,
            status=data.validated_data["status"],
            reason=data.validated_data["reason"],
            actor=actor_of(request),
        )
        return Response(CardSerializer(card).data)


class CardAuthorisationListView(generics.ListAPIView):
    required_scopes = {"GET": "cards:read"}
    staff_permissions = {"GET": "cards.view_authorisation"}
    serializer_class = AuthorisationSerializer
    pagination_class = IdCursorPagination

    @extend_schema(summary="List a card's authorisations, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        card = _card_for(self.request, self.kwargs["card_id"], use=Use.READ)
        return selectors.authorisations_of_card(card=card)


class _OctetStreamParser(BaseParser):
    media_type = "application/octet-stream"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read() if stream is not None else b""


class _OctetStreamRenderer(BaseRenderer):
    """Error bodies stay JSON when a client asks for octet-stream only."""

    media_type = "application/octet-stream"
    format = "iso8583"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data, default=str).encode()


class CardMessageView(APIView):
    """The issuer host over HTTP: the same answers as the TCP host, one message per request, no length prefix."""

    required_scopes = {"POST": "cards:network"}
    staff_permissions = {"POST": "cards.add_authorisation"}
    parser_classes = [_OctetStreamParser]
    renderer_classes = [JSONRenderer, _OctetStreamRenderer]

    @extend_schema(
        summary="Send one ISO 8583 request (0100, 0220, 0400, 0420) to the issuer host; the answer is the response",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def post(self, request):
        if not scope_of(request).all_customers:  # the card network speaks for every cardholder
            raise OwnerNotAllowed("card messages need a client reaching every customer", field="body")
        raw = request.data if isinstance(request.data, bytes) else b""
        reply = answer_message(raw) if raw else None
        if reply is None:
            raise InvalidInput(
                "not a readable ISO 8583 0100, 0220, 0400 or 0420", field="body", code="unreadable_message"
            )
        return HttpResponse(reply, content_type="application/octet-stream")
