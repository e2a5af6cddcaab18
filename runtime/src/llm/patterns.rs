//! The common shapes of LLM workflows as small typed helpers: a router, a
//! parallel fan-out and fan-in, an orchestrator with workers, and an
//! evaluator-optimizer loop. Every model call in them goes through
//! [`Model`], so all of it is metered against the calling agent's budget,
//! and parallel branches share that budget.

use std::fmt::Display;
use std::future::Future;

use futures::StreamExt;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::LlmError;
use super::message::ChatRequest;
use super::model::Model;

/// Router: the model reads `input` and picks one `R` (typically a
/// field-less enum of routes), following `instructions`.
///
/// ```no_run
/// # use agentwire::prelude::*;
/// # use agentwire::llm::{LlmError, patterns::route};
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// enum Desk { Billing, Technical, Other }
///
/// # async fn triage(ctx: &AgentContext, message: String) -> Result<(), LlmError> {
/// match route::<Desk>(&ctx.model()?, "Which desk should answer this message?", &message).await? {
///     Desk::Billing => { /* billing::call(ctx, message).await */ }
///     Desk::Technical => { /* ... */ }
///     Desk::Other => { /* ... */ }
/// }
/// # Ok(()) }
/// ```
pub async fn route<R: DeserializeOwned + JsonSchema>(
    model: &Model,
    instructions: &str,
    input: &str,
) -> Result<R, LlmError> {
    let request = ChatRequest::new()
        .with_system(format!(
            "{instructions}\nChoose exactly one route for the input the user gives."
        ))
        .user(input);
    model.structured::<R>(request).await
}

/// Parallel fan-out: runs `worker` on every item, at most `concurrency` at
/// a time, and returns the results in the items' order. The workers share
/// the calling agent's budget.
///
/// ```no_run
/// # use agentwire::prelude::*;
/// # use agentwire::llm::{LlmError, patterns::{fan_out, fan_in}};
/// # async fn review(ctx: &AgentContext, sections: Vec<String>) -> Result<String, LlmError> {
/// let model = ctx.model()?;
/// let notes = fan_out(sections, 4, |section| {
///     let model = model.clone();
///     async move { model.ask(format!("List the claims in:\n{section}")).await }
/// })
/// .await;
/// let notes: Vec<String> = notes.into_iter().collect::<Result<_, _>>()?;
/// fan_in(&model, "Merge these notes into one list of claims.", &notes).await
/// # }
/// ```
pub async fn fan_out<I, T, F, Fut>(items: I, concurrency: usize, worker: F) -> Vec<T>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = T>,
{
    futures::stream::iter(items)
        .map(worker)
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// Fan-in: one model call that combines `parts` following `instructions`.
pub async fn fan_in(
    model: &Model,
    instructions: &str,
    parts: &[impl AsRef<str>],
) -> Result<String, LlmError> {
    let mut text = String::new();
    for (i, part) in parts.iter().enumerate() {
        text.push_str(&format!(
            "<part index=\"{}\">\n{}\n</part>\n",
            i + 1,
            part.as_ref()
        ));
    }
    let request = ChatRequest::new().with_system(instructions).user(text);
    Ok(model.complete(request).await?.text())
}

/// One piece of work an orchestrator hands to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Subtask {
    /// A short name for the subtask.
    pub title: String,
    /// What the worker must do, self-contained.
    pub instructions: String,
}

/// The orchestrator's plan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// The subtasks, which can be done independently.
    pub subtasks: Vec<Subtask>,
}

/// What [`orchestrate`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Orchestration<T> {
    /// The subtasks the orchestrator planned (at most `max_subtasks`).
    pub plan: Vec<Subtask>,
    /// Each subtask's result, in the plan's order; a failed worker's error
    /// text.
    pub results: Vec<Result<T, String>>,
    /// The orchestrator's final answer from the results.
    pub synthesis: String,
}

/// Orchestrator-workers: the orchestrator model splits `task` into at most
/// `max_subtasks` independent subtasks, `worker` does each (in parallel, a
/// model call, an agent's stub, anything), and the orchestrator writes the
/// final answer from their results.
///
/// ```no_run
/// # use agentwire::prelude::*;
/// # use agentwire::llm::{LlmError, patterns::orchestrate};
/// # async fn report(ctx: &AgentContext, topic: String) -> Result<String, LlmError> {
/// let model = ctx.model()?;
/// let done = orchestrate(&model, &format!("Write a report on {topic}"), 4, |subtask| {
///     let model = model.clone();
///     async move { model.ask(subtask.instructions).await }
/// })
/// .await?;
/// Ok(done.synthesis)
/// # }
/// ```
pub async fn orchestrate<T, E, F, Fut>(
    orchestrator: &Model,
    task: &str,
    max_subtasks: usize,
    worker: F,
) -> Result<Orchestration<T>, LlmError>
where
    T: Serialize,
    E: Display,
    F: FnMut(Subtask) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let planning = ChatRequest::new()
        .with_system(format!(
            "You plan work for workers. Split the task into at most {max_subtasks} independent \
             subtasks, each with self-contained instructions."
        ))
        .user(task);
    let mut plan: Plan = orchestrator.structured(planning).await?;
    plan.subtasks.truncate(max_subtasks.max(1));
    let results: Vec<Result<T, String>> = fan_out(plan.subtasks.clone(), max_subtasks, worker)
        .await
        .into_iter()
        .map(|result| result.map_err(|e| e.to_string()))
        .collect();
    let mut report = format!("Task: {task}\n\n");
    for (subtask, result) in plan.subtasks.iter().zip(&results) {
        let outcome = match result {
            Ok(value) => serde_json::to_string(value).unwrap_or_default(),
            Err(error) => format!("(failed: {error})"),
        };
        report.push_str(&format!("## {}\n{}\n\n", subtask.title, outcome));
    }
    let synthesis = orchestrator
        .complete(
            ChatRequest::new()
                .with_system("Write the final answer to the task from the workers' results.")
                .user(report),
        )
        .await?
        .text();
    Ok(Orchestration {
        plan: plan.subtasks,
        results,
        synthesis,
    })
}

/// An evaluator's judgement of a draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Evaluation {
    /// Whether the draft meets every criterion.
    pub pass: bool,
    /// What to change, when it does not.
    pub feedback: String,
}

/// What [`refine`] produced.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Refined {
    /// The last draft.
    pub answer: String,
    /// Whether the evaluator accepted it.
    pub accepted: bool,
    /// Every evaluation, in order.
    pub evaluations: Vec<Evaluation>,
}

/// Evaluator-optimizer: the generator drafts an answer to `task`, the
/// evaluator judges it against `criteria`, and the generator revises with
/// the feedback, until the evaluator accepts or `max_rounds` drafts were
/// made. The two may be the same model.
///
/// ```no_run
/// # use agentwire::prelude::*;
/// # use agentwire::llm::{LlmError, patterns::refine};
/// # async fn slogan(ctx: &AgentContext) -> Result<String, LlmError> {
/// let model = ctx.model()?;
/// let refined = refine(&model, &model, "A slogan for a bakery", "At most six words; no puns", 3).await?;
/// Ok(refined.answer)
/// # }
/// ```
pub async fn refine(
    generator: &Model,
    evaluator: &Model,
    task: &str,
    criteria: &str,
    max_rounds: u32,
) -> Result<Refined, LlmError> {
    let mut drafting = ChatRequest::new().user(task);
    let mut evaluations = Vec::new();
    let mut answer = String::new();
    for _ in 0..max_rounds.max(1) {
        let draft = generator.complete(drafting.clone()).await?;
        answer = draft.text();
        let evaluation: Evaluation = evaluator
            .structured(
                ChatRequest::new()
                    .with_system(format!(
                        "You evaluate drafts. The criteria:\n{criteria}\nPass the draft only if \
                         it meets every criterion; otherwise say what to change."
                    ))
                    .user(format!("Task: {task}\n\nDraft:\n{answer}")),
            )
            .await?;
        let accepted = evaluation.pass;
        let feedback = evaluation.feedback.clone();
        evaluations.push(evaluation);
        if accepted {
            return Ok(Refined {
                answer,
                accepted: true,
                evaluations,
            });
        }
        drafting = drafting
            .message(draft.message)
            .user(format!("Revise your answer. Feedback: {feedback}"));
    }
    Ok(Refined {
        answer,
        accepted: false,
        evaluations,
    })
}
