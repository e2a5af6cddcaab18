"""The `hello` example server as seen by the official Python MCP SDK.

Each test runs four times: over stdio and streamable HTTP, in the SDK's
default era (2026-07-28, negotiated through `server/discover`) and in the
legacy era (`initialize` handshake).
"""

from __future__ import annotations

import re

import pytest
from conftest import EXPECTED_VERSION, Server, connect
from mcp.types import TextContent

pytestmark = pytest.mark.anyio


def _texts(result) -> list[str]:
    assert all(isinstance(block, TextContent) for block in result.content), result.content
    return [block.text for block in result.content]


async def test_negotiated_protocol_version(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        assert client.protocol_version == EXPECTED_VERSION[mode]
        session = client.session
        if mode == "default":
            # Reached through `server/discover`, not through a fallback to `initialize`.
            assert session.discover_result is not None
            assert session.initialize_result is None
            assert "2026-07-28" in session.discover_result.supported_versions
        else:
            assert session.initialize_result is not None
            assert session.discover_result is None
            assert session.initialize_result.protocol_version == "2025-11-25"
        assert client.server_info is not None
        assert client.server_info.name == "hello"
        assert client.server_capabilities.tools is not None


async def test_list_tools(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        listing = await client.list_tools()
        assert listing.next_cursor is None
        tools = {tool.name: tool for tool in listing.tools}
        assert sorted(tools) == ["countdown", "greet", "summarize", "word_count"]
        assert len(listing.tools) == 4
        assert tools["greet"].title == "Greeter"
        output_schema = tools["summarize"].output_schema
        assert output_schema is not None
        assert "$defs" in output_schema
        assert "TextStats" in output_schema["$defs"]


async def test_greet_in_french(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        result = await client.call_tool("greet", {"name": "Ada", "language": "french"})
        assert result.is_error is False
        assert _texts(result) == ["Bonjour, Ada!"]


async def test_summarize_returns_structured_content(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        # `summarize` has an output schema; the SDK validates the result against it.
        await client.list_tools()
        result = await client.call_tool("summarize", {"text": "one two three four five", "max_words": 2})
        assert result.is_error is False
        structured = result.structured_content
        assert structured is not None
        assert structured["original"]["words"] == 5
        assert structured["original"]["characters"] == 23
        assert structured["original"]["lines"] == 1
        assert structured["summary"] == "one two …"


async def test_wrong_argument_type_is_a_tool_error(server: Server, mode: str) -> None:
    async with connect(server, mode) as client:
        result = await client.call_tool("greet", {"name": "Ada", "language": 42})
        assert result.is_error is True
        message = " ".join(_texts(result))
        assert re.search(r"\blanguage\b", message), message


async def test_countdown_reports_progress(server: Server, mode: str) -> None:
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async with connect(server, mode) as client:
        result = await client.call_tool("countdown", {"seconds": 2}, progress_callback=on_progress)
        assert result.is_error is False
        assert _texts(result) == ["liftoff"]
    # One notification per second, sent before each one-second sleep, so both
    # arrive about a second before the result.
    assert progress, "no progress notifications arrived"
    assert [value for value, _, _ in progress] == [0.0, 1.0]
    assert all(total == 2.0 for _, total, _ in progress), progress
