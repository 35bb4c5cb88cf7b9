"""What counts as a page problem in the browser tests."""

from __future__ import annotations


def aborted_favicon(request) -> bool:
    """Chromium fetches the icon after the load event; going on to the next page at once cancels it (no fault).

    A missing icon still shows: as an HTTP 404 response, which the tests count.
    """
    return request.url.endswith("/favicon.svg") and request.failure == "net::ERR_ABORTED"
