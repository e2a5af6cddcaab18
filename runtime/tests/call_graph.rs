//! The call graph the `calls` declarations draw is checked at start-up: a
//! cycle through an agent not marked `recursive` is refused, naming the
//! cycle. (A cycle through no recursive agent at all does not even compile:
//! its future would contain itself.)

use agentwire::prelude::*;
use agentwire::{Registry, RegistryError};

/// Calls `pong`; recursive, but `pong` is not.
#[agent(calls = [pong], recursive)]
async fn ping(ctx: &AgentContext, n: u32) -> Result<u32, CallError> {
    pong::call(ctx, n).await
}

/// Calls `ping`: the cycle goes through this agent, which is not `recursive`.
#[agent(calls = [ping])]
async fn pong(ctx: &AgentContext, n: u32) -> Result<u32, CallError> {
    ping::call(ctx, n + 1).await
}

/// Calls itself, as declared.
#[agent(calls = [countdown], recursive)]
async fn countdown(ctx: &AgentContext, n: u32) -> Result<u32, CallError> {
    if n == 0 {
        Ok(0)
    } else {
        countdown::call(ctx, n - 1).await
    }
}

#[test]
fn an_undeclared_cycle_is_refused_at_start_up_naming_it() {
    let error = match Registry::collect() {
        Err(error) => error,
        Ok(_) => panic!("the ping ⇄ pong cycle was accepted"),
    };
    let RegistryError::UndeclaredRecursion { cycle } = &error else {
        panic!("expected an undeclared-recursion error, got {error}");
    };
    assert_eq!(
        cycle.first(),
        cycle.last(),
        "a cycle ends where it starts: {cycle:?}"
    );
    assert!(
        cycle.contains(&"ping") && cycle.contains(&"pong"),
        "{cycle:?}"
    );
    assert!(
        !cycle.contains(&"countdown"),
        "declared recursion is allowed: {cycle:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("ping → pong → ping") || message.contains("pong → ping → pong"),
        "{message}"
    );
    assert!(
        message.contains("recursive"),
        "the message says how to allow it: {message}"
    );
}

#[test]
fn the_graph_prints_as_mermaid() {
    let graph = agentwire::call_graph_mermaid([ping::DEFINITION, countdown::DEFINITION]);
    assert!(graph.starts_with("flowchart LR\n"), "{graph}");
    assert!(
        graph.contains("ping --> pong") && graph.contains("pong --> ping"),
        "{graph}"
    );
    assert!(graph.contains("countdown --> countdown"), "{graph}");
    assert!(
        graph.contains("countdown[\"countdown (recursive)\"]"),
        "{graph}"
    );
}
