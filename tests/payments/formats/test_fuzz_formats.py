"""Cross-format fuzzing: arbitrary bytes and mutations of every golden file.

Whatever arrives, :func:`detect.validate_file` returns a report (never raises), every module's
``validate_raw`` returns ``(type, errors)`` (never raises) and every module's ``parse`` either returns
or raises MessageValidationError - never a bare ValueError, KeyError, IndexError or UnicodeError.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.payments.formats import detect
from apps.payments.formats.errors import FieldError, MessageValidationError

from .broken import GOLDEN, golden_files

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOLDEN_BYTES = {str(path.relative_to(GOLDEN)): path.read_bytes() for path in golden_files()}

# A mutation: (kind, position as a fraction of the length, payload)
MUTATION = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]),
    st.floats(min_value=0, max_value=1, allow_nan=False),
    st.binary(min_size=1, max_size=8)
    | st.sampled_from([b"\r\n", b"\n", b"{", b"}", b":", b"<", b">", b"&", b"/", b"*", b"0", b"9", b"\x00", b"\xc3"]),
)


def mutate(raw: bytes, mutations: list[tuple[str, float, bytes]]) -> bytes:
    data = bytearray(raw)
    for kind, where, payload in mutations:
        at = int(where * len(data))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] = payload[0]
        elif kind == "insert":
            data[at:at] = payload
        elif kind == "delete":
            del data[at : at + len(payload)]
        elif kind == "truncate":
            del data[at:]
        elif kind == "duplicate":
            data[at:at] = data[at : at + 40]
    return bytes(data)


def check_never_crashes(raw: bytes) -> None:
    report = detect.validate_file(raw)
    assert isinstance(report, detect.ValidationReport)
    assert all(isinstance(error, FieldError) for error in report.errors)
    assert report.valid or report.errors
    for module in detect.FORMATS:
        message_type, errors = module.validate_raw(raw)
        assert isinstance(message_type, str) and all(isinstance(e, FieldError) for e in errors)
        try:
            module.parse(raw)
        except MessageValidationError as exc:
            assert exc.errors
        # any other exception propagates and fails the test


@FUZZ
@given(raw=st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_any_format(raw: bytes) -> None:
    check_never_crashes(raw)


@pytest.mark.parametrize("name", sorted(GOLDEN_BYTES))
@settings(FUZZ, max_examples=25)
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_golden_files_never_crash_any_format(name: str, mutations: list[tuple[str, float, bytes]]) -> None:
    check_never_crashes(mutate(GOLDEN_BYTES[name], mutations))


@pytest.mark.parametrize("name", sorted(GOLDEN_BYTES))
def test_every_prefix_cut_of_a_golden_file_never_crashes(name: str) -> None:
    raw = GOLDEN_BYTES[name]
    for cut in range(0, len(raw), max(1, len(raw) // 40)):
        check_never_crashes(raw[:cut])


def test_golden_path_list_is_not_empty() -> None:
    assert len(GOLDEN_BYTES) >= 50 and all(isinstance(p, str) for p in GOLDEN_BYTES)
    assert Path(GOLDEN).is_dir()
