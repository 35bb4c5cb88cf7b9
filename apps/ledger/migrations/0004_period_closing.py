"""Period closing: frozen trial balances, and PostgreSQL refusing any posting dated into a closed period.

``ledger_refuse_closed_period`` runs BEFORE INSERT on every posting and journal entry, whoever writes it (the
posting services, COPY in generate_history, a future engine): a row dated before the latest ``period_end`` is
refused with SQLSTATE 23Q01 (class 23, so an IntegrityError; ``apps.core.db.domain_error_for`` maps it to 409
``period_closed``). The look-up is one index probe (``period_end`` is indexed). The close tables are
append-only like the ledger: deleting a close would reopen its period.

Exactness under concurrency: ``apps.ledger.closing`` locks ``ledger_journalentry`` and ``ledger_posting`` IN SHARE
MODE before it computes the trial balance, which waits for every transaction that has already inserted an entry or
posting and blocks new inserts until the close commits. Those blocked inserts then run this trigger, whose query
(a VOLATILE function at READ COMMITTED, Django's isolation level) sees the committed close and refuses them if they
are dated before its end.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


PG_FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_refuse_closed_period() RETURNS trigger AS $$
DECLARE
    closed_until timestamptz;
BEGIN
    SELECT period_end INTO closed_until FROM ledger_periodclose ORDER BY period_end DESC LIMIT 1;
    IF closed_until IS NOT NULL AND NEW.posted_at < closed_until THEN
        RAISE EXCEPTION 'period closed: % row dated % is before the closed period end %',
            TG_TABLE_NAME, NEW.posted_at, closed_until
            USING ERRCODE = '23Q01';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql VOLATILE;

CREATE TRIGGER ledger_posting_closed_period BEFORE INSERT ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();
CREATE TRIGGER ledger_journalentry_closed_period BEFORE INSERT ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_closed_period();

CREATE TRIGGER ledger_periodclose_append_only BEFORE UPDATE OR DELETE ON ledger_periodclose
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_periodclosecurrency_append_only BEFORE UPDATE OR DELETE ON ledger_periodclosecurrency
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_periodclosebalance_append_only BEFORE UPDATE OR DELETE ON ledger_periodclosebalance
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""

PG_REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_periodclosebalance_append_only ON ledger_periodclosebalance;
DROP TRIGGER IF EXISTS ledger_periodclosecurrency_append_only ON ledger_periodclosecurrency;
DROP TRIGGER IF EXISTS ledger_periodclose_append_only ON ledger_periodclose;
DROP TRIGGER IF EXISTS ledger_journalentry_closed_period ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_posting_closed_period ON ledger_posting;
DROP FUNCTION IF EXISTS ledger_refuse_closed_period();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_REVERSE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_encrypt_account_name'),
        ('ledger', '0003_entry_actor_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='PeriodClose',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('granularity', models.CharField(choices=[('DAY', 'Day'), ('MONTH', 'Month')], max_length=5)),
                ('period_start', models.DateTimeField()),
                ('period_end', models.DateTimeField(db_index=True)),
                ('closed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('closed_by', models.CharField(blank=True, max_length=150)),
                ('accounts', models.IntegerField(help_text='Accounts with a closing balance stored')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('granularity', 'period_start'), name='one_close_per_period'), models.CheckConstraint(condition=models.Q(('period_start__lt', models.F('period_end'))), name='period_close_order')],
            },
        ),
        migrations.CreateModel(
            name='PeriodCloseBalance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('closing_minor', models.BigIntegerField()),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.account')),
                ('period_close', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='balances', to='ledger.periodclose')),
            ],
            options={
                'indexes': [models.Index(fields=['account', 'period_close'], name='closing_balance_account')],
                'constraints': [models.UniqueConstraint(fields=('period_close', 'account'), name='one_closing_balance_per_account')],
            },
        ),
        migrations.CreateModel(
            name='PeriodCloseCurrency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('debit_minor', models.BigIntegerField(help_text='Sum of the negative closing balances, as a positive number')),
                ('credit_minor', models.BigIntegerField(help_text='Sum of the positive closing balances')),
                ('accounts', models.IntegerField()),
                ('period_close', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='currencies', to='ledger.periodclose')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('period_close', 'currency'), name='one_trial_balance_per_currency'), models.CheckConstraint(condition=models.Q(('debit_minor', models.F('credit_minor'))), name='trial_balance_zero')],
            },
        ),
        migrations.RunPython(forward, reverse),
    ]
