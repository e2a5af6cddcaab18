//! The MCP server: rmcp's `ServerHandler` over the registry of agents,
//! prompts and resources.

#![allow(deprecated)] // Logging and `resources/subscribe` are deprecated by SEP-2577, still served.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, CancelTaskParams,
    CompleteRequestParams, CompleteResult, ErrorCode, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, GetTaskParams, GetTaskResult, Implementation, InputResponses, JsonObject,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Reference, ServerCapabilities, ServerConfig, SetLevelRequestParams,
    SubscribeRequestParams, SubscriptionFilter, Tool, UnsubscribeRequestParams, UpdateTaskParams,
};
use rmcp::service::{RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::budget::wire::{ERROR_KEY, USAGE_KEY, read_grant};
use crate::budget::{Budget, Scope, Usage};
use crate::completion::{CompletionError, CompletionRequest, complete};
use crate::config::Config;
use crate::context::{AgentContext, ClientChannel};
use crate::definition::{AgentDefinition, InvokeError};
use crate::execution::{Interrupted, budget_error_result, guarded, invoke};
use crate::host::Host;
use crate::logging::{LogLevel, SessionLogLevel};
use crate::prompt::{PromptDefinition, PromptMessage};
use crate::registry::Registry;
use crate::resource::{ResourceContent, ResourceDefinition};
use crate::round_trip::{Binding, Round, RoundTrip, StateSealer, run_round};
use crate::subscription::{SessionSubscriptions, listen};
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
    /// A name for people, shown by clients instead of `name`.
    pub title: Option<String>,
    /// A description for people, sent as the implementation description.
    pub description: Option<String>,
    /// Icon URLs (or `data:` URIs) for clients to show.
    pub icons: Vec<String>,
    /// Guidance for the model using this server's tools.
    pub instructions: Option<String>,
}

impl ServerIdentity {
    /// A server called `name` at `version`.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        ServerIdentity {
            name: name.into(),
            version: version.into(),
            title: None,
            description: None,
            icons: Vec::new(),
            instructions: None,
        }
    }
}

/// An MCP server whose tools are the agents of a [`Registry`], with its
/// prompts and resources.
///
/// Cloning is cheap. Each clone made with [`for_new_session`](Self::for_new_session)
/// keeps its own log level and resource subscriptions, as MCP sessions do.
#[derive(Clone)]
pub struct AgentServer {
    shared: Arc<Shared>,
    sealer: Arc<StateSealer>,
    log_level: SessionLogLevel,
    subscriptions: Arc<SessionSubscriptions>,
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
            sealer: Arc::new(StateSealer::random()),
            log_level: SessionLogLevel::default(),
            subscriptions: Arc::default(),
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

    /// Signs the `requestState` of 2026-era multi-round-trip requests with
    /// `key` (at least 32 bytes) instead of a random per-process key, so that
    /// a retry can reach any replica that shares the key, or this server
    /// after a restart.
    pub fn with_request_state_key(mut self, key: &[u8]) -> Result<Self, InvalidKey> {
        self.sealer = Arc::new(StateSealer::with_key(key).map_err(InvalidKey)?);
        Ok(self)
    }

    /// The same agents, with the per-session state of a fresh session.
    pub fn for_new_session(&self) -> Self {
        AgentServer {
            shared: self.shared.clone(),
            sealer: self.sealer.clone(),
            log_level: SessionLogLevel::default(),
            subscriptions: Arc::default(),
        }
    }

    /// The agents, prompts and resources served.
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
        let round = self
            .in_round(
                &context,
                ("tools/call", definition.name),
                (
                    request.request_state.as_deref(),
                    request.input_responses.as_ref(),
                ),
                arguments,
                |client, arguments| {
                    self.run(
                        definition,
                        arguments,
                        grant,
                        context.ct.clone(),
                        Some(client),
                    )
                },
            )
            .await?;
        Ok(match round {
            Round::Done(result) => result.into(),
            Round::InputRequired(input) => input.into(),
        })
    }

    /// Runs `work` as one round of a request that may ask the client for
    /// input. `work` gets the way back to the client and the request's
    /// `arguments`, which (with the method and name in `called`) are what
    /// a 2026-era `requestState` is bound to; such a request whose work asks
    /// something not answered yet ends the round with an `InputRequiredResult`.
    async fn in_round<T, Fut>(
        &self,
        context: &RequestContext<RoleServer>,
        called: (&str, &str),
        (request_state, responses): (Option<&str>, Option<&InputResponses>),
        arguments: JsonObject,
        work: impl FnOnce(ClientChannel, JsonObject) -> Fut,
    ) -> Result<Round<T>, ErrorData>
    where
        Fut: Future<Output = T>,
    {
        let (method, name) = called;
        let binding = binding(context, method, name, &arguments);
        let round_trip = self.round_trip(context, &binding, request_state, responses)?;
        let client = self.client_channel(context, round_trip.clone());
        let work = work(client, arguments);
        Ok(run_round(round_trip.as_deref(), &self.sealer, &binding, work).await)
    }

    /// The way back to the client for one request.
    fn client_channel(
        &self,
        context: &RequestContext<RoleServer>,
        round_trip: Option<Arc<RoundTrip>>,
    ) -> ClientChannel {
        // A 2026-era request opts in to log messages with a level in its
        // `_meta`; without one it gets none. A 2025-era session has the
        // level `logging/setLevel` chose (`info` until then).
        let log_level = match context.meta.log_level() {
            Some(level) => Some(LogLevel::from_rmcp(level)),
            None if is_stateless(context) => None,
            None => Some(self.log_level.get()),
        };
        ClientChannel {
            peer: context.peer.clone(),
            progress_token: context.meta.get_progress_token(),
            log_level,
            capabilities: context.client_capabilities(),
            round_trip,
        }
    }

    /// The round trip of a 2026-era request (`None` for a 2025-era one,
    /// which asks the client directly).
    fn round_trip(
        &self,
        context: &RequestContext<RoleServer>,
        binding: &Binding,
        request_state: Option<&str>,
        responses: Option<&InputResponses>,
    ) -> Result<Option<Arc<RoundTrip>>, ErrorData> {
        if !is_stateless(context) {
            return Ok(None);
        }
        RoundTrip::resume(&self.sealer, binding, request_state, responses).map(Some)
    }

    /// The root context of a prompt or resource called `name`, under the
    /// server's default budget.
    fn handler_context(
        &self,
        name: &'static str,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
    ) -> Result<AgentContext, Failure> {
        let host = self.shared.host.clone();
        let scope = Scope::root(name, host.default_budget).map_err(|exceeded| Failure {
            invalid_params: false,
            message: format!("`{name}` cannot start: {exceeded}"),
        })?;
        Ok(AgentContext::root(name, cancellation, client, scope, host))
    }

    /// Renders the prompt `definition` with `arguments`.
    pub(crate) async fn render_prompt(
        &self,
        definition: &'static PromptDefinition,
        arguments: JsonObject,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
    ) -> Result<Vec<PromptMessage>, Failure> {
        let ctx = self.handler_context(definition.name, cancellation, client)?;
        let outcome = guarded(&ctx, (definition.render)(ctx.clone(), arguments)).await;
        Failure::check("prompt", definition.name, outcome)
    }

    /// Reads the resource `definition` with its template `variables`.
    pub(crate) async fn read_contents(
        &self,
        definition: &'static ResourceDefinition,
        variables: JsonObject,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
    ) -> Result<Vec<ResourceContent>, Failure> {
        let ctx = self.handler_context(definition.name, cancellation, client)?;
        let outcome = guarded(&ctx, (definition.read)(ctx.clone(), variables)).await;
        Failure::check("resource", definition.name, outcome)
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
                let ctx = AgentContext::root(definition.name, cancellation, client, scope, host);
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

/// What the `requestState` of a 2026-era request is bound to. A 2025-era
/// request has none, so it skips the copy of its arguments this takes.
fn binding(
    context: &RequestContext<RoleServer>,
    method: &str,
    name: &str,
    arguments: &JsonObject,
) -> Binding {
    if is_stateless(context) {
        Binding::new(method, name, arguments)
    } else {
        Binding::default()
    }
}

/// A request-state key that is too short to be safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request-state key: {0}")]
pub struct InvalidKey(String);

/// Whether the request uses the 2026-07-28 protocol (or later): stateless,
/// with per-request `_meta` and no server→client requests.
fn is_stateless(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// Why a prompt or resource produced no value: bad arguments (the client's
/// fault), or a failure of the function itself.
#[derive(Debug)]
pub(crate) struct Failure {
    pub invalid_params: bool,
    pub message: String,
}

impl Failure {
    fn check<T>(
        kind: &str,
        name: &str,
        outcome: Result<Result<T, InvokeError>, Interrupted>,
    ) -> Result<T, Failure> {
        let (invalid_params, message) = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(InvokeError::Arguments(error))) => {
                (true, format!("the {kind} `{name}` has an {error}"))
            }
            Ok(Err(InvokeError::Agent(message))) => (false, message),
            Err(Interrupted::Panicked(message)) => {
                tracing::error!("the {kind} `{name}` panicked: {message}");
                (false, format!("the {kind} `{name}` panicked: {message}"))
            }
            Err(Interrupted::OutOfTime(exceeded)) => (
                false,
                format!("the {kind} `{name}` ran out of time ({exceeded})"),
            ),
            Err(Interrupted::Cancelled) => (false, format!("the {kind} `{name}` was cancelled")),
        };
        Err(Failure {
            invalid_params,
            message,
        })
    }

    fn into_error(self) -> ErrorData {
        if self.invalid_params {
            ErrorData::invalid_params(self.message, None)
        } else {
            ErrorData::internal_error(self.message, None)
        }
    }
}

impl ServerHandler for AgentServer {
    fn get_info(&self) -> ServerConfig {
        let identity = &self.shared.identity;
        let registry = &self.shared.registry;
        let (prompts, resources, templates) = registry.counts();
        let mut capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .enable_completions()
            .enable_prompts()
            .enable_resources()
            .enable_resources_subscribe()
            .build();
        if self.shared.workflows.is_some() {
            // Long workflow runs become MCP tasks (SEP-2663), an extension.
            capabilities.extensions = ServerCapabilities::builder()
                .enable_tasks()
                .build()
                .extensions;
        }
        if registry.is_empty() {
            capabilities.tools = None;
        }
        if prompts == 0 {
            capabilities.prompts = None;
        }
        if resources + templates == 0 {
            capabilities.resources = None;
        }
        if prompts + templates == 0 {
            capabilities.completions = None;
        }
        let mut implementation = Implementation::new(&identity.name, &identity.version);
        implementation.title = identity.title.clone();
        implementation.description = identity.description.clone();
        if !identity.icons.is_empty() {
            let sources: Vec<&str> = identity.icons.iter().map(String::as_str).collect();
            implementation.icons = crate::icon::icons(&sources);
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
        let error_type = match &outcome {
            Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => Some(
                if result
                    .meta
                    .as_ref()
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
        if let Ok(CallToolResponse::Complete(result)) = &outcome
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

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log_level.set(LogLevel::from_rmcp(request.level));
        Ok(())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(
            self.shared.registry.prompts().collect(),
        ))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let Some(definition) = self.shared.registry.prompt(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown prompt `{}`", request.name),
                None,
            ));
        };
        let round = self
            .in_round(
                &context,
                ("prompts/get", definition.name),
                (
                    request.request_state.as_deref(),
                    request.input_responses.as_ref(),
                ),
                request.arguments.unwrap_or_default(),
                |client, arguments| {
                    self.render_prompt(definition, arguments, context.ct.clone(), Some(client))
                },
            )
            .await?;
        let messages = match round {
            Round::Done(outcome) => outcome.map_err(Failure::into_error)?,
            Round::InputRequired(input) => return Ok(input.into()),
        };
        let messages = messages.into_iter().map(PromptMessage::into_rmcp).collect();
        let mut result = GetPromptResult::new(messages);
        result.description = definition.description.map(str::to_owned);
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            self.shared.registry.resources().collect(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.shared.registry.resource_templates().collect(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let Some((definition, variables)) = self.shared.registry.resource_for(&uri) else {
            return Err(ErrorData::resource_not_found(
                format!("no resource has the URI `{uri}`"),
                Some(serde_json::json!({ "uri": uri })),
            ));
        };
        // A read is bound to its URI; the template's variables come from it.
        let mut bound = JsonObject::new();
        bound.insert("uri".into(), uri.clone().into());
        let round = self
            .in_round(
                &context,
                ("resources/read", definition.name),
                (
                    request.request_state.as_deref(),
                    request.input_responses.as_ref(),
                ),
                bound,
                |client, _uri| {
                    self.read_contents(definition, variables, context.ct.clone(), Some(client))
                },
            )
            .await?;
        let contents = match round {
            Round::Done(outcome) => outcome.map_err(Failure::into_error)?,
            Round::InputRequired(input) => return Ok(input.into()),
        };
        let contents = contents
            .into_iter()
            .map(|content| content.into_rmcp(uri.clone(), definition.mime_type))
            .collect();
        Ok(ReadResourceResult::new(contents).into())
    }

    async fn complete(
        &self,
        request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        let registry = &self.shared.registry;
        let (params, completer, what) = match &request.r#ref {
            Reference::Prompt(prompt) => {
                let Some(definition) = registry.prompt(&prompt.name) else {
                    return Err(ErrorData::invalid_params(
                        format!("unknown prompt `{}`", prompt.name),
                        None,
                    ));
                };
                (
                    definition.params,
                    definition.complete,
                    format!("prompt `{}`", prompt.name),
                )
            }
            Reference::Resource(resource) => {
                let Some(definition) = registry.resource_template(&resource.uri) else {
                    return Err(ErrorData::invalid_params(
                        format!("no resource template is written `{}`", resource.uri),
                        None,
                    ));
                };
                (
                    definition.params,
                    definition.complete,
                    format!("resource template `{}`", resource.uri),
                )
            }
            _ => {
                return Err(ErrorData::invalid_params(
                    "completion is offered for prompts and resource templates only",
                    None,
                ));
            }
        };
        let mut completion = CompletionRequest::new(
            request.argument.name.clone(),
            request.argument.value.clone(),
        );
        if let Some(arguments) = request.context.and_then(|c| c.arguments) {
            for (name, value) in arguments {
                completion = completion.with_context(name, value);
            }
        }
        match complete(params, completer, &completion) {
            Ok(info) => Ok(CompleteResult::new(info)),
            Err(CompletionError::UnknownArgument(name)) => Err(ErrorData::invalid_params(
                format!("the {what} has no argument `{name}`"),
                None,
            )),
        }
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        if self.shared.registry.resource_for(&request.uri).is_none() {
            return Err(ErrorData::resource_not_found(
                format!("no resource has the URI `{}`", request.uri),
                Some(serde_json::json!({ "uri": request.uri })),
            ));
        }
        self.subscriptions.subscribe(request.uri, &context.peer);
        Ok(())
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.subscriptions.unsubscribe(&request.uri);
        Ok(())
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        let uris: Vec<String> = requested
            .resource_subscriptions
            .iter()
            .flatten()
            .filter(|uri| self.shared.registry.resource_for(uri).is_some())
            .cloned()
            .collect();
        Some(
            SubscriptionFilter::builder()
                .resource_subscriptions(uris)
                .build(),
        )
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        listen(context).await;
        Ok(())
    }
}
