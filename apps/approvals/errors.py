from apps.core.errors import Conflict, DomainError, NotFound


class ApprovalNotFound(NotFound):
    code = "approval_not_found"


class ApprovalNotPending(Conflict):
    code = "approval_not_pending"


class SelfApprovalRefused(DomainError):
    """Four-eyes: the maker of a request can never approve or reject it."""

    code = "self_approval_refused"
    http_status = 403


class ApprovalPermissionDenied(DomainError):
    code = "approval_permission_denied"
    http_status = 403


class ReasonRequired(DomainError):
    code = "reason_required"
    http_status = 400


class ApprovalRequired(Conflict):
    """A batch entry the four-eyes policy would send for approval: post it on its own (it answers 202)."""

    code = "approval_required"
