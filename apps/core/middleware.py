"""Request id: taken from ``X-Request-ID`` when a proxy sets a well-formed one, otherwise generated; echoed back.

The id reaches the response headers, the logs and the audit trail (``request_id``, 64 characters), so a
client-chosen value is kept only when it is 1-64 characters of ``[A-Za-z0-9._:-]``; anything else (a newline,
spaces, other bytes, too long) is replaced, never reflected.
"""

import re
import uuid

from . import request_context
from .outage import commits_so_far

_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def request_id_from(incoming: str) -> str:
    """Return ``incoming`` when it is a well-formed request id, else a fresh one."""
    # fullmatch, not match(^...$): "$" also matches before a trailing newline.
    return incoming if _WELL_FORMED.fullmatch(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        request.db_commits_at_start = commits_so_far()  # so an outage after a commit is not "nothing changed"
        token = request_context.publish(request)  # read by the audit trail: request id, client IP, principal
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
