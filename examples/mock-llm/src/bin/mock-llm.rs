//! `mock-llm`: serves the mock model APIs on 127.0.0.1 until stopped.
//!
//! ```sh
//! cargo run -p mock-llm -- --port 8089 --answer-words 60
//! OPENAI_BASE_URL=http://127.0.0.1:8089/v1 cargo run -p llm -- call ask --args '{"question":"Why is the sky blue?"}'
//! ```

use std::process::ExitCode;

use mock_llm::{MockLlm, Options};

#[tokio::main]
async fn main() -> ExitCode {
    let mut options = Options::default();
    let mut port = 0u16;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        let parsed = match (arg.as_str(), value.as_deref()) {
            ("--port", Some(v)) => v.parse().map(|p| port = p).is_ok(),
            ("--answer-words", Some(v)) => v.parse().map(|w| options.answer_words = w).is_ok(),
            _ => false,
        };
        if !parsed {
            eprintln!("usage: mock-llm [--port PORT] [--answer-words N]");
            return ExitCode::from(2);
        }
    }
    options.log = true;
    let mock = match MockLlm::start_on(port, Vec::new(), options).await {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "mock LLM on http://{} (OpenAI: /v1/chat/completions, Anthropic: /v1/messages)",
        mock.addr()
    );
    let _ = tokio::signal::ctrl_c().await;
    mock.stop().await;
    ExitCode::SUCCESS
}
