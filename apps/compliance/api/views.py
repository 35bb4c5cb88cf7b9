"""Screening API: one thin view over ``apps.compliance.screening.screen_name``."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.compliance.screening import screen_name

from .serializers import ScreeningResultSerializer, ScreeningSearchSerializer


class ScreeningSearchView(APIView):
    required_scopes = {"POST": "screening:read"}
    staff_permissions = {"POST": "compliance.screen_name"}

    @extend_schema(
        summary="Screen a name against the sanctions lists (OFAC SDN, UN)",
        request=ScreeningSearchSerializer,
        responses={200: ScreeningResultSerializer},
    )
    def post(self, request):
        data = ScreeningSearchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = screen_name(**data.validated_data)
        return Response(result.as_dict())
