use agentwire::prelude::*;

#[workflow(retry(attempts = 0, backoff = "soon", factor = 0.5, jitter = 1))]
async fn bad_retry(_ctx: &WorkflowContext) {}

#[workflow(step_timeout = "5 minutes", remote = "elsewhere", recursive, colour = "blue")]
async fn bad_keys(_ctx: &WorkflowContext) {}

#[workflow(name = "has space", retry = 3)]
async fn bad_values(_ctx: &WorkflowContext) {}

fn main() {}
