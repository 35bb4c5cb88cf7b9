"""Give the staff roles their compliance permissions as soon as the compliance tables exist.

``access.0002_roles`` runs before this app's tables, so it skips these permissions; without this migration the
``post_migrate`` hook would add them with the real models, and a freshly migrated database would start its audit
trail with that change. Here they are added with the migration's historical models, as the roles were created.
"""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial"), ("access", "0002_roles")]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
