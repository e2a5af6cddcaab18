//! The MCP server: rmcp's `ServerHandler` over the registry of agents.

use std::sync::Arc;

use rmcp::model::ErrorCode;
#[allow(deprecated)] // `logging/setLevel` is deprecated by SEP-2577, still in both eras.
use rmcp::model::SetLevelRequestParams;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams, GetTaskParams,
    GetTaskResult, Implementation, JsonObject, ListToolsResult, PaginatedRequestParams,
    ServerCapabilities, ServerConfig, Tool, UpdateTaskParams,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::budget::wire::{ERROR_KEY, USAGE_KEY, read_grant};
use crate::budget::{Budget, Scope, Usage};
use crate::config::Config;
use crate::context::{AgentContext, ClientChannel};
use crate::definition::AgentDefinition;
use crate::execution::{budget_error_result, invoke};
use crate::host::Host;
use crate::logging::{LogLevel, SessionLogLevel};
use crate::registry::Registry;
use crate::telemetry::{record_operation, set_parent_from, spans};
use crate::workflow::store::{JournalStore, MemoryStore};
use crate::workflow::{
    BackendKind, ControlError, JournalEngine, Recovery, WorkflowBackend, WorkflowSettings,
    Workflows, tasks, tools,
};

/// Who this server says it is, in `initialize` and `server/discover`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerIdentity {
    /// The server's name; [`main!`](crate::main) uses the crate's name.
    pub name: String,
    /// The server's version; [`main!`](crate::main) uses the crate's version.
    pub version: String,
    /// A description for people, sent as the implementation description.
    pub description: Option<String>,
    /// Guidance for the model using this server's tools.
    pub instructions: Option<String>,
}

impl ServerIdentity {
    /// A server called `name` at `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        ServerIdentity {
            name: name.into(),
            version: version.into(),
            description: None,
            instructions: None,
        }
    }
}

/// An MCP server whose tools are the agents of a [`Registry`].
///
/// Cloning is cheap. Each clone made with [`for_new_session`](Self::for_new_session)
/// keeps its own log level, as MCP sessions do.
#[derive(Clone)]
pub struct AgentServer {
    shared: Arc<Shared>,
    log_level: SessionLogLevel,
}

struct Shared {
    registry: Registry,
    identity: ServerIdentity,
    host: Arc<Host>,
    /// Present when the registry has workflows.
    workflows: Option<Workflows>,
    /// The tools `tools/list` shows: the agents', then the `workflows-*` ones.
    tools: Vec<Tool>,
}

impl AgentServer {
    /// A server for `registry` that introduces itself as `identity`, with the
    /// default configuration (no remote servers, the default budget).
    pub fn new(registry: Registry, identity: ServerIdentity) -> Self {
        Self::with_config(registry, identity, &Config::default())
    }

    /// A server for `registry` configured by `config` (default budget, remote
    /// servers). Its workflows, if any, run on the `memory` backend.
    pub fn with_config(registry: Registry, identity: ServerIdentity, config: &Config) -> Self {
        let settings = WorkflowSettings {
            backend: BackendKind::Memory,
            ..WorkflowSettings::default()
        };
        Self::with_workflow_store(
            registry,
            identity,
            config,
            Arc::new(MemoryStore::new()),
            &settings,
        )
    }

    /// A server whose workflows run on the journal engine over `store`
    /// (see [`WorkflowSettings::open_store`]). Call
    /// [`recover_workflows`](Self::recover_workflows) once it is built.
    pub fn with_workflow_store(
        registry: Registry,
        identity: ServerIdentity,
        config: &Config,
        store: Arc<dyn JournalStore>,
        settings: &WorkflowSettings,
    ) -> Self {
        let host = Arc::new(Host::new(config));
        let backend = JournalEngine::new(store, registry.definitions(), host.clone());
        Self::build(registry, identity, host, backend, settings)
    }

    /// A server whose workflows run on `backend`, which was built for this
    /// registry (a backend other than the journal engine).
    pub fn with_workflow_backend(
        registry: Registry,
        identity: ServerIdentity,
        config: &Config,
        backend: Arc<dyn WorkflowBackend>,
        settings: &WorkflowSettings,
    ) -> Self {
        Self::build(
            registry,
            identity,
            Arc::new(Host::new(config)),
            backend,
            settings,
        )
    }

    fn build(
        registry: Registry,
        identity: ServerIdentity,
        host: Arc<Host>,
        backend: Arc<dyn WorkflowBackend>,
        settings: &WorkflowSettings,
    ) -> Self {
        let has_workflows = registry.definitions().any(|d| d.workflow().is_some());
        let mut tools: Vec<Tool> = registry.tools().cloned().collect();
        let workflows = has_workflows.then(|| {
            for tool in tools::tools() {
                if registry.get(&tool.name).is_some() {
                    tracing::warn!(
                        "the agent `{}` hides the workflow management tool of the same name",
                        tool.name
                    );
                } else {
                    tools.push(tool);
                }
            }
            Workflows {
                backend,
                task_after: settings.task_after,
                poll_interval: settings.poll_interval,
            }
        });
        AgentServer {
            shared: Arc::new(Shared {
                registry,
                identity,
                host,
                workflows,
                tools,
            }),
            log_level: SessionLogLevel::default(),
        }
    }

    /// Starts the unfinished workflow runs of the store again; call it once,
    /// at start-up, on a tokio runtime.
    pub async fn recover_workflows(&self) -> Result<Recovery, ControlError> {
        match &self.shared.workflows {
            Some(workflows) => workflows.backend.recover().await,
            None => Ok(Recovery::default()),
        }
    }

    /// The backend running this server's workflows, when it has any.
    pub fn workflow_backend(&self) -> Option<&Arc<dyn WorkflowBackend>> {
        self.shared.workflows.as_ref().map(|w| &w.backend)
    }

    /// The same agents, with the per-session state of a fresh session.
    pub fn for_new_session(&self) -> Self {
        AgentServer {
            shared: self.shared.clone(),
            log_level: SessionLogLevel::default(),
        }
    }

    /// The agents served.
    pub fn registry(&self) -> &Registry {
        &self.shared.registry
    }

    /// Who the server says it is.
    pub fn identity(&self) -> &ServerIdentity {
        &self.shared.identity
    }

    /// Closes the connections to remote servers, letting the child processes
    /// of stdio servers exit cleanly.
    pub async fn close_connections(&self) {
        self.shared.host.remotes.close_all().await;
    }

    /// Runs the tool `tool` in this process, as if a client had called it
    /// with `arguments` and granted `grant`: the budget is the tightest of
    /// the server's default, the agent's policy and the grant. `None` when
    /// there is no such tool.
    pub async fn call(
        &self,
        tool: &str,
        arguments: JsonObject,
        grant: Option<Budget>,
        cancellation: CancellationToken,
    ) -> Option<CallToolResult> {
        let Some(definition) = self.shared.registry.get(tool) else {
            let workflows = self.shared.workflows.as_ref()?;
            return tools::call(workflows, &self.shared.registry, tool, arguments, grant).await;
        };
        if let Some(workflows) = &self.shared.workflows
            && definition.workflow().is_some()
        {
            let response =
                tasks::call_workflow(workflows, definition, arguments, grant, false, cancellation)
                    .await;
            return Some(match response {
                Ok(CallToolResponse::Complete(result)) => result,
                Ok(_) => crate::output::error_result("the run could not be followed"),
                Err(error) => crate::output::error_result(error.message),
            });
        }
        Some(
            self.run(definition, arguments, grant, cancellation, None)
                .await,
        )
    }

    /// `tools/call` under the request's SERVER span.
    async fn serve_call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(definition) = self.shared.registry.get(&request.name) else {
            if let Some(workflows) = &self.shared.workflows {
                let grant = read_grant(&context.meta)
                    .map_err(|invalid| ErrorData::invalid_params(invalid.to_string(), None))?;
                let arguments = request.arguments.clone().unwrap_or_default();
                if let Some(result) = tools::call(
                    workflows,
                    &self.shared.registry,
                    &request.name,
                    arguments,
                    grant,
                )
                .await
                {
                    return Ok(result.into());
                }
            }
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        };
        #[allow(deprecated)]
        let log_level = context
            .meta
            .log_level()
            .map(LogLevel::from_rmcp)
            .unwrap_or_else(|| self.log_level.get());
        let client = ClientChannel {
            peer: context.peer.clone(),
            progress_token: context.meta.get_progress_token(),
            log_level,
            protocol_version: context.protocol_version(),
        };
        let grant = read_grant(&context.meta)
            .map_err(|invalid| ErrorData::invalid_params(invalid.to_string(), None))?;
        let arguments = request.arguments.unwrap_or_default();
        if spans::capture_content() {
            let text = serde_json::to_string(&arguments).unwrap_or_default();
            tracing::Span::current().record("gen_ai.tool.call.arguments", text);
        }
        if let Some(workflows) = &self.shared.workflows
            && definition.workflow().is_some()
        {
            let client_has_tasks = context
                .client_capabilities()
                .is_some_and(|capabilities| capabilities.supports_tasks());
            return tasks::call_workflow(
                workflows,
                definition,
                arguments,
                grant,
                client_has_tasks,
                context.ct.clone(),
            )
            .await;
        }
        Ok(self
            .run(
                definition,
                arguments,
                grant,
                context.ct.clone(),
                Some(client),
            )
            .await
            .into())
    }

    async fn run(
        &self,
        definition: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
    ) -> CallToolResult {
        let host = self.shared.host.clone();
        let limits = host
            .default_budget
            .min(definition.policy)
            .min(grant.unwrap_or(Budget::UNLIMITED));
        match Scope::root(definition.name, limits) {
            Ok(scope) => {
                let ctx = AgentContext::root(definition, cancellation, client, scope, host);
                invoke(definition, ctx, arguments).await
            }
            Err(exceeded) => {
                let message = format!("`{}` cannot start", definition.name);
                let mut result = budget_error_result(&message, &exceeded, definition.name);
                let nothing = serde_json::to_value(Usage::default()).unwrap_or_default();
                result
                    .meta
                    .get_or_insert_with(Default::default)
                    .insert(USAGE_KEY.into(), nothing);
                result
            }
        }
    }
}

impl AgentServer {
    fn workflows(&self) -> Result<&Workflows, ErrorData> {
        self.shared
            .workflows
            .as_ref()
            .ok_or_else(ErrorData::method_not_found::<rmcp::model::GetTaskMethod>)
    }
}

impl ServerHandler for AgentServer {
    fn get_info(&self) -> ServerConfig {
        let identity = &self.shared.identity;
        #[allow(deprecated)] // logging is deprecated by SEP-2577, still in both eras
        let capabilities = if self.shared.workflows.is_some() {
            // Long workflow runs become MCP tasks (SEP-2663).
            ServerCapabilities::builder()
                .enable_tools()
                .enable_logging()
                .enable_tasks()
                .build()
        } else {
            ServerCapabilities::builder()
                .enable_tools()
                .enable_logging()
                .build()
        };
        let mut implementation = Implementation::new(&identity.name, &identity.version);
        if let Some(description) = &identity.description {
            implementation = implementation.with_description(description);
        }
        let mut config = ServerConfig::new(capabilities).with_server_info(implementation);
        if let Some(instructions) = &identity.instructions {
            config = config.with_instructions(instructions);
        }
        config
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.shared.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.shared.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = Instant::now();
        let protocol = context.protocol_version().map(|v| v.to_string());
        let session = context
            .extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.headers.get("mcp-session-id"))
            .and_then(|value| value.to_str().ok());
        let span = spans::server_span(
            &request.name,
            &context.id.to_string(),
            protocol.as_deref(),
            session,
        );
        set_parent_from(&span, &context.meta);
        let tool = request.name.clone();
        let outcome = self
            .serve_call(request, context)
            .instrument(span.clone())
            .await;
        let complete = match &outcome {
            Ok(CallToolResponse::Complete(result)) => Some(result),
            _ => None,
        };
        let error_type = match &outcome {
            Ok(_) if complete.is_some_and(|r| r.is_error == Some(true)) => Some(
                if complete
                    .and_then(|r| r.meta.as_ref())
                    .is_some_and(|m| m.contains_key(ERROR_KEY))
                {
                    "budget_exceeded"
                } else {
                    "tool_error"
                },
            ),
            Ok(_) => None,
            Err(error) if error.code == ErrorCode::INVALID_PARAMS => Some("invalid_params"),
            Err(_) => Some("internal_error"),
        };
        if let Some(error_type) = error_type {
            spans::record_error(&span, error_type);
        }
        if let Some(result) = complete
            && spans::capture_content()
        {
            span.record(
                "gen_ai.tool.call.result",
                serde_json::to_string(result).unwrap_or_default(),
            );
        }
        record_operation("tools/call", &tool, started.elapsed(), error_type);
        outcome
    }

    async fn get_task(
        &self,
        request: GetTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetTaskResult, ErrorData> {
        let workflows = self.workflows()?;
        Ok(GetTaskResult::new(
            tasks::get(workflows, &request.task_id).await?,
        ))
    }

    async fn update_task(
        &self,
        request: UpdateTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let workflows = self.workflows()?;
        tasks::update(workflows, &request.task_id, request.input_responses).await
    }

    async fn cancel_task(
        &self,
        request: CancelTaskParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        let workflows = self.workflows()?;
        tasks::cancel(workflows, &request.task_id).await
    }

    #[allow(deprecated)]
    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log_level.set(LogLevel::from_rmcp(request.level));
        Ok(())
    }
}
