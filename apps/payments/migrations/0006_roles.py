"""Give the staff roles their payments permissions (view payments and ACH files; operations and compliance
officers release, reject, retry and cancel) with the migration's historical models, as the roles were created."""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_ach_files"), ("access", "0002_roles"), ("compliance", "0002_roles")]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
