//! `hello`: agentwire's first example. Four small agents, one of which calls
//! another through its generated stub.
//!
//! ```text
//! cargo run -p hello -- serve --stdio             # for an MCP client
//! cargo run -p hello -- serve --http 127.0.0.1:8080
//! cargo run -p hello -- call summarize --args '{"text": "a b c d", "max_words": 2}'
//! ```

use std::time::Duration;

use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A language to greet in.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Language {
    English,
    French,
    Spanish,
}

/// Greets someone by name.
#[agent(title = "Greeter", read_only, idempotent)]
async fn greet(
    /// Who to greet.
    name: String,
    /// The language of the greeting; English when left out.
    language: Option<Language>,
) -> String {
    let hello = match language.unwrap_or(Language::English) {
        Language::English => "Hello",
        Language::French => "Bonjour",
        Language::Spanish => "Hola",
    };
    format!("{hello}, {name}!")
}

/// Counts of a text's words, characters and lines.
#[derive(Debug, Serialize, JsonSchema)]
struct TextStats {
    /// Whitespace-separated words.
    words: usize,
    /// Unicode scalar values.
    characters: usize,
    lines: usize,
}

/// Counts the words, characters and lines of a text.
#[agent(read_only, idempotent)]
async fn word_count(
    /// The text to measure.
    text: String,
) -> TextStats {
    TextStats {
        words: text.split_whitespace().count(),
        characters: text.chars().count(),
        lines: text.lines().count(),
    }
}

/// A shortened text and what was measured on the way.
#[derive(Debug, Serialize, JsonSchema)]
struct Summary {
    /// The first words of the text.
    summary: String,
    /// The original text's statistics, from the `word_count` agent.
    original: TextStats,
}

/// Why a text cannot be summarized.
#[derive(Debug, thiserror::Error)]
enum SummaryError {
    #[error("there is nothing to summarize: the text is empty")]
    EmptyText,
    #[error("could not measure the text: {0}")]
    Measure(#[from] CallError),
}

/// Shortens a text to its first words, measuring it with `word_count` first.
#[agent(read_only, calls = [word_count])]
async fn summarize(
    ctx: &AgentContext,
    /// The text to summarize.
    text: String,
    /// How many words to keep (default 12).
    max_words: Option<usize>,
) -> Result<Summary, SummaryError> {
    if text.trim().is_empty() {
        return Err(SummaryError::EmptyText);
    }
    let original = word_count::call(ctx, text.clone()).await?;
    let keep = max_words.unwrap_or(12);
    let mut summary = text
        .split_whitespace()
        .take(keep)
        .collect::<Vec<_>>()
        .join(" ");
    if original.words > keep {
        summary.push_str(" …");
    }
    ctx.info(format!("kept {keep} of {} words", original.words))
        .await;
    Ok(Summary { summary, original })
}

/// Counts down, one step per second, reporting progress; stops early when
/// the client cancels.
#[agent(read_only)]
async fn countdown(
    ctx: &AgentContext,
    /// Seconds to count down from (at most 3600).
    seconds: u32,
) -> Result<String, String> {
    if seconds > 3600 {
        return Err(format!("{seconds} seconds is more than an hour"));
    }
    for done in 0..seconds {
        ctx.progress(f64::from(done), Some(f64::from(seconds)), None)
            .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok("liftoff".to_owned())
}

agentwire::main!();

/// The agents tested in this process with `agentwire::testing`: a real MCP
/// client talks to the server over an in-memory pipe.
#[cfg(test)]
mod tests {
    use super::*;
    use agentwire::Dimension;
    use agentwire::testing::{Era, TestServer};
    use serde_json::json;

    #[tokio::test]
    async fn summarize_measures_with_word_count_and_answers_structured() {
        for era in [Era::Sessions, Era::Stateless] {
            let server = TestServer::builder().era(era).start().await.unwrap();
            let outcome = server
                .call(
                    "summarize",
                    json!({"text": "one two three four", "max_words": 2}),
                )
                .await
                .unwrap();
            let summary = outcome.structured().unwrap();
            assert_eq!(summary["summary"], "one two …", "{era:?}");
            assert_eq!(summary["original"]["words"], 4);
            assert_eq!(outcome.usage().calls, 2, "summarize and word_count");
            server.close().await;
        }
    }

    #[tokio::test]
    async fn a_grant_of_one_call_stops_summarize_before_word_count() {
        let server = TestServer::serving([summarize::DEFINITION, word_count::DEFINITION])
            .await
            .unwrap();
        let outcome = server
            .call_with_budget(
                "summarize",
                json!({"text": "one two"}),
                Budget::UNLIMITED.with_calls(1),
            )
            .await
            .unwrap();
        assert_eq!(outcome.error().unwrap().dimension(), Some(Dimension::Calls));
        let empty = server
            .call("summarize", json!({"text": " "}))
            .await
            .unwrap();
        assert!(
            empty
                .error()
                .unwrap()
                .message
                .contains("nothing to summarize")
        );
        server.close().await;
    }

    #[tokio::test(start_paused = true)]
    async fn countdown_lifts_off_after_two_minutes_of_skipped_time() {
        let server = TestServer::serving([countdown::DEFINITION]).await.unwrap();
        let outcome = server
            .call("countdown", json!({"seconds": 120}))
            .await
            .unwrap();
        assert_eq!(outcome.output::<String>().unwrap(), "liftoff");
        // An hour is more than the server's default budget of five minutes.
        let hour = server
            .call("countdown", json!({"seconds": 3600}))
            .await
            .unwrap();
        assert_eq!(hour.budget_exceeded().unwrap().dimension, Dimension::Time);
        // A time grant shorter than the count runs out on time.
        let short = server
            .call_with_budget(
                "countdown",
                json!({"seconds": 10}),
                Budget::UNLIMITED.with_time(Duration::from_secs(3)),
            )
            .await
            .unwrap();
        assert_eq!(short.budget_exceeded().unwrap().dimension, Dimension::Time);
        server.close().await;
    }
}
