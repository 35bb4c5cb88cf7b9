"""QR codes for authenticator enrolment, rendered locally as an SVG data URI (no outside requests)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg


def qr_svg_data_uri(text: str) -> str:
    """Return ``data:image/svg+xml;base64,...`` for a QR code of ``text``, usable as an ``<img src>``."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
