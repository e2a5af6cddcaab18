"""Fixtures for driving an agentwire example server with the Python MCP SDK.

Shared by the examples' `tests/python/conftest.py`, which name their binary:

    server = example_server("hello", "HELLO_BIN")

The binary's path comes from that environment variable (set by
`scripts/python-tests.sh`). Every test runs against each transport (`stdio`,
`http`) in each protocol era (`default`: the SDK's own choice, 2026-07-28
through `server/discover`; `legacy`: the 2025-era `initialize` handshake).
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

# What `<example> serve --http 127.0.0.1:0` prints first on stdout.
LISTENING = re.compile(rb"^listening on http://127\.0\.0\.1:(\d+)/mcp\r?\n$")

# Seconds to wait for the HTTP server to announce its port.
STARTUP_TIMEOUT = 60.0
# Seconds for a whole test's MCP conversation.
TEST_TIMEOUT = 60.0
# Seconds for one request to be answered.
READ_TIMEOUT = 30.0
# Seconds the server gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0

# The protocol version each mode must end up on.
EXPECTED_VERSION = {
    "default": "2026-07-28",
    "legacy": "2025-11-25",
}


@dataclass
class Server:
    """An example server the tests can connect to."""

    transport: str
    target: StdioServerParameters | str
    """What `mcp.Client` takes: spawn parameters (stdio) or the endpoint URL (http)."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _binary(env_var: str) -> str:
    path = os.environ.get(env_var)
    if not path:
        pytest.fail(f"{env_var} is not set; run the tests through scripts/python-tests.sh", pytrace=False)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"{env_var}={path!r} is not an executable file", pytrace=False)
    return path


def _server_env() -> dict[str, str] | None:
    """Extra environment for the stdio server: pass `RUST_LOG` through when set."""
    rust_log = os.environ.get("RUST_LOG")
    return {"RUST_LOG": rust_log} if rust_log else None


def example_server(name: str, env_var: str):
    """The `server` fixture for the example binary `name`, found at `$env_var`."""

    @pytest.fixture(params=["stdio", "http"])
    def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
        binary = _binary(env_var)
        if request.param == "stdio":
            # The SDK spawns (and reaps) the process itself, once per client.
            yield Server(
                "stdio",
                StdioServerParameters(command=binary, args=["serve", "--stdio"], env=_server_env()),
            )
        else:
            with _http_server(name, binary, tmp_path) as url:
                yield Server("http", url)

    return server


@pytest.fixture(params=["default", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@contextmanager
def _http_server(name: str, binary: str, tmp_path: Path) -> Iterator[str]:
    """Run `<name> serve --http 127.0.0.1:0`, yield its endpoint URL, stop it afterwards.

    The server is stopped even when the test fails; its stderr is echoed at
    teardown so that pytest shows it next to a failure.
    """
    stderr_path = tmp_path / f"{name}-http.stderr"
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [binary, "serve", "--http", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    drain: threading.Thread | None = None
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        line = _read_first_line(fd, proc, stderr_path)
        match = LISTENING.match(line)
        if match is None:
            pytest.fail(
                f"unexpected first stdout line from the HTTP server: {line!r}\n"
                f"stderr:\n{_tail(stderr_path)}",
                pytrace=False,
            )
        port = int(match.group(1))
        assert 0 < port < 65536, f"the server announced port {port}"
        # Keep reading stdout so the server can never block on a full pipe.
        drain = threading.Thread(target=_drain, args=(fd,), daemon=True)
        drain.start()
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        _stop(proc)
        if drain is not None:
            drain.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
        print(f"--- {name} serve --http stderr ---\n{_tail(stderr_path)}", file=sys.stderr)


def _read_first_line(fd: int, proc: subprocess.Popen[bytes], stderr_path: Path) -> bytes:
    """Read up to the first newline on `fd`, failing on timeout or early exit."""
    buf = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while b"\n" not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(
                f"the HTTP server printed no line within {STARTUP_TIMEOUT} s (got {buf!r})\n"
                f"stderr:\n{_tail(stderr_path)}",
                pytrace=False,
            )
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            code = proc.wait(timeout=STOP_TIMEOUT)
            pytest.fail(
                f"the HTTP server closed stdout (exit status {code}) before printing a line (got {buf!r})\n"
                f"stderr:\n{_tail(stderr_path)}",
                pytrace=False,
            )
        buf += chunk
    return buf[: buf.index(b"\n") + 1]


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(path: Path, limit: int = 20_000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        return f"<unreadable: {e}>"
    return text[-limit:]


@asynccontextmanager
async def connect(server: Server, mode: str, **options: Any) -> AsyncIterator[Client]:
    """A connected `mcp.Client`; `mode` "default" leaves the SDK's own choice in place.

    `options` go to `mcp.Client` as they are (callbacks, for example).
    """
    kwargs: dict[str, Any] = {} if mode == "default" else {"mode": mode}
    kwargs.update(options)
    with anyio.fail_after(TEST_TIMEOUT):
        try:
            async with Client(server.target, read_timeout_seconds=READ_TIMEOUT, **kwargs) as client:
                yield client
        except BaseExceptionGroup as group:
            # The SDK's task groups wrap a failing assertion in nested exception
            # groups; report the assertion itself when it is the only error.
            leaf = _sole_leaf(group)
            if leaf is None:
                raise
            raise leaf from None


def _sole_leaf(exc: BaseException) -> BaseException | None:
    while isinstance(exc, BaseExceptionGroup):
        if len(exc.exceptions) != 1:
            return None
        exc = exc.exceptions[0]
    return exc
