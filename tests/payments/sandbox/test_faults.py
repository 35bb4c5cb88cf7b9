"""Forced faults, de-duplication across resends and restarts, and the HTTP errors of the sandbox."""

from __future__ import annotations

import json
import socket
import time
import urllib.error

import pytest

from apps.payments.formats.iso20022 import parse_pacs002
from tests.network_sandbox import NetworkSandbox

from .messages import ach_file, fedwire_ctr, mt103, sct

pytestmark = pytest.mark.slow


def test_timeout_accepts_and_never_answers(network_sandbox) -> None:
    raw, uetr = sct()
    network_sandbox.submit("sepa", raw, "timeout")
    time.sleep(5 * network_sandbox.delay)
    status = network_sandbox.status("sepa", uetr)
    assert (status["state"], status["replies"]) == ("pending", [])
    assert network_sandbox.seen(uetr) == 1


def test_duplicate_ack_delivers_each_answer_twice(network_sandbox) -> None:
    raw, imad = fedwire_ctr()
    receipt = network_sandbox.submit("fedwire", raw, "accept,duplicate_ack")
    entries = network_sandbox.feed_for("fedwire", receipt["network_reference"], 2)
    assert entries[0]["reply_id"] == entries[1]["reply_id"] and entries[0]["cursor"] < entries[1]["cursor"]
    assert len(network_sandbox.status("fedwire", imad)["replies"]) == 1


def test_out_of_order_answers_overtake_and_reverse(network_sandbox) -> None:
    late_raw, late_uetr = sct()
    early_raw, early_uetr = sct()
    late = network_sandbox.submit("sepa", late_raw, "out_of_order")
    early = network_sandbox.submit("sepa", early_raw)
    network_sandbox.feed_for("sepa", late["network_reference"], 2)
    feed = [a for a in network_sandbox.acks("sepa") if a["message_id"] in (late_uetr, early_uetr)]
    order = [(a["message_id"], a["status"]) for a in feed]
    assert order == [(early_uetr, "ACCP"), (early_uetr, "ACSC"), (late_uetr, "ACSC"), (late_uetr, "ACCP")]
    assert early["network_reference"] > late["network_reference"]


def test_stall_holds_the_response_but_the_network_has_the_message(network_sandbox) -> None:
    raw, uetr, _ = mt103()
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        network_sandbox.submit("swift", raw, "stall", timeout=0.5)
    assert network_sandbox.seen(uetr) == 1
    receipt = network_sandbox.submit("swift", raw, timeout=10)  # the resend after a client timeout
    assert receipt["duplicate"] is True and receipt["times_seen"] == 2
    assert len(network_sandbox.wait_for_replies("swift", receipt["network_reference"], 2)) == 2


def test_resend_of_the_same_uetr_is_not_a_second_payment(network_sandbox) -> None:
    raw, uetr = sct()
    first = network_sandbox.submit("sepa", raw)
    network_sandbox.wait_for_replies("sepa", uetr, 2)
    second = network_sandbox.submit("sepa", raw, "reject:AC04")  # a resend keeps the original result
    assert second["network_reference"] == first["network_reference"] and second["duplicate"] is True
    assert network_sandbox.seen(uetr) == 2
    time.sleep(3 * network_sandbox.delay)
    statuses = [a["status"] for a in network_sandbox.acks("sepa") if a["message_id"] == uetr]
    assert statuses == ["ACCP", "ACSC"]


def test_mt103_is_deduplicated_on_reference_and_uetr(network_sandbox) -> None:
    raw, uetr, reference = mt103()
    first = network_sandbox.submit("swift", raw)
    again = network_sandbox.submit("swift", raw)
    other_reference, _, _ = mt103(uetr=uetr)  # same UETR, a new :20: is another message for the sandbox
    third = network_sandbox.submit("swift", other_reference)
    assert again["network_reference"] == first["network_reference"] != third["network_reference"]
    assert network_sandbox.seen(uetr) == 3 and network_sandbox.seen(reference) == 2


def test_ach_resend_and_a_new_file_repeating_trace_numbers(network_sandbox) -> None:
    raw, traces = ach_file()
    first = network_sandbox.submit("ach", raw)
    assert network_sandbox.submit("ach", raw)["network_reference"] == first["network_reference"]
    repeat, _ = ach_file(modifier="B", first_trace=int(traces[0][-7:]))
    second = network_sandbox.submit("ach", repeat, "return:R01")
    assert second["network_reference"] != first["network_reference"]
    network_sandbox.wait_for_replies("ach", second["network_reference"], 1)
    time.sleep(3 * network_sandbox.delay)
    replies = network_sandbox.status("ach", second["network_reference"])["replies"]
    assert [r["kind"] for r in replies] == ["file_ack"]  # nothing settled again, so nothing to return
    assert json.loads(replies[0]["body"])["duplicate_entries"] == traces
    assert network_sandbox.seen(traces[0]) == 3


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("POST", "/sepa/messages", b"x", {"X-Sandbox-Outcome": "explode"}, 400, "invalid_outcome"),
        ("POST", "/sepa/messages", b"x", {"X-Sandbox-Outcome": "reject:AC04,timeout"}, 400, "invalid_outcome"),
        ("POST", "/fedwire/messages", b"x", {"X-Sandbox-Outcome": "return:R01"}, 400, "unsupported_outcome"),
        ("POST", "/ach/files", b"x", {"X-Sandbox-Outcome": "return:R99"}, 400, "unknown_return_reason"),
        ("POST", "/sepa/messages", b"  ", {}, 400, "empty_body"),
        ("POST", "/ach/messages", b"x", {}, 404, "not_found"),
        ("POST", "/target/messages", b"x", {}, 404, "rail_not_served"),
        ("GET", "/sepa/messages/nope/status", None, {}, 404, "message_not_found"),
        ("GET", "/sepa/acks?since=-1", None, {}, 400, "invalid_parameter"),
        ("GET", "/_sandbox/seen", None, {}, 400, "missing_parameter"),
    ],
)
def test_bad_requests_get_the_error_shape_and_change_nothing(
    network_sandbox, method, path, body, headers, status, code
) -> None:
    before = network_sandbox.seen("sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")
    got, answer = network_sandbox.request(method, path, body, headers)
    assert (got, answer["error"]["code"]) == (status, code)
    assert set(answer["error"]) == {"code", "message", "field"}
    assert network_sandbox.seen("sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881") == before


def test_state_file_keeps_deduplication_and_answers_across_a_restart(tmp_path) -> None:
    state = tmp_path / "network.json"
    raw, uetr = sct()
    with NetworkSandbox(tmp_path, rail="sepa", delay=0.3, state_file=state) as network:
        first = network.submit("sepa", raw)
    # Stopped before the answers were due: they are published by the next process.
    with NetworkSandbox(tmp_path, rail="sepa", delay=0.3, state_file=state) as network:
        again = network.submit("sepa", raw)
        assert (again["network_reference"], again["duplicate"]) == (first["network_reference"], True)
        assert network.seen(uetr) == 2
        replies = network.wait_for_replies("sepa", uetr, 2)
        assert [parse_pacs002(r["body"]).transactions[0].status for r in replies] == ["ACCP", "ACSC"]
        cursor = network.acks("sepa")[-1]["cursor"]
        new_raw, _ = sct()
        receipt = network.submit("sepa", new_raw)
        assert network.feed_for("sepa", receipt["network_reference"], 1)[0]["cursor"] > cursor  # the cursor goes on


def test_seeded_rates_draw_the_same_outcomes_on_every_run(tmp_path) -> None:
    messages = [sct()[0] for _ in range(12)]
    runs = []
    for run in range(2):
        workdir = tmp_path / f"run{run}"
        workdir.mkdir()
        args = ("--seed", "7", "--reject-rate", "0.5")
        with NetworkSandbox(workdir, rail="sepa", delay=0.05, args=args) as network:
            references = [network.submit("sepa", raw)["network_reference"] for raw in messages]
            runs.append([network.wait_for_replies("sepa", ref, 1)[0]["status"] for ref in references])
    assert runs[0] == runs[1]
    assert {"RJCT", "ACCP"} == set(runs[0])
