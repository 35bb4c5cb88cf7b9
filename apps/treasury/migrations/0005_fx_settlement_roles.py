"""Give the dealer and auditor roles ``treasury.view_fxsettlement`` (apps/access/roles.py) as soon as the table exists,
as ``treasury.0002_roles`` does for the desk's first models."""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [("treasury", "0004_fx_settlement")]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
