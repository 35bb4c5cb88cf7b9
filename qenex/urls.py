from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.api.views import HealthView, LivenessView

urlpatterns = [
    path("health", HealthView.as_view(), name="health"),
    path("health/ready", HealthView.as_view(), name="health-ready"),
    path("health/live", LivenessView.as_view(), name="health-live"),
    path("api/v1/", include("qenex.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[]), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[]), name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("", include("django_prometheus.urls")),
    path("", include("apps.portal.urls")),
]

handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
