"""The portal's menu: one registry, filtered by what the signed-in user may do.

A page that another feature adds (inbound exceptions, reconciliation breaks, screening alerts, cases) registers
its entry in its AppConfig.ready()::

    from apps.portal.navigation import MenuItem, register
    register(MenuItem(label="Screening alerts", url_name="portal-screening-alerts",
                      permissions=("compliance.view_screeningalert",), order=60))

``permissions`` are alternatives: the entry shows when the user holds any of them (none listed: every
signed-in staff user). The view itself must still check its permission: the menu only hides what would be
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    permissions: tuple[str, ...] = ()
    order: int = 100
    # Extra rule beyond permissions (e.g. staff only), given the user.
    visible: Callable[[object], bool] | None = field(default=None, compare=False)

    def allowed(self, user) -> bool:
        if not (user.is_authenticated and user.is_staff):
            return False
        if self.visible is not None and not self.visible(user):
            return False
        return not self.permissions or any(user.has_perm(p) for p in self.permissions)


_items: dict[str, MenuItem] = {}


def register(item: MenuItem) -> None:
    """Add (or replace, by url name) a menu entry."""
    _items[item.url_name] = item


def registered() -> list[MenuItem]:
    return sorted(_items.values(), key=lambda i: (i.order, i.label))


@dataclass(frozen=True)
class MenuEntry:
    label: str
    url: str
    current: bool


def menu_for(user, path: str) -> list[MenuEntry]:
    """The entries ``user`` may open, the one ``path`` is under marked current (longest match wins)."""
    entries = []
    for item in registered():
        if not item.allowed(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # a feature that is not routed in this deployment
        entries.append((item, url))
    best = max((url for _, url in entries if path == url or (url != "/" and path.startswith(url))), key=len, default="")
    return [MenuEntry(item.label, url, url == best) for item, url in entries]
