"""Tell drf-spectacular how API keys are sent, so the OpenAPI schema documents the security scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.iam.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "qnx_<prefix>_<secret>",
            "description": "API key from `manage.py create_api_client`: `Authorization: Bearer qnx_...`",
        }
