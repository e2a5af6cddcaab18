//! What the code `#[agent]` generates uses, and nothing else should.
//!
//! The wrappers here carry the trait bounds with user-facing messages, so a
//! parameter or return type that does not fit is reported at that type.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::agent::InvokeError;
use crate::mcp::{PromptMessage, ResourceContent};

pub use crate::__agent_span as agent_span;
pub use ::inventory;
pub use ::tracing;
pub use rmcp::model::JsonObject;

pub use crate::agent::output::IntoAgentResult;
pub use crate::agent::{
    AgentContext, AgentDefinition, AgentEntry, AgentKind, AgentStub, AnnotationFlags, CallError,
    CallerContext, CanCall, Declares, InvokeFuture, SourceLocation, TaskSupport, call_local,
};
pub use crate::budget::{Budget, units};
pub use crate::remote::call_remote;
pub use crate::schema::{ArgumentError, ParamDefinition};
pub use crate::workflow::{
    Journaled, RetryPolicy, WorkflowCaller, WorkflowContext, WorkflowDeclares, WorkflowDefinition,
};
pub use futures::future::BoxFuture;

/// A type an agent can take as a parameter.
#[diagnostic::on_unimplemented(
    message = "agent parameter type `{Self}` must implement `Deserialize` and `JsonSchema`",
    label = "this type cannot be read from a tool call's JSON arguments",
    note = "the tool's input schema and argument parsing come from these traits; add \
            `#[derive(serde::Deserialize, schemars::JsonSchema)]` to the type"
)]
pub trait AgentParameter: DeserializeOwned + JsonSchema {}
impl<T: DeserializeOwned + JsonSchema> AgentParameter for T {}

/// A type an agent can return (inside `Result` or not).
#[diagnostic::on_unimplemented(
    message = "agent result type `{Self}` must implement `Serialize` and `JsonSchema`",
    label = "this type cannot be sent back as a tool result",
    note = "the tool's output schema and result come from these traits; add \
            `#[derive(serde::Serialize, schemars::JsonSchema)]` to the type"
)]
pub trait AgentOutput: Serialize + JsonSchema {}
impl<T: Serialize + JsonSchema> AgentOutput for T {}

pub fn param_schema<T: AgentParameter>(generator: &mut SchemaGenerator) -> Schema {
    crate::schema::param_schema::<T>(generator)
}

/// A type an argument sent in an HTTP header can have.
#[diagnostic::on_unimplemented(
    message = "`#[header]` parameter type `{Self}` must be a string, an integer or a `bool`",
    label = "this argument cannot travel in an HTTP header",
    note = "MCP mirrors only single primitive values in `Mcp-Param-*` headers (SEP-2243); \
            remove `#[header]` or take a `String`, an integer or a `bool`"
)]
pub trait HeaderParameter: AgentParameter {}
impl HeaderParameter for String {}
impl HeaderParameter for bool {}
impl HeaderParameter for i8 {}
impl HeaderParameter for i16 {}
impl HeaderParameter for i32 {}
impl HeaderParameter for i64 {}
impl HeaderParameter for u8 {}
impl HeaderParameter for u16 {}
impl HeaderParameter for u32 {}
impl HeaderParameter for u64 {}

pub fn header_param_schema<T: HeaderParameter>(generator: &mut SchemaGenerator) -> Schema {
    crate::schema::param_schema::<T>(generator)
}

/// `#[agent(input_constraints = f)]`: `f` gives the keywords.
pub const fn input_constraints(f: fn() -> serde_json::Value) -> fn() -> serde_json::Value {
    f
}

pub fn param_is_required<T: AgentParameter>() -> bool {
    crate::schema::arguments::param_is_required::<T>()
}

pub fn take_argument<T: AgentParameter>(
    args: &mut JsonObject,
    name: &'static str,
) -> Result<T, ArgumentError> {
    crate::schema::arguments::take_argument(args, name)
}

pub fn output_schema<T: AgentOutput>() -> Option<JsonObject> {
    crate::schema::output_schema::<T>()
}

pub fn finish_invocation<R>(result: R) -> Result<serde_json::Value, InvokeError>
where
    R: IntoAgentResult,
    R::Output: AgentOutput,
{
    crate::agent::output::finish_invocation(result)
}

/// A type a remote agent's declaration can take as a parameter.
#[diagnostic::on_unimplemented(
    message = "remote agent parameter type `{Self}` must implement `Serialize` and `JsonSchema`",
    label = "this type cannot be sent as a tool call's JSON argument",
    note = "add `#[derive(serde::Serialize, schemars::JsonSchema)]` to the type"
)]
pub trait RemoteParameter: Serialize + JsonSchema {}
impl<T: Serialize + JsonSchema> RemoteParameter for T {}

pub fn remote_param_schema<T: RemoteParameter>(generator: &mut SchemaGenerator) -> Schema {
    crate::schema::param_schema::<T>(generator)
}

/// Whether a remote parameter must be sent: not when its schema allows
/// `null`, as `Option<T>`'s does.
pub fn remote_param_is_required<T: RemoteParameter>() -> bool {
    fn allows_null(schema: &serde_json::Value) -> bool {
        let type_allows = match schema.get("type") {
            Some(serde_json::Value::String(t)) => t == "null",
            Some(serde_json::Value::Array(types)) => types.iter().any(|t| t == "null"),
            _ => false,
        };
        let alternative_allows = ["anyOf", "oneOf"].iter().any(|key| {
            schema
                .get(*key)
                .and_then(serde_json::Value::as_array)
                .is_some_and(|options| options.iter().any(allows_null))
        });
        type_allows || alternative_allows
    }
    let schema = SchemaGenerator::default().into_root_schema_for::<T>();
    !allows_null(schema.as_value())
}

/// Adds one argument of a remote call; `None` options are left out.
pub fn put_argument<T: RemoteParameter>(
    args: &mut JsonObject,
    name: &'static str,
    value: T,
    callee: &'static AgentDefinition,
) -> Result<(), CallError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Null) => Ok(()),
        Ok(value) => {
            args.insert(name.to_owned(), value);
            Ok(())
        }
        Err(error) => Err(CallError::Agent {
            agent: callee.name,
            message: format!("argument `{name}` cannot be serialized: {error}"),
        }),
    }
}

/// One argument of an agent call, to be written as JSON when its type is
/// `Serialize` (`AgentStub::json_arguments`): `(&&ArgJson(&x)).arg_json()`
/// picks [`ArgIsSerialize`] when it applies, [`ArgIsOpaque`] otherwise.
pub struct ArgJson<'a, T>(pub &'a T);

pub trait ArgIsSerialize {
    fn arg_json(&self) -> Option<serde_json::Value>;
}

impl<T: Serialize> ArgIsSerialize for &ArgJson<'_, T> {
    fn arg_json(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self.0).ok()
    }
}

pub trait ArgIsOpaque {
    fn arg_json(&self) -> Option<serde_json::Value>;
}

impl<T> ArgIsOpaque for ArgJson<'_, T> {
    fn arg_json(&self) -> Option<serde_json::Value> {
        None
    }
}

/// Adds one argument to the JSON arguments of a call, leaving out `null`
/// (an absent `Option`), as a remote call does.
pub fn put_json_argument(args: &mut JsonObject, name: &'static str, value: serde_json::Value) {
    if !value.is_null() {
        args.insert(name.to_owned(), value);
    }
}

/// The callees of an agent that declares none.
pub fn no_callees() -> &'static [&'static AgentDefinition] {
    &[]
}

/// The span of an agent that does not run here (a remote declaration).
pub fn no_span() -> tracing::Span {
    tracing::Span::none()
}

/// Finds out, at compile time, whether a plain return type is in fact a
/// `Result` under another name (`type Outcome = Result<T, E>`): agentwire
/// recognizes results by the name `Result`, so such an agent would answer
/// its errors as successes. The check warns (autoref specialization: the
/// `Result` impl is found first when it applies).
pub struct ReturnCheck<T>(std::marker::PhantomData<T>);

impl<T> ReturnCheck<T> {
    pub const fn new() -> Self {
        ReturnCheck(std::marker::PhantomData)
    }
}

impl<T> Default for ReturnCheck<T> {
    fn default() -> Self {
        Self::new()
    }
}

pub trait ReturnIsResult {
    #[deprecated(
        note = "this agent returns a `Result` under another name, which agentwire would \
                serve as a success even when it is `Err`: write the return type as \
                `Result<T, E>` (or an alias named `Result`)"
    )]
    fn check(&self) {}
}

impl<T, E> ReturnIsResult for ReturnCheck<Result<T, E>> {}

pub trait ReturnIsPlain {
    fn check(&self) {}
}

impl<T> ReturnIsPlain for &ReturnCheck<T> {}

/// The output schema of a workflow: none (see `AgentDefinition::tool`), but
/// the result type is checked like an agent's.
pub fn workflow_output_schema<T: AgentOutput>() -> Option<JsonObject> {
    None
}

/// Checks one argument of a workflow before a run is created.
pub fn check_argument<T: AgentParameter>(
    args: &JsonObject,
    name: &'static str,
) -> Result<(), ArgumentError> {
    let mut copy = JsonObject::new();
    if let Some(value) = args.get(name) {
        copy.insert(name.to_owned(), value.clone());
    }
    crate::schema::arguments::take_argument::<T>(&mut copy, name).map(drop)
}

// ---- `#[prompt]` and `#[resource]` ------------------------------------------

pub use crate::mcp::completion::{Completer, CompletionRequest};
pub use crate::mcp::uri_template::{TemplatePart, UriTemplate};
pub use crate::mcp::{IntoPromptMessages, IntoResourceContents, Role};
pub use crate::prompt::{PromptDefinition, PromptEntry, PromptFuture};
pub use crate::resource::{ResourceDefinition, ResourceEntry, ResourceFuture, ResourceUri};

/// A type a prompt can take as an argument.
#[diagnostic::on_unimplemented(
    message = "prompt argument type `{Self}` must implement `Deserialize` and `JsonSchema`",
    label = "this type cannot be read from a prompt argument",
    note = "prompt arguments arrive as text: `String`, enums of strings and numbers work; \
            add `#[derive(serde::Deserialize, schemars::JsonSchema)]` to your own types"
)]
pub trait PromptParameter: DeserializeOwned + JsonSchema {}
impl<T: DeserializeOwned + JsonSchema> PromptParameter for T {}

/// A type a resource template variable can be read into.
#[diagnostic::on_unimplemented(
    message = "URI template variable type `{Self}` must implement `Deserialize` and `JsonSchema`",
    label = "this type cannot be read from a URI template variable",
    note = "template variables arrive as text: `String`, enums of strings and numbers work; \
            add `#[derive(serde::Deserialize, schemars::JsonSchema)]` to your own types"
)]
pub trait TemplateParameter: DeserializeOwned + JsonSchema {}
impl<T: DeserializeOwned + JsonSchema> TemplateParameter for T {}

pub fn prompt_param_schema<T: PromptParameter>(generator: &mut SchemaGenerator) -> Schema {
    crate::schema::param_schema::<T>(generator)
}

pub fn prompt_param_is_required<T: PromptParameter>() -> bool {
    crate::schema::arguments::param_is_required::<T>()
}

pub fn take_prompt_argument<T: PromptParameter>(
    args: &mut JsonObject,
    name: &'static str,
) -> Result<T, ArgumentError> {
    crate::schema::arguments::take_text_argument(args, name)
}

pub fn template_param_schema<T: TemplateParameter>(generator: &mut SchemaGenerator) -> Schema {
    crate::schema::param_schema::<T>(generator)
}

pub fn template_param_is_required<T: TemplateParameter>() -> bool {
    crate::schema::arguments::param_is_required::<T>()
}

pub fn take_template_variable<T: TemplateParameter>(
    args: &mut JsonObject,
    name: &'static str,
) -> Result<T, ArgumentError> {
    crate::schema::arguments::take_text_argument(args, name)
}

/// A prompt's messages from what it returned.
pub fn prompt_messages<T: IntoPromptMessages>(value: T) -> Result<Vec<PromptMessage>, InvokeError> {
    Ok(value.into_prompt_messages())
}

/// A `Result` a prompt can return.
pub trait PromptResult {
    fn into_prompt_result(self) -> Result<Vec<PromptMessage>, InvokeError>;
}

impl<T: IntoPromptMessages, E: std::fmt::Display> PromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<Vec<PromptMessage>, InvokeError> {
        self.map(IntoPromptMessages::into_prompt_messages)
            .map_err(|e| InvokeError::Agent(format!("{e:#}")))
    }
}

/// A prompt's messages from the `Result` it returned.
pub fn prompt_messages_result<R: PromptResult>(
    value: R,
) -> Result<Vec<PromptMessage>, InvokeError> {
    value.into_prompt_result()
}

/// A resource's contents from what it returned.
pub fn resource_contents<T: IntoResourceContents>(
    value: T,
) -> Result<Vec<ResourceContent>, InvokeError> {
    Ok(value.into_resource_contents())
}

/// A `Result` a resource can return.
pub trait ResourceResult {
    fn into_resource_result(self) -> Result<Vec<ResourceContent>, InvokeError>;
}

impl<T: IntoResourceContents, E: std::fmt::Display> ResourceResult for Result<T, E> {
    fn into_resource_result(self) -> Result<Vec<ResourceContent>, InvokeError> {
        self.map(IntoResourceContents::into_resource_contents)
            .map_err(|e| InvokeError::Agent(format!("{e:#}")))
    }
}

/// A resource's contents from the `Result` it returned.
pub fn resource_contents_result<R: ResourceResult>(
    value: R,
) -> Result<Vec<ResourceContent>, InvokeError> {
    value.into_resource_result()
}
