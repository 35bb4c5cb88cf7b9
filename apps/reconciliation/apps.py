from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "apps.reconciliation"
    label = "reconciliation"
    verbose_name = "Reconciliation"

    def ready(self) -> None:
        # Writing off a break above the four-eyes threshold is an operation of apps.approvals.
        from apps.approvals.services import register_kind

        from .services.breaks import APPROVAL_KIND, MAKER_PERMISSION, clean_write_off_payload, run_write_off_approval

        register_kind(
            kind=APPROVAL_KIND,
            maker_permission=MAKER_PERMISSION,
            clean=clean_write_off_payload,
            run=run_write_off_approval,
        )
