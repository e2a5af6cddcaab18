//! The arguments of `#[resource(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::{LitFloat, LitStr};

use super::{key, read_args, set, unknown_key, value};
use crate::internals::ctxt::Ctxt;

const ATTR: &str = "resource";

/// Every key `#[resource(...)]` understands, for the "unknown key" message.
const KNOWN_KEYS: &str =
    "`uri`, `name`, `title`, `description`, `mime_type`, `icon`, `complete`, `scopes = [...]`";

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
    /// Who the contents are for: `"user"`, `"assistant"` or both.
    pub audience: Option<(LitStr, Vec<Audience>)>,
    /// How important the resource is, from 0 to 1.
    pub priority: Option<LitFloat>,
    /// A `fn(&CompletionRequest) -> Vec<String>` suggesting variable values.
    pub complete: Option<syn::Path>,
    /// `scopes = [...]`: what a caller's access token must grant.
    pub scopes: Option<Vec<LitStr>>,
}

/// One reader named by `audience`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    User,
    Assistant,
}

impl ResourceAttributes {
    /// Parses the attribute arguments, reporting every problem at once.
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        Ctxt::collect(|cx| {
            let mut attrs = ResourceAttributes::default();
            read_args(cx, args, |meta| attrs.parse_one(meta));
            if attrs.uri.is_none() {
                cx.error(syn::Error::new(
                    proc_macro2::Span::call_site(),
                    "`#[resource]` needs the resource's URI: `#[resource(uri = \"file:///notes.txt\")]`, \
                     or a URI template such as `#[resource(uri = \"notes://{day}\")]`",
                ));
            }
            Some(attrs)
        })
    }

    fn parse_one(&mut self, meta: &ParseNestedMeta) -> syn::Result<()> {
        match key(meta).as_str() {
            "uri" => set(&mut self.uri, meta, value::string(meta)?, ATTR),
            "name" => set(&mut self.name, meta, value::string(meta)?, ATTR),
            "title" => set(&mut self.title, meta, value::string(meta)?, ATTR),
            "description" => set(&mut self.description, meta, value::string(meta)?, ATTR),
            "mime_type" => set(&mut self.mime_type, meta, value::string(meta)?, ATTR),
            "icon" => value::string(meta).map(|icon| self.icons.push(icon)),
            "audience" => {
                let text = value::string(meta)?;
                let readers = audience(&text)?;
                set(&mut self.audience, meta, (text, readers), ATTR)
            }
            "priority" => {
                let value = priority(meta)?;
                set(&mut self.priority, meta, value, ATTR)
            }
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

/// `"user"`, `"assistant"` or `"user, assistant"`.
fn audience(text: &LitStr) -> syn::Result<Vec<Audience>> {
    let mut readers = Vec::new();
    for word in text.value().split(',').map(str::trim) {
        let reader = match word {
            "user" => Audience::User,
            "assistant" => Audience::Assistant,
            other => {
                return Err(syn::Error::new(
                    text.span(),
                    format!(
                        "`audience` names `user`, `assistant` or both (`\"user, assistant\"`), \
                         not `{other}`"
                    ),
                ));
            }
        };
        if !readers.contains(&reader) {
            readers.push(reader);
        }
    }
    Ok(readers)
}

/// `priority = 0.5`: a number from 0 to 1.
fn priority(meta: &ParseNestedMeta) -> syn::Result<LitFloat> {
    let problem = "`priority` takes a number from 0 to 1, such as `priority = 0.8`";
    let value = meta.value().map_err(|_| meta.error(problem))?;
    let literal: syn::Lit = value
        .parse()
        .map_err(|e| syn::Error::new(e.span(), problem))?;
    let (number, span) = match &literal {
        syn::Lit::Float(f) => (f.base10_parse::<f64>()?, f.span()),
        syn::Lit::Int(i) => (i.base10_parse::<f64>()?, i.span()),
        other => return Err(syn::Error::new(other.span(), problem)),
    };
    if !(0.0..=1.0).contains(&number) {
        return Err(syn::Error::new(span, problem));
    }
    Ok(LitFloat::new(&format!("{number:?}f32"), span))
}
