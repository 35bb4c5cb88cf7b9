"""Staff roles: Django groups with explicit permissions. This module is the permission matrix.

A data migration (``access.0002_roles``) creates the groups; a ``post_migrate`` hook re-applies the matrix
additively after every ``migrate`` (and after a test database flush), so a permission added here reaches
existing databases. Removing a permission from a group is a deliberate step in the admin.

Custom permissions exist where a model permission would be too coarse:

* ``ledger.post_transaction``    post deposits, withdrawals, transfers and fees (above the approval
                                 threshold a staff posting becomes a four-eyes request instead)
* ``ledger.reverse_transaction`` reverse a posted transaction
* ``ledger.post_adjustment``     request a manual adjustment (always four-eyes)
* ``accounts.freeze_account``    freeze an account (ACTIVE -> FROZEN), immediately
* ``accounts.unfreeze_account``  request an unfreeze (FROZEN -> ACTIVE), always four-eyes
* ``accounts.change_overdraft_limit`` request an overdraft limit change, always four-eyes
* ``approvals.approve_request``  approve or reject any approval request (never one's own)
* ``approvals.approve_compliance_request`` approve or reject compliance requests (account unfreezes)
* ``access.unlock_user``         unlock a staff login locked after failed attempts
* ``reconciliation.write_off_reconciliationbreak`` write off a break (four-eyes above the approval threshold)
"""

from __future__ import annotations

TELLER = "teller"
OPERATIONS = "operations"
COMPLIANCE_OFFICER = "compliance_officer"
AUDITOR = "auditor"
ADMINISTRATOR = "administrator"
DEALER = "dealer"

# (app_label, model, codename, name) for permissions no model's Meta declares.
CUSTOM_PERMISSIONS = [
    ("ledger", "journalentry", "post_transaction", "Can post deposits, withdrawals, transfers and fees"),
    ("ledger", "journalentry", "reverse_transaction", "Can reverse a transaction"),
    ("ledger", "journalentry", "post_adjustment", "Can request a manual adjustment (four-eyes)"),
    ("accounts", "account", "freeze_account", "Can freeze an account"),
    ("accounts", "account", "unfreeze_account", "Can request an account unfreeze (four-eyes)"),
    ("accounts", "account", "change_overdraft_limit", "Can request an overdraft limit change (four-eyes)"),
]

VIEW_BUSINESS = [
    "accounts.view_account",
    "ledger.view_journalentry",
    "ledger.view_posting",
    "ledger.view_accountbalance",
    "ledger.view_hold",
    "ledger.view_fxrate",
    "approvals.view_approvalrequest",
    "customers.view_customer",
    "customers.view_customerdocument",
]
VIEW_ALL = VIEW_BUSINESS + [
    "access.view_loginstate",
    "access.view_accessevent",
    "auth.view_user",
    "auth.view_group",
    "auth.view_permission",
    "iam.view_apiclient",
    "iam.view_apikey",
    "events.view_outboxevent",
    "events.view_webhooksubscription",
    "events.view_webhookdelivery",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    TELLER: VIEW_BUSINESS
    + [
        "customers.add_customer",
        "customers.change_customer",
        "accounts.add_account",
        "ledger.post_transaction",
    ],
    OPERATIONS: VIEW_BUSINESS
    + [
        # the event stream (apps.events): read it, manage webhook subscriptions, replay deliveries
        "events.view_outboxevent",
        "events.view_webhooksubscription",
        "events.add_webhooksubscription",
        "events.view_webhookdelivery",
        "accounts.add_account",
        "accounts.change_account",
        "accounts.freeze_account",
        "accounts.unfreeze_account",
        "accounts.change_overdraft_limit",
        "ledger.post_transaction",
        "ledger.reverse_transaction",
        "ledger.post_adjustment",
        "ledger.add_hold",
        "ledger.change_hold",
        "ledger.add_fxrate",
        "payments.view_paymentorder",
        "payments.view_achfile",
        "payments.change_paymentorder",
        # Inbound exceptions (suspense): apply to an account or return to the sender.
        "inbound.view_inboundpayment",
        "inbound.view_exceptionitem",
        "inbound.change_exceptionitem",
        # Reconciliation results; breaks are resolved or written off (four-eyes above the threshold) in the portal.
        "reconciliation.view_bankstatement",
        "reconciliation.view_reconciliationrun",
        "reconciliation.view_reconciliationbreak",
        "reconciliation.change_reconciliationbreak",
        "reconciliation.write_off_reconciliationbreak",
        # Card authorisations, read-only in the portal (masked PANs).
        "cards.view_card",
        "cards.view_authorisation",
    ],
    COMPLIANCE_OFFICER: VIEW_ALL
    + [
        "compliance.screen_name",
        "compliance.view_sanctionslist",
        "compliance.view_sanctionslistload",
        "compliance.view_sanctionsentry",
        "compliance.view_sanctionsname",
        "compliance.view_screeningalert",
        "compliance.decide_screeningalert",
        "compliance.view_allowlistentry",
        "compliance.change_allowlistentry",
        "compliance.view_blocklistentry",
        "compliance.add_blocklistentry",
        "compliance.change_blocklistentry",
        "compliance.view_rescreenrun",
        "customers.add_customer",
        "customers.change_customer",
        "customers.verify_customer",
        "customers.view_riskrule",
        "customers.change_riskrule",
        "customers.add_riskrule",
        "accounts.freeze_account",
        "accounts.unfreeze_account",
        "payments.view_paymentorder",
        "payments.view_achfile",
        "payments.change_paymentorder",
        "approvals.approve_compliance_request",
        "fraud.view_fraudalert",
        "fraud.review_fraudalert",
        "fraud.view_fraudlabel",
        "fraud.view_modelversion",
        # AML monitoring, cases and reports (apps.compliance): rules are edited in the admin (each edit a version).
        "compliance.view_monitoringrule",
        "compliance.add_monitoringrule",
        "compliance.change_monitoringrule",
        "compliance.view_monitoringruleversion",
        "compliance.view_amlalert",
        "compliance.view_amlcase",
        "compliance.work_amlcase",
        "compliance.view_casenote",
        "compliance.view_caseattachment",
        "compliance.view_caseevent",
        "compliance.view_amlreport",
        "compliance.add_amlreport",
        "compliance.review_amlreport",
        "compliance.file_amlreport",
        "compliance.view_customreport",
        "compliance.add_customreport",
        "compliance.change_customreport",
        # Data-subject rights (apps.privacy): erasure requests are four-eyes (a second officer approves).
        "privacy.export_subject",
        "privacy.request_erasure",
        "privacy.view_erasurerequest",
        "privacy.view_subjectexport",
        "privacy.view_consent",
        "privacy.add_consent",
        "privacy.view_privacyflags",
        "privacy.change_privacyflags",
    ],
    AUDITOR: VIEW_ALL
    + [
        "payments.view_paymentorder",
        "payments.view_achfile",
        "compliance.view_monitoringrule",
        "compliance.view_monitoringruleversion",
        "compliance.view_amlalert",
        "compliance.view_amlcase",
        "compliance.view_caseevent",
        "compliance.view_amlreport",
        # Screening decisions, read-only (who cleared or confirmed which alert, when, why): no decide_screeningalert.
        "compliance.view_screeningalert",
        "inbound.view_inboundpayment",
        "inbound.view_exceptionitem",
        "reconciliation.view_bankstatement",
        "reconciliation.view_reconciliationrun",
        "reconciliation.view_reconciliationbreak",
        "cards.view_card",
        "cards.view_authorisation",
        "treasury.view_fxquote",
        "treasury.view_fxdeal",
        "treasury.view_fxlimit",
        "treasury.view_fxpositionreport",
        "treasury.view_fxsettlement",
    ],
    # The FX desk: prices and books customers' conversions (the dealing page, the FX API as staff); limits are
    # the administrator's to set in the admin, so a dealer cannot raise the limit they trade against.
    DEALER: VIEW_BUSINESS
    + [
        "treasury.view_fxquote",
        "treasury.add_fxquote",
        "treasury.view_fxdeal",
        "treasury.add_fxdeal",
        "treasury.view_fxlimit",
        "treasury.view_fxpositionreport",
        "treasury.view_fxsettlement",  # the LP settlements (payment, MT300): a FAILED one is the desk's to settle
    ],
    ADMINISTRATOR: VIEW_ALL
    + [
        "auth.add_user",
        "auth.change_user",
        "auth.add_group",
        "auth.change_group",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "otp_static.view_staticdevice",
        "otp_static.delete_staticdevice",
        "access.unlock_user",
        "approvals.approve_request",
        "approvals.approve_compliance_request",
        "iam.add_apiclient",
        "iam.change_apiclient",
        "fraud.view_modelversion",
        "fraud.promote_modelversion",
        "treasury.view_fxlimit",
        "treasury.add_fxlimit",
        "treasury.change_fxlimit",
    ],
}


def apply_roles(apps, *, create_model_permissions: bool = True) -> None:
    """Create the custom permissions and the groups, and add each group's permissions (never removes).

    ``apps`` is a registry: the migration's historical one, or ``django.apps.apps``.
    """
    from django.apps import apps as live_apps
    from django.contrib.auth.management import create_permissions

    historical = apps is not live_apps  # during migrate: a later migration may bring the model

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    if create_model_permissions:  # during migrate, model permissions appear only after the last migration
        for app_config in apps.get_app_configs():
            had_module = getattr(app_config, "models_module", None)
            app_config.models_module = had_module or True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = had_module

    for app_label, model, codename, name in CUSTOM_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".", 1)
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is None:
                if historical and not _declared(apps, app_label, codename):
                    continue  # a model that comes in a later migration: that migration (or post_migrate) adds it
                raise LookupError(f"role {role}: permission {perm} does not exist")
            wanted.append(found)
        group.permissions.add(*wanted)


def _declared(apps, app_label: str, codename: str) -> bool:
    """True when a model of ``apps`` (historical during migrate) declares the permission ``codename``."""
    try:
        models = list(apps.get_app_config(app_label).get_models())
    except LookupError:
        return False
    for model in models:
        meta = model._meta
        if codename in {f"{action}_{meta.model_name}" for action in meta.default_permissions}:
            return True
        if codename in {name for name, _ in meta.permissions}:
            return True
    return False
