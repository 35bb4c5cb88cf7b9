"""Operations resolve and write off reconciliation breaks (``reconciliation.change_reconciliationbreak`` and
``reconciliation.write_off_reconciliationbreak``, see apps/access/roles.py), as ``treasury.0002_roles`` gives the
later apps' permissions: as soon as the permission exists, so a migrated database does not start its audit trail
with the ``post_migrate`` hook's change.
"""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0004_login_state_per_source_ip"),
        ("reconciliation", "0003_break_resolution"),
        ("approvals", "0006_recon_write_off_kind"),
        ("treasury", "0002_roles"),
    ]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
