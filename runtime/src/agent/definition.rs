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
    /// The tool's title, for people.
    pub title: Option<&'static str>,
    /// The tool's description (the function's doc comment unless overridden).
    pub description: Option<&'static str>,
    /// The MCP tool annotations (`read_only`, `destructive`, ...).
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
    /// `#[agent(input_constraints = f)]`: JSON Schema keywords over the
    /// arguments together (`allOf`, `if`/`then`/`else`, ...), added to the
    /// input schema.
    pub input_constraints: Option<fn() -> serde_json::Value>,
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
    /// Whether a `tools/call` of it may become an MCP task (SEP-2663).
    pub task: TaskSupport,
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
    /// The arguments as the JSON object a tool call of this agent takes,
    /// when every parameter's type is `Serialize` (`None` otherwise): what
    /// lets a workflow backend run the call in another process.
    #[doc(hidden)]
    fn json_arguments(args: &Self::Args) -> Option<JsonObject> {
        let _ = args;
        None
    }
}

/// Whether a tool runs as an MCP task (the tasks extension, SEP-2663) for
/// clients that declared the extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskSupport {
    /// Always answered in the request (agents, unless they say otherwise).
    Never,
    /// A task for clients that take tasks, answered in the request for the
    /// others (`#[agent(task = "optional")]`, and workflows).
    Optional,
    /// Only as a task: a client that did not declare the extension gets
    /// `MissingRequiredClientCapabilityError` (-32021)
    /// (`#[agent(task = "required")]`, `#[workflow(task_required)]`).
    Required,
}

/// Where an agent runs.
#[derive(Clone, Copy)]
pub enum AgentKind {
    /// In this process: runs the agent on JSON arguments.
    Local(fn(AgentContext, JsonObject) -> InvokeFuture),
    /// As the tool of the same name on the configured MCP server named here.
    Remote {
        /// The server's name under `[servers]` in agentwire.toml.
        server: &'static str,
    },
    /// A durable workflow (`#[workflow]`), run by the server's workflow
    /// backend. The agent core knows that a workflow exists, not what it
    /// is: the workflow layer reads its definition back
    /// (`AgentDefinition::workflow`).
    Workflow(&'static (dyn Any + Send + Sync)),
}

/// MCP tool annotations; `None` leaves the hint out of `tools/list`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnnotationFlags {
    /// `readOnlyHint`: the tool changes nothing.
    pub read_only: Option<bool>,
    /// `destructiveHint`: the tool may destroy data.
    pub destructive: Option<bool>,
    /// `idempotentHint`: calling it twice does what calling it once does.
    pub idempotent: Option<bool>,
    /// `openWorldHint`: the tool reaches outside systems.
    pub open_world: Option<bool>,
}

/// A place in the user's source code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file, as `file!()` gives it.
    pub file: &'static str,
    /// The line, from 1.
    pub line: u32,
    /// The module, as `module_path!()` gives it.
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
        let mut input_schema = schema::input_schema(self.params, self.deny_unknown_arguments);
        if let Some(constraints) = self.input_constraints {
            schema::add_constraints(&mut input_schema, constraints(), self.name);
        }
        let mut tool = Tool::new_with_raw(
            self.name,
            self.description.map(Cow::Borrowed),
            Arc::new(input_schema),
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
