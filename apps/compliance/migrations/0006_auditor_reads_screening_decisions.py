"""Auditors read screening decisions (``compliance.view_screeningalert``, the portal's "Screening decisions" page):
add the permission to the role here, with the migration's historical models, so a migrated database does not
start its audit trail with the ``post_migrate`` hook adding it (as ``compliance.0002_roles`` explains).
"""

from django.db import migrations


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [("compliance", "0005_sanctions_match_rule_kind"), ("treasury", "0002_roles")]
    operations = [migrations.RunPython(apply_roles, migrations.RunPython.noop)]
