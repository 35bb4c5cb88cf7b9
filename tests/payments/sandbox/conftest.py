from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.network_sandbox import NetworkSandbox


@pytest.fixture(scope="session")
def network_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetworkSandbox]:
    """One sandbox process serving every rail, 0.1 s answer delay, 1.5 s stalls, no random faults (tests force them)."""
    workdir = tmp_path_factory.mktemp("network-sandbox")
    with NetworkSandbox(workdir, rail="all", delay=0.1, args=("--stall-seconds", "1.5")) as sandbox:
        yield sandbox
