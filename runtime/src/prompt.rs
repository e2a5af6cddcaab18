//! Prompts: what `#[prompt]` records, what a prompt function may return,
//! and how both become MCP prompts and `prompts/get` results.

use std::future::Future;
use std::pin::Pin;

use rmcp::model::{JsonObject, Prompt, PromptArgument};

use crate::agent::context::AgentContext;
use crate::agent::{InvokeError, SourceLocation};
use crate::mcp::completion::Completer;
use crate::mcp::icon::icons;
use crate::mcp::message::PromptMessage;
use crate::schema::ParamDefinition;

/// What rendering a prompt produces: its messages, or why there are none.
pub type PromptFuture =
    Pin<Box<dyn Future<Output = Result<Vec<PromptMessage>, InvokeError>> + Send>>;

/// One prompt, as declared by `#[prompt]`.
pub struct PromptDefinition {
    /// The MCP prompt name.
    pub name: &'static str,
    /// The prompt's title, for people.
    pub title: Option<&'static str>,
    /// The prompt's description (the function's doc comment unless overridden).
    pub description: Option<&'static str>,
    /// Icon URLs (or `data:` URIs).
    pub icons: &'static [&'static str],
    /// The OAuth scopes a caller's token must grant (`scopes = [...]`);
    /// checked by an HTTP server with `[auth]`, refused with `403
    /// insufficient_scope` naming them.
    pub scopes: &'static [&'static str],
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
