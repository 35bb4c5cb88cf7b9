import importlib

import pytest

from tests.customers.conftest import kyc_on  # noqa: F401 (a fixture for these scenarios)


@pytest.fixture(autouse=True)
def seeded_risk_rules(transactional_db):
    """The risk rules the data migration seeds: a transactional test's flush empties the table, so put them back."""
    from apps.customers.models import RiskRule
    from apps.customers.services import risk_rule_save

    seed = importlib.import_module("apps.customers.migrations.0002_risk_rules_and_roles")
    if not RiskRule.objects.exists():
        for factor, value, points, reason in seed.RULES:
            risk_rule_save(factor=factor, value=value, points=points, reason=reason, actor="migration")
