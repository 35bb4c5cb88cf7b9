"""Encrypt Account.name at rest (envelope encryption) and add its blind index for exact-match search.

The column becomes text (a ciphertext is longer than 140 characters); existing names are encrypted in
batches under the configured KEK, so run this with the production KEK configuration (HSM) in place.
Reversible: the reverse decrypts the names back into plain text.
"""

from django.db import migrations

import apps.security.fields

BATCH = 500


def encrypt_names(apps, schema_editor):
    from apps.security import envelope
    from apps.security.fields import Ciphertext

    Account = apps.get_model("accounts", "Account")
    table = Account._meta.db_table
    column = Account._meta.get_field("name").column
    index_field = Account._meta.get_field("name_bidx")
    rows = Account.objects.using(schema_editor.connection.alias).order_by("pk").values_list("pk", "public_id", "name")
    for pk, public_id, stored in rows.iterator(chunk_size=BATCH):
        if not stored or envelope.is_envelope_text(stored):
            continue
        plaintext = str(stored)
        Account.objects.using(schema_editor.connection.alias).filter(pk=pk).update(
            name=Ciphertext(envelope.encrypt_text(plaintext=plaintext, table=table, column=column, row=public_id)),
            name_bidx=index_field.index_value(plaintext, model=Account),
        )


def decrypt_names(apps, schema_editor):
    from apps.security import envelope

    Account = apps.get_model("accounts", "Account")
    table = Account._meta.db_table
    column = Account._meta.get_field("name").column
    connection = schema_editor.connection
    quoted_table, quoted_column = connection.ops.quote_name(table), connection.ops.quote_name(column)
    rows = Account.objects.using(connection.alias).order_by("pk").values_list("pk", "public_id", "name")
    with connection.cursor() as cursor:
        for pk, public_id, stored in rows.iterator(chunk_size=BATCH):
            if not stored or not envelope.is_envelope_text(stored):
                continue
            plaintext = envelope.decrypt_text(stored=stored, table=table, column=column, row=public_id)
            cursor.execute(f"UPDATE {quoted_table} SET {quoted_column} = %s WHERE id = %s", [plaintext, pk])  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("security", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="account",
            name="name_bidx",
            field=apps.security.fields.BlindIndexField(source="name"),
        ),
        migrations.AlterField(
            model_name="account",
            name="name",
            field=apps.security.fields.EncryptedTextField(bind_to="public_id", blank=True, max_length=140),
        ),
        migrations.RunPython(encrypt_names, decrypt_names, elidable=False),
    ]
