//! The protocol's vocabulary and its plumbing: content, messages and roles,
//! resource contents, icons, URI templates, the `_meta` keys of agentwire's
//! wire contract, the way back to the client, and the questions a server
//! asks it (elicitation, sampling and its roots) in either protocol era.
//!
//! Nothing here knows about agents: this layer sits just above the budget,
//! schema and telemetry vocabulary and below everything that runs code.

pub(crate) mod channel;
pub(crate) mod client_request;
pub(crate) mod completion;
pub(crate) mod content;
pub(crate) mod elicitation;
pub(crate) mod icon;
pub(crate) mod logging;
pub(crate) mod message;
pub mod meta;
pub(crate) mod oauth;
pub(crate) mod resource_content;
pub(crate) mod roots;
pub(crate) mod round_trip;
pub(crate) mod sampling;
pub(crate) mod uri_template;

pub use client_request::ClientRequestError;
pub use completion::CompletionRequest;
pub use content::Content;
pub use elicitation::{ElicitForm, Elicitation, form_schema_json};
pub use logging::LogLevel;
pub use message::{IntoPromptMessages, PromptMessage, Role};
pub use resource_content::{IntoResourceContents, ResourceContent};
pub use roots::Root;
pub use sampling::{Sampled, SamplingRequest};
