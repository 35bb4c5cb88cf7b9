"""Login locks per (user, source IP) with an end time.

A lock from before this migration was per user and held until an unlock; it is kept as the lock of an unknown
address ("") that ends one base lock period after it began, as the new rule would have it.
"""

from datetime import timedelta

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def end_old_locks(apps, schema_editor):
    LoginState = apps.get_model("access", "LoginState")
    base = timedelta(seconds=getattr(settings, "QENEX_LOGIN_LOCK_SECONDS", 60))
    for state in LoginState.objects.filter(locked_at__isnull=False, locked_until__isnull=True):
        state.locked_until = state.locked_at + base
        state.save(update_fields=["locked_until"])


class Migration(migrations.Migration):

    dependencies = [
        ('access', '0003_access_event_kinds'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='loginstate',
            name='locked_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='loginstate',
            name='source_ip',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='loginstate',
            name='locked_at',
            field=models.DateTimeField(blank=True, help_text='When the current or last lock began', null=True),
        ),
        migrations.AlterField(
            model_name='loginstate',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='login_states', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(end_old_locks, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='loginstate',
            constraint=models.UniqueConstraint(fields=('user', 'source_ip'), name='access_loginstate_user_source_ip'),
        ),
    ]
