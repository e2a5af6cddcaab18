//! The three tests a user writes first, with `agentwire::testing`: an LLM
//! agent with a scripted model, a chain of two servers, and a workflow that
//! waits for a signal.

use agentwire::Budget;
use agentwire::testing::{Reply, ScriptedModel, TestServer};
use agentwire::workflow::RunStatus;
use agentwire::{Dimension, ServerIdentity};
use outside_crate::{answer, describe, expense, word_count};
use serde_json::json;

#[tokio::test]
async fn the_llm_agent_answers_with_the_scripted_model_within_its_budget() {
    let model =
        ScriptedModel::new([Reply::text("Because of Rayleigh scattering.").with_usage(30, 6)]);
    let server = TestServer::builder()
        .agents([answer::DEFINITION])
        .model(model.clone())
        .start()
        .await
        .unwrap();
    let outcome = server
        .call("answer", json!({"question": "Why is the sky blue?"}))
        .await
        .unwrap();
    assert_eq!(
        outcome.output::<String>().unwrap(),
        "Because of Rayleigh scattering."
    );
    assert_eq!(outcome.usage().input_tokens, 30);
    assert_eq!(outcome.usage().output_tokens, 6);
    assert_eq!(
        model.requests()[0].messages[0].text(),
        "Why is the sky blue?"
    );

    // Ten tokens cannot hold the prompt: refused before the model is asked.
    let refused = server
        .call_with_budget(
            "answer",
            json!({"question": "Why is the sky blue?"}),
            Budget::UNLIMITED.with_tokens(10),
        )
        .await
        .unwrap();
    assert_eq!(
        refused.error().unwrap().dimension(),
        Some(Dimension::Tokens)
    );
    assert_eq!(
        model.requests().len(),
        1,
        "the refused call never reached the model"
    );
    server.close().await;
}

#[tokio::test]
async fn the_front_server_counts_words_on_the_back_server() {
    let back = TestServer::builder()
        .agents([word_count::DEFINITION])
        .identity(ServerIdentity::new("counter", "1.0.0"))
        .start()
        .await
        .unwrap();
    let front = TestServer::builder()
        .agents([describe::DEFINITION])
        .remote("counter", &back)
        .start()
        .await
        .unwrap();
    let outcome = front
        .call("describe", json!({"text": "one two three four"}))
        .await
        .unwrap();
    assert_eq!(outcome.text(), "4 words");
    assert_eq!(
        outcome.usage().calls,
        2,
        "describe, and word_count over MCP"
    );
    front.close().await;
    back.close().await;
}

#[tokio::test(start_paused = true)]
async fn the_expense_workflow_waits_for_a_decision_then_pays() {
    let server = TestServer::serving([expense::DEFINITION]).await.unwrap();
    let run = server
        .start_workflow("expense", json!({"amount_cents": 4200}))
        .await
        .unwrap();
    let waiting = server.settle(&run.run_id).await.unwrap();
    assert_eq!(waiting.record.status, RunStatus::InputRequired);
    assert_eq!(waiting.waits[0].name, "decision");

    server
        .signal(&run.run_id, "decision", json!({"approved": true}))
        .await
        .unwrap();
    let done = server.settle(&run.run_id).await.unwrap();
    assert_eq!(done.record.status, RunStatus::Completed);
    assert_eq!(done.record.output, Some(json!("paid 4200 cents")));

    // Another run, never decided: its week runs out without a real wait.
    let forgotten = server
        .start_workflow("expense", json!({"amount_cents": 1}))
        .await
        .unwrap();
    server.settle(&forgotten.run_id).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(7 * 24 * 3600 + 1)).await;
    let expired = server.run_status(&forgotten.run_id).await.unwrap();
    assert_eq!(expired.record.status, RunStatus::Failed);
    server.close().await;
}
