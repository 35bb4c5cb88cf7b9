"""X-Request-ID: a well-formed id from a proxy is kept and echoed; anything else is replaced, never reflected."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^[0-9a-f]{32}$")


def request_id_echoed(sent: str) -> str:
    response = Client().get("/api/v1/currencies", HTTP_X_REQUEST_ID=sent)
    assert response.status_code == 200
    return response["X-Request-ID"]


@pytest.mark.parametrize(
    "sent", ["a", "req-abc_1.2", "trace:span:01", "x" * 64, "0f8fad5b-d9cb-469f-a165-70867728950e"]
)
def test_well_formed_request_id_is_kept(sent):
    assert request_id_echoed(sent) == sent


@pytest.mark.parametrize(
    "sent",
    [
        "",
        "x" * 65,
        "abc\n",  # a regex anchored with $ lets one trailing newline through
        "abc\r\nSet-Cookie: a=b",
        "abc def",
        "<script>",
        "caf\u00e9",
        "abc\x00",
        "a/b",
    ],
)
def test_malformed_request_id_is_replaced_with_a_generated_one(sent):
    assert GENERATED.match(request_id_echoed(sent))


def test_no_request_id_gets_a_generated_one():
    assert GENERATED.match(Client().get("/api/v1/currencies")["X-Request-ID"])
