//! The whole source of the crate `tests/renamed_dependency.rs` builds, whose
//! only dependency is `aw = { package = "agentwire", .. }`: the name
//! `agentwire` does not exist there, so this compiles only if the code
//! `#[agent]` generates names the runtime the way `Cargo.toml` does.

use aw::prelude::*;

mod inner {
    /// Greets someone.
    #[aw::agent(read_only)]
    pub async fn greet(
        /// Who to greet.
        name: String,
    ) -> String {
        format!("Hello, {name}!")
    }
}

/// Greets twice through `greet`'s stub.
#[agent(calls = [inner::greet])]
async fn greet_twice(ctx: &AgentContext, name: String) -> Result<String, CallError> {
    let once = inner::greet::call(ctx, name).await?;
    Ok(format!("{once} {once}"))
}

fn main() -> std::process::ExitCode {
    let registry = aw::Registry::collect().expect("both agents are registered");
    let names: Vec<&str> = registry.tools().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["greet", "greet_twice"]);
    let greet = registry.tool("greet").expect("greet is registered");
    assert_eq!(
        greet.input_schema["properties"]["name"]["description"],
        "Who to greet."
    );
    assert_eq!(
        greet.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );
    aw::App::new(aw::ServerIdentity::new("renamed-dependency", "0.0.0")).run()
}
