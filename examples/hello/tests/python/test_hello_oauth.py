"""The `hello` server as an OAuth 2.1 resource server, signed in to by the
official Python MCP SDK's OAuth client.

The issuer is a real one (npm oauth2-mock-server, started by
scripts/lib/oauth-issuer.mjs; scripts/python-tests.sh installs it with
scripts/oauth-issuer.sh). The SDK finds everything by itself: the 401
challenge points it at the Protected Resource Metadata, which names the
issuer; it registers a client, runs authorization code + PKCE (the mock
issuer approves at once and redirects with the code), gets a token for the
server's canonical URI and calls through.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.auth import OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from mcp_fixtures import LISTENING, TEST_TIMEOUT, _drain, _read_first_line, _stop, _tail

pytestmark = pytest.mark.anyio

OAUTH_MOCK_SERVER = "oauth2-mock-server-9.3.0"
ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def issuer():
    cache = Path(os.environ.get("AGENTWIRE_CACHE", Path.home() / ".cache" / "agentwire"))
    package = cache / OAUTH_MOCK_SERVER
    node_path = package / "node-path"
    if not node_path.is_file():
        pytest.fail(
            f"the test OAuth issuer is not installed in {package}: run `bash scripts/oauth-issuer.sh`",
            pytrace=False,
        )
    proc = subprocess.Popen(
        [node_path.read_text().strip(), str(ROOT / "scripts" / "lib" / "oauth-issuer.mjs"), str(package)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        yield json.loads(line)["issuer"]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        _stop(proc)


@pytest.fixture
def protected_hello(issuer: str, tmp_path: Path):
    binary = os.environ.get("HELLO_BIN")
    if not binary:
        pytest.fail("HELLO_BIN is not set; run the tests through scripts/python-tests.sh", pytrace=False)
    config = tmp_path / "agentwire.toml"
    config.write_text(f'[auth]\nissuer = "{issuer}"\nscopes = ["mcp"]\n')
    stderr_path = tmp_path / "hello-oauth.stderr"
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [binary, "--config", str(config), "serve", "--http", "127.0.0.1:0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    try:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        match = LISTENING.match(_read_first_line(fd, proc, stderr_path))
        assert match is not None, _tail(stderr_path)
        threading.Thread(target=_drain, args=(fd,), daemon=True).start()
        yield f"http://127.0.0.1:{int(match.group(1))}/mcp"
    finally:
        _stop(proc)
        print(f"--- hello serve --http stderr ---\n{_tail(stderr_path)}")


class MemoryStorage(TokenStorage):
    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client = client_info


async def test_without_a_token_the_server_answers_401_with_its_metadata(protected_hello: str, issuer: str) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(protected_hello, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert response.status_code == 401
        challenge = response.headers["www-authenticate"]
        metadata_url = protected_hello.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
        assert challenge.startswith(f'Bearer resource_metadata="{metadata_url}"'), challenge
        metadata = (await http.get(metadata_url)).json()
        assert metadata["resource"] == protected_hello
        assert metadata["authorization_servers"] == [issuer]


async def test_the_sdks_oauth_client_signs_in_and_calls_through(protected_hello: str, issuer: str) -> None:
    storage = MemoryStorage()
    redirect: dict[str, str] = {}

    async def sign_in(authorization_url: str) -> None:
        # The person approves at once: the mock issuer redirects with a code.
        async with httpx2.AsyncClient(follow_redirects=False) as http:
            response = await http.get(authorization_url)
        assert response.status_code in (302, 303), response.text
        query = parse_qs(urlparse(response.headers["location"]).query)
        redirect["code"] = query["code"][0]
        redirect["state"] = query["state"][0]
        redirect["resource"] = parse_qs(urlparse(authorization_url).query).get("resource", [""])[0]

    async def come_back() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=redirect["code"], state=redirect["state"])

    provider = OAuthClientProvider(
        server_url=protected_hello,
        client_metadata=OAuthClientMetadata(
            client_name="agentwire python test",
            redirect_uris=["http://127.0.0.1:9/callback"],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=sign_in,
        callback_handler=come_back,
    )
    with anyio.fail_after(TEST_TIMEOUT):
        async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
            async with Client(streamable_http_client(protected_hello, http_client=http)) as client:
                result = await client.call_tool("greet", {"name": "Ada"})
    assert result.is_error is False
    assert [block.text for block in result.content] == ["Hello, Ada!"]
    assert redirect["resource"] == protected_hello, "the SDK asked for a token for this server (RFC 8707)"
    assert storage.tokens is not None and storage.client is not None
    assert "mcp" in (storage.tokens.scope or ""), storage.tokens
