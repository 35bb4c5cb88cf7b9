"""Split the audit trail into chain shards, each with its own head row; the existing chain becomes shard 0.

Existing records keep their hashes: they get ``shard`` 0, ``shard_sequence`` = their old gap-free ``sequence``
and ``chain_format`` 1 (hashed as before, see ``apps.audit.chain``), so an existing trail and its checkpoints
still verify. ``sequence`` stays their number and becomes an identity for new records (global order, gaps
allowed). The single head row (id 1) becomes the head of shard 0.

PostgreSQL: the append-only trigger is disabled for the one UPDATE that fills ``shard_sequence`` (this runs as
the table owner, inside the migration's transaction), and the insert/advance rules are replaced by per-shard
ones: a record must extend its own shard's head, a head only advances by one onto an existing record of its
shard, and a new head row starts empty. SQLite (development only): the append-only triggers are recreated
after the table rebuild. Not reversible: records written to other shards have no place in one chain.
"""

from django.db import migrations, models

GENESIS = "0" * 128

PG_BEFORE = r"""
DROP TRIGGER IF EXISTS audit_auditchainhead_advances ON audit_auditchainhead;
DROP TRIGGER IF EXISTS audit_auditrecord_follows_head ON audit_auditrecord;
DROP FUNCTION IF EXISTS audit_head_advances();
DROP FUNCTION IF EXISTS audit_record_follows_head();
"""

PG_FILL = r"""
ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_auditrecord_append_only;
UPDATE audit_auditrecord SET shard_sequence = sequence;
ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_auditrecord_append_only;
UPDATE audit_auditchainhead SET id = 0, record_sequence = sequence WHERE id = 1;
"""

PG_IDENTITY = r"""
SELECT setval(pg_get_serial_sequence('audit_auditrecord', 'sequence'),
              COALESCE((SELECT MAX(sequence) FROM audit_auditrecord), 0) + 1, false);
"""

PG_AFTER = r"""
CREATE OR REPLACE FUNCTION audit_record_follows_head() RETURNS trigger AS $$
DECLARE
    head_sequence bigint;
    head_hash varchar;
BEGIN
    SELECT sequence, hash INTO head_sequence, head_hash FROM audit_auditchainhead WHERE id = NEW.shard;
    IF NOT FOUND OR NEW.shard_sequence <> head_sequence + 1 OR NEW.prev_hash <> head_hash
            OR NEW.chain_format <> 2 THEN
        RAISE EXCEPTION 'audit record % does not extend the head of shard % (%)',
            NEW.shard_sequence, NEW.shard, head_sequence
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditrecord_follows_head BEFORE INSERT ON audit_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_follows_head();

CREATE OR REPLACE FUNCTION audit_head_advances() RETURNS trigger AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.sequence <> OLD.sequence + 1 OR NOT EXISTS (
        SELECT 1 FROM audit_auditrecord
        WHERE shard = NEW.id AND shard_sequence = NEW.sequence AND hash = NEW.hash AND sequence = NEW.record_sequence
    ) THEN
        RAISE EXCEPTION 'the audit chain head may only advance by one, onto an existing record of its shard'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditchainhead_advances BEFORE UPDATE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_advances();

CREATE OR REPLACE FUNCTION audit_head_starts_empty() RETURNS trigger AS $$
BEGIN
    IF NEW.sequence <> 0 OR NEW.hash <> repeat('0', 128) OR NEW.record_sequence <> 0 THEN
        RAISE EXCEPTION 'a new audit chain head starts empty'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditchainhead_starts_empty BEFORE INSERT ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_starts_empty();
"""

_SQLITE_RULES = [("auditrecord", "UPDATE"), ("auditrecord", "DELETE"), ("auditcheckpoint", "UPDATE"),
                 ("auditcheckpoint", "DELETE")]  # fmt: skip
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS audit_{table}_no_{op.lower()};" for table, op in _SQLITE_RULES]
SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS audit_{table}_no_{op.lower()} BEFORE {op} ON audit_{table} "
    f"BEGIN SELECT RAISE(ABORT, 'audit trail is append-only: {op} on audit_{table} refused'); END;"
    for table, op in _SQLITE_RULES
]


def _run(schema_editor, postgresql: str | None, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql" and postgresql:
        schema_editor.execute(postgresql, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement)


def before(apps, schema_editor):
    _run(schema_editor, PG_BEFORE, SQLITE_DROP)


def fill(apps, schema_editor):
    _run(
        schema_editor,
        PG_FILL,
        [
            "UPDATE audit_auditrecord SET shard_sequence = sequence;",
            "UPDATE audit_auditchainhead SET id = 0, record_sequence = sequence WHERE id = 1;",
        ],
    )


def identity(apps, schema_editor):
    _run(schema_editor, PG_IDENTITY, [])


def after(apps, schema_editor):
    _run(schema_editor, PG_AFTER, SQLITE_CREATE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only")]

    operations = [
        migrations.RunPython(before),
        migrations.RemoveConstraint(model_name="auditchainhead", name="audit_single_head"),
        migrations.AlterField(
            model_name="auditchainhead",
            name="id",
            field=models.PositiveSmallIntegerField(primary_key=True, serialize=False),
        ),
        migrations.AddField(
            model_name="auditchainhead", name="record_sequence", field=models.BigIntegerField(default=0)
        ),
        migrations.AddField(
            model_name="auditcheckpoint",
            name="heads",
            field=models.JSONField(
                blank=True, help_text="[[shard, shard_sequence, hash], ...] signed together", null=True
            ),
        ),
        # Existing records were hashed in format 1; new ones default to 2.
        migrations.AddField(
            model_name="auditrecord", name="chain_format", field=models.PositiveSmallIntegerField(default=1)
        ),
        migrations.AlterField(
            model_name="auditrecord", name="chain_format", field=models.PositiveSmallIntegerField(default=2)
        ),
        migrations.AddField(model_name="auditrecord", name="shard", field=models.PositiveSmallIntegerField(default=0)),
        migrations.AddField(model_name="auditrecord", name="shard_sequence", field=models.BigIntegerField(null=True)),
        migrations.RunPython(fill),
        migrations.AlterField(model_name="auditrecord", name="shard_sequence", field=models.BigIntegerField()),
        migrations.AlterField(
            model_name="auditrecord",
            name="sequence",
            field=models.BigAutoField(primary_key=True, serialize=False),
        ),
        migrations.RunPython(identity),
        migrations.AddConstraint(
            model_name="auditrecord",
            constraint=models.UniqueConstraint(fields=("shard", "shard_sequence"), name="audit_shard_position"),
        ),
        migrations.RunPython(after),
    ]
