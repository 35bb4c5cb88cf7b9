from apps.core.errors import Conflict, DomainError


class LoginLocked(DomainError):
    code = "login_locked"
    http_status = 403


class NotLocked(Conflict):
    code = "login_not_locked"


class MfaDeviceNotFound(DomainError):
    code = "mfa_device_not_found"
    http_status = 404
