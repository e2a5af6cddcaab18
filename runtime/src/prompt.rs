//! Prompts: what `#[prompt]` records, what a prompt function may return,
//! and how both become MCP prompts and `prompts/get` results.

use std::future::Future;
use std::pin::Pin;

use rmcp::model::{JsonObject, Prompt, PromptArgument};

use crate::completion::Completer;
use crate::content::Content;
use crate::context::AgentContext;
use crate::definition::{InvokeError, ParamDefinition, SourceLocation};
use crate::icon::icons;

/// What rendering a prompt produces: its messages, or why there are none.
pub type PromptFuture =
    Pin<Box<dyn Future<Output = Result<Vec<PromptMessage>, InvokeError>> + Send>>;

/// One prompt, as declared by `#[prompt]`.
pub struct PromptDefinition {
    /// The MCP prompt name.
    pub name: &'static str,
    pub title: Option<&'static str>,
    pub description: Option<&'static str>,
    /// Icon URLs (or `data:` URIs).
    pub icons: &'static [&'static str],
    /// The prompt's arguments, in declaration order.
    pub params: &'static [ParamDefinition],
    /// Suggests argument values (`completion/complete`).
    pub complete: Option<Completer>,
    /// Renders the prompt; the object holds the arguments as strings.
    pub render: fn(AgentContext, JsonObject) -> PromptFuture,
    /// Where the prompt is defined, for error messages.
    pub location: SourceLocation,
}

/// The value `#[prompt]` submits to `inventory`.
pub struct PromptEntry(pub &'static PromptDefinition);

inventory::collect!(PromptEntry);

impl PromptDefinition {
    /// The MCP prompt, as `prompts/list` shows it.
    pub fn prompt(&self) -> Prompt {
        let arguments: Vec<PromptArgument> = self
            .params
            .iter()
            .map(|param| {
                let mut argument =
                    PromptArgument::new(param.name).with_required((param.required)());
                argument.description = param.description.map(str::to_owned);
                argument
            })
            .collect();
        let mut prompt = Prompt::new(
            self.name,
            self.description,
            (!arguments.is_empty()).then_some(arguments),
        );
        prompt.title = self.title.map(str::to_owned);
        prompt.icons = icons(self.icons);
        prompt
    }
}

/// Who says a prompt message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The person using the client.
    User,
    /// The model.
    Assistant,
}

impl Role {
    pub(crate) fn to_rmcp(self) -> rmcp::model::Role {
        match self {
            Role::User => rmcp::model::Role::User,
            Role::Assistant => rmcp::model::Role::Assistant,
        }
    }

    pub(crate) fn from_rmcp(role: &rmcp::model::Role) -> Self {
        match role {
            rmcp::model::Role::User => Role::User,
            rmcp::model::Role::Assistant => Role::Assistant,
        }
    }
}

/// One message of a rendered prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptMessage {
    pub role: Role,
    pub content: Content,
}

impl PromptMessage {
    /// A message from the user.
    pub fn user(content: impl Into<Content>) -> Self {
        PromptMessage {
            role: Role::User,
            content: content.into(),
        }
    }

    /// A message from the model.
    pub fn assistant(content: impl Into<Content>) -> Self {
        PromptMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }

    pub(crate) fn into_rmcp(self) -> rmcp::model::PromptMessage {
        rmcp::model::PromptMessage::new(self.role.to_rmcp(), self.content.0)
    }
}

/// A value a prompt function can return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the messages of a prompt",
    label = "a prompt returns `String`, `Content`, `PromptMessage` or `Vec<PromptMessage>`",
    note = "a `String` or a `Content` becomes one message from the user"
)]
pub trait IntoPromptMessages {
    /// The messages, in order.
    fn into_prompt_messages(self) -> Vec<PromptMessage>;
}

impl IntoPromptMessages for String {
    fn into_prompt_messages(self) -> Vec<PromptMessage> {
        vec![PromptMessage::user(self)]
    }
}

impl IntoPromptMessages for &'static str {
    fn into_prompt_messages(self) -> Vec<PromptMessage> {
        vec![PromptMessage::user(self)]
    }
}

impl IntoPromptMessages for Content {
    fn into_prompt_messages(self) -> Vec<PromptMessage> {
        vec![PromptMessage::user(self)]
    }
}

impl IntoPromptMessages for PromptMessage {
    fn into_prompt_messages(self) -> Vec<PromptMessage> {
        vec![self]
    }
}

impl IntoPromptMessages for Vec<PromptMessage> {
    fn into_prompt_messages(self) -> Vec<PromptMessage> {
        self
    }
}
