//! The arguments of `#[agent(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

use super::budget::BudgetPolicy;
use super::tool::ToolKeys;
use super::{key, read_args, set, unknown_key, value};
use crate::internals::ctxt::Ctxt;

const ATTR: &str = "agent";

/// What the user wrote inside `#[agent(...)]`.
#[derive(Default)]
pub struct AgentAttributes {
    pub tool: ToolKeys,
    /// Refuse arguments the agent does not take.
    pub deny_unknown_arguments: Option<LitBool>,
    /// `budget(...)`: the agent's own limits.
    pub budget: Option<BudgetPolicy>,
    /// `calls = [a, b]`: the agents this one may call.
    pub calls: Option<Vec<syn::Path>>,
    /// `recursive`: the agent may take part in a cycle of calls.
    pub recursive: Option<LitBool>,
    /// `remote = "server"`: a bodiless declaration of a tool on that server.
    pub remote: Option<LitStr>,
    /// `input_constraints = path`: a `fn() -> serde_json::Value` whose
    /// keywords constrain the arguments together in the input schema.
    pub input_constraints: Option<syn::Path>,
    /// `task = "optional" | "required"`: calls may (or must) become MCP tasks.
    pub task: Option<LitStr>,
}

impl AgentAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        Ctxt::collect(|cx| {
            let mut attrs = AgentAttributes::default();
            read_args(cx, args, |meta| attrs.parse_one(meta));
            attrs.tool.check(cx);
            Some(attrs)
        })
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = key(meta);
        if let Some(read) = self.tool.read(&key, meta, ATTR) {
            return read;
        }
        match key.as_str() {
            "deny_unknown_arguments" => set(
                &mut self.deny_unknown_arguments,
                meta,
                value::flag(meta)?,
                ATTR,
            ),
            "recursive" => set(&mut self.recursive, meta, value::flag(meta)?, ATTR),
            "remote" => set(&mut self.remote, meta, value::string(meta)?, ATTR),
            "calls" => set(&mut self.calls, meta, value::callees(meta)?, ATTR),
            "task" => {
                let mode = value::string(meta)?;
                if !matches!(mode.value().as_str(), "optional" | "required") {
                    return Err(syn::Error::new_spanned(
                        &mode,
                        "`task` is \"optional\" (a task for clients that take tasks) or \
                         \"required\" (only as a task)",
                    ));
                }
                set(&mut self.task, meta, mode, ATTR)
            }
            "input_constraints" => set(
                &mut self.input_constraints,
                meta,
                value::path(meta, "my_constraints")?,
                ATTR,
            ),
            "budget" => set(
                &mut self.budget,
                meta,
                BudgetPolicy::parse(meta, ATTR)?,
                ATTR,
            ),
            _ => Err(unknown_key(meta, ATTR, &known_keys())),
        }
    }
}

/// Every key `#[agent(...)]` understands, for the "unknown key" message.
fn known_keys() -> String {
    format!(
        "{}, `deny_unknown_arguments`, `input_constraints = ...`, `task = \"...\"`, \
         `budget(...)`, `calls = [...]`, `recursive`, `remote = \"...\"`",
        ToolKeys::KNOWN
    )
}
