//! `tools/list` and `tools/call`: the request's SERVER span and metrics,
//! the budget grant, and the way to the agent, the workflow or the
//! `workflows-*` tool the name stands for.

use std::time::Instant;

use rmcp::ErrorData;
use rmcp::model::{CallToolRequestParams, CallToolResponse, CallToolResult, ErrorCode, JsonObject};
use rmcp::service::{RequestContext, RoleServer};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use std::sync::Arc;

use super::caller::principal_of;
use super::{AgentServer, tasks, workflow_tools};
use crate::agent::execution::invoke;
use crate::agent::output::error_result;
use crate::agent::{AgentContext, AgentDefinition, Failure, Principal, Subject, TaskSupport};
use crate::budget::{Budget, Scope, Usage};
use crate::mcp::channel::ClientChannel;
use crate::mcp::meta::{ERROR_KEY, USAGE_KEY, budget_error_value, read_grant};
use crate::mcp::round_trip::Round;
use crate::quota::{QuotaExceeded, Quotas};
use crate::telemetry::{ErrorType, record_operation, set_parent_from, spans};

impl AgentServer {
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
            let registry = &self.shared.registry;
            return workflow_tools::call(workflows, registry, tool, arguments, grant, None).await;
        };
        if let Some(workflows) = &self.shared.workflows
            && definition.is_workflow()
        {
            let response = tasks::call_workflow(
                workflows,
                definition,
                arguments,
                grant,
                false,
                cancellation,
                None,
            )
            .await;
            return Some(match response {
                Ok(CallToolResponse::Complete(result)) => result,
                Ok(_) => error_result("the run could not be followed"),
                Err(error) => error_result(error.message),
            });
        }
        Some(
            self.run(definition, arguments, grant, cancellation, None, None)
                .await,
        )
    }

    /// `tools/call`: the request under its SERVER span (joined to the
    /// caller's trace), with its outcome on the span and the metrics.
    pub(super) async fn call_tool_traced(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        // Waits (bounded) or is refused before any work (and any span) when
        // too many run already.
        let _permit = self.calls.enter(&context.ct).await?;
        let started = Instant::now();
        let span = server_span(&request, &context);
        let tool = request.name.clone();
        let outcome = self
            .serve_call(request, context)
            .instrument(span.clone())
            .await;
        let error_type = error_type(&outcome);
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

    /// `tools/call` under the request's SERVER span.
    async fn serve_call(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = principal_of(&context);
        if let Some(principal) = &caller {
            record_principal(&tracing::Span::current(), principal);
        }
        let Some(definition) = self.shared.registry.get(&request.name) else {
            return self.serve_management_tool(request, &context).await;
        };
        let grant = grant(&context)?;
        let arguments = request.arguments.unwrap_or_default();
        if spans::capture_content() {
            let text = serde_json::to_string(&arguments).unwrap_or_default();
            tracing::Span::current().record("gen_ai.tool.call.arguments", text);
        }
        if definition.task != TaskSupport::Never && !definition.is_workflow() {
            if tasks::client_has_tasks(&context) {
                let answers = (
                    request.request_state.as_deref(),
                    request.input_responses.as_ref(),
                );
                return self
                    .call_as_task(definition, arguments, grant, &context, answers)
                    .await;
            }
            if definition.task == TaskSupport::Required {
                return Err(tasks::tasks_required());
            }
        }
        if let Some(workflows) = &self.shared.workflows
            && definition.is_workflow()
        {
            let client_has_tasks = tasks::client_has_tasks(&context);
            if !client_has_tasks && definition.task == TaskSupport::Required {
                return Err(tasks::tasks_required());
            }
            return tasks::call_workflow(
                workflows,
                definition,
                arguments,
                grant,
                client_has_tasks,
                context.ct.clone(),
                caller.as_deref(),
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
                        caller.clone(),
                    )
                },
            )
            .await?;
        Ok(match round {
            Round::Done(result) => result.into(),
            // A tool that failed after asking for something the client did
            // not declare it can do failed for want of that capability.
            Round::Unsupported(required, result) if result.is_error == Some(true) => {
                return Err(ErrorData::missing_required_client_capability(required));
            }
            Round::Unsupported(_, result) => result.into(),
            Round::InputRequired(input) => input.into(),
        })
    }

    /// A tool that is no agent: one of the `workflows-*` tools when this
    /// server has workflows, otherwise unknown (JSON-RPC -32602).
    async fn serve_management_tool(
        &self,
        request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if let Some(workflows) = &self.shared.workflows {
            let grant = grant(context)?;
            let arguments = request.arguments.clone().unwrap_or_default();
            let registry = &self.shared.registry;
            let caller = principal_of(context);
            let caller = caller.as_deref();
            if let Some(result) =
                workflow_tools::call(workflows, registry, &request.name, arguments, grant, caller)
                    .await
            {
                return Ok(result.into());
            }
        }
        Err(ErrorData::invalid_params(
            format!("unknown tool `{}`", request.name),
            None,
        ))
    }

    /// Runs the agent `definition` under the tightest of the server's
    /// default budget, its policy and the caller's grant.
    pub(super) async fn run(
        &self,
        definition: &'static AgentDefinition,
        arguments: JsonObject,
        grant: Option<Budget>,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
        principal: Option<Arc<Principal>>,
    ) -> CallToolResult {
        let host = self.shared.host.clone();
        let mut limits = host
            .default_budget()
            .min(definition.policy)
            .min(grant.unwrap_or(Budget::UNLIMITED));
        // A caller's quotas narrow the call, and are charged what it used.
        let quotas = principal.clone().zip(host.get::<Quotas>());
        if let Some((principal, quotas)) = &quotas {
            match quotas.remaining(principal) {
                Ok(left) => limits = limits.min(left),
                Err(over) => return over_quota(&over, definition.name),
            }
        }
        let result = self
            .run_within(
                definition,
                arguments,
                limits,
                cancellation,
                client,
                principal,
            )
            .await;
        if let Some((principal, quotas)) = &quotas {
            let used = result
                .meta
                .as_ref()
                .and_then(|meta| meta.get(USAGE_KEY))
                .and_then(|usage| serde_json::from_value::<Usage>(usage.clone()).ok())
                .unwrap_or_default();
            quotas.charge(principal, &used);
        }
        result
    }

    /// Runs the agent `definition` within `limits`.
    async fn run_within(
        &self,
        definition: &'static AgentDefinition,
        arguments: JsonObject,
        limits: Budget,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
        principal: Option<Arc<Principal>>,
    ) -> CallToolResult {
        let host = self.shared.host.clone();
        match Scope::root(definition.name, limits) {
            Ok(scope) => {
                // A 2026-era round goes on from what the earlier ones spent.
                if let Some(round_trip) = client.as_ref().and_then(|c| c.round_trip.as_ref()) {
                    round_trip.carry_usage(&scope);
                }
                let ctx = AgentContext::root(
                    definition.name,
                    cancellation,
                    client,
                    scope,
                    host,
                    principal,
                );
                invoke(definition, ctx, arguments).await
            }
            Err(exceeded) => {
                let subject = Subject::agent(definition.name);
                let message = format!("`{}` cannot start", definition.name);
                let at = definition.name.to_owned();
                let failure = Failure::out_of_budget(subject, message, exceeded, at);
                let mut result = failure.into_tool_result();
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

/// The answer to a caller over quota: a budget that ran out, naming the
/// quota.
fn over_quota(over: &QuotaExceeded, agent: &str) -> CallToolResult {
    let mut result = error_result(format!("`{agent}` cannot start: {over}"));
    let mut error = budget_error_value(&over.exceeded, agent);
    error["quota"] = over.quota.clone().into();
    let meta = result.meta.get_or_insert_with(Default::default);
    meta.insert(ERROR_KEY.into(), error);
    let nothing = serde_json::to_value(Usage::default()).unwrap_or_default();
    meta.insert(USAGE_KEY.into(), nothing);
    result
}

/// The SERVER span of a `tools/call`, a child of the caller's span when the
/// request's `_meta` carries a trace context.
fn server_span(
    request: &CallToolRequestParams,
    context: &RequestContext<RoleServer>,
) -> tracing::Span {
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
    span
}

/// Puts who called on the SERVER span: the subject (`enduser.id`) and the
/// OAuth client (`oauth.client.id`); scopes stay out of traces.
fn record_principal(span: &tracing::Span, principal: &Principal) {
    span.record("enduser.id", principal.subject.as_str());
    if let Some(client) = &principal.client_id {
        span.record("oauth.client.id", client.as_str());
    }
}

/// The budget the caller grants in `_meta`; a malformed grant is the
/// client's fault (JSON-RPC -32602).
fn grant(context: &RequestContext<RoleServer>) -> Result<Option<Budget>, ErrorData> {
    read_grant(&context.meta)
        .map_err(|invalid| ErrorData::invalid_params(invalid.to_string(), None))
}

/// The `error.type` of a `tools/call` outcome.
fn error_type(outcome: &Result<CallToolResponse, ErrorData>) -> Option<ErrorType> {
    match outcome {
        Ok(CallToolResponse::Complete(result)) if result.is_error == Some(true) => {
            let budget = result
                .meta
                .as_ref()
                .is_some_and(|meta| meta.contains_key(ERROR_KEY));
            Some(if budget {
                ErrorType::BudgetExceeded
            } else {
                ErrorType::ToolError
            })
        }
        Ok(_) => None,
        Err(error) if error.code == ErrorCode::INVALID_PARAMS => Some(ErrorType::InvalidParams),
        Err(_) => Some(ErrorType::InternalError),
    }
}
