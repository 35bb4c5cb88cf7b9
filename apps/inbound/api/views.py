"""Inbound API: upload a network message, list inbound payments and notices, resolve exception items.

Back-office operations (scope ``payments:inbound``; staff need the inbound model permissions). Views stay thin:
parse, call one service, render.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination
from apps.core.errors import InvalidInput
from apps.payments.models import Rail

from .. import selectors, services
from ..models import ExceptionStatus, InboundStatus, PaymentNotice
from .serializers import (
    ExceptionApplySerializer,
    ExceptionItemSerializer,
    ExceptionReturnSerializer,
    InboundPaymentSerializer,
    InboundReceiveSerializer,
    PaymentNoticeSerializer,
    ReceiveResultSerializer,
)


def _choice(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}", field=name, code="invalid_choice")
    return value


class InboundReceiveView(APIView):
    required_scopes = {"POST": "payments:inbound"}
    staff_permissions = {"POST": "inbound.add_inboundpayment"}

    @extend_schema(
        summary="Receive an inbound network message (pacs.008, pacs.004, MT103, MT910, Fedwire, NACHA file)",
        request=InboundReceiveSerializer,
        responses={201: ReceiveResultSerializer, 200: ReceiveResultSerializer},
    )
    def post(self, request):
        data = InboundReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.message_receive(
            raw=data.validated_data["message"].encode("utf-8"),
            rail=data.validated_data["rail"],
            source="api",
            actor=actor_of(request),
        )
        new = any(item.outcome != "duplicate" for item in result.items)
        code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
        return Response(ReceiveResultSerializer(result).data, status=code)


class InboundListView(generics.ListAPIView):
    required_scopes = {"GET": "payments:inbound"}
    staff_permissions = {"GET": "inbound.view_inboundpayment"}
    serializer_class = InboundPaymentSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List inbound payments",
        parameters=[OpenApiParameter("status", str, enum=InboundStatus.values), OpenApiParameter("rail", str)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.inbound_list(
            status=_choice(self.request, "status", InboundStatus.values),
            rail=_choice(self.request, "rail", Rail.values),
        ).select_related("exception")


class InboundDetailView(APIView):
    required_scopes = {"GET": "payments:inbound"}
    staff_permissions = {"GET": "inbound.view_inboundpayment"}

    @extend_schema(summary="Get an inbound payment", responses={200: InboundPaymentSerializer})
    def get(self, request, inbound_id: str):
        return Response(InboundPaymentSerializer(selectors.inbound_get(public_id=inbound_id)).data)


class ExceptionListView(generics.ListAPIView):
    required_scopes = {"GET": "payments:inbound"}
    staff_permissions = {"GET": "inbound.view_exceptionitem"}
    serializer_class = ExceptionItemSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List exception items (inbound payments in suspense)",
        parameters=[OpenApiParameter("status", str, enum=ExceptionStatus.values)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.exception_list(status=_choice(self.request, "status", ExceptionStatus.values))


class ExceptionApplyView(APIView):
    required_scopes = {"POST": "payments:inbound"}
    staff_permissions = {"POST": "inbound.change_exceptionitem"}

    @extend_schema(
        summary="Apply an exception item to an account (default: the account its identifiers named)",
        request=ExceptionApplySerializer,
        responses={200: ExceptionItemSerializer},
    )
    def post(self, request, exception_id: str):
        data = ExceptionApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.exception_apply(
            exception_id=exception_id,
            account_id=data.validated_data["account"] or None,
            actor=actor_of(request),
            note=data.validated_data["note"],
        )
        return Response(ExceptionItemSerializer(item).data)


class ExceptionReturnView(APIView):
    required_scopes = {"POST": "payments:inbound"}
    staff_permissions = {"POST": "inbound.change_exceptionitem"}

    @extend_schema(
        summary="Return an exception item to the sender (pacs.004, ACH return, MT103 /RETN/, Fedwire reversal)",
        request=ExceptionReturnSerializer,
        responses={200: ExceptionItemSerializer},
    )
    def post(self, request, exception_id: str):
        data = ExceptionReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.exception_return(
            exception_id=exception_id,
            actor=actor_of(request),
            reason_code=data.validated_data["reason_code"] or None,
            note=data.validated_data["note"],
        )
        return Response(ExceptionItemSerializer(item).data)


class NoticeListView(generics.ListAPIView):
    required_scopes = {"GET": "payments:inbound"}
    staff_permissions = {"GET": "inbound.view_paymentnotice"}
    serializer_class = PaymentNoticeSerializer
    pagination_class = IdCursorPagination
    queryset = PaymentNotice.objects.all()

    @extend_schema(summary="List returns and change notices received for our payments")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
