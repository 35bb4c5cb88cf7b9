"""Give the staff roles the permissions of the apps that came after the roles did (inbound, reconciliation,
cards, events, privacy, treasury: see apps/access/roles.py) as soon as their tables exist, as
``fraud.0002_roles`` does. Without it the ``post_migrate`` hook would add them with the real models, and a freshly
migrated database would start its audit trail with those changes.
"""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("treasury", "0001_initial"),
        ("access", "0002_roles"),
        ("compliance", "0005_sanctions_match_rule_kind"),
        ("payments", "0009_counterparty_corrections"),
        ("fraud", "0002_roles"),
        ("inbound", "0002_recall_request"),
        ("reconciliation", "0002_default_matching_rules"),
        ("cards", "0001_initial"),
        ("events", "0002_transaction_posted_trigger"),
        ("privacy", "0001_initial"),
        ("security", "0002_subject_keys"),
        ("approvals", "0005_privacy_erasure_kind"),
    ]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
