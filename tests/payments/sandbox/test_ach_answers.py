"""Per-entry ACH answers (``POST /_sandbox/ach/answer``): "the entry with trace number X comes back R01", "Y gets a
NOC C01 with corrected account 123" — given before the file arrives or after its entries settled ("next day").

The in-process tests drive :class:`Network` with a fake clock; the HTTP ones talk to the session's sandbox process.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from apps.payments.formats.nacha import Addenda98, Addenda99, parse_ach_file
from apps.payments.sandbox.config import SandboxConfig
from apps.payments.sandbox.network import Network, SubmissionRefused
from apps.payments.sandbox.outcomes import parse_outcome_header
from apps.payments.sandbox.rails.ach import AnswerRefused, parse_entry_answer

from .messages import ach_file


class Clock:
    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def network() -> Network:
    net = Network(SandboxConfig(delay_seconds=0.1), clock=Clock())
    return net


def _later(network: Network, seconds: float = 1.0) -> None:
    network.clock.now += seconds


def _addenda(reply: dict) -> list:
    return [entry.addenda[0] for batch in parse_ach_file(reply["body"]).batches for entry in batch.entries]


def _answers(network: Network, *items: dict) -> list[dict]:
    return network.ach_answer([parse_entry_answer(item) for item in items])


def _replies(network: Network, reference: str) -> list[dict]:
    return network.status("ach", reference)["replies"]


def test_answers_given_before_the_file_arrive_with_it_in_one_return_file_and_one_noc_file(network):
    raw, traces = ach_file()  # two credits
    answered = _answers(network, {"trace_number": traces[0], "return": "R03"})
    assert answered[0]["status"] == "pending"
    _answers(network, {"trace_number": traces[1], "noc": "C01", "corrected_data": "123"})
    receipt = network.submit("ach", raw, None).body
    _later(network)
    ack, returned, noc = _replies(network, receipt["network_reference"])
    assert json.loads(ack["body"])["status"] == "ACCEPTED"
    [r03] = _addenda(returned)
    assert isinstance(r03, Addenda99) and (r03.return_reason_code, r03.original_trace_number) == ("R03", traces[0])
    [c01] = _addenda(noc)
    assert isinstance(c01, Addenda98) and (c01.change_code, c01.original_trace_number) == ("C01", traces[1])
    assert c01.corrected_data.strip() == "123"
    assert {a["status"] for a in network.ach_answers()} == {"answered"}
    # Both files also reach the bank's inbound feed, as the return and change notices of its payments.
    assert [m["message_type"] for m in network.inbound("ach", 0, 10)["messages"]] == [
        "ACH return file",
        "ACH notification of change",
    ]


def test_an_answer_about_a_settled_entry_comes_later_as_its_own_file_and_only_for_that_entry(network):
    raw, traces = ach_file()
    reference = network.submit("ach", raw, None).body["network_reference"]
    _later(network)
    assert len(_replies(network, reference)) == 1  # the acknowledgement; nothing returned
    _answers(
        network,
        {"trace_number": traces[0], "return": "R01", "after_seconds": 5},
        {"trace_number": traces[1], "return": "R03", "after_seconds": 5},
    )
    _later(network, 4)
    assert len(_replies(network, reference)) == 1  # "next day" has not come yet
    _later(network, 2)
    ack, returned = _replies(network, reference)
    assert sorted((a.original_trace_number, a.return_reason_code) for a in _addenda(returned)) == [
        (traces[0], "R01"),
        (traces[1], "R03"),
    ]
    assert returned["reason"] == "R01,R03"


def test_answered_entries_keep_their_answer_and_the_others_follow_the_files_outcome(network):
    raw, traces = ach_file()
    _answers(network, {"trace_number": traces[0], "noc": "C03"})
    reference = network.submit("ach", raw, parse_outcome_header("return:R02")).body["network_reference"]
    _later(network)
    by_kind = {reply["kind"]: reply for reply in _replies(network, reference)}
    assert sorted(by_kind) == ["file_ack", "noc", "return"]
    [c03] = _addenda(by_kind["noc"])
    assert (c03.change_code, c03.original_trace_number) == ("C03", traces[0])
    assert c03.corrected_data.startswith("011000015")  # the deterministic correction when none is given
    [r02] = _addenda(by_kind["return"])
    assert (r02.return_reason_code, r02.original_trace_number) == ("R02", traces[1])


@pytest.mark.parametrize(
    ("made_at", "settles"),
    [
        # Wednesday afternoon in New York, Thanksgiving on Thursday: the next banking day is Friday.
        (datetime(2026, 11, 25, 20, 0, tzinfo=UTC), date(2026, 11, 27)),
        # Saturday 01:30 UTC is still Friday evening in New York: Monday.
        (datetime(2026, 11, 28, 1, 30, tzinfo=UTC), date(2026, 11, 30)),
    ],
)
def test_return_and_noc_files_are_dated_the_next_banking_day(network, made_at, settles):
    raw, traces = ach_file()
    network.clock.now = made_at.timestamp()
    _answers(network, {"trace_number": traces[0], "return": "R01"}, {"trace_number": traces[1], "noc": "C01"})
    reference = network.submit("ach", raw, None).body["network_reference"]
    _later(network)
    by_kind = {reply["kind"]: parse_ach_file(reply["body"]) for reply in _replies(network, reference)[1:]}
    assert sorted(by_kind) == ["noc", "return"]
    for answer in by_kind.values():
        assert answer.header.file_creation_date == made_at.date()  # made today (UTC, the file's own clock) ...
        assert {batch.header.effective_entry_date for batch in answer.batches} == {settles}  # ... settles then


def test_a_rejected_file_leaves_the_answer_pending_for_the_resend(network):
    raw, traces = ach_file()
    _answers(network, {"trace_number": traces[0], "return": "R01"})
    network.submit("ach", raw, parse_outcome_header("reject"))
    assert network.ach_answers()[0]["status"] == "pending"
    again, _ = ach_file(first_trace=int(traces[0][8:]))  # a new file id carrying the same entry
    reference = network.submit("ach", again, None).body["network_reference"]
    _later(network)
    assert [r["kind"] for r in _replies(network, reference)] == ["file_ack", "return"]


def test_an_answer_already_given_is_refused_and_nothing_of_the_request_is_recorded(network):
    raw, traces = ach_file()
    _answers(network, {"trace_number": traces[0], "return": "R01"})
    network.submit("ach", raw, None)
    with pytest.raises(SubmissionRefused) as refused:
        _answers(
            network, {"trace_number": "999999990000001", "return": "R01"}, {"trace_number": traces[0], "noc": "C01"}
        )
    assert refused.value.code == "already_answered"
    assert [a["trace_number"] for a in network.ach_answers()] == [traces[0]]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"trace_number": "123", "return": "R01"}, "invalid_trace_number", "trace_number"),
        ({"trace_number": "12100024000000A", "return": "R01"}, "invalid_trace_number", "trace_number"),
        ({"trace_number": "121000240000001"}, "invalid_answer", "return"),
        ({"trace_number": "121000240000001", "return": "R01", "noc": "C01"}, "invalid_answer", "return"),
        ({"trace_number": "121000240000001", "return": "R99"}, "unknown_return_code", "return"),
        ({"trace_number": "121000240000001", "noc": "C99"}, "unknown_noc_code", "noc"),
        (
            {"trace_number": "121000240000001", "return": "R01", "corrected_data": "1"},
            "unexpected_field",
            "corrected_data",
        ),
        (
            {"trace_number": "121000240000001", "noc": "C01", "corrected_data": "1" * 30},
            "invalid_corrected_data",
            "corrected_data",
        ),
        (
            {"trace_number": "121000240000001", "noc": "C01", "after_seconds": -1},
            "invalid_after_seconds",
            "after_seconds",
        ),
        ({"trace_number": "121000240000001", "noc": "C01", "when": "tomorrow"}, "unknown_field", "when"),
        (["121000240000001"], "invalid_answer", "answer"),
    ],
)
def test_a_bad_answer_is_refused_with_its_code_and_field(body, code, field):
    with pytest.raises(AnswerRefused) as refused:
        parse_entry_answer(body)
    assert (refused.value.code, refused.value.field) == (code, field)


# ---------------------------------------------------------------- over HTTP, the sandbox as a process


@pytest.mark.slow
def test_the_answer_endpoint_returns_an_entry_next_day_over_http(network_sandbox):
    raw, traces = ach_file()
    receipt = network_sandbox.submit("ach", raw)
    [ack] = network_sandbox.wait_for_replies("ach", receipt["network_reference"], 1)
    assert json.loads(ack["body"])["status"] == "ACCEPTED"
    [given] = network_sandbox.answer({"trace_number": traces[1], "noc": "C01", "corrected_data": "123"})
    assert (given["status"], given["network_reference"]) == ("answered", receipt["network_reference"])
    _, noc = network_sandbox.wait_for_replies("ach", receipt["network_reference"], 2)
    [c01] = _addenda(noc)
    assert (c01.original_trace_number, c01.corrected_data.strip()) == (traces[1], "123")
    status, listed = network_sandbox.get("/_sandbox/ach/answers")
    assert status == 200 and traces[1] in {a["trace_number"] for a in listed["answers"]}
    refused = network_sandbox.answer({"trace_number": traces[1], "return": "R01"}, expect=409)
    assert refused["error"]["code"] == "already_answered"


@pytest.mark.slow
def test_bad_answer_requests_are_4xx_with_a_code(network_sandbox):
    def post(body: bytes) -> tuple[int, dict]:
        return network_sandbox.request("POST", "/_sandbox/ach/answer", body, {"Content-Type": "application/json"})

    assert post(b"{not json")[0] == 400 and post(b"{not json")[1]["error"]["code"] == "invalid_json"
    status, body = post(json.dumps({"answers": []}).encode())
    assert (status, body["error"]["code"]) == (400, "invalid_answer")
    duplicate = {"trace_number": "121000249999999", "return": "R01"}
    status, body = post(json.dumps({"answers": [duplicate, duplicate]}).encode())
    assert (status, body["error"]["code"]) == (400, "duplicate_trace_number")
    status, body = post(json.dumps({"trace_number": "1", "return": "R01"}).encode())
    assert (status, body["error"]["field"]) == (400, "trace_number")
    assert not any(
        a["trace_number"] == "121000249999999" for a in network_sandbox.get("/_sandbox/ach/answers")[1]["answers"]
    )
