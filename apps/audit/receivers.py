"""State changes that reach the audit trail through signals, because Django offers no service to wrap.

* Login success and failure (Django's auth signals).
* Permission changes: a user's groups or direct permissions, a group's permissions (``m2m_changed`` on the
  three through tables, from either side), and a user's ``is_active`` / ``is_staff`` / ``is_superuser``
  (``pre_save`` reads the stored flags, ``post_save`` compares). Whoever makes the change - the admin, a
  service, a management command, ``post_migrate`` re-applying the roles - it is recorded, in the
  caller's transaction. ``QuerySet.update()`` and raw SQL send no signal and are not seen here.

``audit_record`` locks its shard's chain head until commit, so it must be the last write of a transaction. A
signal fires in the middle of its caller's work; a caller that writes more afterwards (the admin's change
form saves the user, then its groups, then the admin log) wraps its work in ``audit_deferred()``, which
holds the records back and writes them when the block ends, still inside the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from apps.core.request_context import current_request

from .services import audit_record

User = get_user_model()

USER_FLAGS = ("is_active", "is_staff", "is_superuser")

_deferred: ContextVar[list[dict[str, Any]] | None] = ContextVar("qenex_audit_deferred", default=None)


@contextmanager
def audit_deferred() -> Iterator[None]:
    """Hold back the records the signals below write in this block; write them, in order, when it ends.

    Use it inside the transaction, around work that writes more rows after a signal fired. If the block
    raises, nothing is written (the transaction is rolled back anyway).
    """
    if _deferred.get() is not None:  # nested: the outer block writes
        yield
        return
    token = _deferred.set([])
    try:
        yield
        pending = _deferred.get() or []
    finally:
        _deferred.reset(token)
    for kwargs in _coalesce(pending):
        audit_record(**kwargs)


def _coalesce(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge the records of one object and action into one (first before, last after); drop no-ops.

    ``user.groups.set(...)`` removes, then adds: one change to the reader, one record.
    """
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for kwargs in pending:
        key = (kwargs["action"], kwargs["object_type"], kwargs["object_id"])
        if key in merged:
            merged[key] = {**merged[key], "after": kwargs["after"]}
        else:
            merged[key] = kwargs
    return [kwargs for kwargs in merged.values() if kwargs["before"] != _state(kwargs["after"], kwargs["before"])]


def _state(after: Any, before: Any) -> Any:
    """``after`` without the descriptive name, to compare with ``before``."""
    if isinstance(after, dict) and isinstance(before, dict):
        return {k: v for k, v in after.items() if k in before}
    return after


def _record(**kwargs: Any) -> None:
    pending = _deferred.get()
    if pending is not None:
        pending.append(kwargs)
    else:
        audit_record(**kwargs)


def _request_actor() -> str:
    """The signed-in user of the current request, or "system" (commands, migrations, Celery)."""
    ctx = current_request()
    user = getattr(ctx.request, "user", None) if ctx is not None else None
    if user is not None and getattr(user, "is_authenticated", False) and getattr(user, "api_key", None) is None:
        return user.get_username()
    return "system"


# --- login ------------------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="audit_login_succeeded")
def _login_succeeded(sender, request, user, **kwargs) -> None:
    audit_record(
        action="auth.login_succeeded",
        object_type="user",
        object_id=str(user.pk),
        after={"username": user.get_username()},
        actor=user.get_username(),
        user_id=user.pk,
    )


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the name that was tried: Django masks secrets in ``credentials``, but nothing else belongs here.
    username = str(credentials.get("username", ""))[:150]
    audit_record(action="auth.login_failed", object_type="user", after={"username": username}, actor=username)


# --- user flags -------------------------------------------------------------------------------------------


def _flags(user) -> dict[str, bool]:
    return {flag: bool(getattr(user, flag)) for flag in USER_FLAGS}


@receiver(pre_save, sender=User, dispatch_uid="audit_user_flags_before")
def _user_flags_before(sender, instance, update_fields=None, **kwargs) -> None:
    instance._audit_flags_before = None
    if instance.pk is None or (update_fields is not None and not set(update_fields) & set(USER_FLAGS)):
        return  # a new user, or a save that cannot touch the flags (e.g. ``last_login`` at every sign-in)
    stored = sender._default_manager.filter(pk=instance.pk).values(*USER_FLAGS).first()
    instance._audit_flags_before = stored


@receiver(post_save, sender=User, dispatch_uid="audit_user_flags_after")
def _user_flags_after(sender, instance, created, update_fields=None, **kwargs) -> None:
    before = getattr(instance, "_audit_flags_before", None)
    instance._audit_flags_before = None
    if not created and before is None:
        return
    after = _flags(instance)
    if before == after:
        return
    _record(
        action="auth.user_flags_changed",
        object_type="user",
        object_id=str(instance.pk),
        before=before,  # None for a new user
        after={**after, "username": instance.get_username()},
        actor=_request_actor(),
    )


# --- groups and permissions -------------------------------------------------------------------------------


def _permission_names(queryset) -> list[str]:
    return sorted(f"{app}.{codename}" for app, codename in queryset.values_list("content_type__app_label", "codename"))


@dataclass(frozen=True)
class _Relation:
    """One many-to-many relation whose changes are audited, seen from its owner (a user or a group)."""

    action: str
    object_type: str
    key: str  # the name of the list in before/after
    owner_field: str  # the through table's column pointing at the owner
    target_field: str  # ... and at the other side

    def labels(self, owner_id: int) -> list[str]:
        if self.key == "groups":
            return sorted(Group.objects.filter(user__pk=owner_id).values_list("name", flat=True))
        if self.object_type == "user":
            return _permission_names(Permission.objects.filter(user__pk=owner_id))
        return _permission_names(Permission.objects.filter(group__pk=owner_id))

    def owner_names(self, owner_ids: list[int]) -> dict[int, str]:
        if self.object_type == "user":
            return dict(User._default_manager.filter(pk__in=owner_ids).values_list("pk", User.USERNAME_FIELD))
        return dict(Group.objects.filter(pk__in=owner_ids).values_list("pk", "name"))


_RELATIONS = {
    User.groups.through: _Relation("auth.user_groups_changed", "user", "groups", "user", "group"),
    User.user_permissions.through: _Relation(
        "auth.user_permissions_changed", "user", "permissions", "user", "permission"
    ),
    Group.permissions.through: _Relation(
        "auth.group_permissions_changed", "group", "permissions", "group", "permission"
    ),
}


def _owners(relation: _Relation, sender, instance, reverse: bool, pk_set) -> list[int]:
    """The users or groups whose lists this change touches."""
    if not reverse:
        return [instance.pk]
    if pk_set is not None:  # add or remove, from the other side: e.g. ``group.user_set.add(a, b)``
        return sorted(pk_set)
    # clear from the other side: everyone currently related
    related = sender.objects.filter(**{f"{relation.target_field}_id": instance.pk})
    return sorted(set(related.values_list(f"{relation.owner_field}_id", flat=True)))


def _m2m_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    relation = _RELATIONS[sender]
    snapshots = instance.__dict__.setdefault("_audit_m2m_before", {})
    if action.startswith("pre_"):
        owners = _owners(relation, sender, instance, reverse, pk_set)
        snapshots[sender] = {owner: relation.labels(owner) for owner in owners}
        return
    before_by_owner = snapshots.pop(sender, None)
    if not before_by_owner:
        return
    changed = {}
    for owner, before in before_by_owner.items():
        after = relation.labels(owner)
        if after != before:
            changed[owner] = (before, after)
    if not changed:
        return
    names = relation.owner_names(list(changed))
    actor = _request_actor()
    name_key = "username" if relation.object_type == "user" else "name"
    for owner, (before, after) in changed.items():
        _record(
            action=relation.action,
            object_type=relation.object_type,
            object_id=str(owner),
            before={relation.key: before},
            after={relation.key: after, name_key: names.get(owner, "")},
            actor=actor,
        )


for _through in _RELATIONS:
    m2m_changed.connect(_m2m_changed, sender=_through, dispatch_uid=f"audit_m2m_{_through._meta.label_lower}")
