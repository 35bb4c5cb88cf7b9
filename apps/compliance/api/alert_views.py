"""Screening alerts API for compliance officers: list, get, clear, confirm. Thin views over ``alerts``.

Decisions are a person's: staff sessions with ``compliance.decide_screeningalert`` only (no API-key scope is
declared for them, so machine clients are refused).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.compliance import alert_selectors, alerts
from apps.compliance.alert_models import ScreeningAlert
from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination
from apps.core.api.serializers import InputSerializer


class ScreeningAlertSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")

    class Meta:
        model = ScreeningAlert
        fields = [
            "id",
            "subject_type",
            "subject_id",
            "party_role",
            "party_name",
            "party_country",
            "owner_id",
            "account",
            "list_code",
            "entry_id",
            "matched_name",
            "score",
            "explanation",
            "source",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "created_at",
        ]


class DecisionSerializer(InputSerializer):
    reason = serializers.CharField(max_length=1000)


class AlertListView(generics.ListAPIView):
    required_scopes = {"GET": "screening:read"}
    staff_permissions = {"GET": "compliance.view_screeningalert"}
    serializer_class = ScreeningAlertSerializer
    pagination_class = IdCursorPagination

    @extend_schema(
        summary="List screening alerts",
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("subject_type", str),
            OpenApiParameter("subject_id", str),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        return alert_selectors.alert_list(
            status=params.get("status"), subject_type=params.get("subject_type"), subject_id=params.get("subject_id")
        )


class AlertDetailView(APIView):
    required_scopes = {"GET": "screening:read"}
    staff_permissions = {"GET": "compliance.view_screeningalert"}

    @extend_schema(summary="Get a screening alert", responses={200: ScreeningAlertSerializer})
    def get(self, request, alert_id: str):
        return Response(ScreeningAlertSerializer(alert_selectors.alert_get(public_id=alert_id)).data)


class AlertClearView(APIView):
    staff_permissions = {"POST": "compliance.decide_screeningalert"}

    @extend_schema(
        summary="Clear an alert as a false positive (allow-lists the party for the entry; releases held money)",
        request=DecisionSerializer,
        responses={200: ScreeningAlertSerializer},
    )
    def post(self, request, alert_id: str):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alerts.alert_clear(alert_id=alert_id, reason=data.validated_data["reason"], actor=actor_of(request))
        return Response(ScreeningAlertSerializer(alert).data)


class AlertConfirmView(APIView):
    staff_permissions = {"POST": "compliance.decide_screeningalert"}

    @extend_schema(
        summary="Confirm an alert as a true match (rejects the held payment, freezes the accounts)",
        request=DecisionSerializer,
        responses={200: ScreeningAlertSerializer},
    )
    def post(self, request, alert_id: str):
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        alert = alerts.alert_confirm(alert_id=alert_id, reason=data.validated_data["reason"], actor=actor_of(request))
        return Response(ScreeningAlertSerializer(alert).data)
