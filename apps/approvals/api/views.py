"""Approvals API: staff list requests, propose operations and decide other people's requests."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals import selectors, services
from apps.approvals.services import MAKER_PERMISSIONS
from apps.core.api.idempotency import idempotency_key_from
from apps.core.api.pagination import IdCursorPagination

from .gate import submit_for_approval
from .serializers import ApprovalCreateSerializer, ApprovalDecisionSerializer, ApprovalSerializer

# No required_scopes: approvals are for staff sessions (with a verified second factor), never API keys.
DECIDE = ("approvals.approve_request", "approvals.approve_compliance_request")


class ApprovalListCreateView(generics.ListAPIView):
    staff_permissions = {
        "GET": "approvals.view_approvalrequest",
        "POST": tuple(sorted(set(MAKER_PERMISSIONS.values()))),
    }
    serializer_class = ApprovalSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List approval requests", parameters=[OpenApiParameter("status", str), OpenApiParameter("kind", str)]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return selectors.approval_list(status=params.get("status"), kind=params.get("kind"))

    @extend_schema(
        summary="Propose an operation for four-eyes approval (e.g. a MANUAL_ADJUSTMENT)",
        request=ApprovalCreateSerializer,
        responses={202: ApprovalSerializer},
    )
    def post(self, request):
        data = ApprovalCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = idempotency_key_from(request, None, required=False)
        return submit_for_approval(
            request, kind=data.validated_data["kind"], payload=data.validated_data["payload"], idempotency_key=key
        )


class ApprovalDetailView(APIView):
    staff_permissions = {"GET": "approvals.view_approvalrequest"}

    @extend_schema(summary="Get an approval request", responses={200: ApprovalSerializer})
    def get(self, request, approval_id: str):
        return Response(ApprovalSerializer(selectors.approval_get(public_id=approval_id)).data)


class ApprovalApproveView(APIView):
    staff_permissions = {"POST": DECIDE}

    @extend_schema(
        summary="Approve a request (not your own) and execute it",
        request=ApprovalDecisionSerializer,
        responses={200: ApprovalSerializer},
    )
    def post(self, request, approval_id: str):
        data = ApprovalDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approval = services.approval_approve(
            public_id=approval_id, checker=request.user, reason=data.validated_data["reason"]
        )
        return Response(ApprovalSerializer(approval).data)


class ApprovalRejectView(APIView):
    staff_permissions = {"POST": DECIDE}

    @extend_schema(
        summary="Reject a request (not your own) with a reason",
        request=ApprovalDecisionSerializer,
        responses={200: ApprovalSerializer},
    )
    def post(self, request, approval_id: str):
        data = ApprovalDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        approval = services.approval_reject(
            public_id=approval_id, checker=request.user, reason=data.validated_data["reason"]
        )
        return Response(ApprovalSerializer(approval).data)
