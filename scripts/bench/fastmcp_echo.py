"""The benchmark's echo tool served by FastMCP (PyPI `fastmcp`).

    python fastmcp_echo.py --stdio
    python fastmcp_echo.py --http 127.0.0.1:PORT     # endpoint /mcp

The tool matches agentwire's and bare rmcp's: `echo(message: str) -> str`.
"""

import argparse
import logging

from fastmcp import FastMCP

mcp = FastMCP("fastmcp-echo")


@mcp.tool
def echo(message: str) -> str:
    """Returns the message unchanged."""
    return message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    transport = parser.add_mutually_exclusive_group(required=True)
    transport.add_argument("--stdio", action="store_true", help="serve on stdin/stdout")
    transport.add_argument("--http", metavar="HOST:PORT", help="serve streamable HTTP at /mcp")
    args = parser.parse_args()
    # Per-request INFO lines would measure the terminal, not the server.
    logging.getLogger().setLevel(logging.WARNING)
    if args.stdio:
        mcp.run(transport="stdio", show_banner=False, log_level="WARNING")
    else:
        host, _, port = args.http.rpartition(":")
        mcp.run(
            transport="http",
            host=host,
            port=int(port),
            path="/mcp",
            show_banner=False,
            log_level="WARNING",
        )


if __name__ == "__main__":
    main()
