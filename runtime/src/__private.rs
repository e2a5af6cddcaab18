//! What the code `#[agent]` generates uses, and nothing else should.
//!
//! The wrappers here carry the trait bounds with user-facing messages, so a
//! parameter or return type that does not fit is reported at that type.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use ::inventory;
pub use rmcp::model::JsonObject;

pub use crate::arguments::ArgumentError;
pub use crate::call::{CallError, call_local};
pub use crate::context::AgentContext;
pub use crate::definition::{
    AgentDefinition, AgentEntry, AnnotationFlags, InvokeFuture, ParamDefinition, SourceLocation,
};
pub use crate::output::IntoAgentResult;

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

pub fn param_is_required<T: AgentParameter>() -> bool {
    crate::arguments::param_is_required::<T>()
}

pub fn take_argument<T: AgentParameter>(
    args: &mut JsonObject,
    name: &'static str,
) -> Result<T, ArgumentError> {
    crate::arguments::take_argument(args, name)
}

pub fn output_schema<T: AgentOutput>() -> Option<JsonObject> {
    crate::schema::output_schema::<T>()
}

pub fn finish_invocation<R>(result: R) -> Result<serde_json::Value, crate::definition::InvokeError>
where
    R: IntoAgentResult,
    R::Output: AgentOutput,
{
    crate::output::finish_invocation(result)
}
