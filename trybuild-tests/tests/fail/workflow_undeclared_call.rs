use agentwire::prelude::*;

/// Greets.
#[agent]
async fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

#[workflow]
async fn forgetful(ctx: &WorkflowContext) -> Result<String, WorkflowError> {
    Ok(greet::call(ctx, "Ada".into()).await?)
}

fn main() {}
