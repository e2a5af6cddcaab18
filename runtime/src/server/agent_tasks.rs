//! Agents run as MCP tasks (`#[agent(task = "optional" | "required")]`,
//! SEP-2663), kept in this process's memory.
//!
//! A `tools/call` of such an agent from a client with the tasks extension
//! first runs like any 2026-era call: a question the agent asks at once
//! ends the request with an `InputRequiredResult` (SEP-2322), so input is
//! gathered synchronously. Once a round of the agent works for a moment
//! without asking anything, the request answers with a `CreateTaskResult`
//! and the same future goes on in the background; `tasks/get` reads its
//! state. A question asked after that puts the task in `input_required`;
//! `tasks/update` collects the answers and, once every pending one is in,
//! the agent is replayed with them (the same replay as a retried request).
//!
//! Tasks are in memory: they end with the process. A finished task is kept
//! for [`TTL`] after it finished, and at most [`MAX_TASKS`] are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use rmcp::ErrorData;
use rmcp::model::{
    CallToolResponse, CallToolResult, CreateTaskResult, DetailedTask, InputRequests,
    InputResponses, JsonObject, Task, TaskPayload, TaskStatus,
};
use rmcp::service::{RequestContext, RoleServer};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::AgentServer;
use super::caller::principal_of;
use super::round::binding;
use crate::agent::{AgentDefinition, Principal};
use crate::budget::Budget;
use crate::mcp::channel::ClientChannel;
use crate::mcp::round_trip::{Binding, Round, RoundTrip, run_round};
use crate::workflow::time::rfc3339;

/// How long a round runs without asking anything before the call becomes
/// a task.
const ESCALATE_AFTER: Duration = Duration::from_millis(20);
/// How long a finished task stays readable.
const TTL: Duration = Duration::from_secs(60 * 60);
/// How often a client should poll.
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// The most tasks kept at once; beyond it, new calls are refused.
const MAX_TASKS: usize = 10_000;

/// The agent tasks of one server.
#[derive(Default)]
pub(crate) struct AgentTasks {
    tasks: Mutex<HashMap<String, Arc<AgentTask>>>,
}

struct AgentTask {
    id: String,
    /// Who started it: only they may read, answer or cancel it.
    owner: Option<Arc<Principal>>,
    created_ms: u64,
    state: Mutex<TaskState>,
    /// Wakes the driver when every pending question has an answer.
    answered: Notify,
    cancel: CancellationToken,
}

struct TaskState {
    updated_ms: u64,
    phase: Phase,
}

enum Phase {
    Working,
    /// Waiting for `tasks/update`: the questions still open, the answers
    /// already in, and the sealed state of the round that asked them.
    InputRequired {
        open: InputRequests,
        answers: InputResponses,
        request_state: Option<String>,
    },
    Completed(CallToolResult),
    Failed(ErrorData),
    Cancelled,
}

impl Phase {
    fn is_terminal(&self) -> bool {
        matches!(
            self,
            Phase::Completed(_) | Phase::Failed(_) | Phase::Cancelled
        )
    }
}

fn now_ms() -> u64 {
    crate::workflow::time::now_ms()
}

impl AgentTask {
    fn set(&self, phase: Phase) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.phase.is_terminal() {
            return;
        }
        state.phase = phase;
        state.updated_ms = now_ms();
    }

    fn task(&self) -> Task {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let status = match &state.phase {
            Phase::Working => TaskStatus::Working,
            Phase::InputRequired { .. } => TaskStatus::InputRequired,
            Phase::Completed(_) => TaskStatus::Completed,
            Phase::Failed(_) => TaskStatus::Failed,
            Phase::Cancelled => TaskStatus::Cancelled,
        };
        Task::new(
            self.id.clone(),
            status,
            rfc3339(self.created_ms),
            rfc3339(state.updated_ms),
        )
        .with_ttl_ms(TTL.as_millis() as u64)
        .with_poll_interval_ms(POLL_INTERVAL.as_millis() as u64)
    }

    fn detailed(&self) -> DetailedTask {
        let task = self.task();
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let payload = match &state.phase {
            Phase::Working => TaskPayload::Working,
            Phase::InputRequired { open, .. } => TaskPayload::InputRequired {
                input_requests: open.clone(),
            },
            Phase::Completed(result) => TaskPayload::Completed {
                result: serde_json::to_value(result)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default(),
            },
            Phase::Failed(error) => TaskPayload::Failed {
                error: serde_json::to_value(error)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default(),
            },
            Phase::Cancelled => TaskPayload::Cancelled,
        };
        DetailedTask::new(task, payload)
    }
}

impl AgentTasks {
    /// The task `id` when `caller` started it; another principal's task
    /// is answered as if it did not exist, so its id reveals nothing.
    fn get(&self, id: &str, caller: Option<&Principal>) -> Option<Arc<AgentTask>> {
        self.tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .filter(|task| Principal::owns(task.owner.as_deref(), caller))
            .cloned()
    }

    /// A new task, after forgetting the finished ones past their TTL.
    fn create(&self, owner: Option<Arc<Principal>>) -> Result<Arc<AgentTask>, ErrorData> {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        let now = now_ms();
        tasks.retain(|_, task| {
            let state = task.state.lock().unwrap_or_else(|p| p.into_inner());
            !state.phase.is_terminal()
                || now.saturating_sub(state.updated_ms) < TTL.as_millis() as u64
        });
        if tasks.len() >= MAX_TASKS {
            return Err(ErrorData::internal_error(
                "this server keeps too many tasks right now; try again later",
                None,
            ));
        }
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| ErrorData::internal_error(format!("no task id: {e}"), None))?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let task = Arc::new(AgentTask {
            id: id.clone(),
            owner,
            created_ms: now,
            state: Mutex::new(TaskState {
                updated_ms: now,
                phase: Phase::Working,
            }),
            answered: Notify::new(),
            cancel: CancellationToken::new(),
        });
        tasks.insert(id, task.clone());
        Ok(task)
    }

    /// `tasks/get` of an agent task; `None` when the id is not one.
    pub fn detailed(&self, id: &str, caller: Option<&Principal>) -> Option<DetailedTask> {
        self.get(id, caller).map(|task| task.detailed())
    }

    /// `tasks/update` of an agent task: records the answers to open
    /// questions (others are ignored) and wakes the agent once all are in.
    pub fn update(
        &self,
        id: &str,
        responses: InputResponses,
        caller: Option<&Principal>,
    ) -> Option<()> {
        let task = self.get(id, caller)?;
        let mut state = task.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Phase::InputRequired { open, answers, .. } = &mut state.phase {
            for (key, answer) in responses {
                if open.remove(&key).is_some() {
                    answers.insert(key, answer);
                }
            }
            if open.is_empty() {
                task.answered.notify_one();
            }
            state.updated_ms = now_ms();
        }
        Some(())
    }

    /// `tasks/cancel` of an agent task: idempotent, a finished task stays
    /// as it is.
    pub fn cancel(&self, id: &str, caller: Option<&Principal>) -> Option<()> {
        let task = self.get(id, caller)?;
        task.cancel.cancel();
        task.set(Phase::Cancelled);
        Some(())
    }
}

/// What one `tools/call` of a task agent needs to run (again).
#[derive(Clone)]
struct Call {
    definition: &'static AgentDefinition,
    arguments: JsonObject,
    grant: Option<Budget>,
    binding: Arc<Binding>,
    client: ClientChannel,
    principal: Option<Arc<Principal>>,
}

impl AgentServer {
    /// The run of `call` with `client` as the way back, owning what it uses.
    fn run_owned(
        &self,
        call: &Call,
        client: ClientChannel,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, CallToolResult> {
        let server = self.clone();
        let call = call.clone();
        Box::pin(async move {
            server
                .run(
                    call.definition,
                    call.arguments,
                    call.grant,
                    cancel,
                    Some(client),
                    call.principal,
                )
                .await
        })
    }

    /// `tools/call` of a task agent from a client that takes tasks.
    pub(super) async fn call_as_task(
        &self,
        definition: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
        context: &RequestContext<RoleServer>,
        (request_state, responses): (Option<&str>, Option<&InputResponses>),
    ) -> Result<CallToolResponse, ErrorData> {
        let binding = Arc::new(binding(context, "tools/call", definition.name, &arguments));
        // A 2025-era session asks its client directly, even from a task.
        let round_trip = self.round_trip(context, &binding, request_state, responses)?;
        let client = self.client_channel(context, round_trip.clone());
        let call = Call {
            definition,
            arguments,
            grant,
            binding,
            client: client.clone(),
            principal: principal_of(context),
        };
        let cancel = CancellationToken::new();
        let mut work = self.run_owned(&call, client, cancel.clone());
        let round = run_round(round_trip.as_deref(), &self.sealer, &call.binding, async {
            tokio::select! {
                result = &mut work => Some(result),
                () = tokio::time::sleep(ESCALATE_AFTER) => None,
            }
        })
        .await;
        let task = match round {
            Round::InputRequired(input) => return Ok(input.into()),
            Round::Unsupported(required, Some(result)) if result.is_error == Some(true) => {
                return Err(ErrorData::missing_required_client_capability(required));
            }
            Round::Done(Some(result)) | Round::Unsupported(_, Some(result)) => {
                let task = self.shared.agent_tasks.create(call.principal.clone())?;
                task.set(Phase::Completed(result));
                task
            }
            Round::Done(None) | Round::Unsupported(_, None) => {
                let task = self.shared.agent_tasks.create(call.principal.clone())?;
                let (server, driven) = (self.clone(), task.clone());
                let cancel_on_task = task.cancel.clone();
                tokio::spawn(async move {
                    // The task's cancellation stops the agent too.
                    tokio::select! {
                        () = cancel_on_task.cancelled() => cancel.cancel(),
                        () = server.drive(driven, call, round_trip, work) => {}
                    }
                });
                task
            }
        };
        Ok(CreateTaskResult::new(task.task()).into())
    }

    /// Follows a task's agent to its end: each round that asks something
    /// waits for `tasks/update`, then the agent is replayed with the answers.
    async fn drive(
        &self,
        task: Arc<AgentTask>,
        call: Call,
        mut round_trip: Option<Arc<RoundTrip>>,
        mut work: BoxFuture<'static, CallToolResult>,
    ) {
        loop {
            let round = run_round(
                round_trip.as_deref(),
                &self.sealer,
                &call.binding,
                &mut work,
            )
            .await;
            match round {
                Round::Done(result) => return task.set(Phase::Completed(result)),
                Round::Unsupported(required, result) => {
                    return task.set(if result.is_error == Some(true) {
                        Phase::Failed(ErrorData::missing_required_client_capability(required))
                    } else {
                        Phase::Completed(result)
                    });
                }
                Round::InputRequired(input) => {
                    let answered = task.answered.notified();
                    task.set(Phase::InputRequired {
                        open: input.input_requests.unwrap_or_default(),
                        answers: InputResponses::new(),
                        request_state: input.request_state,
                    });
                    answered.await;
                    let (state, answers) = {
                        let mut state = task.state.lock().unwrap_or_else(|p| p.into_inner());
                        match std::mem::replace(&mut state.phase, Phase::Working) {
                            Phase::InputRequired {
                                answers,
                                request_state,
                                ..
                            } => (request_state, answers),
                            other => {
                                state.phase = other;
                                return;
                            }
                        }
                    };
                    let resumed = match RoundTrip::resume(
                        &self.sealer,
                        &call.binding,
                        state.as_deref(),
                        Some(&answers),
                    ) {
                        Ok(round_trip) => round_trip,
                        Err(error) => return task.set(Phase::Failed(error)),
                    };
                    round_trip = Some(resumed.clone());
                    let client = ClientChannel {
                        round_trip: Some(resumed),
                        ..call.client.clone()
                    };
                    work = self.run_owned(&call, client, task.cancel.child_token());
                }
            }
        }
    }
}
