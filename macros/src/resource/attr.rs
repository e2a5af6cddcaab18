//! The arguments of `#[resource(...)]`.

use proc_macro2::TokenStream;
use syn::LitStr;
use syn::meta::ParseNestedMeta;

use crate::attr_parse::{path_value, push, set, string_value, unknown_key};

const ATTR: &str = "resource";

/// Every key `#[resource(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str = "`uri`, `name`, `title`, `description`, `mime_type`, `icon`, `complete`";

/// What the user wrote inside `#[resource(...)]`.
#[derive(Default)]
pub struct ResourceAttributes {
    /// The resource's URI or URI template; required.
    pub uri: Option<LitStr>,
    /// The resource's name; the function's name when absent.
    pub name: Option<LitStr>,
    pub title: Option<LitStr>,
    /// Replaces the doc comment as the resource description.
    pub description: Option<LitStr>,
    pub mime_type: Option<LitStr>,
    /// Icon URLs; the key may be repeated.
    pub icons: Vec<LitStr>,
    /// A `fn(&CompletionRequest) -> Vec<String>` suggesting variable values.
    pub complete: Option<syn::Path>,
}

impl ResourceAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut attrs = ResourceAttributes::default();
        let mut errors: Option<syn::Error> = None;
        let parser = syn::meta::parser(|meta| {
            if let Err(e) = attrs.parse_one(&meta) {
                push(&mut errors, e);
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        if attrs.uri.is_none() {
            push(
                &mut errors,
                syn::Error::new(
                    proc_macro2::Span::call_site(),
                    "`#[resource]` needs the resource's URI: `#[resource(uri = \"file:///notes.txt\")]`, \
                     or a URI template such as `#[resource(uri = \"notes://{day}\")]`",
                ),
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
            "uri" => set(&mut self.uri, meta, string_value(meta)?, ATTR),
            "name" => set(&mut self.name, meta, string_value(meta)?, ATTR),
            "title" => set(&mut self.title, meta, string_value(meta)?, ATTR),
            "description" => set(&mut self.description, meta, string_value(meta)?, ATTR),
            "mime_type" => set(&mut self.mime_type, meta, string_value(meta)?, ATTR),
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
