"""Reconciliation API: import a statement, list and read runs (summary + breaks), list and resolve breaks.

Views stay thin: parse, check the scope (``reconciliation:read`` / ``reconciliation:write``), call one service.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.approvals.api.gate import maker_of
from apps.approvals.api.serializers import ApprovalSerializer
from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination
from apps.core.errors import InvalidInput

from .. import selectors, services
from ..models import BreakKind, BreakStatus
from .serializers import (
    BreakResolveSerializer,
    BreakSerializer,
    BreakWriteOffSerializer,
    RunDetailSerializer,
    RunSerializer,
    StatementImportSerializer,
    StatementSerializer,
)


def _choice(request, name: str, choices) -> str | None:
    value = request.query_params.get(name)
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}", field=name, code="invalid_choice")
    return value


class StatementImportView(APIView):
    required_scopes = {"POST": "reconciliation:write"}
    staff_permissions = {"POST": "reconciliation.add_bankstatement"}

    @extend_schema(
        summary="Import a bank statement (camt.052/053/054 any version, MT940/MT942/MT950) and reconcile it",
        request=StatementImportSerializer,
        responses={201: StatementSerializer(many=True), 200: StatementSerializer(many=True)},
    )
    def post(self, request):
        data = StatementImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_of(request)
        result = services.statement_import(raw=data.raw(), actor=actor, account=data.validated_data["account"] or None)
        runs = []
        if data.validated_data["reconcile"]:
            runs = [services.reconciliation_run(statement_id=row.public_id, actor=actor) for row in result.created]
        body = {
            "message_type": result.message_type,
            "statements": StatementSerializer(result.statements, many=True).data,
            "runs": RunSerializer(runs, many=True).data,
            "duplicate": not result.created,
        }
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class RunListView(generics.ListAPIView):
    required_scopes = {"GET": "reconciliation:read"}
    staff_permissions = {"GET": "reconciliation.view_reconciliationrun"}
    serializer_class = RunSerializer
    pagination_class = IdCursorPagination

    @extend_schema(summary="List reconciliation runs (summaries)", parameters=[OpenApiParameter("account", str)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.run_list(account=self.request.query_params.get("account"))


class RunDetailView(APIView):
    required_scopes = {"GET": "reconciliation:read"}
    staff_permissions = {"GET": "reconciliation.view_reconciliationrun"}

    @extend_schema(
        summary="A reconciliation run: summary, ageing and every break", responses={200: RunDetailSerializer}
    )
    def get(self, request, run_id: str):
        return Response(RunDetailSerializer(selectors.run_get(public_id=run_id)).data)


class RunCreateView(APIView):
    required_scopes = {"POST": "reconciliation:write"}
    staff_permissions = {"POST": "reconciliation.add_reconciliationrun"}

    @extend_schema(summary="Reconcile an imported statement again", request=None, responses={201: RunDetailSerializer})
    def post(self, request, statement_id: str):
        run = services.reconciliation_run(statement_id=statement_id, actor=actor_of(request))
        return Response(RunDetailSerializer(run).data, status=status.HTTP_201_CREATED)


class BreakListView(generics.ListAPIView):
    required_scopes = {"GET": "reconciliation:read"}
    staff_permissions = {"GET": "reconciliation.view_reconciliationbreak"}
    serializer_class = BreakSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List breaks (exception items) with their age",
        parameters=[
            OpenApiParameter("status", str, enum=BreakStatus.values),
            OpenApiParameter("kind", str, enum=BreakKind.values),
            OpenApiParameter("run", str),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.break_list(
            status=_choice(self.request, "status", BreakStatus.values),
            kind=_choice(self.request, "kind", BreakKind.values),
            run=self.request.query_params.get("run"),
        )


class BreakResolveView(APIView):
    required_scopes = {"POST": "reconciliation:write"}
    staff_permissions = {"POST": "reconciliation.change_reconciliationbreak"}

    @extend_schema(
        summary="Resolve a break with a note, optionally naming the payment and/or journal entry it is",
        request=BreakResolveSerializer,
        responses={200: BreakSerializer},
    )
    def post(self, request, break_id: str):
        data = BreakResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.break_resolve(break_id=break_id, actor=actor_of(request), **data.validated_data)
        return Response(BreakSerializer(item).data)


class BreakWriteOffView(APIView):
    required_scopes = {"POST": "reconciliation:write"}
    staff_permissions = {"POST": "reconciliation.write_off_reconciliationbreak"}

    @extend_schema(
        summary="Write a break off with a reason (above the four-eyes threshold: 202 with the approval request)",
        request=BreakWriteOffSerializer,
        responses={200: BreakSerializer, 202: ApprovalSerializer},
    )
    def post(self, request, break_id: str):
        data = BreakWriteOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = services.break_write_off(
            break_id=break_id, reason=data.validated_data["reason"], actor=actor_of(request), maker=maker_of(request)
        )
        if outcome.approval is not None:
            return Response(ApprovalSerializer(outcome.approval).data, status=status.HTTP_202_ACCEPTED)
        return Response(BreakSerializer(outcome.item).data)
