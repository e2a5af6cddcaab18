//! The arguments of `#[agent(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

use crate::attr_parse::{flag_value, path_text, push, skip_expression, string_value};
use crate::tool_name;

/// Every key `#[agent(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str = "`name`, `title`, `description`, `icon`, `read_only`, `destructive`, \
     `idempotent`, `open_world`, `deny_unknown_arguments`, `budget(...)`, `calls = [...]`, \
     `recursive`, `remote = \"...\"`";

/// Every key of `budget(...)`.
const BUDGET_KEYS: &str = "`time`, `tokens`, `cost`, `depth`, `calls`";

/// What the user wrote inside `#[agent(...)]`.
#[derive(Default)]
pub struct AgentAttributes {
    /// The MCP tool name; the function's name when absent.
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    /// Replaces the doc comment as the tool description.
    pub description: Option<LitStr>,
    pub read_only: Option<LitBool>,
    pub destructive: Option<LitBool>,
    pub idempotent: Option<LitBool>,
    pub open_world: Option<LitBool>,
    /// Icon URLs; the key may be repeated.
    pub icons: Vec<LitStr>,
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
}

/// `budget(time = "30s", tokens = 20_000, cost = "$0.50", depth = 3, calls = 50)`.
#[derive(Default)]
pub struct BudgetPolicy {
    pub time: Option<LitStr>,
    pub tokens: Option<syn::LitInt>,
    pub cost: Option<LitStr>,
    pub depth: Option<syn::LitInt>,
    pub calls: Option<syn::LitInt>,
}

impl AgentAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut attrs = AgentAttributes::default();
        let mut errors: Option<syn::Error> = None;
        let parser = syn::meta::parser(|meta| {
            if let Err(e) = attrs.parse_one(&meta) {
                push(&mut errors, e);
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        if let Some(name) = &attrs.name
            && let Some(problem) = tool_name::problem(&name.value())
        {
            push(&mut errors, syn::Error::new(name.span(), problem));
        }
        match errors {
            Some(e) => Err(e),
            None => Ok(attrs),
        }
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "name" => set(&mut self.name, meta, string_value(meta)?),
            "title" => set(&mut self.title, meta, string_value(meta)?),
            "description" => set(&mut self.description, meta, string_value(meta)?),
            "read_only" => set(&mut self.read_only, meta, flag_value(meta)?),
            "destructive" => set(&mut self.destructive, meta, flag_value(meta)?),
            "idempotent" => set(&mut self.idempotent, meta, flag_value(meta)?),
            "open_world" => set(&mut self.open_world, meta, flag_value(meta)?),
            "icon" => {
                self.icons.push(string_value(meta)?);
                Ok(())
            }
            "deny_unknown_arguments" => {
                set(&mut self.deny_unknown_arguments, meta, flag_value(meta)?)
            }
            "recursive" => set(&mut self.recursive, meta, flag_value(meta)?),
            "remote" => set(&mut self.remote, meta, string_value(meta)?),
            "calls" => set(&mut self.calls, meta, callee_list(meta)?),
            "budget" => set(&mut self.budget, meta, BudgetPolicy::parse(meta, "agent")?),
            _ => {
                // Skip whatever value follows so that one unknown key does not
                // hide the errors in the keys after it.
                if meta.input.peek(syn::Token![=]) {
                    let _: syn::Expr = meta.value()?.parse()?;
                } else if meta.input.peek(syn::token::Paren) {
                    meta.parse_nested_meta(|_| Ok(()))?;
                }
                Err(meta.error(format!(
                    "unknown `#[agent]` argument `{}`; the known ones are {KNOWN_KEYS}",
                    path_text(&meta.path)
                )))
            }
        }
    }
}

impl BudgetPolicy {
    /// Reads the list after `budget`; `attr` names the attribute, for messages.
    pub(crate) fn parse(meta: &ParseNestedMeta, attr: &str) -> syn::Result<Self> {
        if !meta.input.peek(syn::token::Paren) {
            return Err(meta.error(
                "`budget` takes a list of limits: `budget(time = \"30s\", tokens = 20_000, \
                 cost = \"$0.50\", depth = 3, calls = 50)`",
            ));
        }
        let mut policy = BudgetPolicy::default();
        let mut errors = None;
        meta.parse_nested_meta(|inner| {
            if let Err(e) = policy.parse_one(&inner, attr) {
                push(&mut errors, e);
            }
            Ok(())
        })?;
        match errors {
            Some(e) => Err(e),
            None => Ok(policy),
        }
    }

    fn parse_one(&mut self, inner: &ParseNestedMeta, attr: &str) -> syn::Result<()> {
        let key = inner
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match key.as_str() {
            "time" => crate::attr_parse::set(&mut self.time, inner, string_value(inner)?, attr),
            "cost" => crate::attr_parse::set(&mut self.cost, inner, string_value(inner)?, attr),
            "tokens" => crate::attr_parse::set(&mut self.tokens, inner, integer_value(inner)?, attr),
            "depth" => crate::attr_parse::set(&mut self.depth, inner, integer_value(inner)?, attr),
            "calls" => crate::attr_parse::set(&mut self.calls, inner, integer_value(inner)?, attr),
            _ => {
                // Skip the value so the limits after it are still read.
                if inner.input.peek(syn::Token![=]) {
                    let _: syn::Expr = inner.value()?.parse()?;
                }
                Err(inner.error(format!(
                    "unknown budget limit `{}`; the limits are {BUDGET_KEYS}",
                    path_text(&inner.path)
                )))
            }
        }
    }
}

pub(crate) fn integer_value(meta: &ParseNestedMeta) -> syn::Result<syn::LitInt> {
    let key = path_text(&meta.path);
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("`{key}` needs a value: `{key} = 10`")))?;
    value.parse::<syn::LitInt>().map_err(|e| {
        skip_expression(value);
        syn::Error::new(
            e.span(),
            format!("`{key}` takes a whole number, such as `{key} = 10`"),
        )
    })
}

/// `calls = [a, b::c]`.
pub(crate) fn callee_list(meta: &ParseNestedMeta) -> syn::Result<Vec<syn::Path>> {
    let value = meta
        .value()
        .map_err(|_| meta.error("`calls` lists the agents this one calls: `calls = [a, b]`"))?;
    let content;
    syn::bracketed!(content in value);
    let paths = content.parse_terminated(syn::Path::parse_mod_style, syn::Token![,])?;
    Ok(paths.into_iter().collect())
}

fn set<T>(slot: &mut Option<T>, meta: &ParseNestedMeta, value: T) -> syn::Result<()> {
    crate::attr_parse::set(slot, meta, value, "agent")
}
