//! Prompts and resources: listing them, rendering a prompt, reading a
//! resource (each a round that may ask the client for input), and
//! completing their arguments.

use rmcp::ErrorData;
use rmcp::model::{
    CompleteRequestParams, CompleteResult, GetPromptRequestParams, GetPromptResponse,
    GetPromptResult, JsonObject, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ReadResourceResult, Reference,
};
use rmcp::service::{RequestContext, RoleServer};
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use super::AgentServer;
use super::caller::principal_of;
use crate::agent::execution::guarded;
use crate::agent::{AgentContext, Failure, Principal, Subject};
use crate::budget::Scope;
use crate::mcp::channel::ClientChannel;
use crate::mcp::completion::{CompletionError, CompletionRequest, complete};
use crate::mcp::round_trip::Round;
use crate::mcp::uri_template::MAX_URI_BYTES;
use crate::mcp::{PromptMessage, ResourceContent};
use crate::prompt::PromptDefinition;
use crate::resource::ResourceDefinition;

impl AgentServer {
    /// The root context of a prompt or resource called `name`, under the
    /// server's default budget.
    fn handler_context(
        &self,
        name: &'static str,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
        principal: Option<Arc<Principal>>,
    ) -> Result<AgentContext, Failure> {
        let host = self.shared.host.clone();
        let scope = Scope::root(name, host.default_budget()).map_err(|exceeded| {
            let message = format!("`{name}` cannot start");
            Failure::out_of_budget(Subject::agent(name), message, exceeded, name.to_owned())
        })?;
        Ok(AgentContext::root(
            name,
            cancellation,
            client,
            scope,
            host,
            principal,
        ))
    }

    /// Renders the prompt `definition` with `arguments`.
    pub(crate) async fn render_prompt(
        &self,
        definition: &'static PromptDefinition,
        arguments: JsonObject,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
        principal: Option<Arc<Principal>>,
    ) -> Result<Vec<PromptMessage>, Failure> {
        let ctx = self.handler_context(definition.name, cancellation, client, principal)?;
        let outcome = guarded(&ctx, (definition.render)(ctx.clone(), arguments)).await;
        Failure::check(Subject::new("prompt", definition.name), outcome, || None)
    }

    /// Reads the resource `definition` with its template `variables`.
    pub(crate) async fn read_contents(
        &self,
        definition: &'static ResourceDefinition,
        variables: JsonObject,
        cancellation: CancellationToken,
        client: Option<ClientChannel>,
        principal: Option<Arc<Principal>>,
    ) -> Result<Vec<ResourceContent>, Failure> {
        let ctx = self.handler_context(definition.name, cancellation, client, principal)?;
        let outcome = guarded(&ctx, (definition.read)(ctx.clone(), variables)).await;
        Failure::check(Subject::new("resource", definition.name), outcome, || None)
    }

    pub(super) async fn serve_list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(
            self.shared.registry.prompts().collect(),
        ))
    }

    pub(super) async fn serve_get_prompt(
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
                    let principal = principal_of(&context);
                    self.render_prompt(
                        definition,
                        arguments,
                        context.ct.clone(),
                        Some(client),
                        principal,
                    )
                },
            )
            .await?;
        let messages = match round {
            Round::Done(outcome) => outcome.map_err(into_error)?,
            Round::Unsupported(required, Err(_)) => {
                return Err(ErrorData::missing_required_client_capability(required));
            }
            Round::Unsupported(_, Ok(messages)) => messages,
            Round::InputRequired(input) => return Ok(input.into()),
        };
        let messages = messages.into_iter().map(PromptMessage::into_rmcp).collect();
        let mut result = GetPromptResult::new(messages);
        result.description = definition.description.map(str::to_owned);
        Ok(result.into())
    }

    pub(super) async fn serve_list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(
            self.shared.registry.resources().collect(),
        ))
    }

    pub(super) async fn serve_list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            self.shared.registry.resource_templates().collect(),
        ))
    }

    pub(super) async fn serve_read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        check_uri_length(&uri)?;
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
                    let principal = principal_of(&context);
                    self.read_contents(
                        definition,
                        variables,
                        context.ct.clone(),
                        Some(client),
                        principal,
                    )
                },
            )
            .await?;
        let contents = match round {
            Round::Done(outcome) => outcome.map_err(into_error)?,
            Round::Unsupported(required, Err(_)) => {
                return Err(ErrorData::missing_required_client_capability(required));
            }
            Round::Unsupported(_, Ok(contents)) => contents,
            Round::InputRequired(input) => return Ok(input.into()),
        };
        let contents = contents
            .into_iter()
            .map(|content| content.into_rmcp(uri.clone(), definition.mime_type))
            .collect();
        Ok(ReadResourceResult::new(contents).into())
    }

    pub(super) async fn serve_complete(
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
}

/// The JSON-RPC error of a prompt or resource that produced no value: bad
/// arguments are the client's fault (-32602), anything else the server's.
fn into_error(failure: Failure) -> ErrorData {
    if failure.is_invalid_arguments() {
        ErrorData::invalid_params(failure.message(), None)
    } else {
        ErrorData::internal_error(failure.message(), None)
    }
}

/// Refuses a URI longer than templates are matched against, with a clear
/// error rather than a "not found" that hides why.
pub(super) fn check_uri_length(uri: &str) -> Result<(), ErrorData> {
    if uri.len() <= MAX_URI_BYTES {
        return Ok(());
    }
    Err(ErrorData::invalid_params(
        format!(
            "the URI is {} bytes long; this server reads URIs of at most {MAX_URI_BYTES} bytes",
            uri.len()
        ),
        None,
    ))
}
