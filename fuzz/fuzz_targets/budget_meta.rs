//! The `_meta` a caller grants a budget in, and the usage and budget errors
//! a callee reports in its result's `_meta`: any JSON is read or refused
//! with a clear error, a grant that is read writes back as itself, and a
//! call under any grant ends (within the grant) without a panic.

#![no_main]

mod common;

use std::sync::OnceLock;

use agentwire::mcp::meta::{
    BUDGET_KEY, ERROR_KEY, USAGE_KEY, grant_value, read_budget_error, read_grant, read_usage,
};
use agentwire::prelude::*;
use agentwire::{AgentServer, Budget, Registry, ServerIdentity, Usage};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// Does nothing, under whatever budget it was granted.
#[agent]
async fn pong() -> String {
    "pong".to_owned()
}

/// Calls `pong` twice: charges go through a child scope.
#[agent(calls = [pong])]
async fn ping(ctx: &AgentContext) -> Result<String, CallError> {
    pong::call(ctx).await?;
    pong::call(ctx).await
}

fn server() -> &'static AgentServer {
    static SERVER: OnceLock<AgentServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        AgentServer::new(
            Registry::collect().expect("the targets' agents"),
            ServerIdentity::new("fuzz", "0"),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    let Ok(value) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    let mut meta = Map::new();
    meta.insert(BUDGET_KEY.into(), value.clone());
    meta.insert(USAGE_KEY.into(), value.clone());
    meta.insert(ERROR_KEY.into(), value);

    // A usage report read back from its own JSON is the same report.
    if let Some(usage) = read_usage(&meta) {
        let again: Usage = serde_json::from_value(serde_json::to_value(usage).unwrap()).unwrap();
        assert_eq!(again, usage);
    }
    if let Some((exceeded, _agent)) = read_budget_error(&meta) {
        let _ = exceeded.to_string();
    }
    let grant = match read_grant(&meta) {
        Ok(grant) => grant,
        Err(error) => {
            assert!(error.to_string().contains(BUDGET_KEY), "{error}");
            return;
        }
    };
    let Some(grant) = grant else {
        return;
    };
    let mut written = Map::new();
    written.insert(BUDGET_KEY.into(), grant_value(&grant));
    assert_eq!(read_grant(&written), Ok(Some(grant)), "{written:?}");

    // The arithmetic callers do on grants.
    let shared = grant.share(usize::from(which));
    assert_eq!(
        shared.min(grant),
        shared,
        "a share is never more than the whole"
    );
    assert_eq!(grant.min(Budget::UNLIMITED), grant);

    // A real call under the grant: refused or answered, with usage reported.
    // A grant whose time is short enough to run out here is left out: the
    // target checks decoding, not the clock.
    if grant.time.is_some_and(|t| t.as_millis() < 60_000) {
        return;
    }
    let tool = if which % 2 == 0 { "pong" } else { "ping" };
    let cancel = tokio_util::sync::CancellationToken::new();
    let result = common::block_on(server().call(tool, Map::new(), Some(grant), cancel))
        .expect("the tool exists");
    let meta = result.meta.as_ref().expect("a result reports its usage");
    let usage = read_usage(meta).expect("a result reports its usage");
    if let Some(calls) = grant.calls {
        assert!(usage.calls <= calls, "{usage:?} under {grant:?}");
    }
    if result.is_error == Some(true) {
        assert!(
            read_budget_error(meta).is_some(),
            "{tool} under {grant:?} failed without a budget error: {}",
            common::text_of(&result)
        );
    } else {
        assert_eq!(common::text_of(&result), "pong");
    }
});
