"""PostgreSQL refuses UPDATE and DELETE on a payment's history and on the messages exchanged for it.

A message's encrypted ``body`` may still be updated: key rotation re-wraps its data key (``rotate_keys``).
"""

from django.db import migrations

PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION payments_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payment history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER payments_paymentevent_append_only BEFORE UPDATE OR DELETE ON payments_paymentevent
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
CREATE TRIGGER payments_paymentmessage_append_only
    BEFORE DELETE OR UPDATE OF public_id, payment_id, direction, rail, message_type, reply_id, kind, status, reason,
    created_at ON payments_paymentmessage
    FOR EACH ROW EXECUTE FUNCTION payments_refuse_change();
"""
PG_BACKWARD = r"""
DROP TRIGGER IF EXISTS payments_paymentevent_append_only ON payments_paymentevent;
DROP TRIGGER IF EXISTS payments_paymentmessage_append_only ON payments_paymentmessage;
DROP FUNCTION IF EXISTS payments_refuse_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
