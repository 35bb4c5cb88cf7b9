"""An upload limit applied while the request body is read, so a file over the limit is never written to disk.

``SizeLimit(limit)`` goes first in ``request.upload_handlers`` (before anything reads ``request.POST``/``FILES``:
the view is ``csrf_exempt`` and checks the token itself with ``csrf_protect`` after installing it). Past ``limit``
bytes of file data it stops the upload: the rest of the body is read and dropped, the file is not in
``request.FILES`` and ``too_large`` is set for the view to answer 413.

``accepts_upload(limit)`` marks the view (outermost decorator) for ``RefuseHostileRequestMiddleware``: a multipart
body up to ``limit`` plus ``UPLOAD_SLACK`` (the other fields, the multipart framing) reaches it instead of the
site-wide 413 at ``DATA_UPLOAD_MAX_MEMORY_SIZE``; a file just over the limit gets the page's own error, a body far
over it the JSON 413 ``request_too_large``.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

UPLOAD_SLACK = 1024 * 1024


def accepts_upload(limit: int):
    def mark(view):
        view.max_body_bytes = limit + UPLOAD_SLACK
        return view

    return mark


class SizeLimit(FileUploadHandler):
    def __init__(self, limit: int, request=None):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int):
        return None  # the next handler makes the file
