use agentwire::prelude::*;

#[workflow]
fn not_async(_ctx: &WorkflowContext) {}

#[workflow]
async fn agent_context(_ctx: &AgentContext) {}

#[workflow]
async fn mutable(_ctx: &mut WorkflowContext) {}

#[workflow]
async fn borrowed(_ctx: &WorkflowContext, _text: &str) {}

#[workflow]
async fn generic<T>(_ctx: &WorkflowContext, _value: T) {}

fn main() {}
