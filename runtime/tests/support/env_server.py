"""A minimal MCP server over stdio (2025-11-25, no SDK) with one tool,
`env`, that answers the names of the variables in its environment: what a
stdio child process of agentwire was given. With `--exit-after-call` it
exits after its first answer, as a server that crashes would."""

import json
import os
import sys


def answer(request_id, result=None, error=None):
    message = {"jsonrpc": "2.0", "id": request_id}
    if error is None:
        message["result"] = result
    else:
        message["error"] = error
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message:
        continue  # a notification
    method = message.get("method")
    if method == "initialize":
        answer(message["id"], {
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "env-server", "version": "0"},
        })
    elif method == "tools/list":
        answer(message["id"], {"tools": [{"name": "env", "inputSchema": {"type": "object"}}]})
    elif method == "tools/call":
        names = json.dumps(sorted(os.environ))
        answer(message["id"], {"content": [{"type": "text", "text": names}], "isError": False})
        if "--exit-after-call" in sys.argv:
            sys.exit(0)
    else:
        answer(message["id"], error={"code": -32601, "message": f"no method {method}"})
