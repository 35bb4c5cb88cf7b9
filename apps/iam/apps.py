from django.apps import AppConfig


class IamConfig(AppConfig):
    name = "apps.iam"
    label = "iam"
    verbose_name = "Identity and access"

    def ready(self) -> None:
        from . import (
            schema,  # noqa: F401  (registers the OpenAPI security scheme)
            throttling,  # noqa: F401  (exports the rate limiter's metric from the start)
        )
