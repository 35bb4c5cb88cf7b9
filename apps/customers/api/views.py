"""Customers API: thin views that parse input, call one service or selector and render the result."""

from __future__ import annotations

import base64
import binascii

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination
from apps.core.api.parsers import ExactJSONParser
from apps.core.errors import InvalidInput
from apps.core.money import to_minor_units
from apps.iam.tenancy import Use, scope_of

from .. import selectors, services
from ..errors import CustomerNotFound
from .serializers import (
    CustomerCreateSerializer,
    CustomerFieldsSerializer,
    CustomerSerializer,
    DocumentDecisionSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    RejectSerializer,
    VerifySerializer,
)

VIEW = "customers.view_customer"
CHANGE = "customers.change_customer"
VERIFY = "customers.verify_customer"


def _fields(validated: dict) -> dict:
    """API field names to the service's: the amount as a decimal string becomes minor units."""
    fields = dict(validated)
    if "date_of_birth" in fields:
        fields["date_of_birth"] = fields["date_of_birth"] or ""
    if "expected_monthly_amount" in fields:
        currency = fields.get("expected_currency", "EUR")
        fields["expected_monthly_amount_minor"] = to_minor_units(
            fields.pop("expected_monthly_amount"), currency, field="expected_monthly_amount", allow_zero=True
        )
    return fields


def _customer_for(request, customer_id: str):
    if not scope_of(request).allows(customer_id, Use.OWN):  # an integrator reaches only its own customers
        raise CustomerNotFound(f"no customer {customer_id}", field="customer")
    return selectors.customer_get(public_id=customer_id)


class CustomerListCreateView(generics.ListAPIView):
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}
    staff_permissions = {"GET": VIEW, "POST": "customers.add_customer"}
    serializer_class = CustomerSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List customers (name and national_id match exactly, through their blind indexes)",
        parameters=[
            OpenApiParameter("kyc_status", str),
            OpenApiParameter("risk_rating", str),
            OpenApiParameter("name", str),
            OpenApiParameter("national_id", str),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        scope = scope_of(self.request)
        return selectors.customer_list(
            kyc_status=params.get("kyc_status"),
            risk_rating=params.get("risk_rating"),
            name=params.get("name"),
            national_id=params.get("national_id"),
            owner_ids=None if scope.all_customers or scope.reads_bank_accounts else scope.owner_ids,
        )

    @extend_schema(
        summary="Create a customer (KYC pending; rated and screened at once)",
        request=CustomerCreateSerializer,
        responses={201: CustomerSerializer},
    )
    def post(self, request):
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_create(fields=_fields(data.validated_data), actor=actor_of(request))
        return Response(CustomerSerializer(customer).data, status=201)


class CustomerDetailView(APIView):
    required_scopes = {"GET": "customers:read", "PATCH": "customers:write"}
    staff_permissions = {"GET": VIEW, "PATCH": CHANGE}

    @extend_schema(summary="Get a customer with its KYC, risk and screening state", responses={200: CustomerSerializer})
    def get(self, request, customer_id: str):
        return Response(CustomerSerializer(_customer_for(request, customer_id)).data)

    @extend_schema(
        summary="Change a customer's data (re-rated; rescreened when a screened field changes)",
        request=CustomerFieldsSerializer,
        responses={200: CustomerSerializer},
    )
    def patch(self, request, customer_id: str):
        _customer_for(request, customer_id)
        data = CustomerFieldsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(
            public_id=customer_id, fields=_fields(data.validated_data), actor=actor_of(request)
        )
        return Response(CustomerSerializer(customer).data)


class CustomerDocumentsView(APIView):
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}
    staff_permissions = {"GET": VIEW, "POST": CHANGE}
    parser_classes = [ExactJSONParser, MultiPartParser]  # a file comes as multipart, or base64 in JSON

    @extend_schema(summary="List a customer's documents", responses={200: DocumentSerializer(many=True)})
    def get(self, request, customer_id: str):
        customer = _customer_for(request, customer_id)
        return Response(DocumentSerializer(selectors.documents_of(customer=customer), many=True).data)

    @extend_schema(
        summary="Upload a document (multipart `file`, or `content_base64` in JSON); pending review",
        request=DocumentUploadSerializer,
        responses={201: DocumentSerializer},
    )
    def post(self, request, customer_id: str):
        _customer_for(request, customer_id)
        data = DocumentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        args = dict(data.validated_data)
        upload, encoded = args.pop("file", None), args.pop("content_base64", None)
        if upload is not None:
            content = upload.read()
            args["file_name"] = args["file_name"] or upload.name
            args["content_type"] = args["content_type"] or (upload.content_type or "")
        elif encoded is not None:
            try:
                content = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput("content_base64 is not base64", field="content_base64") from None
        else:
            raise InvalidInput("send the document as file or content_base64", field="file", code="missing_field")
        document = services.document_upload(customer_id=customer_id, content=content, actor=actor_of(request), **args)
        return Response(DocumentSerializer(document).data, status=201)


class DocumentDecisionView(APIView):
    required_scopes = {"POST": "customers:write"}
    staff_permissions = {"POST": VERIFY}

    @extend_schema(
        summary="Verify (or reject, with a reason) a customer's document",
        request=DocumentDecisionSerializer,
        responses={200: DocumentSerializer},
    )
    def post(self, request, customer_id: str, document_id: str):
        _customer_for(request, customer_id)
        data = DocumentDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_decide(
            customer_id=customer_id, document_id=document_id, actor=actor_of(request), **data.validated_data
        )
        return Response(DocumentSerializer(document).data)


class CustomerVerifyView(APIView):
    required_scopes = {"POST": "customers:write"}
    staff_permissions = {"POST": VERIFY}

    @extend_schema(
        summary="Verify a customer's KYC (needs a verified identity document, clear screening, EDD if high risk)",
        request=VerifySerializer,
        responses={200: CustomerSerializer},
    )
    def post(self, request, customer_id: str):
        _customer_for(request, customer_id)
        data = VerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_verify(public_id=customer_id, actor=actor_of(request), **data.validated_data)
        return Response(CustomerSerializer(customer).data)


class CustomerRejectView(APIView):
    required_scopes = {"POST": "customers:write"}
    staff_permissions = {"POST": VERIFY}

    @extend_schema(
        summary="Reject a customer's KYC, with a reason", request=RejectSerializer, responses={200: CustomerSerializer}
    )
    def post(self, request, customer_id: str):
        _customer_for(request, customer_id)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_reject(public_id=customer_id, actor=actor_of(request), **data.validated_data)
        return Response(CustomerSerializer(customer).data)
