"""AML monitoring rules (with the default rule set), alerts, cases, reports; the compliance roles get their new
permissions here, with the historical models, as 0002 did (so a fresh database starts with an empty audit trail)."""

import apps.compliance.aml_models
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from apps.compliance.monitoring.defaults import create_default_rules


def apply_roles(apps, schema_editor):
    from apps.access.roles import apply_roles as apply

    apply(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0002_roles'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, unique=True)),
                ('source', models.CharField(choices=[('alerts', 'AML alerts'), ('cases', 'AML cases'), ('reports', 'Regulatory reports')], max_length=16)),
                ('filters', models.JSONField(blank=True, default=dict, help_text='e.g. {"status": "OPEN", "raised_from": "2026-01-01"}')),
                ('columns', models.JSONField(default=list, help_text='e.g. ["public_id", "kind", "owner_id", "raised_at"]')),
                ('created_by', models.CharField(blank=True, editable=False, max_length=150)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
            ],
        ),
        migrations.CreateModel(
            name='MonitoringSweep',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('since', models.DateTimeField()),
                ('until', models.DateTimeField(db_index=True)),
                ('movements', models.PositiveIntegerField(default=0)),
                ('alerts', models.PositiveIntegerField(default=0)),
            ],
            options={
                'ordering': ['-until'],
            },
        ),
        migrations.CreateModel(
            name='AmlCase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=apps.compliance.aml_models._case_id, editable=False, max_length=32, unique=True)),
                ('owner_id', models.CharField(db_index=True, max_length=64)),
                ('status', models.CharField(choices=[('OPEN', 'Open'), ('IN_PROGRESS', 'In Progress'), ('ESCALATED', 'Escalated'), ('PENDING_APPROVAL', 'Pending Approval'), ('SAR_FILED', 'Sar Filed'), ('CLOSED', 'Closed')], default='OPEN', max_length=16)),
                ('priority', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High'), (4, 'Critical')], default=2)),
                ('due_at', models.DateTimeField(blank=True, null=True)),
                ('escalation_level', models.PositiveSmallIntegerField(default=0)),
                ('decision', models.CharField(blank=True, choices=[('file_sar', 'File a SAR'), ('close', 'Close (no suspicious activity)')], max_length=16)),
                ('decision_reason', models.CharField(blank=True, max_length=1000)),
                ('decided_by', models.CharField(blank=True, max_length=150)),
                ('approval', models.CharField(blank=True, help_text='the four-eyes request of a high-risk close', max_length=32)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-priority', 'due_at', '-id'],
                'permissions': [('work_amlcase', 'Can work AML cases: assign, note, attach, escalate, decide')],
            },
        ),
        migrations.CreateModel(
            name='AmlReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=apps.compliance.aml_models._report_id, editable=False, max_length=32, unique=True)),
                ('report_type', models.CharField(choices=[('CTR', 'Currency Transaction Report (FinCEN 112)'), ('SAR', 'Suspicious Activity Report (FinCEN 111)'), ('FBAR', 'Report of Foreign Bank and Financial Accounts (FinCEN 114)')], max_length=4)),
                ('status', models.CharField(choices=[('DRAFT', 'Draft'), ('REVIEWED', 'Reviewed'), ('APPROVED', 'Approved'), ('FILED', 'Filed'), ('REJECTED', 'Rejected')], default='DRAFT', max_length=10)),
                ('owner_id', models.CharField(db_index=True, max_length=64)),
                ('business_day', models.DateField(blank=True, help_text='CTR: the business day it reports', null=True)),
                ('year', models.PositiveIntegerField(blank=True, help_text='FBAR: the calendar year it reports', null=True)),
                ('figures', models.JSONField(default=dict, help_text='the totals and transactions the report states')),
                ('xml', models.TextField(help_text='FinCEN BSA E-Filing batch XML, validated against the official XSD')),
                ('xml_sha256', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('created_by', models.CharField(max_length=150)),
                ('reviewed_by', models.CharField(blank=True, max_length=150)),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('approved_by', models.CharField(blank=True, max_length=150)),
                ('approved_at', models.DateTimeField(blank=True, null=True)),
                ('filed_by', models.CharField(blank=True, max_length=150)),
                ('filed_at', models.DateTimeField(blank=True, null=True)),
                ('bsa_id', models.CharField(blank=True, help_text="FinCEN's BSA identifier from the acknowledgement", max_length=32)),
                ('rejection_reason', models.CharField(blank=True, max_length=500)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='compliance.amlcase')),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'permissions': [('review_amlreport', 'Can review and approve regulatory reports'), ('file_amlreport', 'Can mark regulatory reports filed')],
            },
        ),
        migrations.CreateModel(
            name='CaseAttachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file', models.FileField(storage=apps.compliance.aml_models.attachment_storage, upload_to='cases/%Y/%m/')),
                ('name', models.CharField(max_length=255)),
                ('sha256', models.CharField(max_length=64)),
                ('size', models.PositiveIntegerField()),
                ('uploaded_by', models.CharField(max_length=150)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='compliance.amlcase')),
            ],
            options={
                'ordering': ['uploaded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='CaseEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(max_length=40)),
                ('actor', models.CharField(max_length=150)),
                ('details', models.JSONField(default=dict)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='compliance.amlcase')),
            ],
            options={
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='CaseNote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('author', models.CharField(max_length=150)),
                ('text', models.TextField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='notes', to='compliance.amlcase')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='MonitoringRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(help_text='stable name of the rule (alerts refer to it)', max_length=64, unique=True)),
                ('name', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('cash_over_threshold', 'Cash over the CTR threshold (per customer per business day)'), ('structuring', 'Structuring: several cash deposits just under the threshold'), ('rapid_movement', 'Rapid movement of funds (in and out within N hours)'), ('velocity', 'Velocity: many transactions in a short window'), ('high_risk_country', 'Payment to a high-risk country (counterparty or BIC country)'), ('dormant_activity', 'Sudden activity on a dormant account'), ('round_amounts', 'Repeated round amounts'), ('expected_activity', "Activity large against the customer's expected activity"), ('new_counterparty_large', 'Large amount to a new counterparty')], max_length=32)),
                ('schedule', models.CharField(choices=[('real_time', 'Real time (after each posting / payment commits)'), ('windowed', 'Windowed (the periodic monitoring sweep)')], default='real_time', max_length=16)),
                ('parameters', models.JSONField(blank=True, default=dict, help_text="the kind's parameters (see the README)")),
                ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High'), (4, 'Critical')], default=2)),
                ('active', models.BooleanField(default=True)),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('updated_by', models.CharField(blank=True, editable=False, max_length=150)),
            ],
            options={
                'ordering': ['code'],
                'constraints': [models.CheckConstraint(condition=models.Q(('kind__in', ['cash_over_threshold', 'structuring', 'rapid_movement', 'velocity', 'high_risk_country', 'dormant_activity', 'round_amounts', 'expected_activity', 'new_counterparty_large'])), name='aml_rule_kind_valid')],
            },
        ),
        migrations.CreateModel(
            name='MonitoringRuleVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField()),
                ('kind', models.CharField(choices=[('cash_over_threshold', 'Cash over the CTR threshold (per customer per business day)'), ('structuring', 'Structuring: several cash deposits just under the threshold'), ('rapid_movement', 'Rapid movement of funds (in and out within N hours)'), ('velocity', 'Velocity: many transactions in a short window'), ('high_risk_country', 'Payment to a high-risk country (counterparty or BIC country)'), ('dormant_activity', 'Sudden activity on a dormant account'), ('round_amounts', 'Repeated round amounts'), ('expected_activity', "Activity large against the customer's expected activity"), ('new_counterparty_large', 'Large amount to a new counterparty')], max_length=32)),
                ('schedule', models.CharField(choices=[('real_time', 'Real time (after each posting / payment commits)'), ('windowed', 'Windowed (the periodic monitoring sweep)')], max_length=16)),
                ('parameters', models.JSONField(default=dict)),
                ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High'), (4, 'Critical')])),
                ('active', models.BooleanField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('created_by', models.CharField(blank=True, max_length=150)),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='versions', to='compliance.monitoringrule')),
            ],
            options={
                'ordering': ['rule', '-version'],
            },
        ),
        migrations.CreateModel(
            name='AmlAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_id', models.CharField(default=apps.compliance.aml_models._alert_id, editable=False, max_length=32, unique=True)),
                ('kind', models.CharField(choices=[('cash_over_threshold', 'Cash over the CTR threshold (per customer per business day)'), ('structuring', 'Structuring: several cash deposits just under the threshold'), ('rapid_movement', 'Rapid movement of funds (in and out within N hours)'), ('velocity', 'Velocity: many transactions in a short window'), ('high_risk_country', 'Payment to a high-risk country (counterparty or BIC country)'), ('dormant_activity', 'Sudden activity on a dormant account'), ('round_amounts', 'Repeated round amounts'), ('expected_activity', "Activity large against the customer's expected activity"), ('new_counterparty_large', 'Large amount to a new counterparty')], max_length=32)),
                ('owner_id', models.CharField(db_index=True, help_text='the customer (Account.owner_id)', max_length=64)),
                ('account', models.CharField(blank=True, help_text='account public id, when one account is at issue', max_length=32)),
                ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High'), (4, 'Critical')])),
                ('summary', models.CharField(max_length=500)),
                ('transactions', models.JSONField(default=list, help_text='public ids of the transactions (or payments) at issue')),
                ('figures', models.JSONField(default=dict, help_text='what the rule computed: totals, counts, thresholds')),
                ('dedupe_key', models.CharField(max_length=200)),
                ('status', models.CharField(choices=[('OPEN', 'Open'), ('CLOSED', 'Closed')], default='OPEN', max_length=8)),
                ('raised_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='compliance.amlcase')),
                ('rule', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='compliance.monitoringrule')),
                ('rule_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='alerts', to='compliance.monitoringruleversion')),
            ],
            options={
                'ordering': ['-raised_at', '-id'],
            },
        ),
        migrations.AddConstraint(
            model_name='amlcase',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['OPEN', 'IN_PROGRESS', 'ESCALATED', 'PENDING_APPROVAL'])), fields=('owner_id',), name='aml_one_open_case_per_customer'),
        ),
        migrations.AddConstraint(
            model_name='amlcase',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['OPEN', 'IN_PROGRESS', 'ESCALATED', 'PENDING_APPROVAL', 'SAR_FILED', 'CLOSED'])), name='aml_case_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='amlreport',
            constraint=models.UniqueConstraint(condition=models.Q(('report_type', 'CTR')), fields=('report_type', 'owner_id', 'business_day'), name='aml_one_ctr_per_customer_day'),
        ),
        migrations.AddConstraint(
            model_name='amlreport',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['DRAFT', 'REVIEWED', 'APPROVED', 'FILED', 'REJECTED'])), name='aml_report_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='monitoringruleversion',
            constraint=models.UniqueConstraint(fields=('rule', 'version'), name='aml_rule_version_unique'),
        ),
        migrations.AddConstraint(
            model_name='amlalert',
            constraint=models.UniqueConstraint(fields=('rule', 'dedupe_key'), name='aml_alert_once_per_finding'),
        ),
        migrations.RunPython(create_default_rules, migrations.RunPython.noop),
        migrations.RunPython(apply_roles, migrations.RunPython.noop),
    ]
