"""An index for fraud scoring's terminal history: a terminal's authorisations of the look-back, any card
(``apps.fraud.selectors.histories``: merchant_id, terminal_id, created_at range). Built concurrently: the
authorisation table takes writes all the time, and CREATE INDEX without CONCURRENTLY would block them while it
builds (so this migration is not atomic)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cards", "0001_initial")]

    operations = [
        AddIndexConcurrently(
            model_name="authorisation",
            index=models.Index(fields=["merchant_id", "terminal_id", "created_at"], name="cards_auth_terminal_time"),
        ),
    ]
