"""Scope checks: every API view names the scope it needs; a key without it gets 403."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied


class HasScope(permissions.BasePermission):
    """Allow API keys holding the view's ``required_scopes[method]`` and staff users with the permission.

    Views declare ``required_scopes = {"GET": "accounts:read", "POST": "accounts:write"}``. A view that
    declares nothing for a method refuses it, so forgetting a declaration fails closed.
    Staff (session) users need the Django permission in ``staff_permissions[method]`` (a tuple there means
    any one of them); views refine it per operation with ``require_staff_permission``.
    """

    def has_permission(self, request, view) -> bool:
        if getattr(view, "public", False):
            return True
        if not hasattr(view, request.method.lower()):
            return True  # DRF answers 405 for a method the view does not implement
        if not request.user or not request.user.is_authenticated:
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        scope = getattr(view, "required_scopes", {}).get(method)
        key = getattr(request.user, "api_key", None)
        if key is not None:
            if scope is None or scope not in key.scopes:
                raise PermissionDenied(f"this API key lacks the scope {scope!r}" if scope else "method not allowed")
            return True
        perm = getattr(view, "staff_permissions", {}).get(method)
        if perm and staff_has_any(request.user, perm):
            return True
        raise PermissionDenied("you do not have permission for this operation")


def staff_has_any(user, perms: str | tuple[str, ...]) -> bool:
    """True for an active staff user holding ``perms`` (a permission, or a tuple meaning any one of them)."""
    if not (user.is_active and user.is_staff):
        return False
    return any(user.has_perm(p) for p in ((perms,) if isinstance(perms, str) else perms))


def require_staff_permission(request, perm: str) -> None:
    """Refuse (403) a staff session user without ``perm``; API-key clients are governed by scopes instead."""
    if getattr(request.user, "api_key", None) is None and not staff_has_any(request.user, perm):
        raise PermissionDenied("you do not have permission for this operation")
