//! Messages as MCP prompts and sampling carry them: who says what, and what
//! a prompt function may return.

use serde::{Deserialize, Serialize};

use crate::mcp::content::Content;

/// Who says a message: in a prompt, a sampling request, or a conversation
/// with a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// Who speaks: the user or the assistant.
    pub role: Role,
    /// What is said.
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
