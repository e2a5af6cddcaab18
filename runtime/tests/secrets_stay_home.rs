//! A stdio server started for `[servers.NAME]` gets a clean environment:
//! what it needs to run, the variables its section allows, and its own
//! `env`; never the provider keys and tokens this process holds. (One test
//! in this binary: it sets variables of its own process.)

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use tokio_util::sync::CancellationToken;

/// `env` of the stdio server `envy`: the names of its variables.
#[agent(remote = "envy", name = "env")]
async fn child_env() -> String;

/// Asks the child for its variables.
#[agent(calls = [child_env])]
async fn ask_child_env(ctx: &AgentContext) -> Result<String, CallError> {
    child_env::call(ctx).await
}

#[tokio::test]
async fn a_stdio_server_gets_a_clean_environment_plus_its_allow_list() {
    // SAFETY: the only test of this binary, before any thread reads the
    // environment.
    unsafe {
        std::env::set_var("OPENAI_API_KEY", "sk-never-passed-on");
        std::env::set_var("SOME_SERVICE_TOKEN", "never-passed-on");
        std::env::set_var("PASSED_BY_ALLOW_LIST", "yes");
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/env_server.py");
    let config = Config::parse(&format!(
        r#"
        [servers.envy]
        command = "python3"
        args = ["{script}"]
        env_allow = ["PASSED_BY_*"]
        env = {{ SET_BY_SECTION = "1" }}
        "#
    ))
    .unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("parent", "0"),
        &config,
    );
    let result = server
        .call(
            "ask_child_env",
            Default::default(),
            None,
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let names: Vec<String> =
        serde_json::from_str(&result.content[0].as_text().unwrap().text).unwrap();
    for kept in ["PATH", "PASSED_BY_ALLOW_LIST", "SET_BY_SECTION"] {
        assert!(
            names.iter().any(|n| n == kept),
            "{kept} missing from {names:?}"
        );
    }
    for secret in ["OPENAI_API_KEY", "SOME_SERVICE_TOKEN"] {
        assert!(
            !names.iter().any(|n| n == secret),
            "{secret} reached the child: {names:?}"
        );
    }
}
