"""Document the OTP-verified session in the OpenAPI schema (a cookie, like DRF's session scheme)."""

from drf_spectacular.authentication import SessionScheme


class OTPSessionScheme(SessionScheme):
    target_class = "apps.access.authentication.OTPSessionAuthentication"
    name = "cookieAuth"
    priority = 0

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] = "Staff session cookie from the portal sign-in, after the OTP step"
        return definition
