//! A model whose toolbox is every tool of the server `leaf`, for the chain
//! tests that need one: the `leaf_tools` agent and the config of a mock
//! model provider. Test files include it by path, so that the agent is
//! registered only in their binaries.

use agentwire::llm::Toolbox;
use agentwire::prelude::*;

/// Lets a model call every tool of the leaf.
#[agent]
pub async fn leaf_tools(ctx: &AgentContext) -> Result<String, LlmError> {
    let outcome = ctx
        .model()?
        .agent_loop()
        .tools(Toolbox::new().mcp_server("leaf"))
        .max_turns(3)
        .run("Who am I at the leaf?")
        .await?;
    Ok(outcome.answer)
}

/// `[llm]` and `[providers.mock]` for the mock OpenAI API at `base_url`
/// (its key in a file of this process's temporary directory).
pub fn mock_model_config(base_url: &str) -> String {
    let key = std::env::temp_dir().join(format!("agentwire-mock-key-{}", std::process::id()));
    std::fs::write(&key, "test-key\n").unwrap();
    format!(
        "[llm]\nprovider = \"mock\"\nmodel = \"mock-model\"\n[providers.mock]\nkind = \"openai\"\n\
         base_url = \"{base_url}\"\napi_key_file = \"{}\"",
        key.display()
    )
}
