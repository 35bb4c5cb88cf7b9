"""Payments API: send, list, detail, cancel. Views stay thin: parse, check scope and account, call one service."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.errors import AccountNotFound
from apps.accounts.models import Account
from apps.core.api.idempotency import actor_of, idempotency_key_from, keyed_response
from apps.core.api.pagination import IdCursorPagination
from apps.core.errors import InvalidInput
from apps.iam.tenancy import Use, account_for, may, readable_accounts

from .. import selectors, services
from ..errors import PaymentNotFound
from ..models import Rail
from ..states import PaymentStatus
from .serializers import PaymentDetailSerializer, PaymentSendSerializer, PaymentSerializer

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per payment; a retry with the same key and body returns the original payment.",
)


def _sender_account_id(identifier: str) -> str:
    """A QENEX account id as given, or the account an IBAN / account number was registered for."""
    if identifier.startswith("acc_"):
        return identifier
    resolved = selectors.account_alias_resolve(identifier=identifier)
    if resolved is None:
        raise AccountNotFound(f"no account {identifier}", field="sender.account")
    return resolved


def _payment_for(request, payment_id: str, *, use: Use):
    """The payment if the caller may ``use`` its debtor account; else 404, as if it did not exist."""
    payment = selectors.payment_get(public_id=payment_id)
    if not may(request, payment.debtor_account, use):
        raise PaymentNotFound(f"no payment {payment_id}", field="payment")
    return payment


class PaymentSendView(APIView):
    required_scopes = {"POST": "payments:write"}
    staff_permissions = {"POST": "payments.add_paymentorder"}

    @extend_schema(
        summary="Send a payment (routed to SEPA, SCT Inst, ACH, Fedwire or SWIFT)",
        request=PaymentSendSerializer,
        responses={201: PaymentSerializer, 202: PaymentSerializer, 200: PaymentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    def post(self, request):
        data = PaymentSendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_key_from(request, data.validated_data.get("idempotency_key"), required=True)
        payment_request = data.payment_request()
        account = account_for(
            request, _sender_account_id(payment_request.sender.account), use=Use.OWN, field="sender.account"
        )
        result = services.payment_send(
            request=payment_request, debtor_account=account.public_id, idempotency_key=key, actor=actor_of(request)
        )
        # 202: a check holds it for an officer; 201: created (queued, or refused by a check with its reason).
        created = status.HTTP_202_ACCEPTED if result.payment.status == PaymentStatus.HELD else status.HTTP_201_CREATED
        return keyed_response(PaymentSerializer(result.payment).data, replayed=result.replayed, created_status=created)


def _choice(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}", field=name, code="invalid_choice")
    return value


class PaymentListView(generics.ListAPIView):
    required_scopes = {"GET": "payments:read"}
    staff_permissions = {"GET": "payments.view_paymentorder"}
    serializer_class = PaymentSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List payments",
        parameters=[OpenApiParameter("status", str, enum=PaymentStatus.values), OpenApiParameter("rail", str)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        payments = selectors.payment_list(
            status=_choice(self.request, "status", PaymentStatus.values),
            rail=_choice(self.request, "rail", Rail.values),
        )
        return payments.filter(debtor_account__in=readable_accounts(self.request, Account.objects.all()))


class PaymentDetailView(APIView):
    required_scopes = {"GET": "payments:read"}
    staff_permissions = {"GET": "payments.view_paymentorder"}

    @extend_schema(
        summary="Get a payment with its state history and messages", responses={200: PaymentDetailSerializer}
    )
    def get(self, request, payment_id: str):
        return Response(PaymentDetailSerializer(_payment_for(request, payment_id, use=Use.READ)).data)


class PaymentCancelView(APIView):
    required_scopes = {"POST": "payments:write"}
    staff_permissions = {"POST": "payments.change_paymentorder"}

    @extend_schema(
        summary="Cancel a payment not yet submitted (its hold is voided)",
        request=None,
        responses={200: PaymentSerializer},
    )
    def post(self, request, payment_id: str):
        _payment_for(request, payment_id, use=Use.OWN)
        payment = services.payment_cancel(payment_id=payment_id, actor=actor_of(request))
        return Response(PaymentSerializer(payment).data)
