from django.contrib import admin
from django.urls import include, path

from apps.core.api.docs import SchemaView, SwaggerDocsView
from apps.core.api.views import HealthView, LivenessView
from apps.core.views import metrics

urlpatterns = [
    path("health", HealthView.as_view(), name="health"),
    path("health/ready", HealthView.as_view(), name="health-ready"),
    path("health/live", LivenessView.as_view(), name="health-live"),
    path("metrics", metrics, name="prometheus-django-metrics"),
    path("api/v1/", include("qenex.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("", include("apps.portal.urls")),
]

handler404 = "apps.core.views.not_found"
handler500 = "apps.core.views.server_error"
