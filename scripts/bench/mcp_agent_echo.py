"""The benchmark's echo tool served by mcp-agent 0.2.6 (lastmile-ai), the way
mcp-agent serves agents: an `@app.tool` (run as a workflow on the asyncio
engine) exposed by `create_mcp_server_for_app`.

    python mcp_agent_echo.py --stdio
    python mcp_agent_echo.py --http 127.0.0.1:PORT   # endpoint /mcp

The tool matches agentwire's and bare rmcp's: `echo(message: str) -> str`.
Logging goes nowhere and usage telemetry is off, so neither the terminal nor
the network is measured.
"""

import argparse
import asyncio

from mcp_agent.app import MCPApp
from mcp_agent.config import LoggerSettings, Settings, UsageTelemetrySettings
from mcp_agent.server.app_server import create_mcp_server_for_app

settings = Settings(
    execution_engine="asyncio",
    logger=LoggerSettings(type="none", transports=["none"], level="error"),
    usage_telemetry=UsageTelemetrySettings(enabled=False),
)
app = MCPApp(name="mcp-agent-echo", description="echo for benchmarks", settings=settings)


@app.tool(name="echo")
async def echo(message: str) -> str:
    """Returns the message unchanged."""
    return message


async def serve(args: argparse.Namespace) -> None:
    async with app.run() as running:
        if args.stdio:
            server = create_mcp_server_for_app(running, log_level="ERROR")
            await server.run_stdio_async()
        else:
            host, _, port = args.http.rpartition(":")
            server = create_mcp_server_for_app(
                running, host=host, port=int(port), log_level="ERROR"
            )
            await server.run_streamable_http_async()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    transport = parser.add_mutually_exclusive_group(required=True)
    transport.add_argument("--stdio", action="store_true", help="serve on stdin/stdout")
    transport.add_argument("--http", metavar="HOST:PORT", help="serve streamable HTTP at /mcp")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
