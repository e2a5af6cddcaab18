//! What `#[agent]` records about each agent, as constant data the runtime reads.
//!
//! The macro fills these structs in; the runtime turns them into MCP tools and
//! invocations. Everything here is `const`-constructible because `inventory`
//! registrations must be.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};

use super::error::InvokeError;
use crate::agent::context::AgentContext;
use crate::budget::Budget;
use crate::schema::{self, ParamDefinition};

/// The future an agent's type-erased entry point returns: the agent's output
/// as JSON, or why there is none.
pub type InvokeFuture =
    Pin<Box<dyn Future<Output = Result<serde_json::Value, InvokeError>> + Send>>;

/// One agent, as declared by `#[agent]`.
pub struct AgentDefinition {
    /// The MCP tool name.
    pub name: &'static str,
    pub title: Option<&'static str>,
    pub description: Option<&'static str>,
    pub annotations: AnnotationFlags,
    /// Icon URLs (or `data:` URIs).
    pub icons: &'static [&'static str],
    /// The OAuth scopes a caller's token must grant (`scopes = [...]`);
    /// checked by an HTTP server with `[auth]`, refused with `403
    /// insufficient_scope` naming them.
    pub scopes: &'static [&'static str],
    /// The tool's parameters, in declaration order.
    pub params: &'static [ParamDefinition],
    /// Whether arguments other than the parameters are refused (and the
    /// input schema says `additionalProperties: false`).
    pub deny_unknown_arguments: bool,
    /// The output schema, when the agent returns a JSON object.
    pub output_schema: fn() -> Option<JsonObject>,
    /// Where the agent runs.
    pub kind: AgentKind,
    /// The most this agent may use per call, whatever its caller grants.
    pub policy: Budget,
    /// The agents this one declares it calls (`#[agent(calls = [...])]`).
    pub callees: fn() -> &'static [&'static AgentDefinition],
    /// Whether the agent may take part in a cycle of calls, bounded by depth.
    pub recursive: bool,
    /// Makes the agent's `invoke_agent` span, at the agent's own callsite.
    pub span: fn() -> tracing::Span,
    /// Where the agent is defined, for error messages.
    pub location: SourceLocation,
}

/// The type `#[agent]` puts beside an agent function (`summarize` for
/// `async fn summarize`): it knows the agent's definition. Helpers that take
/// an agent by type, such as [`Toolbox::agent`](crate::llm::Toolbox::agent),
/// use it.
pub trait AgentStub: 'static {
    /// The agent's definition.
    const DEFINITION: &'static AgentDefinition;
    /// The agent's parameters as a tuple, in declaration order.
    #[doc(hidden)]
    type Args: Send + 'static;
    /// What the agent returns on success.
    #[doc(hidden)]
    type Output: Send + 'static;
    /// Calls the agent as a child of `caller`, narrowed by `budget`: what
    /// the stubs run for an agent's caller.
    #[doc(hidden)]
    fn invoke(
        caller: AgentContext,
        budget: Budget,
        args: Self::Args,
    ) -> impl std::future::Future<Output = Result<Self::Output, crate::agent::CallError>> + Send + 'static;
}

/// Where an agent runs.
#[derive(Clone, Copy)]
pub enum AgentKind {
    /// In this process: runs the agent on JSON arguments.
    Local(fn(AgentContext, JsonObject) -> InvokeFuture),
    /// As the tool of the same name on the configured MCP server named here.
    Remote { server: &'static str },
    /// A durable workflow (`#[workflow]`), run by the server's workflow
    /// backend. The agent core knows that a workflow exists, not what it
    /// is: the workflow layer reads its definition back
    /// (`AgentDefinition::workflow`).
    Workflow(&'static (dyn Any + Send + Sync)),
}

/// MCP tool annotations; `None` leaves the hint out of `tools/list`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnnotationFlags {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

/// A place in the user's source code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: &'static str,
    pub line: u32,
    pub module_path: &'static str,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (in `{}`)", self.file, self.line, self.module_path)
    }
}

/// The value `#[agent]` submits to `inventory`.
pub struct AgentEntry(pub &'static AgentDefinition);

inventory::collect!(AgentEntry);

impl AgentDefinition {
    /// The entry point of a local agent.
    pub fn local_invoke(&self) -> Option<fn(AgentContext, JsonObject) -> InvokeFuture> {
        match self.kind {
            AgentKind::Local(invoke) => Some(invoke),
            AgentKind::Remote { .. } | AgentKind::Workflow(_) => None,
        }
    }

    /// The server of a remote agent.
    pub fn remote_server(&self) -> Option<&'static str> {
        match self.kind {
            AgentKind::Local(_) | AgentKind::Workflow(_) => None,
            AgentKind::Remote { server } => Some(server),
        }
    }

    /// Whether this is a durable workflow.
    pub fn is_workflow(&self) -> bool {
        matches!(self.kind, AgentKind::Workflow(_))
    }

    /// The MCP tool this agent is served as.
    pub fn tool(&self) -> Tool {
        let mut tool = Tool::new_with_raw(
            self.name,
            self.description.map(Cow::Borrowed),
            Arc::new(schema::input_schema(
                self.params,
                self.deny_unknown_arguments,
            )),
        );
        tool.title = self.title.map(str::to_owned);
        tool.icons = crate::mcp::icon::icons(self.icons);
        // A workflow may answer with a run handle instead of its result (a
        // client without tasks whose run waits for input), so it declares no
        // output schema its answers would have to match.
        if !self.is_workflow() {
            tool.output_schema = (self.output_schema)().map(Arc::new);
        }
        tool.annotations = self.annotations.to_rmcp();
        tool
    }
}

impl AnnotationFlags {
    fn to_rmcp(self) -> Option<ToolAnnotations> {
        let AnnotationFlags {
            read_only,
            destructive,
            idempotent,
            open_world,
        } = self;
        if [read_only, destructive, idempotent, open_world]
            .iter()
            .all(Option::is_none)
        {
            return None;
        }
        let mut annotations = ToolAnnotations::new();
        annotations.read_only_hint = read_only;
        annotations.destructive_hint = destructive;
        annotations.idempotent_hint = idempotent;
        annotations.open_world_hint = open_world;
        Some(annotations)
    }
}
