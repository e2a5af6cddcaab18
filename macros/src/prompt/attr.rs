//! The arguments of `#[prompt(...)]`.

use proc_macro2::TokenStream;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

use crate::attr_parse::{path_value, push, set, string_value, unknown_key};

const ATTR: &str = "prompt";

/// Every key `#[prompt(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str = "`name`, `title`, `description`, `icon`, `complete`";

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
}

impl PromptAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut attrs = PromptAttributes::default();
        let mut errors: Option<syn::Error> = None;
        let parser = syn::meta::parser(|meta| {
            if let Err(e) = attrs.parse_one(&meta) {
                push(&mut errors, e);
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        if let Some(name) = &attrs.name
            && name.value().trim().is_empty()
        {
            push(
                &mut errors,
                syn::Error::new(name.span(), "a prompt name cannot be empty"),
            );
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
            "name" => set(&mut self.name, meta, string_value(meta)?, ATTR),
            "title" => set(&mut self.title, meta, string_value(meta)?, ATTR),
            "description" => set(&mut self.description, meta, string_value(meta)?, ATTR),
            "icon" => {
                self.icons.push(string_value(meta)?);
                Ok(())
            }
            "complete" => set(
                &mut self.complete,
                meta,
                path_value(meta, "my_completer")?,
                ATTR,
            ),
            _ => Err(unknown_key(meta, ATTR, KNOWN_KEYS)),
        }
    }
}
