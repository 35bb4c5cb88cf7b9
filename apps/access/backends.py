"""Password authentication that counts consecutive failures and refuses locked logins.

Every ``authenticate()`` call goes through here (portal login, admin login, ``Client.login`` in tests),
so the limit cannot be side-stepped by choosing another entry point.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import services
from .selectors import login_is_locked


def _remote_addr(request) -> str:
    return (request.META.get("REMOTE_ADDR", "") if request is not None else "")[:64]


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check, so timing does not reveal names
            return None
        if login_is_locked(user=user):
            services.login_locked_refusal_record(user=user, remote_addr=_remote_addr(request))
            if request is not None:
                request.qenex_login_locked = True
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            state = services.login_failure_record(user=user, remote_addr=_remote_addr(request))
            if request is not None and state.is_locked:
                request.qenex_login_locked = True
            return None
        services.login_success_record(user=user, remote_addr=_remote_addr(request))
        return user
