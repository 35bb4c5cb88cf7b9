"""Request id: taken from ``X-Request-ID`` when a proxy sets one, otherwise generated; echoed back."""

import re
import uuid

from . import request_context
from .outage import commits_so_far

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        request.db_commits_at_start = commits_so_far()  # so an outage after a commit is not "nothing changed"
        token = request_context.publish(request)  # read by the audit trail: request id, client IP, principal
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request.request_id
        return response
