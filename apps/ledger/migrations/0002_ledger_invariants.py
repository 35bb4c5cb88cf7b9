"""Let the database refuse what the ledger must never contain.

PostgreSQL: postings and journal entries refuse UPDATE and DELETE; at commit, a deferred constraint
trigger checks that each entry has at least two postings, that they sum to zero per currency and that
each posting is in its account's currency. SQLite (development only): the append-only rule.
TRUNCATE is not trapped here: it needs table ownership, which the application role must not have.
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger is append-only: % on % refused (post a reversal instead)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalentry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE OR REPLACE FUNCTION ledger_check_entry(p_entry_id bigint) RETURNS void AS $$
DECLARE
    legs integer;
    unbalanced text;
BEGIN
    SELECT count(*) INTO legs FROM ledger_posting WHERE entry_id = p_entry_id;
    IF legs < 2 THEN
        RAISE EXCEPTION 'journal entry % has % posting(s); at least 2 are required', p_entry_id, legs
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT string_agg(currency, ',') INTO unbalanced FROM (
        SELECT currency FROM ledger_posting WHERE entry_id = p_entry_id
        GROUP BY currency HAVING sum(amount_minor) <> 0
    ) s;
    IF unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'journal entry % does not balance in %', p_entry_id, unbalanced
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_posting_checks() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM accounts_account a WHERE a.id = NEW.account_id AND a.currency <> NEW.currency) THEN
        RAISE EXCEPTION 'posting % is in %, not in its account''s currency', NEW.id, NEW.currency
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    PERFORM ledger_check_entry(NEW.entry_id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION ledger_entry_checks() RETURNS trigger AS $$
BEGIN
    PERFORM ledger_check_entry(NEW.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_posting_checks();
CREATE CONSTRAINT TRIGGER ledger_entry_has_postings AFTER INSERT ON ledger_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_checks();
"""

PG_REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_entry_has_postings ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_posting_balanced ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_journalentry_append_only ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_entry_checks();
DROP FUNCTION IF EXISTS ledger_posting_checks();
DROP FUNCTION IF EXISTS ledger_check_entry(bigint);
DROP FUNCTION IF EXISTS ledger_refuse_change();
"""

SQLITE_FORWARD = [
    f"CREATE TRIGGER ledger_{table}_no_{op.lower()} BEFORE {op} ON ledger_{table} "
    f"BEGIN SELECT RAISE(ABORT, 'ledger is append-only: {op} on ledger_{table} refused'); END;"
    for table in ("posting", "journalentry")
    for op in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS ledger_{table}_no_{op.lower()};"
    for table in ("posting", "journalentry")
    for op in ("UPDATE", "DELETE")
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
