"""Permission changes reach the audit trail: group memberships, direct permissions, a group's permissions, flags."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client

from apps.audit.receivers import audit_deferred
from apps.audit.services import audit_record
from apps.audit.verification import audit_chain_verify
from tests.audit.trail import last_sequence, records_since, sql_log
from tests.staff import make_staff, otp_login

pytestmark = pytest.mark.django_db

User = get_user_model()


def perm(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def clerk():
    return User.objects.create_user("clerk", password="a-long-password-123", is_staff=True)


def test_a_new_user_is_recorded_with_its_flags():
    mark = last_sequence()
    user = User.objects.create_superuser("root", "root@example.invalid", "a-long-password-123")
    (record,) = records_since(mark)
    assert (record.action, record.object_type, record.object_id, record.actor) == (
        "auth.user_flags_changed",
        "user",
        str(user.pk),
        "system",
    )
    assert record.before is None
    assert record.after == {"username": "root", "is_active": True, "is_staff": True, "is_superuser": True}
    assert audit_chain_verify().ok


def test_adding_a_user_to_a_group_is_recorded_with_before_and_after(clerk):
    clerk.groups.add(Group.objects.get(name="auditor"))
    mark = last_sequence()
    with sql_log() as sql:
        clerk.groups.add(Group.objects.get(name="teller"))
    (record,) = records_since(mark)
    assert (record.action, record.object_type, record.object_id, record.actor) == (
        "auth.user_groups_changed",
        "user",
        str(clerk.pk),
        "system",
    )
    assert record.before == {"groups": ["auditor"]}
    assert record.after == {"groups": ["auditor", "teller"], "username": "clerk"}
    assert sql.violations() == []
    assert audit_chain_verify().ok


def test_removing_and_clearing_groups_are_recorded_and_no_ops_are_not(clerk):
    teller, auditor = Group.objects.get(name="teller"), Group.objects.get(name="auditor")
    clerk.groups.add(teller, auditor)
    mark = last_sequence()
    clerk.groups.add(teller)  # already a member: nothing changes
    clerk.groups.remove(Group.objects.get(name="operations"))  # not a member: nothing changes
    clerk.groups.remove(teller)
    clerk.groups.clear()
    records = records_since(mark)
    assert [(r.action, r.before, r.after["groups"]) for r in records] == [
        ("auth.user_groups_changed", {"groups": ["auditor", "teller"]}, ["auditor"]),
        ("auth.user_groups_changed", {"groups": ["auditor"]}, []),
    ]


def test_changes_from_the_group_side_are_recorded_per_user(clerk):
    other = User.objects.create_user("other", is_staff=True)
    teller = Group.objects.get(name="teller")
    mark = last_sequence()
    teller.user_set.add(clerk, other)
    teller.user_set.clear()
    records = records_since(mark)
    assert sorted((r.object_id, r.before["groups"], r.after["groups"]) for r in records) == sorted(
        [
            (str(clerk.pk), [], ["teller"]),
            (str(other.pk), [], ["teller"]),
            (str(clerk.pk), ["teller"], []),
            (str(other.pk), ["teller"], []),
        ]
    )
    assert {r.action for r in records} == {"auth.user_groups_changed"}
    assert audit_chain_verify().ok


def test_direct_user_permissions_are_recorded(clerk):
    mark = last_sequence()
    clerk.user_permissions.add(perm("ledger.post_transaction"), perm("accounts.view_account"))
    clerk.user_permissions.set([perm("accounts.view_account")])
    added, removed = records_since(mark)
    assert (added.action, added.object_id) == ("auth.user_permissions_changed", str(clerk.pk))
    assert (added.before, added.after) == (
        {"permissions": []},
        {"permissions": ["accounts.view_account", "ledger.post_transaction"], "username": "clerk"},
    )
    assert (removed.before["permissions"], removed.after["permissions"]) == (
        ["accounts.view_account", "ledger.post_transaction"],
        ["accounts.view_account"],
    )
    mark = last_sequence()
    perm("ledger.post_transaction").user_set.add(clerk)  # from the permission's side
    (record,) = records_since(mark)
    assert record.after["permissions"] == ["accounts.view_account", "ledger.post_transaction"]


def test_a_groups_permissions_are_recorded():
    teller = Group.objects.get(name="teller")
    before = sorted(f"{p.content_type.app_label}.{p.codename}" for p in teller.permissions.all())
    mark = last_sequence()
    teller.permissions.remove(perm("ledger.post_transaction"))
    perm("ledger.reverse_transaction").group_set.add(teller)
    removed, added = records_since(mark)
    assert (removed.action, removed.object_type, removed.object_id) == (
        "auth.group_permissions_changed",
        "group",
        str(teller.pk),
    )
    assert removed.before == {"permissions": before}
    assert removed.after == {"permissions": [p for p in before if p != "ledger.post_transaction"], "name": "teller"}
    assert "ledger.reverse_transaction" in added.after["permissions"]
    assert audit_chain_verify().ok


def test_flag_changes_are_recorded_and_other_saves_are_not(clerk, django_assert_num_queries):
    mark = last_sequence()
    clerk.first_name = "Ada"
    clerk.save()
    with django_assert_num_queries(1):  # a sign-in's last_login update does not even read the flags
        clerk.save(update_fields=["last_login"])
    clerk.is_superuser = True
    clerk.is_active = False
    clerk.save()
    (record,) = records_since(mark)
    assert record.action == "auth.user_flags_changed"
    assert record.before == {"is_active": True, "is_staff": True, "is_superuser": False}
    assert record.after == {"is_active": False, "is_staff": True, "is_superuser": True, "username": "clerk"}


def test_a_change_rolled_back_with_its_transaction_leaves_no_record(clerk):
    mark = last_sequence()
    with pytest.raises(RuntimeError), transaction.atomic():
        clerk.groups.add(Group.objects.get(name="teller"))
        raise RuntimeError("the caller fails")
    assert records_since(mark) == []
    assert audit_chain_verify().ok


def test_deferred_records_are_written_when_the_block_ends_and_merged(clerk):
    teller, ops = Group.objects.get(name="teller"), Group.objects.get(name="operations")
    clerk.groups.add(teller)
    mark = last_sequence()
    with sql_log() as sql, transaction.atomic(), audit_deferred():
        clerk.groups.set([ops])  # remove teller, add operations: one change
        clerk.is_staff = False
        clerk.save()
        clerk.is_staff = True
        clerk.save()  # back to where it was: no change at all
        assert records_since(mark) == []
        clerk.groups.add(teller)
    (record,) = records_since(mark)
    assert (record.before, record.after) == (
        {"groups": ["teller"]},
        {"groups": ["operations", "teller"], "username": "clerk"},
    )
    assert sql.violations() == []


def test_the_admin_user_form_records_flags_and_groups_after_its_other_writes(clerk):
    root_user = make_staff("root", superuser=True)
    root = otp_login(Client(), root_user)
    teller, ops = Group.objects.get(name="teller"), Group.objects.get(name="operations")
    clerk.groups.add(teller)
    mark = last_sequence()
    form = {
        "username": "clerk",
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "is_superuser": "on",
        "groups": [ops.pk],
        "user_permissions": [],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": clerk.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": clerk.date_joined.strftime("%H:%M:%S"),
    }
    with sql_log() as sql:
        response = root.post(f"/admin/auth/user/{clerk.pk}/change/", form, HTTP_X_REQUEST_ID="req-admin")
    assert response.status_code == 302, response.content
    flags, groups = records_since(mark)
    assert (flags.action, flags.actor, flags.actor_user_id, flags.request_id) == (
        "auth.user_flags_changed",
        "root",
        root_user.pk,
        "req-admin",
    )
    assert (flags.before, flags.after) == (
        {"is_active": True, "is_staff": True, "is_superuser": False},
        {"is_active": True, "is_staff": False, "is_superuser": True, "username": "clerk"},
    )
    assert (groups.action, groups.before, groups.after) == (
        "auth.user_groups_changed",
        {"groups": ["teller"]},
        {"groups": ["operations"], "username": "clerk"},
    )
    assert sql.violations() == []  # the groups and the admin log entry were written before the audit records
    assert audit_chain_verify().ok


def test_the_admin_group_form_records_the_permissions(clerk):
    root = otp_login(Client(), make_staff("root", superuser=True))
    group = Group.objects.create(name="night shift")
    mark = last_sequence()
    with sql_log() as sql:
        response = root.post(
            f"/admin/auth/group/{group.pk}/change/",
            {"name": "night shift", "permissions": [perm("accounts.view_account").pk]},
        )
    assert response.status_code == 302, response.content
    (record,) = records_since(mark)
    assert (record.action, record.object_id, record.actor, record.before, record.after) == (
        "auth.group_permissions_changed",
        str(group.pk),
        "root",
        {"permissions": []},
        {"permissions": ["accounts.view_account"], "name": "night shift"},
    )
    assert sql.violations() == []


def test_the_lock_rule_check_finds_a_write_after_the_audit_record(clerk):
    with sql_log() as sql, transaction.atomic():
        audit_record(action="test.first")
        clerk.save(update_fields=["first_name"])
    assert len(sql.violations()) == 1 and sql.violations()[0].startswith('UPDATE "auth_user"')


def test_adding_a_user_in_the_admin_records_the_new_user_last():
    root = otp_login(Client(), make_staff("root", superuser=True))
    mark = last_sequence()
    with sql_log() as sql:
        response = root.post(
            "/admin/auth/user/add/",
            {
                "username": "newbie",
                "usable_password": "true",
                "password1": "another-long-password-9",
                "password2": "another-long-password-9",
            },
        )
    assert response.status_code == 302, response.content
    (record,) = records_since(mark)
    assert (record.action, record.actor, record.before) == ("auth.user_flags_changed", "root", None)
    assert record.after == {"username": "newbie", "is_active": True, "is_staff": False, "is_superuser": False}
    assert sql.violations() == []
