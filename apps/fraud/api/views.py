"""Fraud review API: the open alerts, and an analyst's decision on one (stored as a label)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api.idempotency import actor_of
from apps.core.api.pagination import IdCursorPagination

from .. import selectors, services
from .serializers import AlertDecisionSerializer, FraudAlertSerializer


class AlertListView(generics.ListAPIView):
    required_scopes = {"GET": "fraud:review"}
    staff_permissions = {"GET": "fraud.view_fraudalert"}
    serializer_class = FraudAlertSerializer
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return selectors.alert_list(status=self.request.query_params.get("status") or None)

    @extend_schema(
        summary="Fraud alerts (the review queue), newest first",
        parameters=[OpenApiParameter("status", str, enum=["open", "fraud", "not_fraud"])],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AlertDecisionView(APIView):
    required_scopes = {"POST": "fraud:review"}
    staff_permissions = {"POST": "fraud.review_fraudalert"}

    @extend_schema(
        summary="Decide a fraud alert: fraud or not fraud (the label feeds training and the live metrics)",
        request=AlertDecisionSerializer,
        responses={200: FraudAlertSerializer},
    )
    def post(self, request, alert_id: str):
        data = AlertDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = services.alert_decide(alert_id=alert_id, is_fraud=data.validated_data["decision"] == "fraud",
                                      actor=actor_of(request))
        return Response(FraudAlertSerializer(label.alert).data)
