"""Let the database refuse what the audit trail must never contain, and create the chain head.

PostgreSQL: records and checkpoints refuse UPDATE and DELETE; the head cannot be deleted; a record can only
be inserted as the head's successor (sequence + 1, prev_hash = head hash) and the head can only advance by
one, onto a record that exists with that hash. These checks run inside the statements the service already
issues (no extra round trips). SQLite (development only): the append-only rule.
Bypassing needs ``session_replication_role = replica`` or ``ALTER TABLE ... DISABLE TRIGGER`` (table owner or
superuser, which the application role must not be) - and ``manage.py verify_audit`` finds the result.
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditrecord_append_only BEFORE UPDATE OR DELETE ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_auditcheckpoint_append_only BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_auditchainhead_no_delete BEFORE DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();

CREATE OR REPLACE FUNCTION audit_record_follows_head() RETURNS trigger AS $$
DECLARE
    head_sequence bigint;
    head_hash varchar;
BEGIN
    SELECT sequence, hash INTO head_sequence, head_hash FROM audit_auditchainhead WHERE id = 1;
    IF NOT FOUND OR NEW.sequence <> head_sequence + 1 OR NEW.prev_hash <> head_hash THEN
        RAISE EXCEPTION 'audit record % does not extend the chain head (%)', NEW.sequence, head_sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditrecord_follows_head BEFORE INSERT ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_follows_head();

CREATE OR REPLACE FUNCTION audit_head_advances() RETURNS trigger AS $$
BEGIN
    IF NEW.sequence <> OLD.sequence + 1 OR NOT EXISTS (
        SELECT 1 FROM audit_auditrecord WHERE sequence = NEW.sequence AND hash = NEW.hash
    ) THEN
        RAISE EXCEPTION 'the audit chain head may only advance by one, onto an existing record'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditchainhead_advances BEFORE UPDATE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_advances();
"""

PG_REVERSE = r"""
DROP TRIGGER IF EXISTS audit_auditchainhead_advances ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_auditrecord_follows_head ON audit_auditrecord;
DROP TRIGGER IF EXISTS audit_auditchainhead_no_delete ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_auditcheckpoint_append_only ON audit_auditcheckpoint;
DROP TRIGGER IF EXISTS audit_auditrecord_append_only ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_head_advances();
DROP FUNCTION IF EXISTS audit_record_follows_head();
DROP FUNCTION IF EXISTS audit_refuse_change();
"""

# Not the head: Django's test flush on SQLite is a DELETE, and the migration's head row is always there.
_SQLITE_RULES = [("auditrecord", "UPDATE"), ("auditrecord", "DELETE"), ("auditcheckpoint", "UPDATE"),
                 ("auditcheckpoint", "DELETE")]  # fmt: skip
SQLITE_FORWARD = [
    f"CREATE TRIGGER audit_{table}_no_{op.lower()} BEFORE {op} ON audit_{table} "
    f"BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {op} on audit_{table} refused'); END;"
    for table, op in _SQLITE_RULES
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS audit_{table}_no_{op.lower()};" for table, op in _SQLITE_RULES]


def create_head(apps, schema_editor):
    head_model = apps.get_model("audit", "AuditChainHead")
    head_model.objects.using(schema_editor.connection.alias).get_or_create(pk=1, defaults={"sequence": 0})


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
    dependencies = [("audit", "0001_initial")]
    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(forward, reverse),
    ]
