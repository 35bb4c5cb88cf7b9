"""An index for fraud scoring's terminal history: a terminal's authorisations of the look-back, any card
(``apps.fraud.selectors.histories``: merchant_id, terminal_id, created_at range). Built concurrently: the
authorisation table takes writes all the time, and CREATE INDEX without CONCURRENTLY would block them while it
builds (so this migration is not atomic). The embedded SQLite of ``make run`` has no CONCURRENTLY: there the index is
built the ordinary way."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cards", "0002_authorisation_reversed_minor")]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="authorisation",
            index=models.Index(fields=["merchant_id", "terminal_id", "created_at"], name="cards_auth_terminal_time"),
        ),
    ]
