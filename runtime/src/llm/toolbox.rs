//! What a model may call in an agent loop: agents of this binary (by their
//! stub type, or by definition), remote agents, and every tool of an MCP
//! server named in `agentwire.toml`. Each call runs as a budget-checked
//! child of the looping agent.

use std::collections::BTreeMap;

use rmcp::model::JsonObject;
use serde_json::Value;

use crate::agent::CallError;
use crate::agent::caller::CanCall;
use crate::agent::context::AgentContext;
use crate::agent::definition::{AgentDefinition, AgentStub};
use crate::budget::Budget;
use crate::llm::intern::intern;
use crate::remote::call_agent_json;
use crate::remote::{RemoteCall, call_remote_tool, peer_for};

use super::LlmError;
use super::message::{ToolCall, ToolResult, ToolSpec};

/// The tools offered to a model in an [`AgentLoop`](super::AgentLoop).
///
/// ```no_run
/// use agentwire::prelude::*;
/// use agentwire::llm::{LlmError, Toolbox};
///
/// /// Counts the words of a text.
/// #[agent]
/// async fn word_count(text: String) -> usize {
///     text.split_whitespace().count()
/// }
///
/// /// Answers questions about texts, counting words when it needs to.
/// #[agent(calls = [word_count])]
/// async fn editor(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
///     let tools = Toolbox::new()
///         .agent::<word_count>(ctx)   // compiles because `editor` declares it
///         .mcp_server("files");       // every tool of [servers.files]
///     let outcome = ctx.model()?.agent_loop().tools(tools).run(question).await?;
///     Ok(outcome.answer)
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, Default)]
pub struct Toolbox {
    entries: Vec<Entry>,
}

#[derive(Clone)]
enum Entry {
    Agent(&'static AgentDefinition),
    Server(String),
}

impl Toolbox {
    /// No tools.
    pub fn new() -> Self {
        Toolbox::default()
    }

    /// The agent `A` (a local or remote agent's stub type), which the
    /// calling agent must declare in `#[agent(calls = [...])]`: `caller` is
    /// its context, and proves the declaration at compile time.
    pub fn agent<A: AgentStub>(mut self, caller: &impl CanCall<A>) -> Self {
        let _ = caller;
        self.entries.push(Entry::Agent(A::DEFINITION));
        self
    }

    /// An agent by its definition, for agents chosen at run time (every
    /// agent of a [`Registry`](crate::Registry), say). No declaration is
    /// checked; the depth budget bounds any recursion.
    pub fn definition(mut self, definition: &'static AgentDefinition) -> Self {
        self.entries.push(Entry::Agent(definition));
        self
    }

    /// Every tool of the MCP server `[servers.NAME]`, offered to the model
    /// as `NAME__tool`. The tools are listed with the credentials the calls
    /// use (the user's own token for a server users sign in to, asking
    /// them to when they have not; a token exchanged for the caller's; or
    /// this server's own).
    pub fn mcp_server(mut self, name: impl Into<String>) -> Self {
        self.entries.push(Entry::Server(name.into()));
        self
    }

    /// Whether no tool is offered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The tools as the model will see them, with where each call goes;
    /// lists the tools of MCP servers.
    pub(crate) async fn resolve(&self, ctx: &AgentContext) -> Result<ToolSet, LlmError> {
        let mut tools: BTreeMap<String, (ToolSpec, Target)> = BTreeMap::new();
        let mut add = |spec: ToolSpec, target: Target| -> Result<(), LlmError> {
            if tools.contains_key(&spec.name) {
                return Err(LlmError::Tools(format!(
                    "two tools would be offered to the model as `{}`",
                    spec.name
                )));
            }
            tools.insert(spec.name.clone(), (spec, target));
            Ok(())
        };
        for entry in &self.entries {
            match entry {
                Entry::Agent(definition) => {
                    let tool = definition.tool();
                    add(
                        ToolSpec {
                            name: model_name(definition.name),
                            description: definition.description.map(str::to_owned),
                            parameters: (*tool.input_schema).clone(),
                        },
                        Target::Agent(definition),
                    )?;
                }
                Entry::Server(server) => {
                    // With the caller's credentials: the tools the model
                    // is offered are those its calls can reach.
                    let peer = peer_for(ctx, server).await.map_err(|e| {
                        LlmError::Tools(format!("the tools of server `{server}`: {e}"))
                    })?;
                    let listed = peer.list_all_tools().await.map_err(|e| {
                        LlmError::Tools(format!("cannot list the tools of server `{server}`: {e}"))
                    })?;
                    let server_name = intern(server);
                    for tool in listed {
                        add(
                            ToolSpec {
                                name: model_name(&format!("{server}__{}", tool.name)),
                                description: tool.description.as_deref().map(str::to_owned),
                                parameters: (*tool.input_schema).clone(),
                            },
                            Target::ServerTool {
                                server: server_name,
                                tool: intern(&tool.name),
                                idempotent: tool
                                    .annotations
                                    .as_ref()
                                    .and_then(|a| a.idempotent_hint)
                                    == Some(true),
                            },
                        )?;
                    }
                }
            }
        }
        Ok(ToolSet {
            tools: tools.into_values().collect(),
        })
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Agent(definition) => write!(f, "agent `{}`", definition.name),
            Entry::Server(server) => write!(f, "the tools of server `{server}`"),
        }
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Agent(definition) => write!(f, "agent `{}`", definition.name),
            Target::ServerTool { server, tool, .. } => {
                write!(f, "tool `{tool}` of `{server}`")
            }
        }
    }
}

/// A name model APIs accept: `[a-zA-Z0-9_-]`, at most 64 characters.
fn model_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

#[derive(Clone, Copy)]
enum Target {
    Agent(&'static AgentDefinition),
    ServerTool {
        server: &'static str,
        tool: &'static str,
        /// Whether it is annotated idempotent (`idempotentHint`).
        idempotent: bool,
    },
}

/// Resolved tools: what the model is offered and where each call goes.
#[derive(Debug, Default)]
pub(crate) struct ToolSet {
    tools: Vec<(ToolSpec, Target)>,
}

impl ToolSet {
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|(spec, _)| spec.clone()).collect()
    }

    /// Runs one tool call of the model. A failure the model can act on (bad
    /// arguments, an agent's error, a callee's own budget) is an error
    /// result for the model to read; a budget of the looping agent running
    /// out stops the loop. The call may use at most `share` (its part of
    /// what remains, when several run at once).
    pub async fn call(
        &self,
        ctx: &AgentContext,
        call: &ToolCall,
        share: Budget,
    ) -> Result<ToolResult, LlmError> {
        let result = |content: String, is_error: bool| ToolResult {
            call_id: call.id.clone(),
            content,
            is_error,
        };
        let Some((_, target)) = self.tools.iter().find(|(spec, _)| spec.name == call.name) else {
            let names: Vec<&str> = self.tools.iter().map(|(s, _)| s.name.as_str()).collect();
            return Ok(result(
                format!(
                    "there is no tool named `{}`; the tools are: {}",
                    call.name,
                    names.join(", ")
                ),
                true,
            ));
        };
        let arguments: JsonObject = match &call.arguments {
            Value::Object(object) => object.clone(),
            Value::String(raw) => {
                return Ok(result(
                    format!(
                        "the arguments of `{}` are not a JSON object: {raw}",
                        call.name
                    ),
                    true,
                ));
            }
            other => {
                return Ok(result(
                    format!(
                        "the arguments of `{}` must be a JSON object, not {other}",
                        call.name
                    ),
                    true,
                ));
            }
        };
        let outcome = match *target {
            Target::Agent(definition) => call_agent_json(ctx, definition, arguments, share)
                .await
                .map(|value| match value {
                    Value::String(text) => text,
                    Value::Null => String::new(),
                    other => other.to_string(),
                }),
            Target::ServerTool {
                server,
                tool,
                idempotent,
            } => call_remote_tool(
                ctx,
                RemoteCall::new(server, tool)
                    .narrowing(share)
                    .idempotent(idempotent),
                arguments,
            )
            .await
            .map(|answer| match answer.structured {
                Some(structured) => structured.to_string(),
                None => answer.text,
            }),
        };
        match outcome {
            Ok(content) => Ok(result(content, false)),
            Err(error @ CallError::BudgetExceeded { .. }) => match ctx.scope().check_open() {
                // The looping agent's own budget is gone: no more turns.
                Err(exceeded) => Err(LlmError::Budget(exceeded)),
                Ok(()) => Ok(result(error.to_string(), true)),
            },
            Err(error) => Ok(result(error.to_string(), true)),
        }
    }
}
