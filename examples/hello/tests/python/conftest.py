"""Fixtures for driving the `hello` example server with the Python MCP SDK.

The fixtures themselves are shared with the other examples:
scripts/lib/mcp_fixtures.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "scripts" / "lib"))

from mcp_fixtures import (  # noqa: E402
    EXPECTED_VERSION,
    Server,
    anyio_backend,
    connect,
    example_server,
    mode,
)

__all__ = ["EXPECTED_VERSION", "Server", "anyio_backend", "connect", "mode", "server"]

server = example_server("hello", "HELLO_BIN")
