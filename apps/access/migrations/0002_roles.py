"""Create the staff roles (groups) and the custom permissions of ``apps.access.roles``."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from apps.access.roles import apply_roles

    apply_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("approvals", "0001_initial"),
        ("accounts", "0001_initial"),
        ("ledger", "0002_ledger_invariants"),
        ("iam", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("otp_totp", "__latest__"),
        ("otp_static", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
