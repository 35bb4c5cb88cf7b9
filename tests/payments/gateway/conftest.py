from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.network_sandbox import NetworkSandbox

from .network_link import NetworkLink

STALL_SECONDS = 3.0


@pytest.fixture(scope="session")
def gateway_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetworkSandbox]:
    """One sandbox process for every rail: 0.1 s answer delay, no random faults (tests force them)."""
    workdir = tmp_path_factory.mktemp("gateway-sandbox")
    with NetworkSandbox(workdir, rail="all", delay=0.1, args=("--stall-seconds", str(STALL_SECONDS))) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def session_link(gateway_sandbox: NetworkSandbox) -> Iterator[NetworkLink]:
    link = NetworkLink(gateway_sandbox.url)
    yield link
    link.close()


@pytest.fixture
def link(session_link: NetworkLink) -> Iterator[NetworkLink]:
    session_link.clear()
    yield session_link
    session_link.clear()
