"""``transaction.posted`` outbox rows written by the database, in the posting's own transaction, with no Python.

PostgreSQL: a statement-level AFTER INSERT trigger with a transition table, so one INSERT of N journal entries (a
batch) adds one INSERT … SELECT of N outbox rows, not N trigger calls. SQLite (the embedded default): a row trigger.
The payload is the entry's own columns plus its two accounts' public ids (primary-key lookups).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION events_transaction_posted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events_outboxevent
        (event_id, event_type, version, aggregate_type, aggregate_id, payload, created_at, sent_at)
    SELECT gen_random_uuid(), 'transaction.posted', 1, 'transaction', e.public_id,
           jsonb_build_object(
               'transaction', e.public_id,
               'entry_type', e.entry_type,
               'amount_minor', e.amount_minor,
               'currency', e.currency,
               'from_account', (SELECT a.public_id FROM accounts_account a WHERE a.id = e.from_account_id),
               'to_account', (SELECT a.public_id FROM accounts_account a WHERE a.id = e.to_account_id),
               'reverses', (SELECT r.public_id FROM ledger_journalentry r WHERE r.id = e.reverses_id),
               'posted_at', to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
           ),
           now(), NULL
    FROM new_entries e
    ORDER BY e.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER events_transaction_posted AFTER INSERT ON ledger_journalentry
    REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION events_transaction_posted();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS events_transaction_posted ON ledger_journalentry;
DROP FUNCTION IF EXISTS events_transaction_posted();
"""

SQLITE_FORWARD = """
CREATE TRIGGER events_transaction_posted AFTER INSERT ON ledger_journalentry
BEGIN
    INSERT INTO events_outboxevent
        (event_id, event_type, version, aggregate_type, aggregate_id, payload, created_at, txid, sent_at)
    VALUES (
        lower(hex(randomblob(16))), 'transaction.posted', 1, 'transaction', NEW.public_id,
        json_object(
            'transaction', NEW.public_id,
            'entry_type', NEW.entry_type,
            'amount_minor', NEW.amount_minor,
            'currency', NEW.currency,
            'from_account', (SELECT a.public_id FROM accounts_account a WHERE a.id = NEW.from_account_id),
            'to_account', (SELECT a.public_id FROM accounts_account a WHERE a.id = NEW.to_account_id),
            'reverses', (SELECT r.public_id FROM ledger_journalentry r WHERE r.id = NEW.reverses_id),
            'posted_at', strftime('%Y-%m-%dT%H:%M:%f+00:00', NEW.posted_at)
        ),
        strftime('%Y-%m-%d %H:%M:%f', 'now'), 0, NULL
    );
END;
"""
SQLITE_REVERSE = "DROP TRIGGER IF EXISTS events_transaction_posted;"


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("ledger", "0005_hot_accounts"),
        ("accounts", "0002_encrypt_account_name"),
    ]

    operations = [migrations.RunPython(forward, reverse)]
