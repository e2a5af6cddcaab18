// A real OAuth 2.1 / OpenID issuer for tests: npm `oauth2-mock-server` on a
// free loopback port, with RS256 keys, discovery, JWKS, /token, /authorize
// (with PKCE) and /introspect. Started by scripts/oauth-issuer.sh and by the
// Rust and Python tests, which first install the package with that script.
//
//   node oauth-issuer.mjs <dir holding node_modules/oauth2-mock-server>
//
// Prints one JSON line, {"issuer": "http://localhost:PORT"}, then serves
// until its stdin closes (so it never outlives the test that started it).
//
// Every token it issues at /token gets, through the `beforeTokenSigning`
// hook: `aud` = the RFC 8707 `resource` parameter of the request (when
// given), `client_id` and, for client credentials, `sub` = the client id;
// an authorization code's token gets the scopes asked for at /authorize
// and the user signed in there (see below).
//
// Test-only endpoints, for tokens a well-behaved issuer would never sign:
//   POST /test/mint   {"claims": {...}, "header": {...}, "key": "issuer" |
//                     "stranger" | "none" | "hs256", "expiresIn": s}
//                     -> {"token": "..."}; claims are merged over
//                     iss/iat/nbf/exp; "stranger" signs with a key the
//                     JWKS does not hold (same kid unless header.kid says
//                     otherwise), "none" leaves it unsigned (alg none),
//                     "hs256" signs with HMAC keyed by the issuer's public
//                     modulus (algorithm confusion).
//   POST /test/rotate {"kid": "..."} -> adds a new RS256 key to the JWKS.
//   POST /test/introspection {"token": "...", "response": {...}} -> what
//                     /introspect answers for that opaque token (others:
//                     {"active": false}).
//   GET  /test/requests -> how many times /jwks and /introspect were asked,
//                     and /token by grant type ({"token": {"refresh_token": n}}).
//   POST /test/token-lifetime {"seconds": n} -> access tokens issued from
//                     then on expire after n seconds (`exp`, `expires_in`).
// Authorization codes: the user is the `test_user` cookie sent to
// /authorize (the issuer's session in the test's browser); the token's
// `sub` is that user, and so is that of tokens refreshed from it. Refresh
// tokens rotate: each is good once, and an unknown one is `invalid_grant`.
// It also serves RFC 8414 metadata and RFC 7591 registration, which MCP
// clients use and the mock lacks, and RFC 8693 token exchange at /token
// (grant_type urn:ietf:params:oauth:grant-type:token-exchange), which the
// mock lacks too: written here, see exchange() below. Other grants reach
// the mock's own token endpoint.

import {
  createHmac,
  createPublicKey,
  createSign,
  generateKeyPairSync,
  randomUUID,
  verify,
} from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node oauth-issuer.mjs <dir with node_modules/oauth2-mock-server>");
  process.exit(2);
}
const { OAuth2Server, Events } = await import(
  pathToFileURL(join(dir, "node_modules", "oauth2-mock-server", "dist", "index.mjs")).href
);

const server = new OAuth2Server(undefined, undefined, {
  endpoints: { jwks: "/mock-jwks", introspect: "/mock-introspect", token: "/mock-token" },
});
const firstKey = await server.issuer.keys.generate("RS256", { kid: "issuer-key-1" });

const counters = { jwks: 0, introspect: 0, token: {} };
const introspection = new Map();

function clientIdOf(req) {
  const auth = req.headers.authorization ?? "";
  if (auth.startsWith("Basic ")) {
    const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
    return decodeURIComponent(decoded.split(":")[0]);
  }
  return req.body?.client_id;
}

// The scopes asked for at /authorize and the user signed in there (the
// `test_user` cookie: the issuer's own session in the test's "browser"), by
// authorization code; then by refresh token. The mock itself only looks at
// the token request's `scope`, calls every user "johndoe" and takes any
// refresh token.
const grantOfCode = new Map();
const grantOfRefresh = new Map();
server.service.on(Events.BeforeAuthorizeRedirect, (redirect, req) => {
  const code = redirect.url.searchParams.get("code");
  if (!code) return;
  const cookie = /(?:^|;\s*)test_user=([^;]+)/.exec(req.headers.cookie ?? "");
  grantOfCode.set(code, {
    scope: typeof req.query?.scope === "string" ? req.query.scope : undefined,
    user: cookie ? decodeURIComponent(cookie[1]) : undefined,
  });
});
function grantOf(body) {
  if (body.grant_type === "authorization_code") return grantOfCode.get(body.code);
  if (body.grant_type === "refresh_token") return grantOfRefresh.get(body.refresh_token);
  return undefined;
}
// Test-only: the lifetime (s) of the access tokens issued from now on.
let tokenLifetime;
server.service.on(Events.BeforeResponse, (response, req) => {
  const body = req.body ?? {};
  counters.token[body.grant_type] = (counters.token[body.grant_type] ?? 0) + 1;
  const grant = grantOf(body);
  if (body.grant_type === "refresh_token") {
    if (!grant) {
      // RFC 6749 §5.2: a refresh token this issuer did not issue (or that
      // was already used: they rotate) is an invalid grant.
      response.statusCode = 400;
      response.body = { error: "invalid_grant" };
      return;
    }
    grantOfRefresh.delete(body.refresh_token);
  }
  if (body.grant_type === "authorization_code") grantOfCode.delete(body.code);
  if (grant && response.body?.refresh_token) {
    grantOfRefresh.set(response.body.refresh_token, grant);
  }
  const scope = grant?.scope;
  if (scope !== undefined && response.body) response.body.scope = scope;
  if (tokenLifetime !== undefined && response.body?.expires_in !== undefined) {
    response.body.expires_in = tokenLifetime;
  }
});

server.service.on(Events.BeforeTokenSigning, (token, req) => {
  const body = req.body ?? {};
  const clientId = clientIdOf(req);
  const grant = grantOf(body);
  if (grant?.scope !== undefined && token.payload.sub !== undefined) {
    token.payload.scope = grant.scope;
  }
  if (grant?.user !== undefined) token.payload.sub = grant.user;
  if (body.resource !== undefined) token.payload.aud = body.resource;
  if (clientId !== undefined) token.payload.client_id = clientId;
  if (body.grant_type === "client_credentials" && clientId !== undefined) {
    token.payload.sub = clientId;
  }
  if (tokenLifetime !== undefined && token.payload.iat !== undefined) {
    token.payload.exp = token.payload.iat + tokenLifetime;
  }
});

function b64url(data) {
  return Buffer.from(data).toString("base64url");
}

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });

async function mint(request) {
  const now = Math.floor(Date.now() / 1000);
  const kind = request.key ?? "issuer";
  const claims = {
    iss: server.issuer.url,
    iat: now,
    nbf: now - 10,
    exp: now + (request.expiresIn ?? 3600),
    ...(request.claims ?? {}),
  };
  for (const [name, value] of Object.entries(claims)) {
    if (value === null) delete claims[name];
  }
  if (kind === "issuer") {
    const kid = request.header?.kid;
    return await server.issuer.buildToken({
      kid,
      scopesOrTransform: (header, payload) => {
        for (const name of Object.keys(payload)) delete payload[name];
        Object.assign(payload, claims);
        Object.assign(header, request.header ?? {});
      },
    });
  }
  const header = { typ: "JWT", kid: firstKey.kid, ...(request.header ?? {}) };
  if (kind === "none") header.alg = "none";
  if (kind === "stranger") header.alg = "RS256";
  if (kind === "hs256") header.alg = "HS256";
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  if (kind === "none") return `${input}.`;
  if (kind === "stranger") {
    const signer = createSign("RSA-SHA256");
    signer.update(input);
    return `${input}.${signer.sign(stranger.privateKey).toString("base64url")}`;
  }
  if (kind === "hs256") {
    const publicJwk = server.issuer.keys.get(firstKey.kid);
    const mac = createHmac("sha256", Buffer.from(publicJwk.n, "base64url"));
    mac.update(input);
    return `${input}.${mac.digest("base64url")}`;
  }
  throw new Error(`unknown key kind ${kind}`);
}

// The mock's own JWKS and introspection move aside so that ours can count
// fetches and answer for opaque tokens.
function route(method, path, handle) {
  server.service.addRoute(method, path, async (req, res) => {
    try {
      send(res, 200, await handle(req.body ?? {}, req));
    } catch (error) {
      send(res, 400, { error: String(error) });
    }
  });
}
route("GET", "/jwks", () => {
  counters.jwks += 1;
  return { keys: server.issuer.keys.toJSON() };
});
route("POST", "/introspect", (body) => {
  counters.introspect += 1;
  return introspection.get(body.token) ?? { active: false };
});
// RFC 8414 metadata (MCP clients look here before OpenID discovery), with
// dynamic client registration (RFC 7591), which the mock lacks.
route("GET", "/.well-known/oauth-authorization-server", () => metadata());
route("POST", "/register", (body) => ({
  ...body,
  client_id: `client-${randomUUID()}`,
  client_id_issued_at: Math.floor(Date.now() / 1000),
  token_endpoint_auth_method: "none",
}));
// /token: RFC 8693 token exchange here (the mock has no such grant), every
// other grant forwarded to the mock's own token endpoint.
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
server.service.addRoute("POST", "/token", async (req, res) => {
  const body = req.body ?? {};
  if (body.grant_type === TOKEN_EXCHANGE) {
    counters.token[TOKEN_EXCHANGE] = (counters.token[TOKEN_EXCHANGE] ?? 0) + 1;
    const [status, answer] = await exchange(body, req);
    send(res, status, answer);
    return;
  }
  const headers = { "content-type": "application/x-www-form-urlencoded" };
  if (req.headers.authorization) headers.authorization = req.headers.authorization;
  const forwarded = await fetch(`${server.issuer.url.replace("localhost", "127.0.0.1")}/mock-token`, {
    method: "POST",
    headers,
    body: new URLSearchParams(body),
  });
  res.writeHead(forwarded.status, {
    "content-type": forwarded.headers.get("content-type") ?? "application/json",
    "cache-control": "no-store",
  });
  res.end(await forwarded.text());
});

// The claims of `token` when it is a JWT this issuer signed (RS256, a key
// of its JWKS) that has not expired; otherwise undefined.
function verified(token) {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    const jwk = server.issuer.keys.toJSON().find((key) => key.kid === header.kid);
    if (!jwk || header.alg !== "RS256") return undefined;
    const good = verify(
      "RSA-SHA256",
      Buffer.from(`${parts[0]}.${parts[1]}`),
      createPublicKey({ key: jwk, format: "jwk" }),
      Buffer.from(parts[2], "base64url"),
    );
    if (!good || claims.iss !== server.issuer.url) return undefined;
    if (typeof claims.exp !== "number" || claims.exp <= Date.now() / 1000) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

// RFC 8693 §2: the requesting client (authenticated as at any grant) asks
// for a token for `resource` / `audience` in exchange for `subject_token`.
// The issued token keeps the subject's `sub`, is for the target, names the
// requesting client (`client_id`) and, as the acting party, `act.sub`
// (§4.1). Errors per §2.2.2 and RFC 6749 §5.2.
async function exchange(body, req) {
  const invalid = (error, description) => [400, { error, error_description: description }];
  const clientId = clientIdOf(req);
  if (typeof clientId !== "string") return [401, { error: "invalid_client" }];
  const { subject_token: subjectToken, subject_token_type: subjectType } = body;
  if (typeof subjectToken !== "string" || typeof subjectType !== "string") {
    return invalid("invalid_request", "subject_token and subject_token_type are required");
  }
  if (subjectType !== ACCESS_TOKEN_TYPE && subjectType !== JWT_TOKEN_TYPE) {
    return invalid("invalid_request", `unsupported subject_token_type ${subjectType}`);
  }
  if (body.actor_token !== undefined) {
    return invalid("invalid_request", "actor tokens are not supported");
  }
  const requested = body.requested_token_type ?? ACCESS_TOKEN_TYPE;
  if (requested !== ACCESS_TOKEN_TYPE) {
    return invalid("invalid_request", `cannot issue a token of type ${requested}`);
  }
  const subject = verified(subjectToken);
  if (!subject) return invalid("invalid_request", "the subject_token is not valid here");
  const target = body.resource ?? body.audience;
  if (typeof target !== "string") {
    return invalid("invalid_target", "name the target service (resource or audience)");
  }
  const scope = typeof body.scope === "string" ? body.scope : subject.scope;
  const lifetime = tokenLifetime ?? 3600;
  const token = await server.issuer.buildToken({
    expiresIn: lifetime,
    scopesOrTransform: (_header, payload) => {
      payload.sub = subject.sub;
      payload.aud = target;
      payload.client_id = clientId;
      payload.act = { sub: clientId };
      if (scope !== undefined) payload.scope = scope;
    },
  });
  const answer = {
    access_token: token,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: "Bearer",
    expires_in: lifetime,
  };
  if (scope !== undefined) answer.scope = scope;
  return [200, answer];
}

route("POST", "/test/mint", async (body) => ({ token: await mint(body) }));
route("POST", "/test/rotate", async ({ kid }) => {
  const key = await server.issuer.keys.generate("RS256", { kid });
  return { kid: key.kid };
});
route("POST", "/test/introspection", ({ token, response }) => {
  introspection.set(token, response);
  return {};
});
route("GET", "/test/requests", () => counters);
route("POST", "/test/token-lifetime", ({ seconds }) => {
  tokenLifetime = seconds;
  return {};
});

function metadata() {
  const issuer = server.issuer.url;
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    introspection_endpoint: `${issuer}/introspect`,
    registration_endpoint: `${issuer}/register`,
    response_types_supported: ["code"],
    grant_types_supported: [
      "authorization_code",
      "client_credentials",
      "refresh_token",
      TOKEN_EXCHANGE,
    ],
    token_endpoint_auth_methods_supported: ["none", "client_secret_basic", "client_secret_post"],
    code_challenge_methods_supported: ["S256"],
    scopes_supported: ["reports:read", "reports:write", "admin"],
  };
}
server.service.on(Events.BeforeWellKnownOpenIdConfiguration, (response) => {
  Object.assign(response.body, metadata());
});

await server.start(0, "127.0.0.1");
process.stdout.write(JSON.stringify({ issuer: server.issuer.url }) + "\n");

process.stdin.resume();
process.stdin.on("end", async () => {
  await server.stop().catch(() => {});
  process.exit(0);
});
