"""KEK rotation: a new HSM key version, data keys re-wrapped in batches, old data readable throughout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import Account
from apps.ledger.services import account_open
from apps.security import services
from apps.security.envelope import Envelope, version_prefix
from apps.security.fields import Ciphertext
from apps.security.keyring import get_keyring, reset_keyring
from apps.security.models import KekState, KekVersion
from apps.security.tasks import rotate_keys_if_due


def _open(n: int) -> Account:
    return account_open(owner_id=f"cust-{n}", account_type="CHECKING", currency="USD", name=f"Customer {n}")


def _versions_in_db() -> set[int]:
    return {Envelope.from_text(s).kek_version for s in Account.objects.exclude(name="").values_list("name", flat=True)}


def _label_in_hsm(hsm, label: str) -> bool:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    token = pkcs11.lib(hsm.module).get_token(token_label=hsm.token_label)
    try:
        session = token.open(user_pin=hsm.pin)
    except pkcs11.exceptions.UserAlreadyLoggedIn:
        session = token.open()
    with session:
        return any(True for _ in session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: label}))


def test_rotation_keeps_old_data_readable_and_rewrap_leaves_no_row_on_the_old_version(hsm):
    before = [_open(n) for n in range(7)]
    assert _versions_in_db() == {1}

    new = services.kek_rotate(actor="test")
    assert new.version == 2 and new.state == KekState.ACTIVE
    assert _label_in_hsm(hsm, f"{hsm.kek_label}.v2")
    assert KekVersion.objects.get(kek_id=hsm.kek_label, version=1).state == KekState.DECRYPT_ONLY

    reset_keyring()  # as another process would see it: nothing cached
    assert [Account.objects.get(pk=a.pk).name for a in before] == [f"Customer {n}" for n in range(7)]
    after = _open(99)
    assert Envelope.from_text(Account.objects.filter(pk=after.pk).values_list("name", flat=True).get()).kek_version == 2

    report = services.keys_rewrap(batch_size=3)  # several batches
    assert report.rewrapped == 7 and report.failed == 0 and report.remaining == 0
    assert _versions_in_db() == {2}
    old_prefix = Ciphertext(version_prefix(kek_id=hsm.kek_label, version=1))
    assert not Account.objects.filter(name__startswith=old_prefix).exists()
    assert report.retired_versions == [1]
    assert KekVersion.objects.get(kek_id=hsm.kek_label, version=1).state == KekState.RETIRED

    reset_keyring()
    assert [Account.objects.get(pk=a.pk).name for a in before] == [f"Customer {n}" for n in range(7)]


def test_an_instance_loaded_before_rotation_is_saved_under_the_new_version(hsm):
    account = _open(1)
    loaded = Account.objects.get(pk=account.pk)
    services.kek_rotate(actor="test")
    loaded.overdraft_limit_minor = 100
    loaded.save()
    assert _versions_in_db() == {2}
    assert Account.objects.get(pk=account.pk).name == "Customer 1"


def test_rotate_keys_command(hsm):
    accounts = [_open(n) for n in range(3)]
    call_command("rotate_keys")
    call_command("rotate_keys")
    assert _versions_in_db() == {3}
    assert KekVersion.objects.get(kek_id=hsm.kek_label, state=KekState.ACTIVE).version == 3
    assert [Account.objects.get(pk=a.pk).name for a in accounts] == ["Customer 0", "Customer 1", "Customer 2"]
    call_command("rotate_keys", "--status")


def test_rewrap_reports_rows_it_cannot_read_and_keeps_the_old_version(hsm):
    from django.db import connection

    good = _open(1)
    bad = _open(2)
    services.kek_rotate(actor="test")
    with connection.cursor() as cursor:  # a row written behind the model's back: not an envelope
        cursor.execute("UPDATE accounts_account SET name = 'plaintext' WHERE id = %s", [bad.pk])
    with pytest.raises(CommandError, match="not re-wrapped"):
        call_command("rotate_keys", "--rewrap-only")
    assert Account.objects.get(pk=good.pk).name == "Customer 1"


def test_rotation_when_due_follows_key_rotation_days(hsm):
    _open(1)
    assert services.kek_rotation_due() is False
    later = timezone.now() + timedelta(days=31)
    assert services.kek_rotation_due(now=later) is True  # key_rotation_days defaults to 30
    qenex = _qenex_settings()
    with override_settings(QENEX={**qenex, "security": {**qenex["security"], "key_rotation_days": 60}}):
        assert services.kek_rotation_due(now=later) is False
    report = services.kek_rotate_if_due(now=later)
    assert report is not None and report.to_version == 2 and report.rewrapped == 1
    assert services.kek_rotate_if_due() is None  # v2 was just created: not due, nothing left to re-wrap


def test_celery_task_rotates_when_due(hsm):
    _open(1)
    KekVersion.objects.filter(kek_id=hsm.kek_label, state=KekState.ACTIVE).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    result = rotate_keys_if_due.delay().get()
    assert result["to_version"] == 2 and result["rewrapped"] == 1 and result["remaining"] == 0
    assert get_keyring().current_version() == 2


def test_software_kek_rotates_too(software_kek):
    account = _open(1)
    services.kek_rotate(actor="test")
    services.keys_rewrap()
    assert _versions_in_db() == {2}
    assert Account.objects.get(pk=account.pk).name == "Customer 1"


def _qenex_settings() -> dict:
    from django.conf import settings

    return settings.QENEX


def test_rewrap_never_overwrites_a_concurrent_write(software_kek, monkeypatch):
    account = _open(1)
    services.kek_rotate(actor="test")
    real_rewrap = services.envelope.rewrap

    def rewrap_while_someone_renames(**kwargs):
        renamed = Account.objects.get(pk=account.pk)
        renamed.name = "Renamed Meanwhile"
        renamed.save()  # lands between the re-wrap's read and its compare-and-swap
        return real_rewrap(**kwargs)

    monkeypatch.setattr(services.envelope, "rewrap", rewrap_while_someone_renames)
    report = services.keys_rewrap(max_passes=1)
    assert report.rewrapped == 0 and report.remaining == 0
    assert Account.objects.get(pk=account.pk).name == "Renamed Meanwhile"
    assert _versions_in_db() == {2}
