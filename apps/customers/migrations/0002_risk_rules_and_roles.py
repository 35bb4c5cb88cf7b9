"""The bank's starting risk rules (officers change them in the admin) and the staff roles' customer permissions.

Countries: the FATF "call for action" jurisdictions and others the bank treats as high risk; industries and
channels as a typical risk-based approach weighs them. Points add up; 25 is medium, 50 high (apps.customers.risk).
"""

from django.db import migrations

RULES = [
    ("country", "KP", 60, "FATF call for action: Democratic People's Republic of Korea"),
    ("country", "IR", 60, "FATF call for action: Iran"),
    ("country", "MM", 60, "FATF call for action: Myanmar"),
    ("country", "SY", 40, "comprehensive sanctions: Syria"),
    ("country", "CU", 30, "US embargo: Cuba"),
    ("country", "RU", 30, "sectoral sanctions: Russia"),
    ("country", "BY", 30, "sectoral sanctions: Belarus"),
    ("country", "AF", 30, "high-risk jurisdiction: Afghanistan"),
    ("country", "YE", 30, "high-risk jurisdiction: Yemen"),
    ("country", "VE", 25, "high-risk jurisdiction: Venezuela"),
    ("pep", "true", 50, "politically exposed person"),
    ("industry", "arms", 40, "arms and defence trade"),
    ("industry", "money_services", 30, "money service business"),
    ("industry", "crypto", 30, "virtual asset service provider"),
    ("industry", "gambling", 25, "gambling"),
    ("industry", "precious_metals", 25, "dealer in precious metals and stones"),
    ("industry", "real_estate", 15, "real estate"),
    ("industry", "cash_intensive", 15, "cash-intensive business"),
    ("industry", "charity", 15, "non-profit organisation"),
    ("channel", "online", 10, "onboarded online, not face to face"),
    ("channel", "api", 15, "onboarded through an integrator, not face to face"),
    ("channel", "intermediary", 15, "introduced by an intermediary"),
    ("product", "CORRESPONDENT", 30, "correspondent banking"),
    ("product", "PRIVATE_BANKING", 20, "private banking"),
    ("product", "TRADE_FINANCE", 20, "trade finance"),
]


def add_rules(apps, schema_editor):
    RiskRule = apps.get_model("customers", "RiskRule")
    for factor, value, points, reason in RULES:
        RiskRule.objects.get_or_create(factor=factor, value=value, defaults={"points": points, "reason": reason})


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("compliance", "0004_screening_alerts"),
        ("access", "0002_roles"),
    ]
    operations = [
        migrations.RunPython(add_rules, migrations.RunPython.noop),
        migrations.RunPython(apply_roles, migrations.RunPython.noop),
    ]
