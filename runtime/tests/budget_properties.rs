//! Property: whatever the shape of a call tree (fan-out, nesting, parallel
//! children) and whatever its root budget, the tree never uses more than the
//! root was granted in any dimension, and the usage reported is exactly what
//! was charged.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::time::Duration;

use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use proptest::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

static CHARGED_TOKENS: AtomicU64 = AtomicU64::new(0);
static CHARGED_COST: AtomicU64 = AtomicU64::new(0);
static INVOCATIONS: AtomicU32 = AtomicU32::new(0);
static DEEPEST: AtomicU32 = AtomicU32::new(0);

/// One node of a call tree: what it charges, and the nodes it calls.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
struct Node {
    tokens: u64,
    cost: u64,
    children: Vec<Node>,
}

/// Charges its own usage, then calls all its children at once.
#[agent(calls = [node], recursive)]
async fn node(ctx: &AgentContext, spec: Node) -> Result<(), CallError> {
    INVOCATIONS.fetch_add(1, SeqCst);
    DEEPEST.fetch_max(ctx.depth(), SeqCst);
    if ctx.charge(Usage::model(spec.tokens, 0, spec.cost)).is_ok() {
        CHARGED_TOKENS.fetch_add(spec.tokens, SeqCst);
        CHARGED_COST.fetch_add(spec.cost, SeqCst);
    }
    // Children that do not fit are refused; the others go on.
    let calls = spec
        .children
        .into_iter()
        .map(|child| node::call(ctx, child));
    futures::future::join_all(calls).await;
    Ok(())
}

fn tree() -> impl Strategy<Value = Node> {
    let leaf = (0..60u64, 0..60u64).prop_map(|(tokens, cost)| Node {
        tokens,
        cost,
        children: vec![],
    });
    leaf.prop_recursive(5, 64, 4, |inner| {
        (0..60u64, 0..60u64, prop::collection::vec(inner, 0..4)).prop_map(
            |(tokens, cost, children)| Node {
                tokens,
                cost,
                children,
            },
        )
    })
}

fn budget() -> impl Strategy<Value = Budget> {
    (0..400u64, 0..400u64, 0..6u32, 0..24u32).prop_map(|(tokens, cost, depth, calls)| Budget {
        time: Some(Duration::from_secs(30)),
        tokens: Some(tokens),
        cost_micros: Some(cost),
        depth: Some(depth),
        calls: Some(calls),
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_call_tree_exceeds_its_root_budget(tree in tree(), grant in budget()) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let server = AgentServer::new(Registry::collect().unwrap(), ServerIdentity::new("prop", "0"));
        for counter in [&CHARGED_TOKENS, &CHARGED_COST] {
            counter.store(0, SeqCst);
        }
        INVOCATIONS.store(0, SeqCst);
        DEEPEST.store(0, SeqCst);

        let arguments = json!({"spec": tree}).as_object().cloned().unwrap();
        let result = runtime
            .block_on(server.call("node", arguments, Some(grant), CancellationToken::new()))
            .unwrap();
        let meta = result.meta.clone().unwrap_or_default();
        let usage: Usage = serde_json::from_value(meta["dev.agentwire/usage"].clone()).unwrap();

        // Never more than granted, in any dimension.
        prop_assert!(usage.tokens() <= grant.tokens.unwrap(), "{usage:?} {grant:?}");
        prop_assert!(usage.cost_micros <= grant.cost_micros.unwrap(), "{usage:?} {grant:?}");
        prop_assert!(usage.calls <= grant.calls.unwrap(), "{usage:?} {grant:?}");
        prop_assert!(DEEPEST.load(SeqCst) <= grant.depth.unwrap());
        // And the usage reported is exactly what ran and was charged.
        prop_assert_eq!(usage.tokens(), CHARGED_TOKENS.load(SeqCst));
        prop_assert_eq!(usage.cost_micros, CHARGED_COST.load(SeqCst));
        prop_assert_eq!(usage.calls, INVOCATIONS.load(SeqCst));
    }
}
