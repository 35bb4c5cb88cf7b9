"""The OpenAPI schema and Swagger UI: who may read them, and a page that loads only same-origin files.

In production the schema describes every operation and its error codes, so only API-key clients and
MFA-verified staff may read it (``QENEX_API_DOCS_PUBLIC`` is false there); development and test keep it open.
Swagger UI comes from drf-spectacular-sidecar's static files (no CDN, works offline), and its start-up
script is a separate same-origin request (``SpectacularSwaggerSplitView``), so the page runs under the
portal's strict Content-Security-Policy with no inline script or style.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings


class ApiDocsAccess(BasePermission):
    """Anyone where the docs are public; otherwise an API key or a staff session (verified with MFA)."""

    def has_permission(self, request, view) -> bool:
        if settings.QENEX_API_DOCS_PUBLIC:
            return True
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if getattr(user, "api_key", None) is not None:
            return True
        # OTPSessionAuthentication only admits sessions that passed the OTP step.
        return bool(user.is_active and user.is_staff)


class JsonErrorsMixin:
    """Refusals in the API's JSON error shape, not as YAML (schema) or a bare "401 Unauthorized" page (docs)."""

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    permission_classes = [ApiDocsAccess]


class SwaggerDocsView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    authentication_classes = api_settings.DEFAULT_AUTHENTICATION_CLASSES
    permission_classes = [ApiDocsAccess]
    template_name = "api/swagger_ui.html"
