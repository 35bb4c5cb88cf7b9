"""Give the staff roles their fraud permissions as soon as the fraud tables exist (as ``compliance.0002_roles``).

Without it the ``post_migrate`` hook would add them with the real models, and a freshly migrated database would
start its audit trail with that change.
"""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [("fraud", "0001_initial"), ("access", "0002_roles"), ("compliance", "0002_roles")]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
