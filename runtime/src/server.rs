//! The MCP server: rmcp's `ServerHandler` over the registry of agents,
//! prompts and resources.

#![allow(deprecated)] // Logging and `resources/subscribe` are deprecated by SEP-2577, still served.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CompleteRequestParams, CompleteResult,
    GetPromptRequestParams, GetPromptResponse, GetPromptResult, Implementation, JsonObject,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, ListToolsResult,
    PaginatedRequestParams, ProtocolVersion, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Reference, ServerCapabilities, ServerConfig, SetLevelRequestParams,
    SubscribeRequestParams, SubscriptionFilter, Tool, UnsubscribeRequestParams,
};
use rmcp::service::{RequestContext, RoleServer, SubscriptionContext};
use rmcp::{ErrorData, ServerHandler};

use crate::completion::{CompletionError, CompletionRequest, complete};
use crate::context::{AgentContext, ClientChannel};
use crate::definition::InvokeError;
use crate::execution::{Interrupted, guarded, invoke};
use crate::logging::{LogLevel, SessionLogLevel};
use crate::registry::Registry;
use crate::round_trip::{Binding, Round, RoundTrip, StateSealer, run_round};
use crate::subscription::{SessionSubscriptions, listen};

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
}

/// A request-state key that is too short to be safe.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid request-state key: {0}")]
pub struct InvalidKey(String);

impl AgentServer {
    /// A server for `registry` that introduces itself as `identity`.
    pub fn new(registry: Registry, identity: ServerIdentity) -> Self {
        AgentServer {
            shared: Arc::new(Shared { registry, identity }),
            sealer: Arc::new(StateSealer::random()),
            log_level: SessionLogLevel::default(),
            subscriptions: Arc::default(),
        }
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
        responses: Option<&rmcp::model::InputResponses>,
    ) -> Result<Option<Arc<RoundTrip>>, ErrorData> {
        if !is_stateless(context) {
            return Ok(None);
        }
        RoundTrip::resume(&self.sealer, binding, request_state, responses).map(Some)
    }
}

/// Whether the request uses the 2026-07-28 protocol (or later): stateless,
/// with per-request `_meta` and no server→client requests.
fn is_stateless(context: &RequestContext<RoleServer>) -> bool {
    context
        .protocol_version()
        .is_some_and(|v| v.as_str() >= ProtocolVersion::V_2026_07_28.as_str())
}

/// The JSON-RPC error for a prompt or resource that produced no value.
fn failure(kind: &str, name: &str, outcome: Result<InvokeError, Interrupted>) -> ErrorData {
    match outcome {
        Ok(InvokeError::Arguments(error)) => {
            ErrorData::invalid_params(format!("the {kind} `{name}` has an {error}"), None)
        }
        Ok(InvokeError::Agent(message)) => ErrorData::internal_error(message, None),
        Err(Interrupted::Panicked(message)) => {
            tracing::error!("the {kind} `{name}` panicked: {message}");
            ErrorData::internal_error(format!("the {kind} `{name}` panicked: {message}"), None)
        }
        Err(Interrupted::Cancelled) => {
            ErrorData::internal_error(format!("reading the {kind} `{name}` was cancelled"), None)
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
        Ok(ListToolsResult::with_all_items(
            self.shared.registry.tools().cloned().collect(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.shared.registry.tool(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let Some(definition) = self.shared.registry.get(&request.name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        };
        let arguments = request.arguments.unwrap_or_default();
        let binding = Binding::new("tools/call", definition.name, &arguments);
        let round_trip = self.round_trip(
            &context,
            &binding,
            request.request_state.as_deref(),
            request.input_responses.as_ref(),
        )?;
        let client = self.client_channel(&context, round_trip.clone());
        let ctx = AgentContext::root(definition.name, context.ct.clone(), Some(client));
        let work = invoke(definition, ctx, arguments);
        Ok(
            match run_round(round_trip.as_deref(), &self.sealer, &binding, work).await {
                Round::Done(result) => result.into(),
                Round::InputRequired(input) => input.into(),
            },
        )
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
        let arguments = request.arguments.unwrap_or_default();
        let binding = Binding::new("prompts/get", definition.name, &arguments);
        let round_trip = self.round_trip(
            &context,
            &binding,
            request.request_state.as_deref(),
            request.input_responses.as_ref(),
        )?;
        let client = self.client_channel(&context, round_trip.clone());
        let ctx = AgentContext::root(definition.name, context.ct.clone(), Some(client));
        let work = guarded(&ctx, (definition.render)(ctx.clone(), arguments));
        let outcome = match run_round(round_trip.as_deref(), &self.sealer, &binding, work).await {
            Round::Done(outcome) => outcome,
            Round::InputRequired(input) => return Ok(input.into()),
        };
        match outcome {
            Ok(Ok(messages)) => {
                let messages = messages.into_iter().map(|m| m.into_rmcp()).collect();
                let mut result = GetPromptResult::new(messages);
                result.description = definition.description.map(str::to_owned);
                Ok(result.into())
            }
            Ok(Err(error)) => Err(failure("prompt", definition.name, Ok(error))),
            Err(interrupted) => Err(failure("prompt", definition.name, Err(interrupted))),
        }
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
        let mut bound = JsonObject::new();
        bound.insert("uri".into(), uri.clone().into());
        let binding = Binding::new("resources/read", definition.name, &bound);
        let round_trip = self.round_trip(
            &context,
            &binding,
            request.request_state.as_deref(),
            request.input_responses.as_ref(),
        )?;
        let client = self.client_channel(&context, round_trip.clone());
        let ctx = AgentContext::root(definition.name, context.ct.clone(), Some(client));
        let work = guarded(&ctx, (definition.read)(ctx.clone(), variables));
        let outcome = match run_round(round_trip.as_deref(), &self.sealer, &binding, work).await {
            Round::Done(outcome) => outcome,
            Round::InputRequired(input) => return Ok(input.into()),
        };
        match outcome {
            Ok(Ok(contents)) => {
                let contents = contents
                    .into_iter()
                    .map(|content| content.into_rmcp(uri.clone(), definition.mime_type))
                    .collect();
                Ok(ReadResourceResult::new(contents).into())
            }
            Ok(Err(error)) => Err(failure("resource", definition.name, Ok(error))),
            Err(interrupted) => Err(failure("resource", definition.name, Err(interrupted))),
        }
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

    async fn set_level(
        &self,
        request: SetLevelRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        self.log_level.set(LogLevel::from_rmcp(request.level));
        Ok(())
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
