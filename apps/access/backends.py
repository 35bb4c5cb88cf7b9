"""Password authentication that counts failures per (user, source IP) and refuses locked-out addresses.

Every ``authenticate()`` call goes through here (portal login, admin login, ``Client.login`` in tests),
so the limits cannot be side-stepped by choosing another entry point. Two limits apply:

- wrong passwords for one user from one address lock that address out, with exponential back-off
  (``apps.access.services.login_failure_record``); the user still signs in from elsewhere, then MFA;
- every failed sign-in (any user name, known or not) also spends the address's failed-authentication budget,
  shared with wrong API keys (``apps.iam.throttling.AuthFailureRateThrottle``), so one address cannot spray
  guesses across many user names.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from apps.core.request_context import client_ip
from apps.iam.throttling import AuthFailureRateThrottle

from . import services
from .selectors import login_lock_get


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        failures = AuthFailureRateThrottle() if request is not None else None
        if failures is not None and (wait := failures.retry_after(request)):
            request.qenex_login_wait_seconds = wait
            return None
        source_ip = (client_ip(request) or "") if request is not None else ""
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # same cost as a real check, so timing does not reveal names
            if failures is not None:
                failures.failure_record(request)
            return None
        lock = login_lock_get(user=user, source_ip=source_ip)
        if lock is not None:
            services.login_locked_refusal_record(user=user, state=lock)
            if request is not None:
                request.qenex_login_locked_until = lock.locked_until
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            state = services.login_failure_record(user=user, source_ip=source_ip)
            if failures is not None:
                failures.failure_record(request)
            if request is not None and state.is_locked:
                request.qenex_login_locked_until = state.locked_until
            return None
        services.login_success_record(user=user, source_ip=source_ip)
        return user
