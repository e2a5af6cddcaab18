//! The arguments of `#[prompt(...)]`.

use proc_macro2::TokenStream;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

use super::{key, read_args, set, unknown_key, value};
use crate::internals::ctxt::Ctxt;

const ATTR: &str = "prompt";

/// Every key `#[prompt(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str = "`name`, `title`, `description`, `icon`, `complete`, `scopes = [...]`";

/// What the user wrote inside `#[prompt(...)]`.
#[derive(Default)]
pub struct PromptAttributes {
    /// The MCP prompt name; the function's name when absent.
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    /// Replaces the doc comment as the prompt description.
    pub description: Option<LitStr>,
    /// Icon URLs; the key may be repeated.
    pub icons: Vec<LitStr>,
    /// A `fn(&CompletionRequest) -> Vec<String>` suggesting argument values.
    pub complete: Option<syn::Path>,
    /// `scopes = [...]`: what a caller's access token must grant.
    pub scopes: Option<Vec<LitStr>>,
}

impl PromptAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        Ctxt::collect(|cx| {
            let mut attrs = PromptAttributes::default();
            read_args(cx, args, |meta| attrs.parse_one(meta));
            if let Some(name) = &attrs.name
                && name.value().trim().is_empty()
            {
                cx.error(syn::Error::new(
                    name.span(),
                    "a prompt name cannot be empty",
                ));
            }
            Some(attrs)
        })
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        match key(meta).as_str() {
            "name" => set(&mut self.name, meta, value::string(meta)?, ATTR),
            "title" => set(&mut self.title, meta, value::string(meta)?, ATTR),
            "description" => set(&mut self.description, meta, value::string(meta)?, ATTR),
            "icon" => value::string(meta).map(|icon| self.icons.push(icon)),
            "complete" => set(
                &mut self.complete,
                meta,
                value::path(meta, "my_completer")?,
                ATTR,
            ),
            "scopes" => set(&mut self.scopes, meta, value::scopes(meta)?, ATTR),
            _ => Err(unknown_key(meta, ATTR, KNOWN_KEYS)),
        }
    }
}
