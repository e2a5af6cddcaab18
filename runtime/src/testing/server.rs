//! An [`AgentServer`] in this process with a real rmcp client connected to
//! it over an in-memory pipe: the same code path as stdio, in either
//! protocol era, with no process, port or network.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, GetPromptRequestParams, GetPromptResult, ProtocolVersion,
    ReadResourceRequestParams, ReadResourceResult, RequestMetaObject, Tool,
};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, Peer, RoleClient, RunningService};
use serde_json::Value;

use crate::agent::{AgentDefinition, Host};
use crate::budget::Budget;
use crate::llm::models::Models;
use crate::mcp::meta::{BUDGET_KEY, grant_value};
use crate::prompt::PromptDefinition;
use crate::registry::{Registry, RegistryError};
use crate::remote::{InMemoryConnector, RemotePool};
use crate::resource::ResourceDefinition;
use crate::server::{AgentServer, ServerIdentity};

use super::model::TestModel;
use super::outcome::ToolOutcome;

/// The MCP protocol era the test client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Era {
    /// 2025-11-25: `initialize`, then a session.
    Sessions,
    /// 2026-07-28: `server/discover`, then self-contained stateless
    /// requests (the default).
    #[default]
    Stateless,
}

impl Era {
    fn lifecycle(self) -> ClientLifecycleMode {
        match self {
            Era::Sessions => ClientLifecycleMode::Initialize,
            Era::Stateless => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        }
    }
}

/// The bytes an in-memory pipe buffers each way.
const PIPE_BYTES: usize = 1 << 20;

/// Why a test server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The agents, prompts and resources were refused (a duplicate name, an
    /// undeclared cycle, nothing to serve).
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The client could not connect (it should always be able to).
    #[error("the test client could not connect: {0}")]
    Connect(String),
}

/// How a [`TestServer`] is made: which agents it serves, in which protocol
/// era, with what default budget, model and remote servers.
#[must_use]
pub struct TestServerBuilder {
    agents: Option<Vec<&'static AgentDefinition>>,
    prompts: Vec<&'static PromptDefinition>,
    resources: Vec<&'static ResourceDefinition>,
    era: Era,
    identity: ServerIdentity,
    budget: Budget,
    models: Option<Models>,
    remotes: BTreeMap<String, InMemoryConnector>,
}

impl TestServerBuilder {
    /// Serves these agents (and workflows). Once agents, prompts or
    /// resources are chosen, only the chosen ones are served; otherwise
    /// everything registered in the test binary is.
    pub fn agents(mut self, agents: impl IntoIterator<Item = &'static AgentDefinition>) -> Self {
        self.agents.get_or_insert_with(Vec::new).extend(agents);
        self
    }

    /// Serves these prompts (only the chosen ones, as with
    /// [`agents`](Self::agents)).
    pub fn prompts(mut self, prompts: impl IntoIterator<Item = &'static PromptDefinition>) -> Self {
        self.prompts.extend(prompts);
        self.agents.get_or_insert_with(Vec::new);
        self
    }

    /// Serves these resources (only the chosen ones, as with
    /// [`agents`](Self::agents)).
    pub fn resources(
        mut self,
        resources: impl IntoIterator<Item = &'static ResourceDefinition>,
    ) -> Self {
        self.resources.extend(resources);
        self.agents.get_or_insert_with(Vec::new);
        self
    }

    /// The protocol era of the test client (default [`Era::Stateless`]).
    pub fn era(mut self, era: Era) -> Self {
        self.era = era;
        self
    }

    /// The name and version the server introduces itself with.
    pub fn identity(mut self, identity: ServerIdentity) -> Self {
        self.identity = identity;
        self
    }

    /// The server's default budget, before agents' policies and callers'
    /// grants narrow it (default [`Budget::SERVER_DEFAULT`]).
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// The default model of the server's agents (`ctx.model()`): a
    /// [`ScriptedModel`](super::ScriptedModel), a
    /// [`FunctionModel`](super::FunctionModel) or another [`TestModel`].
    /// Without one, `ctx.model()` says no model is configured; the
    /// environment's `OPENAI_*` and `ANTHROPIC_*` variables are never read.
    pub fn model(mut self, model: impl TestModel) -> Self {
        let name = model.model_name();
        let price = model.price();
        self.models = Some(Models::serving(Arc::new(model), &name, price));
        self
    }

    /// Remote agents of `server` (`#[agent(remote = "server")]`) are
    /// answered by `by`, another server of this test, over an in-memory
    /// pipe: a chain of servers in one test.
    pub fn remote(self, server: &str, by: &TestServer) -> Self {
        self.remote_server(server, by.server().clone())
    }

    /// Remote agents of `server` are answered by `by`, an [`AgentServer`]
    /// of this process.
    pub fn remote_server(mut self, server: &str, by: AgentServer) -> Self {
        let connector: InMemoryConnector = Arc::new(move || {
            let (client_end, server_end) = tokio::io::duplex(PIPE_BYTES);
            tokio::spawn(serve_pipe(by.for_new_session(), server_end));
            client_end
        });
        self.remotes.insert(server.to_owned(), connector);
        self
    }

    /// Starts the server and connects the client.
    pub async fn start(self) -> Result<TestServer, StartError> {
        super::telemetry::install_meter_provider();
        super::telemetry::install_propagator();
        let registry = match self.agents {
            None => Registry::collect()?,
            Some(agents) => Registry::from_parts(agents, self.prompts, self.resources)?,
        };
        let mut pool = RemotePool::new(BTreeMap::new());
        for (name, connector) in self.remotes {
            pool = pool.with_in_memory(&name, connector);
        }
        // Never the environment's models: a test answers the same everywhere.
        let models = self
            .models
            .unwrap_or_else(|| Models::new(&Default::default(), &BTreeMap::new(), |_| None));
        let host = Host::new(self.budget).with(pool).with(models);
        let server = AgentServer::with_host(registry, self.identity, host);

        let (client_end, server_end) = tokio::io::duplex(PIPE_BYTES);
        tokio::spawn(serve_pipe(server.for_new_session(), server_end));
        let (read, write) = tokio::io::split(client_end);
        let client =
            ().serve_with_lifecycle((read, write), self.era.lifecycle())
                .await
                .map_err(|e| StartError::Connect(e.to_string()))?;
        Ok(TestServer {
            server,
            client,
            era: self.era,
        })
    }
}

/// Serves `server` on one end of an in-memory pipe until the client closes it.
async fn serve_pipe(server: AgentServer, end: tokio::io::DuplexStream) {
    let (read, write) = tokio::io::split(end);
    if let Ok(running) = server.serve((read, write)).await {
        let _ = running.waiting().await;
    }
}

/// An agentwire server running in the test, and an rmcp client connected to
/// it: call its tools with arguments and a budget grant, get prompts, read
/// resources, and drive its workflows.
///
/// ```
/// use agentwire::prelude::*;
/// use agentwire::testing::TestServer;
/// use serde_json::json;
///
/// /// Says hello.
/// #[agent]
/// async fn greet(name: String) -> String {
///     format!("Hello, {name}!")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let server = TestServer::builder().agents([greet::DEFINITION]).start().await.unwrap();
/// let answer = server.call("greet", json!({"name": "Ada"})).await.unwrap();
/// assert_eq!(answer.text(), "Hello, Ada!");
/// assert_eq!(answer.usage().calls, 1);
/// server.close().await;
/// # }
/// ```
pub struct TestServer {
    server: AgentServer,
    client: RunningService<RoleClient, ()>,
    era: Era,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("identity", self.server.identity())
            .field("era", &self.era)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// A test server serving every agent, prompt and resource registered in
    /// the test binary, unless the builder chooses some.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder {
            agents: None,
            prompts: Vec::new(),
            resources: Vec::new(),
            era: Era::default(),
            identity: ServerIdentity::new("agentwire-test", env!("CARGO_PKG_VERSION")),
            budget: Budget::SERVER_DEFAULT,
            models: None,
            remotes: BTreeMap::new(),
        }
    }

    /// A test server for `agents`, with the defaults.
    pub async fn serving(
        agents: impl IntoIterator<Item = &'static AgentDefinition>,
    ) -> Result<TestServer, StartError> {
        TestServer::builder().agents(agents).start().await
    }

    /// The server.
    pub fn server(&self) -> &AgentServer {
        &self.server
    }

    /// The MCP client, for requests the helpers do not cover.
    pub fn client(&self) -> &Peer<RoleClient> {
        self.client.peer()
    }

    /// The protocol era the client speaks.
    pub fn era(&self) -> Era {
        self.era
    }

    /// Calls the tool `name` with `arguments` (a JSON object), under the
    /// server's own budget. An agent's failure is an `Ok` outcome whose
    /// [`error`](ToolOutcome::error) says why; `Err` is a protocol error
    /// (an unknown tool, arguments that are not an object).
    pub async fn call(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<ToolOutcome, rmcp::ServiceError> {
        self.call_with(name, arguments, None).await
    }

    /// Calls the tool `name` granting it `budget`, as a caller would in
    /// `_meta["dev.agentwire/budget"]`.
    pub async fn call_with_budget(
        &self,
        name: &str,
        arguments: Value,
        budget: Budget,
    ) -> Result<ToolOutcome, rmcp::ServiceError> {
        self.call_with(name, arguments, Some(budget)).await
    }

    async fn call_with(
        &self,
        name: &str,
        arguments: Value,
        grant: Option<Budget>,
    ) -> Result<ToolOutcome, rmcp::ServiceError> {
        let mut params = CallToolRequestParams::new(name.to_owned());
        params.arguments = Some(object(arguments)?);
        if let Some(grant) = grant {
            let mut meta = RequestMetaObject::new();
            meta.insert(BUDGET_KEY.into(), grant_value(&grant));
            params.meta = Some(meta);
        }
        let result = self.client().call_tool(params).await?;
        Ok(ToolOutcome::new(result))
    }

    /// Every tool the server lists.
    pub async fn tools(&self) -> Result<Vec<Tool>, rmcp::ServiceError> {
        self.client().list_all_tools().await
    }

    /// Gets the prompt `name` with `arguments` (a JSON object of strings).
    pub async fn prompt(
        &self,
        name: &str,
        arguments: Value,
    ) -> Result<GetPromptResult, rmcp::ServiceError> {
        let mut params = GetPromptRequestParams::new(name.to_owned());
        params.arguments = Some(object(arguments)?);
        self.client().get_prompt(params).await
    }

    /// Reads the resource at `uri`.
    pub async fn read(&self, uri: &str) -> Result<ReadResourceResult, rmcp::ServiceError> {
        self.client()
            .read_resource(ReadResourceRequestParams::new(uri.to_owned()))
            .await
    }

    /// Closes the client, the server's connections to other servers, and
    /// stops its workflow runs.
    pub async fn close(self) {
        let _ = self.client.cancel().await;
        self.server.close_connections().await;
        if let Some(backend) = self.server.workflow_backend() {
            backend.shutdown();
        }
    }
}

/// `value` as the JSON object MCP wants for arguments (`null` is empty).
fn object(value: Value) -> Result<rmcp::model::JsonObject, rmcp::ServiceError> {
    match value {
        Value::Object(object) => Ok(object),
        Value::Null => Ok(Default::default()),
        other => Err(rmcp::ServiceError::McpError(
            rmcp::ErrorData::invalid_params(
                format!("arguments must be a JSON object, not {other}"),
                None,
            ),
        )),
    }
}
