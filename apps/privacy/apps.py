from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "apps.privacy"
    label = "privacy"
    verbose_name = "Data protection (subject access, erasure, consents)"

    def ready(self) -> None:
        # Executing an erasure is a four-eyes operation of apps.approvals (a second officer approves).
        from apps.approvals.services import register_kind

        from .services import APPROVAL_KIND, clean_erasure_payload, run_erasure_approval

        register_kind(
            kind=APPROVAL_KIND,
            maker_permission="privacy.request_erasure",
            clean=clean_erasure_payload,
            run=run_erasure_approval,
        )
