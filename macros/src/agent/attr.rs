//! The arguments of `#[agent(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{LitBool, LitStr};

use crate::attr_parse::{self, flag_value, set, string_value, unknown_key};
use crate::tool_name;

/// Every key `#[agent(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str = "`name`, `title`, `description`, `icon`, `read_only`, `destructive`, \
                          `idempotent`, `open_world`, `deny_unknown_arguments`";

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
        const ATTR: &str = "agent";
        match key.as_str() {
            "name" => set(&mut self.name, meta, string_value(meta)?, ATTR),
            "title" => set(&mut self.title, meta, string_value(meta)?, ATTR),
            "description" => set(&mut self.description, meta, string_value(meta)?, ATTR),
            "icon" => {
                self.icons.push(string_value(meta)?);
                Ok(())
            }
            "read_only" => set(&mut self.read_only, meta, flag_value(meta)?, ATTR),
            "destructive" => set(&mut self.destructive, meta, flag_value(meta)?, ATTR),
            "idempotent" => set(&mut self.idempotent, meta, flag_value(meta)?, ATTR),
            "open_world" => set(&mut self.open_world, meta, flag_value(meta)?, ATTR),
            "deny_unknown_arguments" => set(
                &mut self.deny_unknown_arguments,
                meta,
                flag_value(meta)?,
                ATTR,
            ),
            _ => Err(unknown_key(meta, ATTR, KNOWN_KEYS)),
        }
    }
}

/// Adds `error` to the errors collected so far.
pub fn push(errors: &mut Option<syn::Error>, error: syn::Error) {
    attr_parse::push(errors, error);
}
