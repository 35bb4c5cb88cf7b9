"""The matching rules a fresh installation starts with; operators change them in the admin."""

from django.db import migrations

DEFAULT_RULES = (
    ("uetr", 10, "uetr", 0),
    ("end-to-end id", 20, "end_to_end_id", 0),
    ("any reference", 30, "reference", 0),
    ("amount and value date", 40, "amount_date", 1),
)


def create_rules(apps, schema_editor):
    rule = apps.get_model("reconciliation", "MatchingRule")
    for name, priority, match_on, tolerance in DEFAULT_RULES:
        rule.objects.get_or_create(
            name=name, defaults={"priority": priority, "match_on": match_on, "date_tolerance_days": tolerance}
        )


def remove_rules(apps, schema_editor):
    apps.get_model("reconciliation", "MatchingRule").objects.filter(name__in=[r[0] for r in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("reconciliation", "0001_initial")]

    operations = [migrations.RunPython(create_rules, remove_rules)]
